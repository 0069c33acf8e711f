"""TCP's retransmission timers on the simulated clock, as Linux 6.18 runs them (measured between real
namespaces with tcpdump -tt, ss -tano and dmesg; see `kernel.tcp_timers`)."""

from __future__ import annotations

import re

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.commands.ss import ms_timer
from netstack_tui.kernel.tcp_timers import model_timeout, syn_gap, synack_gap

from .veth_pair import pair_shell as _shell


def _syn_times(sh: Shell, ns: str, flags: str) -> list[float]:
    """Seconds (tcpdump's relative clock) of the segments with `flags` that `ns`'s device saw."""
    text = sh.run(f"ip netns exec {ns} tcpdump -n tcp").output
    return [int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
            for m in re.finditer(r"^(\d\d):(\d\d):(\d\d\.\d+) IP .*Flags \[(\S+)\]", text, re.M) if m[4] == flags]


def test_syn_gaps_follow_the_linear_then_exponential_rule() -> None:
    """Default sysctls: SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s; ETIMEDOUT 131 s after the first."""
    times, at = [0.0], 0.0
    for k in range(10):
        at += syn_gap(k, 4)
        times.append(at)
    assert times == [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67]
    assert at + syn_gap(10, 4) == 131
    assert model_timeout(6) == 127 and model_timeout(1) == 3
    assert [synack_gap(n) for n in range(5)] == [1, 2, 4, 8, 16]


@pytest.mark.parametrize(("retries", "wait", "syns", "line"), [
    (1, "", [0, 1, 2], "failed: Connection timed out"),
    (1, "-w 2 ", [0, 1], "timed out: Operation now in progress"),
    (2, "", [0, 1, 2, 3, 4, 5], "failed: Connection timed out"),
])
def test_unanswered_syn_is_retransmitted_until_the_retries_are_spent(retries: int, wait: str, syns: list[float],
                                                                     line: str) -> None:
    """nc -zv to a port whose SYNs are dropped: the kernel's SYNs, then nc's real line."""
    sh = _shell(f"ip netns exec a sysctl -w net.ipv4.tcp_syn_retries={retries}",
                "ip netns exec b iptables -A INPUT -p tcp -j DROP")
    result = sh.run(f"ip netns exec a nc -zv {wait}-p 41000 10.0.0.2 80")
    assert result.status == 1
    assert f"nc: connect to 10.0.0.2 port 80 (tcp) {line}" in result.output
    assert _syn_times(sh, "a", "S") == syns


def test_connect_verb_leaves_a_syn_sent_socket_whose_timer_ss_shows() -> None:
    """connect: SYN-SENT with Send-Q 1 and `timer:(on,1sec,0)`; sleep resends (journeys), then ETIMEDOUT."""
    sh = _shell("ip netns exec a sysctl -w net.ipv4.tcp_syn_retries=1",
                "ip netns exec b iptables -A INPUT -p tcp -j DROP",
                "ip netns exec a connect tcp 10.0.0.2:80 --from 10.0.0.1:41000")
    row = sh.run("ip netns exec a ss -tanoH").output
    assert row.split()[:3] == ["SYN-SENT", "0", "1"] and "timer:(on,1sec,0)" in row
    slept = sh.run("ip netns exec a sleep 1.5")
    assert len(slept.traces) == 1 and slept.traces[0].packet.flags == 0x02
    assert "timer:(on,500ms,1)" in sh.run("ip netns exec a ss -tanoH").output
    sh.run("ip netns exec a sleep 10")
    assert sh.run("ip netns exec a ss -tanH").output.strip() == ""
    assert _syn_times(sh, "a", "S") == [0, 1, 2]


def test_unanswered_synack_is_retransmitted_then_the_request_dropped() -> None:
    """tcp_synack_retries=2: SYN-ACKs at 0, 1 and 3 s, SYN-RECV `timer:(on,..,N)`, gone at 7 s."""
    sh = _shell("ip netns exec b sysctl -w net.ipv4.tcp_synack_retries=2",
                "ip netns exec b listen tcp 0.0.0.0:80 --app web",
                "ip netns exec b iptables -A OUTPUT -p tcp -j DROP")
    assert sh.run("ip netns exec b send 'tcp 10.0.0.1:41000 > 10.0.0.2:80 [S] iface=vb'").status == 0
    assert "timer:(on,1sec,0)" in sh.run("ip netns exec b ss -tanoH state syn-recv").output
    sh.run("sleep 1.5")
    assert "timer:(on,1.500ms,1)" in sh.run("ip netns exec b ss -tanoH state syn-recv").output
    sh.run("sleep 5")  # 6.5 s: still pending until its third timer at 7 s
    assert sh.run("ip netns exec b ss -tanH state syn-recv").output.strip() != ""
    sh.run("sleep 0.5")
    assert sh.run("ip netns exec b ss -tanH state syn-recv").output.strip() == ""
    counters = sh.run("ip netns exec b iptables -nvxL OUTPUT").output.splitlines()[2].split()
    assert counters[0] == "3"  # the SYN-ACK at 0 s and its two retransmissions


def test_syn_queue_is_bounded_by_the_backlog_then_cookies_answer() -> None:
    """backlog 8 keeps 9 requests (qlen > backlog is full), the rest are answered by cookies, the
    kernel logs its line once, and a repeated SYN for a pending request gets its SYN-ACK again."""
    sh = _shell("ip netns exec b listen tcp 0.0.0.0:80 --app web --backlog 8",
                "ip netns exec b iptables -A OUTPUT -p tcp")
    for port in range(42000, 42020):
        assert sh.run(f"ip netns exec b send 'tcp 10.0.0.1:{port} > 10.0.0.2:80 [S] iface=vb'").status == 0
    assert len(sh.run("ip netns exec b ss -tanH state syn-recv").output.splitlines()) == 9
    log = sh.run("ip netns exec b dmesg").output
    assert log.count("TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies.") == 1
    again = sh.run("ip netns exec b send 'tcp 10.0.0.1:42000 > 10.0.0.2:80 [S] iface=vb'")
    assert "[S.]" in again.output
    counters = sh.run("ip netns exec b iptables -nvxL OUTPUT").output.splitlines()[2].split()
    assert counters[0] == "21"


def test_abort_on_overflow_resets_the_final_ack() -> None:
    """A full accept queue with tcp_abort_on_overflow=1: the handshake's ACK gets a RST."""
    sh = _shell("ip netns exec b sysctl -w net.ipv4.tcp_abort_on_overflow=1",
                "ip netns exec b listen tcp 0.0.0.0:80 --app web --backlog 0 --no-accept")
    for port in (42000, 42001):
        sh.run(f"ip netns exec b send 'tcp 10.0.0.1:{port} > 10.0.0.2:80 [S] iface=vb'")
        result = sh.run(f"ip netns exec b send 'tcp 10.0.0.1:{port} > 10.0.0.2:80 [.] iface=vb'")
    assert "[R]" in result.output


def test_ss_prints_timers_as_print_ms_timer_does() -> None:
    """ss's own layout: 220ms, 1.004ms, 12sec, 1min, nothing for 0."""
    assert [ms_timer(x) for x in (0.22, 1.004, 12.5, 60, 61.5, 0)] == ["220ms", "1.004ms", "12sec", "1min",
                                                                      "1min1sec", ""]
