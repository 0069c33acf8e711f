"""Floods through the batch path (the `flood` verb, and `stack.receive_batch` packet by packet) leave a
host in exactly the state `send`, one fully traced packet at a time, does.

Covers the shapes `benchmarks/run.py` measures (a 100-rule ruleset with conntrack: a flood of new
connections varying the source port, and a flood of one established flow), rulesets that do and do
not test the source port, established flows with FIN and RST in between, a conntrack table that
fills (`nf_conntrack_max` small), an accept queue that overflows, and XDP drops. No timing here:
only equality of every observable.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.addr import format_ipv4, parse_ipv4
from tests.perf.test_batch_equivalence import _compare, _state

HUNDRED = (["ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --app web",
            "iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"]
           + [f"iptables -A INPUT -p tcp -s 192.0.2.{i % 250} --dport {1000 + i} -j ACCEPT" for i in range(98)]
           + ["iptables -A INPUT -p tcp --dport 80 -j ACCEPT"])
"""The benchmark's setup (`benchmarks/run.py`, `_hundred_rules`)."""


def _shell(lines: list[str]) -> Shell:
    sh = Shell()
    for line in lines:
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def _flood_vs_sends(setup: list[str], prelude: list[str], spec: str, count: int, vary: str,
                    ruleset: str = "") -> None:
    """`flood SPEC --count N --vary V` on one host, the same N packets `send` one by one on another:
    the flood's tally equals the sends' summary lines counted, and every observable agrees."""
    slow, fast = _shell(setup), _shell(setup)
    for sh in (slow, fast):
        if ruleset:
            assert sh.run("iptables-restore", stdin=ruleset).status == 0
    for line in prelude:
        assert slow.run(line).status == 0 and fast.run(line).status == 0, line
    flooded = fast.run(f"flood {spec} --count {count} --vary {vary}")
    assert flooded.status == 0, flooded.output
    head, _, tail = spec.partition(" > ")
    proto, _, src = head.partition(" ")
    addr, _, port = src.partition(":")
    tally: dict[str, int] = {}
    for i in range(count):
        if vary == "sport":
            packet = f"{proto} {addr}:{1024 + (int(port) - 1024 + i) % 64512} > {tail}"
        elif vary == "src":
            packet = f"{proto} {format_ipv4((parse_ipv4(addr) + i) & 0xFFFFFFFF)}:{port} > {tail}"
        else:
            packet = spec
        result = slow.run(f"send {packet}")
        assert result.status == 0, result.output
        line = result.traces[0].summary_line()
        tally[line] = tally.get(line, 0) + 1
    expected = "\n".join(f"{n:>8}  {what}" for what, n in sorted(tally.items(), key=lambda kv: -kv[1]))
    assert flooded.output == expected
    assert _state(fast) == _state(slow)


# ---- the benchmark's own shapes ----------------------------------------------------------------------


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 60), st.integers(1024, 65000))
def test_benchmark_new_connection_flood(count: int, sport: int) -> None:
    """The NEW-connection flood of the benchmark (SYNs varying the source port, each answered)."""
    _flood_vs_sends(HUNDRED, [], f"tcp 10.0.0.2:{sport} > 10.0.0.1:80 [S]", count, "sport")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 60), st.sampled_from((0, 1, 100, 1400)))
def test_benchmark_established_flood(count: int, length: int) -> None:
    """The established-flow flood of the benchmark (one flow after its SYN)."""
    _flood_vs_sends(HUNDRED, ["send tcp 10.0.0.2:1024 > 10.0.0.1:80 [S]"],
                    f"tcp 10.0.0.2:1024 > 10.0.0.1:80 [.] len={length}", count, "none")


# ---- rulesets that do and do not look at the source port ---------------------------------------------


def _sport_ruleset(rng: random.Random, with_sport: bool) -> str:
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"]
    lines.append("-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT")
    for _ in range(rng.randint(0, 8)):
        lines.append(f"-A INPUT -p tcp -s 192.0.2.{rng.randint(0, 9)} --dport {rng.choice((22, 80, 443))} -j ACCEPT")
    if with_sport:
        for _ in range(rng.randint(1, 4)):
            low = rng.randint(1024, 1100)
            port = f"{low}:{low + rng.randint(0, 20)}" if rng.random() < 0.5 else str(low)
            neg = "! " if rng.random() < 0.2 else ""
            lines.append(f"-A INPUT -p tcp -m tcp {neg}--sport {port} -j " + rng.choice(("DROP", "REJECT", "ACCEPT")))
        if rng.random() < 0.5:
            lines.append("-A INPUT -p tcp -m multiport --sports 1030,1040:1050 -j DROP")
    lines.append("-A INPUT -p tcp --dport 80 -j ACCEPT")
    lines.append("-A OUTPUT -p tcp --sport 80 -j ACCEPT")
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9), st.booleans())
def test_new_flood_with_and_without_source_port_rules(seed: int, with_sport: bool) -> None:
    """A NEW flood through rulesets that test the source port (some packets dropped or rejected
    by it) and rulesets that never do."""
    rng = random.Random(seed)
    setup = ["ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --app web"]
    _flood_vs_sends(setup, [], f"tcp 10.0.0.2:{rng.randint(1024, 1060)} > 10.0.0.1:80 [S]",
                    rng.randint(1, 70), "sport", ruleset=_sport_ruleset(rng, with_sport))


