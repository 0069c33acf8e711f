"""Floods of one repeated packet finish in one go once they reach a steady state (`kernel.steady`):
the host, counters aside, is as the packet found it. That shortcut must leave exactly what sending
every packet one by one leaves — including on hosts whose state keeps moving for a while (rate-limit
buckets emptying, `recent` lists filling, ICMP rate limits) or forever (LOG lines, a growing receive
queue), where the shortcut must wait or never fire.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel import stack
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.packet import parse_packet
from netstack_tui.kernel.steady import repeat, snapshot
from tests.perf.test_flood_equivalence import _flood_vs_sends

BASE = ["ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --app web", "listen udp 0.0.0.0:53 --app dns"]

RULES = {
    "established-first": ["iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"],
    "limit": ["iptables -A INPUT -p tcp -m limit --limit 2/sec --limit-burst 4 -j ACCEPT",
              "iptables -A INPUT -p tcp -j DROP"],
    "log": ["iptables -A INPUT -p tcp -j LOG --log-prefix 'in: '"],
    "recent": ["iptables -A INPUT -m recent --name seen --update --seconds 60 --hitcount 5 -j DROP",
               "iptables -A INPUT -m recent --name seen --set"],
    "reject": ["iptables -A INPUT -p udp --dport 9 -j REJECT"],
    "nft-counter": ["nft add table inet f", "nft add chain inet f in { type filter hook input priority 10 \\; }",
                    "nft add rule inet f in counter"],
    "nft-limit": ["nft add table inet g", "nft add chain inet g in { type filter hook input priority 20 \\; }",
                  "nft add rule inet g in limit rate 3/second burst 2 packets counter accept",
                  "nft add rule inet g in counter drop"],
    "mark": ["iptables -t mangle -A PREROUTING -j CONNMARK --set-mark 7",
             "iptables -A INPUT -m connmark --mark 7 -j ACCEPT"],
    "masquerade-out": ["iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE"],
}

PACKETS = {
    "data": ("tcp 10.0.0.2:1024 > 10.0.0.1:80 [.] len=100", ["send tcp 10.0.0.2:1024 > 10.0.0.1:80 [S]",
                                                             "send tcp 10.0.0.2:1024 > 10.0.0.1:80 [.]"]),
    "bare-ack": ("tcp 10.0.0.2:1024 > 10.0.0.1:80 [.]", ["send tcp 10.0.0.2:1024 > 10.0.0.1:80 [S]"]),
    "syn-again": ("tcp 10.0.0.2:1024 > 10.0.0.1:80 [S]", []),
    "closed-tcp": ("tcp 10.0.0.2:1024 > 10.0.0.1:81 [S]", []),
    "closed-udp": ("udp 10.0.0.2:5000 > 10.0.0.1:9 len=20", []),
    "udp-app": ("udp 10.0.0.2:5000 > 10.0.0.1:53 len=40", []),
    "ping": ("icmp 10.0.0.2 > 10.0.0.1 echo-request", []),
    "not-ours": ("udp 10.0.0.2:5000 > 10.0.0.9:53 len=40", []),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(sorted(RULES)), max_size=3, unique=True), st.sampled_from(sorted(PACKETS)),
       st.integers(1, 120))
def test_repeated_packet_flood_equals_sends(rules: list[str], packet: str, count: int) -> None:
    """`flood P --vary none` against `send P` N times, over combinations of stateful rules."""
    setup = BASE + [line for name in rules for line in RULES[name]]
    spec, prelude = PACKETS[packet]
    _flood_vs_sends(setup, prelude, spec, count, "none")


@pytest.mark.parametrize("count", [2, 17, 1000])
def test_benchmark_established_flood_with_a_thousand_packets(count: int) -> None:
    """The benchmark's shape, long enough for the shortcut to carry almost all of it."""
    from tests.perf.test_flood_equivalence import HUNDRED

    _flood_vs_sends(HUNDRED, ["send tcp 10.0.0.2:1024 > 10.0.0.1:80 [S]"],
                    "tcp 10.0.0.2:1024 > 10.0.0.1:80 [.] len=100", count, "none")


