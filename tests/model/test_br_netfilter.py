"""br_netfilter: what netfilter sees of bridged IPv4 traffic, each expectation measured on kernel 6.18
(iptables-nft 1.8.9) in throw-away namespaces: a, b, c on br0 of namespace sw, one ping per test."""

from __future__ import annotations

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.trace import Step, Trace
from netstack_tui.kernel.world import ROOT_NAME, World


def bridged(*names: str) -> list[str]:
    """Namespaces `names` on br0 of sw, 10.0.1.N/24, MACs fixed (02:00:00:00:0N:01, ports 05:0N)."""
    lines = [
        "ip netns add sw",
        *[f"ip netns add {n}" for n in names],
        "ip -n sw link add br0 type bridge",
        "ip -n sw link set dev br0 address 02:00:00:00:05:01",
    ]
    for number, n in enumerate(names, 1):
        lines += [
            f"ip -n sw link add v{n} type veth peer name eth0 netns {n}",
            f"ip -n sw link set dev v{n} address 02:00:00:00:05:0{n}",
            f"ip -n {n} link set dev eth0 address 02:00:00:00:0{n}:01",
            f"ip -n sw link set v{n} master br0",
            f"ip -n sw link set v{n} up",
            f"ip -n {n} addr add 10.0.1.{number}/24 dev eth0",
            f"ip -n {n} link set eth0 up",
        ]
    return [*lines, "ip -n sw link set br0 up"]


def world(*extra: str, names: tuple[str, ...] = ("a", "b")) -> Shell:
    shell = Shell(world=World(Host.namespace(ROOT_NAME)))
    for line in [*bridged(*names), *extra]:
        result = shell.run(line)
        assert result.status == 0, (line, result.output)
    return shell


def sw(*rules: str) -> list[str]:
    return [f"ip netns exec sw iptables {rule}" for rule in rules]


def ping(shell: Shell, dst: str = "10.0.1.2") -> str:
    return shell.run(f"ip netns exec a ping -c 1 -W 1 {dst}").output


def counters(shell: Shell, ns: str = "sw") -> dict[str, int]:
    """`iptables-save -c` of `ns` as {"TABLE -A CHAIN ...": packets}."""
    out: dict[str, int] = {}
    table = ""
    for line in shell.run(f"ip netns exec {ns} iptables-save -c").output.splitlines():
        if line.startswith("*"):
            table = line[1:]
        elif line.startswith("["):
            packets = line[1:].split(":", 1)[0]
            out[f"{table} {line.split('] ', 1)[1]}"] = int(packets)
    return out


def saved(line: str) -> str:
    """`ip netns exec sw iptables -t T RULE` as `counters` keys it: `T RULE`."""
    rule = line.split(" iptables ", 1)[1]
    return rule[3:] if rule.startswith("-t ") else f"filter {rule}"


HOOK_RULES = sw(
    "-t raw -A PREROUTING",
    "-t mangle -A PREROUTING",
    "-t nat -A PREROUTING",
    "-t raw -A OUTPUT",
    "-t mangle -A INPUT",
    "-t mangle -A FORWARD",
    "-t mangle -A OUTPUT",
    "-t mangle -A POSTROUTING",
    "-t nat -A INPUT",
    "-t nat -A OUTPUT",
    "-t nat -A POSTROUTING -o br0",
    "-A INPUT",
    "-A OUTPUT",
    "-t security -A FORWARD",
    "-A FORWARD -i br0 -o br0",
    "-A FORWARD -i va",
    "-A FORWARD -m conntrack --ctstate NEW",
)


def test_sysctls_exist_in_every_namespace_and_store_any_nonzero_as_one() -> None:
    """br_netfilter is built in: its six keys in a new namespace; a write of 5 answers `= 5`, reads 1."""
    shell = world()
    listed = shell.run("ip netns exec a sysctl -a").output
    for key, value in (("arptables", 1), ("iptables", 1), ("ip6tables", 1)):
        assert f"net.bridge.bridge-nf-call-{key} = {value}" in listed
    assert "net.bridge.bridge-nf-filter-vlan-tagged = 0" in listed
    assert shell.run("ip netns exec sw sysctl -w net.bridge.bridge-nf-call-iptables=5").output.endswith("= 5")
    assert shell.run("ip netns exec sw cat /proc/sys/net/bridge/bridge-nf-call-iptables").output == "1"
    bad = shell.run("ip netns exec sw sysctl -w net.bridge.bridge-nf-call-iptables=abc")
    assert (bad.status, bad.output) == (1, 'sysctl: setting key "net.bridge.bridge-nf-call-iptables": Invalid argument')
    assert shell.run("ip netns exec a sysctl -n net.bridge.bridge-nf-call-iptables").output == "1"  # per namespace


