"""Floods of packets that differ in one field, taken a class at a time (`kernel.varied`), leave the
host exactly as walking every packet does.

Each case builds two hosts from the same commands and floods both: one with the class path, one
with it switched off (every packet walked by the engine, which tests/perf/test_flood_equivalence
already holds equal to `send` packet by packet). They must agree on every observable and on the
whole conntrack table and SYN queues, field by field, ids and ISNs included. The rulesets are
random and test the varied field (source port ranges, multiport, address prefixes, iprange,
conntrack's original tuple, OUTPUT rules on the answer's destination), with REJECT, LOG and small
limits (`nf_conntrack_max`, the backlog, `tcp_max_syn_backlog`, syncookies 0/1/2) so floods cross
every threshold the classes are keyed by.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel import stack, varied
from netstack_tui.kernel.host import Host
from tests.perf.test_batch_equivalence import _state
from tests.perf.test_flood_equivalence import HUNDRED, _flood_vs_sends

OBSERVE_MORE = ("nstat -az", "ss -tano", "conntrack -C")


def _shell(lines: list[str], ruleset: str) -> Shell:
    sh = Shell()
    for line in lines:
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    if ruleset:
        result = sh.run("iptables-restore", stdin=ruleset)
        assert result.status == 0, result.output
    return sh


def _tables(host: Host) -> dict[str, Any]:
    """The growing part, every field: conntrack entries and index, and each listener's queues."""
    ct, table = host.conntrack, host.sockets
    listeners = [s for s in table.sockets if s.state == "LISTEN"]
    return {
        "entries": [_fields(e) for e in ct._entries.values()],
        "by_tuple": [(t, e.id, d) for t, (e, d) in ct._by_tuple.items()],
        "counters": (ct._next_id, ct._next_expiry, dict(ct.stats), ct.dropped_full),
        "queues": [[_fields(r) for r in s.syn_queue + s.accept_queue] for s in listeners],
        "queued": list(table._queued),
        "listeners": [_fields(s) for s in listeners],
        "mib": dict(host.mib.counts),
        "dmesg": list(host.dmesg),
    }


def _fields(obj: object) -> tuple[object, ...]:
    return tuple((name, len(v) if isinstance(v, list) else v if name != "parent" else v is not None)
                 for name in type(obj).__slots__  # type: ignore[attr-defined]
                 for v in (getattr(obj, name),))


def _both(setup: list[str], ruleset: str, flood: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Shell, Shell, int]:
    """Flood the same host twice, with and without classes; return both and how many packets
    the class path left to the engine."""
    fast, slow = _shell(setup, ruleset), _shell(setup, ruleset)
    walks = _counting(monkeypatch)
    got = fast.run(flood)
    walked = len(walks)
    with monkeypatch.context() as m:
        m.setattr(varied.VariedFlood, "_eligible", lambda self: False)
        want = slow.run(flood)
    assert got.status == want.status == 0, (got.output, want.output)
    assert got.output == want.output
    assert _tables(fast.host) == _tables(slow.host)
    assert _state(fast) == _state(slow)
    for command in OBSERVE_MORE:
        assert fast.run(command).output == slow.run(command).output, command
    return fast, slow, walked


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = stack.receive_batch

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(stack, "receive_batch", counted)
    return calls


# ---- random rulesets that test the varied field -------------------------------------------------------


