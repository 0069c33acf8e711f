"""Packets through nft base chains, alone and together with iptables tables on the same hooks."""

from __future__ import annotations

from pathlib import Path

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.trace import Disposition, DropReason, Trace

from .test_listing import SEED_CONF

SETUP = ["ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:22", "listen tcp 0.0.0.0:80"]


def shell_with(*lines: str) -> Shell:
    """A shell on a fresh host with 10.0.0.1 on eth0, sshd and a web server, after `lines`."""
    sh = Shell()
    for line in (*SETUP, *lines):
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def send(sh: Shell, spec: str) -> Trace:
    """The trace of one packet."""
    result = sh.run(f"send {spec}")
    assert result.status == 0, result.output
    return result.traces[0]


def nft_steps(trace: Trace) -> list[tuple[str, str | None, str | None, str]]:
    """(stage, table, chain, verdict) of every netfilter step."""
    return [(s.stage, s.table, s.chain, str(s.verdict)) for s in trace.steps if s.table is not None]


def seed_shell(tmp_path: Path) -> Shell:
    """The seed's nftables.conf loaded with nft -f."""
    conf = tmp_path / "nftables.conf"
    conf.write_text(SEED_CONF)
    return shell_with(f"nft -f {conf}")


def test_seed_ruleset_allows_ssh_and_http(tmp_path: Path) -> None:
    """ssh (rate limited) and http pass the input chain; the SYN is delivered to the listener."""
    sh = seed_shell(tmp_path)
    ssh = send(sh, "tcp 10.0.0.2:40000 > 10.0.0.1:22 [S] iface=eth0")
    assert ssh.disposition == Disposition.DELIVERED
    step = next(s for s in ssh.steps if s.table == "nft inet filter")
    assert (step.stage, step.chain, step.rule_index) == ("input.filter", "input", 5)
    assert step.rule == "tcp dport 22 ct state new limit rate 3/minute accept"
    http = send(sh, "tcp 10.0.0.2:40001 > 10.0.0.1:80 [S] iface=eth0")
    assert http.disposition == Disposition.DELIVERED


def test_seed_ruleset_drops_others_by_policy_and_logs(tmp_path: Path) -> None:
    """smtp reaches the log rule and the drop policy; the log rule wrote a kernel log line."""
    sh = seed_shell(tmp_path)
    smtp = send(sh, "tcp 10.0.0.2:40002 > 10.0.0.1:25 [S] iface=eth0")
    assert smtp.disposition == Disposition.DROPPED and smtp.drop_reason == DropReason.NETFILTER_DROP
    last = smtp.steps[-1]
    assert (last.table, last.chain, last.rule_index) == ("nft inet filter", "input", None)
    assert "policy drop" in last.param["where"]
    assert "nftables drop: IN=eth0" in sh.run("dmesg").output


def test_seed_ruleset_accepts_established_replies(tmp_path: Path) -> None:
    """After the handshake the client's ACK is ESTABLISHED and the first rule accepts it."""
    sh = seed_shell(tmp_path)
    send(sh, "tcp 10.0.0.2:40000 > 10.0.0.1:22 [S] iface=eth0")
    ack = send(sh, "tcp 10.0.0.2:40000 > 10.0.0.1:22 [.] iface=eth0")
    step = next(s for s in ack.steps if s.table == "nft inet filter")
    assert step.rule_index == 1 and step.rule == "ct state established,related accept"


def test_ip6_rule_never_matches_and_says_why(tmp_path: Path) -> None:
    """`ip6 nexthdr icmpv6` is tested but cannot match an IPv4 packet; the trace says so."""
    sh = seed_shell(tmp_path)
    assert sh.run("nft delete rule inet filter input handle 6").status == 0  # ip protocol icmp accept
    ping = send(sh, "icmp 10.0.0.2 > 10.0.0.1 echo-request iface=eth0")
    failed = [e.failed_match for s in ping.steps for e in s.tested if e.rule.startswith("ip6")]
    assert failed and "never matches" in (failed[0] or "")


