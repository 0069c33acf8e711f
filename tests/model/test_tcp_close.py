"""TCP teardown and segment sizes as Linux 6.18 does them (checked with tcpdump -v, ss -tan and
conntrack -L between real namespaces): LAST-ACK kept until the last ACK, FIN-WAIT-1/2 and TIME-WAIT on
the side that closes first, and the option bytes of every segment."""

from __future__ import annotations

import re

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.commands.tcp_client import all_replies
from netstack_tui.kernel import stack
from netstack_tui.kernel.addr import parse_ipv4
from netstack_tui.kernel.packet import ACK, IPPROTO_TCP, PSH, RST, Packet
from netstack_tui.kernel.sockets import ORPHAN_FIN_TIMEOUT, TCP_TIMEWAIT_LEN

PAIR = ["ip netns add a", "ip netns add b", "ip link add va type veth peer name vb", "ip link set va netns a",
        "ip link set vb netns b", "ip -n a addr add 10.0.0.1/24 dev va", "ip -n b addr add 10.0.0.2/24 dev vb",
        "ip -n a link set va up", "ip -n b link set vb up", "ip -n a link set lo up",
        "ip netns exec a iptables -A OUTPUT -m conntrack --ctstate NEW",
        "ip netns exec b iptables -A INPUT -p tcp", "ip netns exec b iptables -A OUTPUT -p tcp"]


def _pair(*extra: str, app: str = "") -> Shell:
    sh = Shell()
    for line in [*PAIR, f"ip netns exec b listen tcp 0.0.0.0:80 --app web {app}".rstrip(), *extra]:
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def _out(sh: Shell, line: str) -> str:
    result = sh.run(line)
    assert result.status == 0, (line, result.output)
    return result.output


def _states(sh: Shell, ns: str) -> list[str]:
    """`ss -tan` rows of a namespace other than listeners: `STATE RECV-Q SEND-Q`."""
    rows = _out(sh, f"ip netns exec {ns} ss -tanH").splitlines()
    return [" ".join(r.split()[:3]) for r in rows if not r.startswith("LISTEN")]


def _dump(sh: Shell) -> list[tuple[str, int]]:
    """(flags, IP length) of every TCP segment b's vb saw, in order (tcpdump -v)."""
    text = _out(sh, "ip netns exec b tcpdump -nv tcp")
    lengths = [int(n) for n in re.findall(r"proto TCP \(6\), length (\d+)", text)]
    flags = re.findall(r"Flags \[([^\]]+)\]", text)
    return list(zip(flags, lengths, strict=True))


def _counters(sh: Shell, ns: str, chain: str) -> list[str]:
    return _out(sh, f"ip netns exec {ns} iptables -nvxL {chain}").splitlines()[2].split()[:2]


def test_nc_z_ends_without_a_reset_and_with_the_kernels_sizes() -> None:
    """nc -z: SYN and SYN-ACK 60 bytes, every later segment 52 (timestamps), the server's LAST-ACK
    socket takes the last ACK: no [R], counters as the kernel's, conntrack TIME_WAIT, client TIME-WAIT."""
    sh = _pair()
    assert sh.run("ip netns exec a nc -z -p 41000 10.0.0.2 80").status == 0
    assert _dump(sh) == [("S", 60), ("S.", 60), (".", 52), ("F.", 52), (".", 52), ("F.", 52), (".", 52)]
    assert _counters(sh, "b", "INPUT") == ["4", "216"]
    assert _counters(sh, "b", "OUTPUT") == ["3", "164"]
    assert " TIME_WAIT " in _out(sh, "ip netns exec a conntrack -L")
    assert _states(sh, "a") == ["TIME-WAIT 0 0"]
    assert _states(sh, "b") == []


def test_data_segments_carry_the_timestamps_too() -> None:
    """A request with nc: the data segment is 20 + 20 + 12 + its bytes, its ACK 52."""
    sh = _pair()
    assert sh.run("ip netns exec a nc -p 41000 10.0.0.2 80", stdin="GET / HTTP/1.1\r\n\r\n").status == 0
    segments = _dump(sh)
    assert ("P.", 52 + 18) in segments
    assert all(length == 52 for flags, length in segments if flags not in ("S", "S.", "P."))


@pytest.mark.parametrize(("where", "syn", "synack", "rest"), [("a", 52, 52, 40), ("b", 60, 52, 40)])
def test_timestamps_off_at_either_end(where: str, syn: int, synack: int, rest: int) -> None:
    """net.ipv4.tcp_timestamps=0: that end's SYN (or SYN-ACK) has 12 bytes of options, and no later
    segment carries any."""
    sh = _pair(f"ip netns exec {where} sysctl -w net.ipv4.tcp_timestamps=0")
    assert sh.run("ip netns exec a nc -z -p 41000 10.0.0.2 80").status == 0
    segments = _dump(sh)
    assert segments[:2] == [("S", syn), ("S.", synack)]
    assert {length for _flags, length in segments[2:]} == {rest}