def _ruleset(rng: random.Random, vary: str) -> str:
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"]
    if rng.random() < 0.7:
        lines.append("-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT")
    verdicts = ("DROP", "REJECT", "ACCEPT", "RETURN", "REJECT --reject-with tcp-reset", "LOG --log-prefix \"x \"")
    for _ in range(rng.randint(0, 6)):
        neg = "! " if rng.random() < 0.2 else ""
        low = rng.randint(1024, 1200)
        high = low + rng.randint(0, 40)
        kind = rng.randrange(6)
        if kind == 0:
            test = f"-p tcp -m tcp {neg}--sport {low}:{high}"
        elif kind == 1:
            test = f"-p tcp -m multiport {neg}--sports {low},{high}:{high + 5}"
        elif kind == 2:
            test = f"{neg}-s 10.0.{rng.choice((0, 1))}.{rng.randint(0, 60)}/{rng.choice((26, 28, 30, 32))}"
        elif kind == 3:
            test = f"-m iprange {neg}--src-range 10.0.0.{rng.randint(2, 30)}-10.0.0.{rng.randint(30, 90)}"
        elif kind == 4:
            test = f"-m conntrack {neg}--ctorigsrcport {low}:{high}"
        else:
            test = f"-p tcp {neg}--dport {rng.choice((22, 80, 443))}"
        verdict = rng.choice(verdicts)
        if "tcp-reset" in verdict and "-p tcp" not in test:
            test = f"-p tcp {test}"  # iptables accepts tcp-reset only in a rule that tests for TCP
        lines.append(f"-A INPUT {test} -j {verdict}")
    for _ in range(rng.randint(0, 2)):
        if vary == "sport":
            lines.append(f"-A OUTPUT -p tcp --dport {rng.randint(1024, 1200)}:{rng.randint(1200, 1300)} -j "
                         + rng.choice(("DROP", "ACCEPT")))
        else:
            lines.append(f"-A OUTPUT -d 10.0.0.{rng.randint(0, 64)}/27 -j " + rng.choice(("DROP", "ACCEPT")))
    lines.append("-A INPUT -p tcp --dport 80 -j ACCEPT")
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"