def test_with_1_bridged_frames_pass_prerouting_forward_postrouting_never_input_output() -> None:
    """A ping a -> b across br0: each chain of sw on the bridged path counts 2 (nat: the first only)."""
    shell = world(*HOOK_RULES)
    assert "1 received" in ping(shell)
    got = counters(shell)
    assert {k: got[k] for k in got if "PREROUTING" in k or "POSTROUTING" in k or "FORWARD" in k} == {
        "raw -A PREROUTING": 2,
        "mangle -A PREROUTING": 2,
        "nat -A PREROUTING": 1,
        "mangle -A FORWARD": 2,
        "mangle -A POSTROUTING": 2,
        "nat -A POSTROUTING -o br0": 1,
        "security -A FORWARD": 2,
        "filter -A FORWARD -i br0 -o br0": 2,
        "filter -A FORWARD -i va": 0,
        "filter -A FORWARD -m conntrack --ctstate NEW": 1,
    }
    assert all(got[k] == 0 for k in got if "INPUT" in k or "OUTPUT" in k)
    assert "src=10.0.1.1 dst=10.0.1.2 type=8" in shell.run("ip netns exec sw conntrack -L").output


def test_with_0_nothing_in_the_bridge_namespace_sees_them() -> None:
    """bridge-nf-call-iptables=0: every counter of sw stays 0, no conntrack entry, and the step says why."""
    shell = world("ip netns exec sw sysctl -w net.bridge.bridge-nf-call-iptables=0", *HOOK_RULES)
    assert "1 received" in ping(shell)
    assert set(counters(shell).values()) == {0}
    assert "0 flow entries" in shell.run("ip netns exec sw conntrack -L").output
    notes = [step.note for trace in shell.last_traces for step in trace.steps]
    assert "brnf.off" in notes and not any(note == "brnf.call" for note in notes)


def test_bridged_steps_are_the_bridge_stages_in_kernel_order() -> None:
    """The request's journey in sw: br_netfilter's PREROUTING, the bridge's decision, FORWARD, POSTROUTING."""
    shell = world(*HOOK_RULES)
    ping(shell)
    request = shell.last_traces[0]
    in_sw = [s.stage for s in request.steps if s.host == "sw"]
    assert in_sw[in_sw.index("bridge") :] == [
        "bridge",
        "bridge.prerouting.raw",
        "bridge.prerouting.conntrack",
        "bridge.prerouting.mangle",
        "bridge.prerouting.nat",
        "bridge",
        "bridge.forward.mangle",
        "bridge.forward.filter",
        "bridge.forward.security",
        "bridge.postrouting.mangle",
        "bridge.postrouting.nat",
        "bridge.postrouting.confirm",
        "tx",
    ]


PHYSDEV_RULES = sw(
    "-t mangle -A PREROUTING -m physdev --physdev-in va",
    "-t mangle -A PREROUTING -m physdev --physdev-out vzzz",
    "-t mangle -A PREROUTING -m physdev --physdev-is-out",
    "-t mangle -A PREROUTING -m physdev --physdev-is-bridged",
    "-t mangle -A PREROUTING -m physdev ! --physdev-is-bridged",
    "-t mangle -A PREROUTING -m physdev --physdev-is-in",
    "-A FORWARD -m physdev --physdev-in va --physdev-out vb",
    "-A FORWARD -m physdev --physdev-is-bridged",
    "-A FORWARD -m physdev ! --physdev-is-bridged",
    "-A FORWARD -m physdev --physdev-is-in --physdev-is-out",
    "-A FORWARD -m physdev ! --physdev-in va",
    "-A FORWARD -m physdev --physdev-in v+",
    "-t mangle -A POSTROUTING -m physdev --physdev-out vb --physdev-is-bridged",
    "-t mangle -A POSTROUTING -m physdev --physdev-in va",
)


