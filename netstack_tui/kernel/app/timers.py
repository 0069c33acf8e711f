"""The socket timers a running program depends on, run each time the apps move on: keepalive
probes on idle connections (tcp_keepalive_timer()), the delayed ACK (tcp_delack_timer()), and
queued data sent once the peer's window opens again or its ACK lets Nagle's algorithm go on.

Keepalive: after net.ipv4.tcp_keepalive_time seconds without a segment from the peer, a probe
(seq = snd_una - 1, no data) leaves every tcp_keepalive_intvl seconds; an answer resets the count,
and after tcp_keepalive_probes unanswered probes the kernel resets the connection and the next
call on it fails with ETIMEDOUT. The clock's timer loop (`kernel.retransmit.advance`) asks
`next_due` and runs the apps at each due time, so probes during a long `sleep` leave at their own times.
"""

from __future__ import annotations

from ..host import Host
from ..packet import ACK, IPPROTO_TCP, RST, Packet
from ..trace import Trace
from . import calls
from .state import App, FdInfo


def run(host: Host, app: App, traces: list[Trace]) -> None:
    """Fire every keepalive probe due by now and send what the peers' windows let through."""
    for fd, info in list(app.files.items()):
        if info.sock is None or info.sock.proto != "tcp" or info.sock.state not in ("ESTAB", "CLOSE-WAIT"):
            continue
        call = calls.Call(host, app, app.threads[0], [fd], [str(fd)], traces)
        if info.sock.ack_due is not None and host.clock + 1e-9 >= info.sock.ack_due:
            _delayed_ack(call, info)
        if info.unsent:
            calls.flush(call, info)
        if info.options.get("SO_KEEPALIVE"):
            _keepalive(call, info)


def next_due(host: Host, app: App) -> float | None:
    """When this app's next socket timer or thread timeout fires, if later than now."""
    dues = [t.deadline for t in app.threads if t.deadline is not None and not t.done]
    for info in app.files.values():
        sock = info.sock
        if sock is None or sock.proto != "tcp" or sock.state not in ("ESTAB", "CLOSE-WAIT"):
            continue
        if info.options.get("SO_KEEPALIVE") and info.keepalive_due is not None:
            dues.append(info.keepalive_due)
        if sock.ack_due is not None:
            dues.append(sock.ack_due)
    later = [d for d in dues if d > host.clock + 1e-9]
    return min(later, default=None)


def _delayed_ack(call: calls.Call, info: FdInfo) -> None:
    """tcp_delack_timer_handler(): no answer came to carry the ACK, so it leaves alone; the socket
    stops counting as interactive (inet_csk_exit_pingpong_mode) until it answers quickly again."""
    sock = info.sock
    assert sock is not None
    sock.pingpong = False
    calls.send_ack(call, info)


def _keepalive(call: calls.Call, info: FdInfo) -> None:
    """tcp_keepalive_timer() for every firing due by now: a connection idle for tcp_keepalive_time
    gets a probe (seq = snd_una - 1, no data) and the timer comes back after tcp_keepalive_intvl;
    one heard from meanwhile is re-armed for the rest of the idle time; after tcp_keepalive_probes
    unanswered probes the connection is given up. The sysctls are read at each firing."""
    host, sock = call.host, info.sock
    assert sock is not None
    while info.keepalive_due is not None and info.keepalive_due <= host.clock + 1e-9:
        fired = info.keepalive_due
        idle = host.sysctl.int("net.ipv4.tcp_keepalive_time")
        interval = host.sysctl.int("net.ipv4.tcp_keepalive_intvl")
        if info.keepalive_probes and sock.last_heard > fired - interval + 1e-9:
            info.keepalive_probes = 0  # tcp_ack(): the peer answered, icsk_probes_out is cleared
        elapsed = fired - sock.last_heard
        if elapsed + 1e-9 < idle:
            info.keepalive_due = fired + idle - elapsed
            continue
        if info.keepalive_probes >= host.sysctl.int("net.ipv4.tcp_keepalive_probes"):
            info.keepalive_due = None
            _give_up(call, info)
            return
        info.keepalive_probes += 1
        heard = sock.last_heard
        probe = Packet(IPPROTO_TCP, sock.local[0], sock.peer[0], sock.local[1], sock.peer[1], flags=ACK,
                       seq=(info.send_seq - 1) & 0xFFFFFFFF, ack_seq=sock.rcv_nxt)
        call.traces.append(calls.transmit(call, probe))
        if sock.last_heard != heard:  # answered at once (the peer is on this machine)
            info.keepalive_probes = 0
        info.keepalive_due = fired + interval


def _give_up(call: calls.Call, info: FdInfo) -> None:
    """tcp_keepalive_timer(): the peer is gone. A RST leaves, the socket is done, sk_err is ETIMEDOUT."""
    sock = info.sock
    assert sock is not None
    rst = Packet(IPPROTO_TCP, sock.local[0], sock.peer[0], sock.local[1], sock.peer[1], flags=RST | ACK,
                 seq=info.send_seq, ack_seq=sock.rcv_nxt)
    call.traces.append(calls.transmit(call, rst))
    sock.error = "ETIMEDOUT"
    if sock in call.host.sockets.sockets:
        call.host.sockets.sockets.remove(sock)
    calls.notice_reset(call.host, info)