def test_limit_rate_3_per_minute_with_burst_5() -> None:
    """`limit rate 3/minute` lets the first 5 new ssh connections through (the default burst), not the 6th."""
    sh = shell_with("nft add table inet filter",
                    "nft 'add chain inet filter input { type filter hook input priority 0; policy drop; }'",
                    "nft add rule inet filter input tcp dport 22 ct state new limit rate 3/minute accept")
    results = [send(sh, f"tcp 10.0.0.2:{40000 + n} > 10.0.0.1:22 [S] iface=eth0").disposition for n in range(6)]
    assert results == [Disposition.DELIVERED] * 5 + [Disposition.DROPPED]


def test_nft_accept_does_not_stop_iptables_drop() -> None:
    """An nft accept at input priority 0 ends that chain only: iptables filter INPUT still drops."""
    sh = shell_with("iptables -A INPUT -p tcp --dport 22 -j DROP",
                    "nft add table inet filter",
                    "nft 'add chain inet filter input { type filter hook input priority 0; policy accept; }'",
                    "nft add rule inet filter input tcp dport 22 accept")
    trace = send(sh, "tcp 10.0.0.2:40000 > 10.0.0.1:22 [S] iface=eth0")
    assert trace.disposition == Disposition.DROPPED
    steps = nft_steps(trace)
    # iptables filter registered first, so at equal priority it runs first (registration order).
    assert steps[-1] == ("input.filter", "filter", "INPUT", "DROP")
    sh2 = shell_with("nft add table inet filter",
                     "nft 'add chain inet filter input { type filter hook input priority 0; policy accept; }'",
                     "nft add rule inet filter input tcp dport 22 accept",
                     "iptables -A INPUT -p tcp --dport 22 -j DROP")
    trace = send(sh2, "tcp 10.0.0.2:40000 > 10.0.0.1:22 [S] iface=eth0")
    assert trace.disposition == Disposition.DROPPED
    assert nft_steps(trace)[-2:] == [("input.filter", "nft inet filter", "input", "ACCEPT"),
                                     ("input.filter", "filter", "INPUT", "DROP")]


def test_nft_drop_before_iptables_by_priority() -> None:
    """An nft drop at priority -200 on input ends the journey before iptables filter (0) is consulted."""
    sh = shell_with("iptables -A INPUT -p tcp --dport 22 -j ACCEPT",
                    "nft add table ip early",
                    "nft 'add chain ip early c { type filter hook input priority -200; }'",
                    "nft add rule ip early c tcp dport 22 counter drop")
    trace = send(sh, "tcp 10.0.0.2:40000 > 10.0.0.1:22 [S] iface=eth0")
    assert trace.disposition == Disposition.DROPPED
    assert nft_steps(trace)[-1] == ("input.mangle", "nft ip early", "c", "DROP")
    assert "counter packets 1 bytes 40 drop" in sh.run("nft list ruleset").output
    assert not any(s.stage == "input.filter" and s.table == "filter" for s in trace.steps)


def test_notrack_in_raw_priority_chain() -> None:
    """`notrack` at prerouting priority -300 leaves the packet untracked (ct state untracked)."""
    sh = shell_with("nft add table ip raw",
                    "nft 'add chain ip raw pre { type filter hook prerouting priority raw; }'",
                    "nft add rule ip raw pre tcp dport 22 notrack",
                    "nft add table ip f",
                    "nft 'add chain ip f in { type filter hook input priority 0; policy drop; }'",
                    "nft add rule ip f in ct state untracked accept")
    trace = send(sh, "tcp 10.0.0.2:40000 > 10.0.0.1:22 [S] iface=eth0")
    assert trace.disposition == Disposition.DELIVERED


