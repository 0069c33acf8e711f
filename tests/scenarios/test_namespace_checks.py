"""The scenario format across namespaces: `world: connected`, packets sent `from:` a namespace, and the
checks `ping`, `connection`, `bind`, `listening: {in:}` and `visits: {host:}`, each holding and failing
with a reason that says what was seen instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from netstack_tui.commands.session import NamedPacket, Session
from netstack_tui.scenarios import goals
from netstack_tui.scenarios.checker import check_file
from netstack_tui.scenarios.goals import build_host, run_check, run_checks
from netstack_tui.scenarios.library import load_scenario
from netstack_tui.scenarios.model import Check

BUILDING = [
    "ip link add br0 type bridge",
    "ip addr add 172.18.0.1/24 dev br0",
    "ip link set br0 up",
    "ip netns add web1",
    "ip netns add web2",
    "ip link add veth-web1 type veth peer name eth0 netns web1",
    "ip link add veth-web2 type veth peer name eth0 netns web2",
    "ip link set veth-web1 master br0",
    "ip link set veth-web2 master br0",
    "ip link set veth-web1 up",
    "ip link set veth-web2 up",
    "ip -n web1 addr add 172.18.0.2/24 dev eth0",
    "ip -n web2 addr add 172.18.0.3/24 dev eth0",
    "ip -n web1 link set eth0 up",
    "ip -n web2 link set eth0 up",
    "ip netns exec web1 listen tcp 0.0.0.0:80 --app nginx",
]
"""Two namespaces on a bridge; nginx listens on :80 in web1 only."""

NEIGHBOUR = NamedPacket("neighbour", "tcp 172.18.0.2:50000 > 172.18.0.3:80 [S]", "web1")


def _check(data: dict[str, object]) -> Check:
    return Check.model_validate(data)


def _run(data: dict[str, object], setup: list[str] = BUILDING, world: str = "bare") -> goals.CheckResult:
    host, failures = build_host(setup, world=world)
    assert not failures
    return run_check(_check(data), host, {NEIGHBOUR.name: NEIGHBOUR})


def test_a_connected_world_reaches_the_internet_and_a_bare_one_does_not() -> None:
    """`world: connected` starts from World.connected(): ping 8.8.8.8 answers; from a bare host it cannot."""
    assert _run({"ping": {"to": "8.8.8.8"}}, [], "connected").ok
    bare = _run({"ping": {"to": "8.8.8.8"}}, [], "bare")
    assert not bare.ok and "Network is unreachable" in bare.detail


def test_ping_from_a_namespace_reports_what_ping_said() -> None:
    """A ping check runs in the namespace; a failure names ping's own words, a missing namespace too."""
    assert _run({"ping": {"from": "web1", "to": "172.18.0.3"}}).ok
    unreachable = _run({"ping": {"from": "web1", "to": "8.8.8.8"}})
    assert not unreachable.ok and "Network is unreachable" in unreachable.detail
    assert _run({"ping": {"from": "web1", "to": "8.8.8.8", "reply": False, "says": "unreachable"}}).ok
    missing = _run({"ping": {"from": "nowhere", "to": "8.8.8.8"}})
    assert not missing.ok and 'Cannot open network namespace "nowhere"' in missing.detail


def test_bind_is_per_namespace() -> None:
    """bind() to :80 fails with EADDRINUSE where nginx holds it and succeeds in the other namespace."""
    assert _run({"bind": {"in": "web1", "addr": "0.0.0.0:80", "error": "EADDRINUSE"}}).ok
    assert _run({"bind": {"in": "web2", "addr": "0.0.0.0:80"}}).ok
    taken = _run({"bind": {"in": "web1", "addr": "0.0.0.0:80"}})
    assert not taken.ok and "EADDRINUSE" in taken.detail and "nginx" in taken.detail
    free = _run({"bind": {"in": "web2", "addr": "0.0.0.0:80", "error": "EADDRINUSE"}})
    assert not free.ok and "succeeds" in free.detail


def test_listening_and_connection_look_in_the_named_namespace() -> None:
    """nginx listens in web1, not in web2 or the root; a connection to web1 lands on it, one to web2 does not."""
    assert _run({"listening": {"port": 80, "app": "nginx", "in": "web1"}}).ok
    elsewhere = _run({"listening": {"port": 80, "in": "web2"}})
    assert not elsewhere.ok and "nothing listens" in elsewhere.detail
    assert not _run({"listening": {"port": 80}}).ok
    assert _run({"connection": {"from": "web2", "to": "172.18.0.2:80", "in": "web1", "app": "nginx"}}).ok
    refused = _run({"connection": {"to": "172.18.0.3:80", "in": "web2"}})
    assert not refused.ok and "no established connection on port 80 in web2" in refused.detail


