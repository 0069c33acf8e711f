"""The batch path (floods: no steps, rules skipped by the proto/port index, no views) leaves a host
in exactly the state the step-by-step path does, packet for packet.

Two hosts get the same setup; one is sent each packet with `send` (a full `Trace`), the other
through `stack.receive_batch`. Afterwards every observable must agree: per-rule counters
(`iptables-save -c`), `conntrack -L`, `ss -tan`, `nft list ruleset`, interface counters, the
kernel log, and each packet's disposition line and replies.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel import stack
from netstack_tui.kernel.packet import parse_packet
from tests.kernel.randomized import generate
from tests.kernel.simside import setup_lines

OBSERVE = ("iptables-save -c", "conntrack -L", "conntrack -S", "ss -tan", "ss -uan", "nft list ruleset", "ip -s link",
           "ethtool -S eth0", "dmesg")


def _host(setup: list[str], ruleset: str, nft: list[str]) -> Shell:
    sh = Shell()
    for line in setup:
        sh.run(line)
    if ruleset.strip():
        assert sh.run("iptables-restore", stdin=ruleset).status == 0
    for line in nft:
        assert sh.run(line).status == 0, line
    return sh


def _state(sh: Shell) -> dict[str, str]:
    return {command: sh.run(command).output for command in OBSERVE}


def _compare(setup: list[str], ruleset: str, packets: list[str], nft: list[str] = ()) -> None:  # type: ignore[assignment]
    slow, fast = _host(setup, ruleset, list(nft)), _host(setup, ruleset, list(nft))
    for spec in packets:
        text = spec if "iface=" in spec else spec + " iface=eth0"
        result = slow.run("send " + text)
        assert result.status == 0, result.output
        trace = result.traces[0]
        pkt, iface = parse_packet(text)
        outcome = stack.receive_batch(fast.host, pkt, iface or "eth0")
        assert outcome.summary_line() == trace.summary_line(), spec
        assert outcome.final_packet == trace.final_packet, spec
        assert [(r.summary_line(), r.final_packet) for r in outcome.replies] == [
            (r.summary_line(), r.final_packet) for r in trace.replies
        ], spec
    assert _state(fast) == _state(slow)


def _setup(case) -> list[str]:  # type: ignore[no-untyped-def]
    lines = []
    sh = Shell()
    if "default" in sh.run("ip route").output:
        lines.append("ip route del default")
    return lines + [line for line, _ in setup_lines(case)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9), st.integers(1, 4))
def test_random_differential_cases_agree(index: int, repeat: int) -> None:
    """A randomized differential case (rulesets over every table, limit and recent included), its
    packets sent `repeat` times over, ends in the same state on both paths."""
    case = generate(4242, index)
    _compare(_setup(case), case.ruleset, list(case.packets) * repeat)


PORTS = (22, 53, 80, 443, 8080)


def _port_ruleset(rng: random.Random) -> tuple[str, list[str]]:
    """A filter table heavy in port tests (what the index skips on), with stateful matches before
    some of them, user chains with RETURN, and conntrack matches."""
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":sub - [0:0]"]
    for chain in ("INPUT", "sub", "OUTPUT"):
        for _ in range(rng.randint(0, 12)):
            parts = [f"-A {chain}"]
            proto = rng.choice(("tcp", "udp", None))
            if proto and rng.random() < 0.1:
                parts.append(f"! -p {proto}")
                proto = None
            elif proto:
                parts.append(f"-p {proto}")
            if rng.random() < 0.2:
                parts.append(f"-m recent --name R{rng.randint(0, 1)} --set")
            if rng.random() < 0.15:
                parts.append("-m limit --limit 1/hour --limit-burst 3")
            if proto and rng.random() < 0.7:
                low = rng.choice(PORTS)
                port = f"{low}:{low + rng.choice((0, 100))}" if rng.random() < 0.3 else str(low)
                parts.append(f"-m {proto} " + ("! " if rng.random() < 0.2 else "") + f"--dport {port}")
            elif proto and rng.random() < 0.5:
                parts.append("-m multiport " + ("! " if rng.random() < 0.2 else "")
                             + "--dports " + ",".join(str(p) for p in rng.sample(PORTS, 2)))
            if rng.random() < 0.3:
                parts.append("-m conntrack --ctstate " + rng.choice(("NEW", "ESTABLISHED", "NEW,ESTABLISHED")))
            if chain == "INPUT" and rng.random() < 0.2:
                parts.append("-j sub")
            elif chain == "sub" and rng.random() < 0.2:
                parts.append("-j RETURN")
            else:
                parts.append("-j " + rng.choice(("ACCEPT", "DROP", "REJECT")) if rng.random() < 0.6 else "")
            lines.append(" ".join(p for p in parts if p))
    lines.append("COMMIT")
    nft = []
    if rng.random() < 0.4:
        nft = ["nft add table inet f",
               "nft 'add chain inet f input { type filter hook input priority 10 ; }'",
               f"nft add rule inet f input tcp dport {rng.choice(PORTS)} counter " + rng.choice(("accept", "drop"))]
    return "\n".join(lines) + "\n", nft


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9))
def test_port_indexed_rulesets_agree(seed: int) -> None:
    """Rulesets full of port tests (some behind limit/recent, which must still run), packets to
    many ports, connections completed and reused: both paths agree."""
    rng = random.Random(seed)
    ruleset, nft = _port_ruleset(rng)
    setup = ["ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80", "listen tcp 10.0.0.1:22",
             "listen udp 0.0.0.0:53"]
    packets = []
    for _ in range(rng.randint(1, 25)):
        port, sport = rng.choice(PORTS), rng.choice((40000, 40001, 40002))
        kind = rng.random()
        if kind < 0.35:
            packets.append(f"tcp 10.0.0.2:{sport} > 10.0.0.1:{port} [S]")
        elif kind < 0.7:
            packets.append(f"tcp 10.0.0.2:{sport} > 10.0.0.1:{port} [.] len={rng.choice((0, 100))}")
        elif kind < 0.8:
            packets.append(f"tcp 10.0.0.2:{sport} > 10.0.0.1:{port} [F.]")
        elif kind < 0.95:
            packets.append(f"udp 10.0.0.2:{sport} > 10.0.0.1:{port} len=20")
        else:
            packets.append("icmp 10.0.0.2 > 10.0.0.1 echo-request")
    _compare(setup, ruleset, packets, nft)
