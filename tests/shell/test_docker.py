"""The simulated `docker`: the rules Docker Engine 28.2.2 writes, packets that really reach the
container, and the real client's errors (see tests/commands/docker_reference/README.md)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.world import World

REF = Path(__file__).parent.parent / "commands" / "docker_reference"
RUN_WEB = "docker run -d --name web -p 8080:80 nginx"


def _shell(*lines: str) -> Shell:
    sh = Shell(world=World.connected())
    for line in lines:
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def _tables(text: str) -> dict[str, list[str]]:
    """iptables-save text by table, comment lines dropped."""
    out: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("*"):
            current = line[1:]
            out[current] = []
        elif line and not line.startswith("#") and current:
            out[current].append(line)
    return out


def _rules(text: str) -> dict[str, list[str]]:
    """The tables with rules in them (a table once touched stays listed, empty, as iptables-nft shows it)."""
    return {name: lines for name, lines in _tables(text).items() if any(x.startswith("-A") for x in lines)
            or name != "raw"}


def _save(sh: Shell) -> str:
    return sh.run("iptables-save").output


def test_rules_after_run_equal_engine_28_2_2_reference() -> None:
    """After `docker run -d -p 8080:80 nginx`, iptables-save prints the reference's raw, filter and nat."""
    sh = _shell(RUN_WEB)
    expected = _tables((REF / "engine-28.2.2" / "iptables-save-after-run.txt").read_text())
    assert _tables(_save(sh)) == expected


def test_nat_S_equals_reference() -> None:
    """`iptables -t nat -S` prints what the real host prints."""
    sh = _shell(RUN_WEB)
    expected = (REF / "engine-28.2.2" / "nat-S-after-run.txt").read_text().strip()
    assert sh.run("iptables -t nat -S").output.strip() == expected


def test_port_and_ps_layout_match_the_recording() -> None:
    """`docker port` is byte for byte the recorded one; `docker ps` has the client's columns."""
    sh = _shell(RUN_WEB)
    recorded = (REF / "recorded-engine-20.10.24" / "04-port.txt").read_text().splitlines()[1:-1]
    assert sh.run("docker port web").output.splitlines() == recorded
    header = (REF / "recorded-engine-20.10.24" / "03-ps.txt").read_text().splitlines()[1]
    ps = sh.run("docker ps").output.splitlines()
    assert re.split(r"\s{2,}", ps[0]) == re.split(r"\s{2,}", header)
    assert "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web" in ps[1]


def test_daemon_start_state() -> None:
    """The first docker command starts dockerd: docker0 up with 172.17.0.1/16, ip_forward on, and says so."""
    sh = Shell(world=World.connected())
    first = sh.run("docker ps")
    assert first.status == 0 and first.output.startswith("(dockerd started")
    assert "inet 172.17.0.1/16" in sh.run("ip addr show docker0").output
    assert sh.run("sysctl net.ipv4.ip_forward").output == "net.ipv4.ip_forward = 1"
    assert "dockerd started" not in sh.run("docker ps").output


def test_container_namespace_plumbing() -> None:
    """eth0 has 172.17.0.2/16 and a default route via docker0; the veth is a docker0 port; `ip netns list`
    shows no container, as on a real host."""
    sh = _shell(RUN_WEB)
    assert "inet 172.17.0.2/16" in sh.run("docker exec web ip addr").output
    assert sh.run("docker exec web ip route").output.startswith("default via 172.17.0.1 dev eth0")
    assert "master docker0" in sh.run("ip link show type veth").output or "docker0" in sh.run(
        "bridge link").output
    assert sh.run("ip netns list").output == "internet (id: 0)"
    assert "0.0.0.0:80" in sh.run("docker exec web ss -tln").output


def test_internet_reaches_published_port() -> None:
    """A client on the Internet reaches nginx in the container through DNAT, FORWARD and docker0."""
    sh = _shell(RUN_WEB)
    result = sh.run("ip netns exec internet curl -sS -m 2 http://192.168.1.10:8080")
    assert result.status == 0 and "nginx (pid" in result.output
    sent = sh.run("send tcp 203.0.113.7:51000 > 192.168.1.10:8080 [S] iface=eth0").output.splitlines()
    # The SYN-ACK as it leaves the host's eth0: un-NATed, and one hop older (the host forwarded it).
    assert sent[0].startswith("delivered to nginx")
    assert sent[1] == "tcp 192.168.1.10:8080 > 203.0.113.7:51000 [S.] ttl=63"