# ---- established flows with FIN and RST in between -----------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9))
def test_established_flows_with_fin_and_rst(seed: int) -> None:
    """Several flows, each opened by a SYN, then data segments with FINs and RSTs interleaved
    (and new SYNs reusing closed tuples): packet for packet the same on both paths."""
    rng = random.Random(seed)
    sports = [40000 + i for i in range(rng.randint(1, 3))]
    packets = [f"tcp 10.0.0.2:{p} > 10.0.0.1:80 [S]" for p in sports]
    packets += [f"tcp 10.0.0.2:{p} > 10.0.0.1:80 [.]" for p in sports]
    for _ in range(rng.randint(1, 40)):
        p = rng.choice(sports)
        kind = rng.random()
        if kind < 0.65:
            packets.append(f"tcp 10.0.0.2:{p} > 10.0.0.1:80 [.] len={rng.choice((0, 100, 1400))}")
        elif kind < 0.75:
            packets.append(f"tcp 10.0.0.2:{p} > 10.0.0.1:80 [F.]")
        elif kind < 0.85:
            packets.append(f"tcp 10.0.0.2:{p} > 10.0.0.1:80 [R]")
        elif kind < 0.92:
            packets.append(f"tcp 10.0.0.2:{p} > 10.0.0.1:80 [R.]")
        else:
            packets.append(f"tcp 10.0.0.2:{p} > 10.0.0.1:80 [S]")
    _compare(HUNDRED, "", packets)


# ---- limits: a full conntrack table, a full accept queue, XDP ------------------------------------------


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 6), st.integers(1, 40))
def test_flood_filling_the_conntrack_table(limit: int, count: int) -> None:
    """nf_conntrack_max small: early drop of unassured entries, then `table full` drops and their
    dmesg lines, the same whether flooded or sent."""
    _flood_vs_sends(HUNDRED + [f"sysctl -w net.netfilter.nf_conntrack_max={limit}"], [],
                    "tcp 10.0.0.2:2000 > 10.0.0.1:80 [S]", count, "sport")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 6), st.integers(1, 30))
def test_flood_filling_the_conntrack_table_with_assured_entries(limit: int, count: int) -> None:
    """Assured entries cannot be early-dropped: completed handshakes, then a NEW flood that finds
    the table full."""
    prelude = []
    for p in range(3000, 3000 + limit):
        prelude += [f"send tcp 10.0.0.2:{p} > 10.0.0.1:80 [S]", f"send tcp 10.0.0.2:{p} > 10.0.0.1:80 [.]"]
    _flood_vs_sends(HUNDRED + [f"sysctl -w net.netfilter.nf_conntrack_max={limit}"], prelude,
                    "tcp 10.0.0.2:2000 > 10.0.0.1:80 [S]", count, "sport")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9))
def test_accept_queue_overflow(seed: int) -> None:
    """`listen --backlog 2 --no-accept`: handshakes complete until the accept queue is full, then
    SYNs and final ACKs are dropped; both paths agree packet for packet."""
    rng = random.Random(seed)
    setup = ["ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --backlog 2 --no-accept --app slow",
             "iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
             "iptables -A INPUT -p tcp --dport 80 -j ACCEPT"]
    packets = []
    for _ in range(rng.randint(2, 30)):
        p = 40000 + rng.randint(0, 7)
        packets.append(f"tcp 10.0.0.2:{p} > 10.0.0.1:80 " + rng.choice(("[S]", "[S]", "[.]", "[.] len=10", "[F.]")))
    _compare(setup, "", packets)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 30), st.sampled_from(("xdp", "xdpgeneric")))
def test_xdp_drop_flood(count: int, mode: str) -> None:
    """An XDP drop program: every flooded packet dies at XDP, counted in `ip -s link` alike."""
    setup = list(HUNDRED) + ([f"ip link set dev eth0 {mode} obj xdp_drop"] if mode == "xdp"
                             else ["nic eth0 driver r8169", f"ip link set dev eth0 {mode} obj xdp_drop"])
    _flood_vs_sends(setup, [], "tcp 10.0.0.2:1024 > 10.0.0.1:80 [S]", count, "sport")