def test_dnat_first_packet_only_and_masquerade() -> None:
    """nft dnat binds the connection on its first packet; later packets follow the entry."""
    sh = shell_with("sysctl -w net.ipv4.ip_forward=1", "ip link add eth1 type dummy",
                    "ip link set eth1 up", "ip addr add 192.168.1.1/24 dev eth1",
                    "nft add table nat",
                    "nft 'add chain nat prerouting { type nat hook prerouting priority -100; }'",
                    "nft add rule nat prerouting tcp dport 8080 dnat to 192.168.1.2:80")
    first = send(sh, "tcp 10.0.0.2:40000 > 10.0.0.1:8080 [S] iface=eth0")
    assert first.disposition == Disposition.FORWARDED
    assert "192.168.1.2" in first.summary_line()
    bound = next(s for s in first.steps if s.table == "nft ip nat")
    assert bound.note == "nat.bound"
    reply = send(sh, "tcp 192.168.1.2:80 > 10.0.0.2:40000 [S.] iface=eth1")
    assert reply.disposition == Disposition.FORWARDED
    assert reply.final_packet.src == first.packet.dst and reply.final_packet.sport == 8080  # un-DNATed
    second = send(sh, "tcp 10.0.0.2:40000 > 10.0.0.1:8080 [.] iface=eth0")
    assert not any(s.table == "nft ip nat" for s in second.steps)
    assert "192.168.1.2" in second.summary_line()


def test_reject_with_tcp_reset_answers_rst() -> None:
    """`reject with tcp reset` drops the SYN and sends a RST back."""
    sh = shell_with("nft add table inet filter",
                    "nft 'add chain inet filter input { type filter hook input priority 0; }'",
                    "nft add rule inet filter input tcp dport 23 reject with tcp reset")
    trace = send(sh, "tcp 10.0.0.2:40000 > 10.0.0.1:23 [S] iface=eth0")
    assert trace.disposition == Disposition.REJECTED
    assert trace.replies and "[R" in str(trace.replies[0].packet)


def test_jump_goto_return_and_counters_in_view() -> None:
    """A jump into a regular chain, its `return`, and the counters the ChainView shows."""
    sh = shell_with("nft add table ip t", "nft add chain ip t user",
                    "nft add rule ip t user tcp dport 22 counter accept",
                    "nft add rule ip t user return",
                    "nft 'add chain ip t in { type filter hook input priority 0; policy drop; }'",
                    "nft add rule ip t in jump user",
                    "nft add rule ip t in tcp dport 80 accept")
    ssh = send(sh, "tcp 10.0.0.2:40000 > 10.0.0.1:22 [S] iface=eth0")
    step = next(s for s in ssh.steps if s.table == "nft ip t")
    assert (step.chain, step.rule_index, str(step.verdict)) == ("user", 1, "ACCEPT")
    view = step.view
    assert view is not None and view.extra_chains[0][0] == "user"  # type: ignore[union-attr]
    assert view.extra_chains[0][1][0].pkts == 1  # type: ignore[union-attr]
    http = send(sh, "tcp 10.0.0.2:40001 > 10.0.0.1:80 [S] iface=eth0")
    assert http.disposition == Disposition.DELIVERED
    assert [e.rule for s in http.steps for e in s.tested if s.table == "nft ip t"] == [
        "jump user", "tcp dport 22 counter packets 1 bytes 40 accept", "return", "tcp dport 80 accept"]


def test_failed_nft_file_changes_nothing(tmp_path: Path) -> None:
    """nft -f is one transaction: an error on a later line leaves the ruleset as it was."""
    conf = tmp_path / "bad.conf"
    conf.write_text("flush ruleset\ntable ip t {\n  chain c {\n    tcp dport 22 acept\n  }\n}\n")
    sh = shell_with("nft add table ip keep")
    result = sh.run(f"nft -f {conf}")
    assert result.status == 1 and result.output.startswith(f"{conf}:4: Error:")
    assert sh.run("nft list tables").output == "table ip keep"