def test_client_closing_first_goes_fin_wait_2_and_expires_with_tcp_fin_timeout() -> None:
    """The server never closes (CLOSE-WAIT): the client's orphan waits in FIN-WAIT-2 for
    net.ipv4.tcp_fin_timeout (60 s), then is gone; the server's CLOSE-WAIT stays."""
    sh = _pair(app="--leak")
    assert sh.run("ip netns exec a nc -z -p 41000 10.0.0.2 80").status == 0
    assert _states(sh, "a") == ["FIN-WAIT-2 0 0"]
    assert _states(sh, "b") == ["CLOSE-WAIT 0 0"]
    _out(sh, "sleep 59")
    assert _states(sh, "a") == ["FIN-WAIT-2 0 0"]
    _out(sh, "sleep 1")
    assert _states(sh, "a") == []
    assert _states(sh, "b") == ["CLOSE-WAIT 0 0"]


def test_fin_in_fin_wait_only_acked_and_time_wait_lasts_sixty_seconds() -> None:
    """The peer's FIN in FIN-WAIT-2 is ACKed by the kernel (no app close, no second FIN): TIME-WAIT,
    gone after TCP_TIMEWAIT_LEN."""
    sh = _pair()
    result = sh.run("ip netns exec a nc -z -p 41000 10.0.0.2 80")
    journeys = [j for trace in result.traces for j in (trace, *all_replies(trace))]
    notes = [step.note for journey in journeys for step in journey.steps]
    assert notes.count("app.close") == 1  # the server's, not the client's
    assert [flags for flags, _ in _dump(sh)].count("F.") == 2
    _out(sh, f"sleep {TCP_TIMEWAIT_LEN - 1:g}")
    assert _states(sh, "a") == ["TIME-WAIT 0 0"]
    _out(sh, "sleep 1")
    assert _states(sh, "a") == []


def _single_host_last_ack() -> Shell:
    sh = Shell()
    for line in ["ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --app web",
                 "send tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]", "send tcp 10.0.0.2:40000 > 10.0.0.1:80 [.]"]:
        assert sh.run(line).status == 0, line
    answer = _out(sh, "send tcp 10.0.0.2:40000 > 10.0.0.1:80 [F.]")
    assert answer.splitlines()[1:] == ["tcp 10.0.0.1:80 > 10.0.0.2:40000 [.]", "tcp 10.0.0.1:80 > 10.0.0.2:40000 [F.]"]
    return sh


def _rows(sh: Shell) -> list[str]:
    return [" ".join(r.split()[:3]) for r in _out(sh, "ss -tanH").splitlines() if not r.startswith("LISTEN")]


def test_last_ack_waits_for_the_ack_of_its_fin() -> None:
    """The app closes on the peer's FIN: ss shows LAST-ACK with the FIN in Send-Q; an ACK that does
    not cover the FIN changes nothing and gets no answer, the one that does ends the socket."""
    sh = _single_host_last_ack()
    assert _rows(sh) == ["LAST-ACK 0 1"]
    # The FIN left with seq = the peer's ack (0 here), so ack=1 covers it.
    assert _out(sh, "send tcp 10.0.0.2:40000 > 10.0.0.1:80 [.] ack=5").splitlines()[1:] == []
    assert _rows(sh) == ["LAST-ACK 0 1"]
    assert _out(sh, "send tcp 10.0.0.2:40000 > 10.0.0.1:80 [.] ack=1").splitlines()[1:] == []
    assert _rows(sh) == []


def test_last_ack_without_an_answer_expires() -> None:
    """An orphan whose FIN is never ACKed lives ORPHAN_FIN_TIMEOUT (tcp_orphan_retries' 8 retries)."""
    sh = _single_host_last_ack()
    _out(sh, f"sleep {ORPHAN_FIN_TIMEOUT - 1:g}")
    assert _rows(sh) == ["LAST-ACK 0 1"]
    _out(sh, "sleep 1")
    assert _rows(sh) == []


def test_hand_written_segments_keep_no_options() -> None:
    """The notation's SYN has no options: the SYN-ACK carries MSS only (44 bytes) and the connection
    no timestamps, so the server's ACK and FIN are 40 bytes, as the single-host cases expect."""
    sh = _single_host_last_ack()
    text = _out(sh, "tcpdump -nv -i eth0 tcp")
    assert [int(n) for n in re.findall(r"proto TCP \(6\), length (\d+)", text)] == [40, 44, 40, 40, 40, 40]


def test_data_after_close_aborts_with_a_reset() -> None:
    """The server writes after nc closed (FIN-WAIT-2, orphaned): the kernel resets the connection
    (TCPAbortOnData): a RST of 40 bytes answers and the socket is gone."""
    sh = _pair(app="--leak")
    assert sh.run("ip netns exec a nc -z -p 41000 10.0.0.2 80").status == 0
    assert _states(sh, "a") == ["FIN-WAIT-2 0 0"]
    server = sh.world.namespaces["b"]
    data = Packet(IPPROTO_TCP, parse_ipv4("10.0.0.2"), parse_ipv4("10.0.0.1"), 80, 41000, flags=PSH | ACK,
                  seq=7, ack_seq=9, payload_len=30, opt_len=12)
    trace = stack.transmit(server, data, owner="web")
    answers = [reply.packet for reply in all_replies(trace)]
    assert [(p.flags, p.seq, p.length) for p in answers] == [(RST, 9, 40)]
    assert _states(sh, "a") == []
