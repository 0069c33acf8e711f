"""Traversal semantics: jump/goto/RETURN, counters, policy, targets, limit and recent."""

from __future__ import annotations

import shlex

import pytest

from netstack_tui.kernel.netfilter.api import Hook, MatchContext
from netstack_tui.kernel.netfilter.command import run_iptables
from netstack_tui.kernel.netfilter.save import save
from netstack_tui.kernel.netfilter.table import Ruleset
from netstack_tui.kernel.packet import Packet, parse_packet

SSH = "tcp 10.0.0.2:40000 > 10.0.0.1:22 [S] iface=eth0"


def make(*commands: str) -> Ruleset:
    """A ruleset built by iptables command lines."""
    ruleset = Ruleset()
    for command in commands:
        run_iptables(ruleset, shlex.split(command))
    return ruleset


def packet(spec: str = SSH) -> Packet:
    """A received packet from the tcpdump-like notation."""
    pkt, iface = parse_packet(spec)
    return pkt.replace(iif=iface)


def ctx(hook: Hook = Hook.INPUT, now: float = 100.0, **fields: object) -> MatchContext:
    """A match context at simulated time `now`."""
    return MatchContext(hook=hook, now=now, **fields)  # type: ignore[arg-type]


def counters(ruleset: Ruleset, table: str = "filter") -> list[str]:
    """iptables-save -c lines with counters, for compact assertions."""
    return [line for line in save(ruleset, table, counters=True).splitlines() if line[:1] in "[:"]


def test_jump_return_and_policy_counters() -> None:
    """A jump rule counts, RETURN comes back to the next rule, the policy counts at the end."""
    rs = make("-N u", "-A u -p tcp --dport 22 -j RETURN", "-A INPUT -j u", "-A INPUT -p udp -j ACCEPT", "-P INPUT DROP")
    verdict = rs.traverse("filter", "INPUT", packet(), ctx())
    assert verdict.verdict == "DROP" and verdict.decided_index is None
    assert [(e.chain, e.index, e.matched) for e in verdict.evaluations] == [
        ("INPUT", 1, True),
        ("u", 1, True),
        ("INPUT", 2, False),
    ]
    assert verdict.evaluations[2].failed_match == "-p udp"
    assert counters(rs) == [
        ":INPUT DROP [1:40]",
        ":FORWARD ACCEPT [0:0]",
        ":OUTPUT ACCEPT [0:0]",
        ":u - [0:0]",
        "[1:40] -A INPUT -j u",
        "[0:0] -A INPUT -p udp -j ACCEPT",
        "[1:40] -A u -p tcp -m tcp --dport 22 -j RETURN",
    ]


def test_goto_return_skips_caller() -> None:
    """After -g, RETURN (or the chain's end) goes to the policy, not back to the goto rule."""
    rs = make("-N u", "-A INPUT -g u", "-A INPUT -j ACCEPT", "-P INPUT DROP")
    verdict = rs.traverse("filter", "INPUT", packet(), ctx())
    assert verdict.verdict == "DROP" and [e.index for e in verdict.evaluations] == [1]


def test_nested_goto_returns_to_last_jump() -> None:
    """A chain reached by goto returns to the last *jump*'s caller."""
    rs = make("-N a", "-N b", "-A INPUT -j a", "-A INPUT -j DROP", "-A a -g b", "-A a -j ACCEPT")
    verdict = rs.traverse("filter", "INPUT", packet(), ctx())
    assert verdict.verdict == "DROP" and verdict.decided_index == 2


@pytest.mark.parametrize(
    ("rule", "spec", "matched", "failed"),
    [
        ("-s 10.0.0.0/8", SSH, True, None),
        ("-s 192.168.0.0/16", SSH, False, "-s 192.168.0.0/16"),
        ("! -s 192.168.0.0/16", SSH, True, None),
        ("-i eth+", SSH, True, None),
        ("-i eth1", SSH, False, "-i eth1"),
        ("-p tcp --dport 22", SSH, True, None),
        ("-p tcp --dport 23:25", SSH, False, "--dport 23:25"),
        ("-p tcp ! --dport 22", SSH, False, "! --dport 22"),
        ("-p tcp --syn", SSH, True, None),
        ("-p tcp --tcp-flags SYN,ACK ACK", SSH, False, "--tcp-flags SYN,ACK ACK"),
        ("-p tcp -m multiport --dports 80,20:30", SSH, True, None),
        ("-p icmp --icmp-type echo-request", "icmp 10.0.0.2 > 10.0.0.1 echo-request iface=eth0", True, None),
        ("-p icmp --icmp-type 3/3", "icmp 10.0.0.2 > 10.0.0.1 echo-request iface=eth0", False, "--icmp-type 3/3"),
        ("-m state --state ESTABLISHED", SSH, False, "--state ESTABLISHED"),
        ("-m conntrack --ctstate NEW,ESTABLISHED", SSH, True, None),
        ("-m conntrack --ctorigdstport 22", SSH, True, None),
        ("-m mark --mark 0x1/0xff", SSH, False, "--mark 0x1/0xff"),
        ("-m iprange --src-range 10.0.0.1-10.0.0.9", SSH, True, None),
        ("-m mac --mac-source 02:00:00:00:00:02", SSH, True, None),
        ("-m ttl --ttl-lt 10", SSH, False, "--ttl-lt 10"),
        ("-m length --length 0:100", SSH, True, None),
        ("-m addrtype --dst-type LOCAL", SSH, True, None),
        ("-m comment --comment hi", SSH, True, None),
        ("-m hashlimit --hashlimit-upto 1/sec --hashlimit-name x", SSH, True, None),
        ("-m tcpmss --mss 500", SSH, False, "-m tcpmss (not simulated)"),
    ],
)
def test_matches(rule: str, spec: str, matched: bool, failed: str | None) -> None:
    """Each match tests the packet's ints and names the first failing match canonically."""
    rs = make(f"-A INPUT {rule} -j ACCEPT")
    local = ctx(addr_type=lambda addr: "LOCAL" if addr == 0x0A000001 else "UNICAST")
    verdict = rs.traverse("filter", "INPUT", packet(spec), local)
    assert verdict.evaluations[0].matched is matched
    assert verdict.evaluations[0].failed_match == failed