def test_a_packet_from_a_namespace_is_sent_there_and_visits_name_the_host() -> None:
    """A `from:` packet starts in its namespace; `visits: {host:}` tells the namespaces of a journey apart."""
    assert _run({"visits": {"packet": "neighbour", "stage": "send", "host": "web1"}}).ok
    assert _run({"visits": {"packet": "neighbour", "stage": "bridge", "host": "host"}}).ok
    assert _run({"dropped": {"packet": "neighbour", "at": "socket", "reason": "NO_SOCKET"}}).ok
    wrong = _run({"visits": {"packet": "neighbour", "stage": "send", "host": "web2"}})
    assert not wrong.ok and "send in web2: send=" in wrong.detail and "in web1" in wrong.detail


def test_checks_read_in_both_languages() -> None:
    """The new kinds have generated labels in English and Russian."""
    data: dict[str, object] = {"connection": {"from": "web1", "to": "172.18.0.3:80", "in": "web2", "app": "apache"}}
    assert goals.describe(_check(data)) == "a connection from web1 to 172.18.0.3:80 is held by apache in web2"
    assert "принимает apache в web2" in goals.describe(_check(data), "ru")
    assert goals.describe(_check({"ping": {"to": "8.8.8.8"}})) == "`ping 8.8.8.8` from the host gets a reply"
    bind = _check({"bind": {"in": "web1", "addr": "0.0.0.0:80", "error": "EADDRINUSE"}})
    assert goals.describe(bind) == "binding 0.0.0.0:80 (tcp) in web1 fails with EADDRINUSE"
    assert goals.describe(_check({"visits": {"packet": "x", "stage": "bridge", "host": "host"}})).endswith(" in host")


def test_a_session_keeps_its_world_and_packet_namespaces_across_a_restart() -> None:
    """A connected session rebuilds connected (reset, go back), and a `from:` packet is resent in its namespace."""
    scenario = load_scenario("container-no-internet")
    session = Session(scenario.setup, scenario.packets, world="connected")
    trace = session.next_packet()
    assert trace is not None and trace.steps[0].host == "app"
    session.run_command("iptables -A FORWARD -i br0 -o eth0 -j ACCEPT")
    session.restart()
    assert session.world == "connected" and "internet" in session.shell.world.namespaces
    assert session.trace is not None and session.trace.steps[0].host == "app"


def test_the_goal_of_a_namespace_scenario_follows_the_learner() -> None:
    """container-no-internet: unreached at first, each check says why; reached after the two FORWARD rules."""
    scenario = load_scenario("container-no-internet")
    session = Session(scenario.setup, scenario.packets, world="connected")
    session.next_packet()
    results = run_checks(scenario.source.goal.checks, goals.session_state(session), scenario.packets)
    failed = {r.label: r.detail for r in results if not r.ok}
    assert any("100% packet loss" in detail for detail in failed.values())
    assert any("no established connection on port 80 in internet" in detail for detail in failed.values())
    for line in scenario.solution:
        assert session.run_command(line).status == 0
    assert goals.evaluate(scenario, session).reached


def test_a_packet_from_a_namespace_the_setup_never_made_is_refused(tmp_path: Path) -> None:
    """`scenarios check` names the packet's `from:` when the setup never creates that namespace."""
    text = (Path(__file__).parents[2] / "scenarios/container-no-internet.yaml").read_text()
    path = tmp_path / "container-no-internet.yaml"
    path.write_text(text.replace("    from: app\n    spec: \"icmp", "    from: ap\n    spec: \"icmp"))
    message = check_file(path)
    assert message is not None and "packets[1].from: there is no namespace 'ap' after the setup" in message


@pytest.mark.parametrize("scenario_id", ["netns-veth", "two-containers-port-80", "container-no-internet"])
def test_the_namespace_scenarios_pass_their_check(scenario_id: str) -> None:
    """Each namespace scenario's symptom reproduces and its solution reaches the goal."""
    assert check_file(load_scenario(scenario_id).path) is None