def _setup(rng: random.Random) -> list[str]:
    lines = ["ip addr add 10.0.0.1/24 dev eth0", "ip route add default via 10.0.0.254",
             f"listen tcp 0.0.0.0:80 --app web --backlog {rng.choice((1, 4, 16, 128))}"]
    lines.append(f"sysctl -w net.ipv4.tcp_syncookies={rng.choice((0, 1, 1, 2))}")
    lines.append(f"sysctl -w net.ipv4.tcp_max_syn_backlog={rng.choice((8, 32, 1024))}")
    if rng.random() < 0.4:
        lines.append(f"sysctl -w net.netfilter.nf_conntrack_max={rng.randint(1, 120)}")
    if rng.random() < 0.2:
        lines.append("listen tcp 10.0.0.1:443 --app tls")
    return lines


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**9), vary=st.sampled_from(("sport", "src")))
def test_random_varied_floods_agree_with_walking_every_packet(seed: int, vary: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    setup = _setup(rng)
    if vary == "sport":
        source = f"10.0.0.{rng.randint(2, 40)}:{rng.randint(1024, 1150)}"
    else:  # from beyond the gateway, or from the host's own subnet
        source = rng.choice((f"198.51.100.{rng.randint(1, 9)}", f"10.0.0.{rng.randint(2, 40)}")) + ":40000"
    port = rng.choice((80, 80, 443, 81))
    flags = rng.choice(("[S]", "[S]", "[S]", "[.]"))
    flood = f"flood tcp {source} > 10.0.0.1:{port} {flags} --count {rng.randint(1, 400)} --vary {vary}"
    _both(setup, _ruleset(rng, vary), flood, monkeypatch)


# ---- the shapes the benchmark measures, and that the class path carries them -------------------------------


def test_benchmark_flood_is_carried_by_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmark's flood past the listener's SYN queue (cookies from then on): the engine walks
    a few packets per class (the sport intervals the rules' port ranges cut, and the admission
    states), the class path takes the rest."""
    _, _, walked = _both(HUNDRED, "", "flood tcp 10.0.0.2:1024 > 10.0.0.1:80 [S] --count 6000 --vary sport",
                         monkeypatch)
    assert walked < 400


def test_flood_from_many_sources_beyond_a_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    setup = [*HUNDRED, "ip route add default via 10.0.0.254"]
    _, _, walked = _both(setup, "", "flood tcp 198.51.0.1:40000 > 10.0.0.1:80 [S] --count 3000 --vary src",
                         monkeypatch)
    assert walked < 300


@pytest.mark.parametrize("count", [1, 2, 3, 40])
def test_varied_source_flood_equals_sends(count: int) -> None:
    """Against `send` itself, with the source address varied (the other tests compare with the
    engine walking every packet of a flood)."""
    _flood_vs_sends([*HUNDRED, "ip route add default via 10.0.0.254"], [],
                    "tcp 198.51.100.7:40000 > 10.0.0.1:80 [S]", count, "src")


def test_requests_in_the_syn_queue_are_made_by_the_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """A backlog big enough for the whole flood: every SYN leaves a request (with its own ISN and
    SYN-ACK to retransmit) and the class path still carries the flood."""
    setup = ["ip addr add 10.0.0.1/24 dev eth0", "sysctl -w net.core.somaxconn=8192",
             "listen tcp 0.0.0.0:80 --app web --backlog 8192"]
    fast, _, walked = _both(setup, "", "flood tcp 10.0.0.2:20000 > 10.0.0.1:80 [S] --count 3000 --vary sport",
                            monkeypatch)
    assert walked < 100
    listener = next(s for s in fast.host.sockets.sockets if s.state == "LISTEN")
    assert len(listener.syn_queue) == 3000


def test_known_connections_in_the_middle_of_a_flood(monkeypatch: pytest.MonkeyPatch) -> None:
    """Some of the flood's tuples already have entries (and requests): those packets are the
    engine's (a repeated SYN), the rest the classes'."""
    setup = ["ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --app web --backlog 512"]
    prelude = [f"send tcp 10.0.0.2:{p} > 10.0.0.1:80 [S]" for p in (20005, 20100, 20101, 20250)]
    fast, slow = _shell(setup, ""), _shell(setup, "")
    for sh in (fast, slow):
        for line in prelude:
            assert sh.run(line).status == 0
    flood = "flood tcp 10.0.0.2:20000 > 10.0.0.1:80 [S] --count 400 --vary sport"
    got = fast.run(flood)
    monkeypatch.setattr(varied.VariedFlood, "_eligible", lambda self: False)
    assert got.output == slow.run(flood).output
    assert _tables(fast.host) == _tables(slow.host)
    assert _state(fast) == _state(slow)


def test_early_drop_for_packets_that_die_later() -> None:
    """A full table: the first packet of a flood evicts the oldest unassured entry to make room for
    its own, then dies in INPUT, so its entry is never confirmed and the table is no longer full
    for the next ones (conntrack reserves room at its hook, not at the verdict)."""
    setup = ["ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --app web",
             "sysctl -w net.netfilter.nf_conntrack_max=6", "iptables -A INPUT -m state --state ESTABLISHED -j ACCEPT",
             "iptables -A INPUT -s 10.0.0.2 -j DROP"]
    prelude = [f"send tcp 10.0.0.3:{p} > 10.0.0.1:80 [S]" for p in range(30000, 30006)]
    fast, slow = _shell(setup, ""), _shell(setup, "")
    for sh in (fast, slow):
        for line in prelude:
            assert sh.run(line).status == 0
    flood = "flood tcp 10.0.0.2:20000 > 10.0.0.1:80 [S] --count 40 --vary sport"
    got = fast.run(flood)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(varied.VariedFlood, "_eligible", lambda self: False)
        assert got.output == slow.run(flood).output
    assert "early_drop=1 " in fast.run("conntrack -S").output
    assert _tables(fast.host) == _tables(slow.host)
    assert _state(fast) == _state(slow)


def test_a_flood_past_a_full_table_is_carried_by_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """nf_conntrack_max reached: each further SYN evicts the oldest unassured entry (early drop) and
    takes its place, a class of its own."""
    setup = [*HUNDRED, "sysctl -w net.netfilter.nf_conntrack_max=500"]
    fast, _, walked = _both(setup, "", "flood tcp 10.0.0.2:20000 > 10.0.0.1:80 [S] --count 3000 --vary sport",
                            monkeypatch)
    assert "early_drop=2500 " in fast.run("conntrack -S").output
    assert walked < 100