def test_reject_mark_log_notrack_nat() -> None:
    """Targets report their effects: REJECT type, MARK on the packet, LOG lines, NOTRACK, NAT."""
    rs = make(
        "-A INPUT -j MARK --set-mark 0x5",
        "-A INPUT -j LOG --log-prefix 'IN: '",
        "-A INPUT -p tcp -j REJECT --reject-with tcp-reset",
        "-t raw -A PREROUTING -j CT --notrack",
        "-t nat -A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.9:2222",
    )
    verdict = rs.traverse("filter", "INPUT", packet(), ctx())
    assert verdict.verdict == "DROP" and verdict.reject == "tcp-reset" and verdict.packet.mark == 5
    assert verdict.logs == (
        "IN: IN=eth0 OUT= MAC=00:00:00:00:00:00:02:00:00:00:00:02:08:00 SRC=10.0.0.2 "
        "DST=10.0.0.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 PROTO=TCP SPT=40000 DPT=22 "
        "WINDOW=64240 RES=0x00 SYN URGP=0 MARK=0x5",
    )
    assert rs.traverse("raw", "PREROUTING", packet(), ctx(Hook.PREROUTING)).notrack
    nat = rs.traverse("nat", "PREROUTING", packet(), ctx(Hook.PREROUTING))
    assert nat.verdict == "ACCEPT" and nat.nat is not None and nat.nat.port_min == 2222


def test_connmark_save_restore() -> None:
    """CONNMARK --save-mark copies the nfmark into the connection; --restore-mark back."""
    rs = make("-t mangle -A PREROUTING -j MARK --set-mark 7", "-t mangle -A PREROUTING -j CONNMARK --save-mark")
    assert rs.traverse("mangle", "PREROUTING", packet(), ctx(Hook.PREROUTING)).ct_mark == 7
    rs = make("-t mangle -A PREROUTING -j CONNMARK --restore-mark")
    assert rs.traverse("mangle", "PREROUTING", packet(), ctx(Hook.PREROUTING, ct_mark=9)).packet.mark == 9


def test_limit_burst_then_refill() -> None:
    """--limit 1/sec --limit-burst 3: three pass at once, then one per second."""
    rs = make("-A INPUT -m limit --limit 1/sec --limit-burst 3 -j ACCEPT", "-P INPUT DROP")
    results = [rs.traverse("filter", "INPUT", packet(), ctx(now=10.0)).verdict for _ in range(5)]
    assert results == ["ACCEPT"] * 3 + ["DROP"] * 2
    assert rs.traverse("filter", "INPUT", packet(), ctx(now=10.5)).verdict == "DROP"
    assert rs.traverse("filter", "INPUT", packet(), ctx(now=11.0)).verdict == "ACCEPT"


def test_recent_ssh_brute_force() -> None:
    """The classic --set / --update --seconds 60 --hitcount 4 pattern drops the 4th try in a minute."""
    rs = make(
        "-A INPUT -p tcp --dport 22 -m recent --set --name SSH",
        "-A INPUT -p tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --name SSH -j DROP",
    )
    verdicts = [rs.traverse("filter", "INPUT", packet(), ctx(now=float(t))).verdict for t in range(5)]
    assert verdicts == ["ACCEPT", "ACCEPT", "ACCEPT", "DROP", "DROP"]
    assert rs.traverse("filter", "INPUT", packet(), ctx(now=200.0)).verdict == "ACCEPT"


def test_chain_view_rows() -> None:
    """chain_view shows counters and each row's result for the traced packet."""
    rs = make("-A INPUT -p udp -j ACCEPT", "-A INPUT -p tcp -j ACCEPT", "-A INPUT -j DROP")
    verdict = rs.traverse("filter", "INPUT", packet(), ctx())
    view = rs.chain_view("filter", "INPUT", verdict.evaluations)
    assert [(r.result, r.pkts) for r in view.rules] == [("no match", 0), ("match", 1), ("not reached", 0)]


def test_list_layout() -> None:
    """iptables -L -v -n --line-numbers matches the real column layout."""
    rs = make("-A INPUT -p tcp --dport 22 -j ACCEPT", "-N foo", "-A foo -j RETURN", "-A INPUT -j foo")
    text = run_iptables(rs, ["-L", "INPUT", "-v", "-n", "--line-numbers"])
    assert text.splitlines() == [
        "Chain INPUT (policy ACCEPT 0 packets, 0 bytes)",
        "num   pkts bytes target     prot opt in     out     source               destination         ",
        "1        0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:22",
        "2        0     0 foo        0    --  *      *       0.0.0.0/0            0.0.0.0/0           ",
    ]