def test_physdev_sees_the_ports_from_forward_on() -> None:
    """The out port is unknown in PREROUTING (`--physdev-out` and `--physdev-is-bridged` fail there)."""
    shell = world(*PHYSDEV_RULES)
    ping(shell)
    got = counters(shell)
    measured = [1, 0, 0, 0, 2, 2, 1, 2, 0, 2, 1, 2, 1, 1]  # PHYSDEV_RULES in order, counted on 6.18
    assert [got[saved(rule)] for rule in PHYSDEV_RULES] == measured


def test_physdev_in_input_for_a_frame_the_bridge_passed_up() -> None:
    """A ping to sw's own br0 address: INPUT knows the port in, not out; sw's answer (OUTPUT) knows none."""
    shell = world(
        "ip -n sw addr add 10.0.1.254/24 dev br0",
        *sw(
            "-t mangle -A PREROUTING",
            "-A INPUT -m physdev --physdev-in va",
            "-A INPUT -m physdev --physdev-is-in",
            "-A INPUT -m physdev --physdev-out vb",
            "-A INPUT -m physdev ! --physdev-is-out",
            "-A INPUT -i br0",
            "-A OUTPUT -o br0",
            "-A OUTPUT -m physdev --physdev-in va",
            "-t mangle -A POSTROUTING -m physdev --physdev-is-bridged",
        ),
    )
    assert "1 received" in ping(shell, "10.0.1.254")
    assert counters(shell) == {
        "mangle -A PREROUTING": 1,
        "mangle -A POSTROUTING -m physdev --physdev-is-bridged": 0,
        "filter -A INPUT -m physdev --physdev-in va": 1,
        "filter -A INPUT -m physdev --physdev-is-in": 1,
        "filter -A INPUT -m physdev --physdev-out vb": 0,
        "filter -A INPUT -m physdev ! --physdev-is-out": 1,
        "filter -A INPUT -i br0": 1,
        "filter -A OUTPUT -o br0": 1,
        "filter -A OUTPUT -m physdev --physdev-in va": 0,
    }


def test_physdev_on_a_packet_that_never_crossed_a_bridge_matches_only_negated() -> None:
    """No nf_bridge record: a rule matches only when every physdev option is negated."""
    shell = Shell(world=World())
    for line in (
        "ip addr add 10.0.0.1/24 dev eth0",
        "ip link set eth0 up",
        "iptables -A INPUT -m physdev --physdev-in eth0",
        "iptables -A INPUT -m physdev ! --physdev-in eth0 ! --physdev-is-bridged",
        "iptables -A INPUT -m physdev ! --physdev-in eth0 --physdev-is-in",
    ):
        shell.run(line)
    shell.run("send icmp 10.0.0.2 > 10.0.0.1 echo-request iface=eth0")
    assert list(counters_root(shell).values()) == [0, 1, 0]


def counters_root(shell: Shell) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in shell.run("iptables-save -c").output.splitlines():
        if line.startswith("["):
            out[line.split("] ", 1)[1]] = int(line[1:].split(":", 1)[0])
    return out


@pytest.mark.parametrize(
    "rule",
    [
        "-A FORWARD -m physdev --physdev-in va --physdev-out vb",
        "-A FORWARD -m physdev ! --physdev-is-in --physdev-in y ! --physdev-is-out ! --physdev-out x+",
        "-A FORWARD -m physdev --physdev-in +",
        "-A OUTPUT -m physdev --physdev-out va --physdev-is-bridged",
        "-A INPUT -m physdev --physdev-is-bridged --physdev-in va",
    ],
)
def test_physdev_round_trips_through_iptables_s(rule: str) -> None:
    """What iptables -S prints is what was written, in libxt_physdev's order, and -S of that is the same."""
    shell = Shell(world=World(Host.namespace(ROOT_NAME)))
    assert shell.run(f"iptables {rule}").status == 0
    printed = shell.run("iptables -S").output.splitlines()[-1]
    expected = rule.replace("--physdev-is-bridged --physdev-in va", "--physdev-in va --physdev-is-bridged")
    assert printed == expected
    again = Shell(world=World(Host.namespace(ROOT_NAME)))
    again.run(f"iptables {printed}")
    assert again.run("iptables -S").output.splitlines()[-1] == printed