def test_input_drop_does_not_block_but_docker_user_does() -> None:
    """The classic surprise: INPUT DROP leaves the published port open; a DOCKER-USER rule closes it."""
    sh = _shell(RUN_WEB, "iptables -P INPUT DROP")
    curl = "ip netns exec internet curl -sS -m 2 http://192.168.1.10:8080"
    assert sh.run(curl).status == 0
    assert sh.run("iptables -I DOCKER-USER -i eth0 -p tcp -m conntrack --ctorigdstport 8080 -j DROP").status == 0
    blocked = sh.run(curl)
    assert blocked.status == 28 and "timed out" in blocked.output


def test_container_reaches_internet_and_neighbour() -> None:
    """A container reaches 8.8.8.8 through MASQUERADE, and the other container across the bridge."""
    sh = _shell(RUN_WEB, "docker run -d --name box busybox sleep 3600")
    assert "1 received" in sh.run("docker exec box ping -c 1 8.8.8.8").output
    assert "1 received" in sh.run("docker exec box ping -c 1 172.17.0.2").output
    assert "nginx (pid" in sh.run("docker exec box curl -sS http://172.17.0.2").output


def test_stop_removes_per_container_rules_and_start_restores_them() -> None:
    """Stopping takes the DNAT, ACCEPT and raw rules away; starting again writes them back."""
    sh = _shell("docker ps")
    before = _rules(_save(sh))
    assert sh.run(RUN_WEB).status == 0
    after = _rules(_save(sh))
    assert sh.run("docker stop web").output == "web"
    assert _rules(_save(sh)) == before
    assert sh.run("docker start web").output == "web"
    assert _rules(_save(sh)) == after


@pytest.mark.parametrize(("line", "status", "message"), [
    ("docker run -d --name web nginx", 125,
     'docker: Error response from daemon: Conflict. The container name "/web" is already in use by container "'),
    ("docker run -d --name web2 -p 8080:80 nginx", 125, "Bind for 0.0.0.0:8080 failed: port is already allocated"),
    ("docker run -d -p 80:80:80:80 nginx", 125, "docker: invalid IP address: 80:80"),
    ("docker run -d -p abc:80 nginx", 125, "docker: invalid hostPort: abc"),
    ("docker run -d -p 8080:80/xyz nginx", 125, "docker: invalid proto: xyz"),
    ("docker run -d --network nosuch nginx", 125, "docker: Error response from daemon: network nosuch not found"),
    ("docker port x", 1, "Error response from daemon: No such container: x"),
    ("docker exec x ip addr", 1, "Error response from daemon: No such container: x"),
    ("docker stop x", 1, "Error response from daemon: No such container: x"),
    ("docker rm web", 1, 'Error response from daemon: cannot remove container "web": container is running'),
    ("docker network rm nosuch", 1, "Error response from daemon: network nosuch not found"),
    ("docker network create bridge", 1, "operation is not permitted on predefined bridge network"),
])
def test_errors_leave_the_network_unchanged(line: str, status: int, message: str) -> None:
    """Each refusal has the real wording and status, and the rules, devices and listeners stay as they were
    (a failed start leaves a Created record, as the real daemon does)."""
    sh = _shell(RUN_WEB)
    rules, links, sockets = _save(sh), sh.run("ip -br link").output, sh.run("ss -tln").output
    result = sh.run(line)
    assert result.status == status and message in result.output
    assert "\n" not in result.output.strip()
    assert (_save(sh), sh.run("ip -br link").output, sh.run("ss -tln").output) == (rules, links, sockets)


def test_user_network_and_isolation_rules() -> None:
    """A user network gets its own bridge, pool and rules; removing it takes them away again."""
    sh = _shell("docker ps")
    before = _save(sh)
    net_id = sh.run("docker network create --subnet 10.10.0.0/24 appnet").output
    bridge = f"br-{net_id[:12]}"
    assert f"-A POSTROUTING -s 10.10.0.0/24 ! -o {bridge} -j MASQUERADE" in _save(sh)
    assert sh.run("docker run -d --name api --network appnet redis").status == 0
    assert "inet 10.10.0.2/24" in sh.run("docker exec api ip addr").output
    assert "active endpoints (api)" in sh.run("docker network rm appnet").output
    assert sh.run("docker rm -f api").status == 0
    assert sh.run("docker network rm appnet").output == "appnet"
    assert _rules(_save(sh)) == _rules(before)


def test_world_copy_keeps_docker_state_consistent() -> None:
    """A deep copy of the world carries the daemon with it; stopping in the copy leaves the original."""
    sh = _shell(RUN_WEB)
    twin = Shell(world=copy.deepcopy(sh.world))
    assert twin.run("docker stop web").status == 0
    assert "Up " in sh.run("docker ps").output
    assert sh.run("ip netns exec internet curl -sS -m 2 http://192.168.1.10:8080").status == 0
    assert twin.run("ip netns exec internet curl -sS -m 2 http://192.168.1.10:8080").status != 0