def _counting_receives(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = stack.receive_batch

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(stack, "receive_batch", counted)
    return calls


def test_steady_flow_is_finished_in_one_go(monkeypatch: pytest.MonkeyPatch) -> None:
    """An established flow settles after a packet or two: 100,000 packets cost a handful of walks."""
    sh = Shell()
    for line in BASE + RULES["established-first"] + ["send tcp 10.0.0.2:1024 > 10.0.0.1:80 [S]"]:
        assert sh.run(line).status == 0
    calls = _counting_receives(monkeypatch)
    out = sh.run("flood tcp 10.0.0.2:1024 > 10.0.0.1:80 [.] len=100 --count 100000 --vary none")
    assert out.status == 0
    assert len(calls) < 10
    assert "100000  delivered to web" in out.output or "99999  delivered to web" in out.output
    assert "[19999" not in sh.run("iptables-save -c").output
    assert "[100000:" in sh.run("iptables-save -c").output or "[99999:" in sh.run("iptables-save -c").output


def test_log_rule_keeps_the_flood_packet_by_packet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every packet adds a kernel log line, so no packet leaves the state unchanged: no shortcut,
    and the log has one line per packet."""
    sh = Shell()
    for line in BASE + RULES["log"]:
        assert sh.run(line).status == 0
    calls = _counting_receives(monkeypatch)
    assert sh.run("flood tcp 10.0.0.2:1024 > 10.0.0.1:81 [S] --count 300 --vary none").status == 0
    assert len(calls) == 299  # the last packet is traced in full
    assert sh.run("dmesg | grep -c 'in: '").output.strip() == "300"


def test_snapshot_separates_counters_from_state() -> None:
    """Counters differ and are carried forward; a changed sysctl is state and blocks the shortcut;
    a limit rule's bucket is state too."""
    host = Host()
    before = snapshot(host)
    host.interfaces["eth0"].stats.rx_packets += 2
    after = snapshot(host)
    assert before.state == after.state
    assert repeat(before, after, 10)
    assert host.interfaces["eth0"].stats.rx_packets == 22

    host.sysctl.set("net.ipv4.ip_forward", "1")
    assert not repeat(after, snapshot(host), 10)

    sh = Shell()
    sh.run("ip addr add 10.0.0.1/24 dev eth0")
    sh.run("iptables -A INPUT -m limit --limit 1/sec --limit-burst 3 -j ACCEPT")
    pkt, _ = parse_packet("udp 10.0.0.2:1 > 10.0.0.1:2")
    stack.receive_batch(sh.host, pkt, "eth0")
    first = snapshot(sh.host)
    stack.receive_batch(sh.host, pkt, "eth0")  # spends a credit from the bucket
    assert snapshot(sh.host).state != first.state


def test_flood_creating_and_dropping_an_entry_per_packet_settles(monkeypatch: pytest.MonkeyPatch) -> None:
    """SYNs to a closed port: each one's conntrack entry dies with the RST it gets, leaving only the
    id counter moved; that counter only numbers entries, so the flood settles, and `conntrack -S`
    and the rule counters equal those of the packets sent one by one."""
    setup = ["ip addr add 10.0.0.1/24 dev eth0", "iptables -A INPUT -m conntrack --ctstate NEW -j ACCEPT"]
    _flood_vs_sends(setup, [], "tcp 10.0.0.2:40000 > 10.0.0.1:81 [S]", 40, "none")
    sh = Shell()
    for line in setup:
        assert sh.run(line).status == 0
    calls = _counting_receives(monkeypatch)
    assert sh.run("flood tcp 10.0.0.2:40000 > 10.0.0.1:81 [S] --count 5000 --vary none").status == 0
    assert len(calls) < 10


def test_a_replaced_rule_is_a_changed_state() -> None:
    """Rules are compared by identity, not walked: replacing one by an identical rule (same text,
    same counters) still counts as a change (a new rule object, and a new ruleset generation), so
    no flood runs across it."""
    sh = Shell()
    sh.run("iptables -A INPUT -p tcp --dport 22 -j ACCEPT")
    before = snapshot(sh.host)
    assert sh.run("iptables -R INPUT 1 -p tcp --dport 22 -j ACCEPT").status == 0
    assert not repeat(before, snapshot(sh.host), 3)