@pytest.mark.parametrize(
    ("rule", "status", "first_line"),
    [
        (
            "-A OUTPUT -m physdev --physdev-out va",
            4,
            "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain OUTPUT",
        ),
        (
            "-t nat -A OUTPUT -m physdev --physdev-is-out",
            4,
            "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain OUTPUT",
        ),
        ("-A FORWARD -m physdev", 2, "iptables v1.8.9 (nf_tables): PHYSDEV: no physdev option specified"),
        (
            "-A FORWARD -m physdev --physdev-in va --physdev-in vb",
            2,
            'iptables v1.8.9 (nf_tables): physdev: option "--physdev-in" can only be used once.',
        ),
        (
            "-A FORWARD -m physdev --physdev-in 12345678901234567",
            2,
            "iptables v1.8.9 (nf_tables): interface name `12345678901234567' must be shorter than IFNAMSIZ (15)",
        ),
    ],
)
def test_physdev_refusals_word_for_word(rule: str, status: int, first_line: str) -> None:
    """iptables 1.8.9's and physdev_mt_check()'s refusals, measured."""
    result = Shell(world=World(Host.namespace(ROOT_NAME))).run(f"iptables {rule}")
    assert (result.status, result.output.splitlines()[0]) == (status, first_line)


def icmp_dnat(to: str, forward: int) -> Shell:
    return world(
        "ip -n sw addr add 10.0.1.254/24 dev br0",
        f"ip netns exec sw sysctl -w net.ipv4.ip_forward={forward}",
        *sw(
            f"-t nat -A PREROUTING -d 10.0.1.2 -p icmp -j DNAT --to-destination {to}",
            "-A FORWARD -p icmp -i br0 -o br0",
            "-A INPUT -p icmp -m physdev --physdev-in va",
        ),
        names=("a", "b", "c"),
    )


def arrived_in_a(shell: Shell) -> str:
    """The echo reply as a's ip_rcv saw it (after any NAT on the way)."""

    def steps(trace: Trace) -> list[Step]:
        return [*trace.steps, *(s for reply in trace.replies for s in steps(reply))]

    return str(next(s.packet for s in steps(shell.last_traces[0]) if s.host == "a" and s.stage == "ip_rcv"))


def test_dnat_to_a_neighbour_behind_the_bridge_stays_bridged() -> None:
    """ip_forward=1: c answers for 10.0.1.2; sw resolves c by ARP from br0; FORWARD sees both ways."""
    shell = icmp_dnat("10.0.1.3", 1)
    assert "1 received" in ping(shell)
    assert arrived_in_a(shell) == "icmp 10.0.1.2 > 10.0.1.1 echo-reply len=56"  # un-DNATed on the bridge
    got = counters(shell)
    assert [
        got["filter -A INPUT -p icmp -m physdev --physdev-in va"],
        got["filter -A FORWARD -i br0 -o br0 -p icmp"],
        got["nat -A PREROUTING -d 10.0.1.2/32 -p icmp -j DNAT --to-destination 10.0.1.3"],
    ] == [0, 2, 1]
    assert "src=10.0.1.3 dst=10.0.1.1 type=0" in shell.run("ip netns exec sw conntrack -L").output
    assert "10.0.1.3 dev br0 lladdr 02:00:00:00:0c:01 REACHABLE" in shell.run("ip -n sw neigh").output


def test_dnat_behind_the_bridge_with_forwarding_off_is_dropped() -> None:
    """ip_forward=0: the route out of br0 is refused, the frame goes up and routing drops it silently."""
    shell = icmp_dnat("10.0.1.3", 0)
    assert "100% packet loss" in ping(shell)
    assert [v for k, v in counters(shell).items() if "FORWARD" in k or "INPUT" in k] == [0, 0]


def test_dnat_to_the_bridge_namespace_itself_goes_up_to_input() -> None:
    """DNAT to sw's own address: up to the host (forwarding not needed), INPUT sees the port in."""
    shell = icmp_dnat("10.0.1.254", 0)
    assert "1 received" in ping(shell)
    assert arrived_in_a(shell) == "icmp 10.0.1.2 > 10.0.1.1 echo-reply len=56"
    got = counters(shell)
    assert [
        got["filter -A INPUT -p icmp -m physdev --physdev-in va"],
        got["filter -A FORWARD -i br0 -o br0 -p icmp"],
    ] == [1, 0]
    sabotaged = [s for t in shell.last_traces for s in t.steps if s.note == "brnf.sabotage"]
    assert len(sabotaged) == 1  # PREROUTING ran on the bridge, not a second time in ip_rcv
