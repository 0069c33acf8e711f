"""TCP's retransmission timers on the simulated clock: the SYN of a connecting socket and the SYN-ACK
of a pending request are sent again until their sysctl's retries are spent.

Measured on Linux 6.18 between namespaces (tcpdump -tt, ss -tano, nstat):

* SYN-SENT (tcp_retransmit_timer, tcp_write_timeout): the SYN is resent 1 s after it left, then at
  1 s intervals for the first net.ipv4.tcp_syn_linear_timeouts (4) retransmissions, then with the
  gap doubling (capped at TCP_RTO_MAX). connect() fails with ETIMEDOUT at the first timer that finds
  either syn_retries + linear_timeouts retransmissions done or tcp_model_timeout(syn_retries) seconds
  gone since the first SYN: with tcp_syn_retries=1 SYNs at 0, 1, 2 s and ETIMEDOUT at 3 s; with the
  default 6 at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s and ETIMEDOUT at 131 s.
* SYN-RECV (reqsk_timer_handler): the SYN-ACK is resent 1, 3, 7, 15, 31 s after the SYN (the gap
  doubling from 1 s), net.ipv4.tcp_synack_retries (5) times; the next timer drops the request (at
  7 s with tcp_synack_retries=2). A listener whose SYN queue is over half its backlog gives its older
  requests fewer retries (the `young` rule).

This module keeps the timers' state and decides what each firing does; `kernel.retransmit` fires them
and sends the segments.
"""

from __future__ import annotations

from collections.abc import Iterator

from .host import Host
from .packet import Packet
from .sockets import Socket

TCP_TIMEOUT_INIT = 1.0
"""The initial retransmission timeout of a SYN and a SYN-ACK (include/net/tcp.h)."""
TCP_RTO_MAX = 120.0
"""No retransmission timeout grows beyond this."""


def syn_gap(retransmits: int, linear: int) -> float:
    """Seconds from the SYN sent after `retransmits` retransmissions to the next timer."""
    return min(TCP_TIMEOUT_INIT * (1 << max(0, retransmits - linear)), TCP_RTO_MAX)


def model_timeout(boundary: int, rto_base: float = TCP_TIMEOUT_INIT) -> float:
    """tcp_model_timeout(): how long `boundary` exponential retransmissions take from `rto_base`."""
    thresh = 6  # ilog2(TCP_RTO_MAX / rto_base) for the 1 s base
    if boundary <= thresh:
        return ((2 << boundary) - 1) * rto_base
    return ((2 << thresh) - 1) * rto_base + (boundary - thresh) * TCP_RTO_MAX


def synack_gap(num_timeout: int) -> float:
    """reqsk_timeout(): seconds to a request's next timer after `num_timeout` firings."""
    return min(TCP_TIMEOUT_INIT * (1 << num_timeout), TCP_RTO_MAX)


def arm(sock: Socket, segment: Packet, now: float) -> None:
    """The first SYN (or SYN-ACK) left: start its retransmission timer."""
    sock.rtx_packet, sock.rtx_start, sock.rtx_due, sock.retransmits = segment, now, now + TCP_TIMEOUT_INIT, 0


def disarm(sock: Socket) -> None:
    """The handshake ended (answered, reset or given up): no more retransmissions."""
    sock.rtx_packet, sock.rtx_due = None, None


def timed(host: Host) -> Iterator[tuple[Socket, Socket | None]]:
    """Every socket with a running timer, with the listener of a pending request."""
    for sock in host.sockets.sockets:
        if sock.rtx_due is not None:
            yield sock, None
        if sock.state == "LISTEN":
            for child in sock.syn_queue:
                if child.rtx_due is not None:
                    yield child, sock


def next_due(host: Host) -> float | None:
    """When this namespace's next retransmission timer fires, or None."""
    return min((s.rtx_due for s, _ in timed(host) if s.rtx_due is not None), default=None)


def syn_timer(host: Host, sock: Socket) -> Packet | None:
    """tcp_retransmit_timer() in SYN-SENT: the SYN again, or ETIMEDOUT (tcp_write_err)."""
    if sock.state != "SYN-SENT" or sock.rtx_packet is None:
        disarm(sock)
        return None
    retries = host.sysctl.int("net.ipv4.tcp_syn_retries")
    linear = host.sysctl.int("net.ipv4.tcp_syn_linear_timeouts")
    if sock.retransmits >= retries + linear or host.clock - sock.rtx_start >= model_timeout(retries) - 1e-9:
        disarm(sock)
        sock.error = "ETIMEDOUT"
        sock.state = "CLOSE"
        if sock in host.sockets.sockets:
            host.sockets.sockets.remove(sock)  # tcp_done(): unhashed, the port released
        return None
    sock.retransmits += 1
    sock.rtx_due = host.clock + syn_gap(sock.retransmits, linear)
    return sock.rtx_packet


def synack_timer(host: Host, req: Socket, listener: Socket) -> Packet | None:
    """reqsk_timer_handler(): the SYN-ACK again, or the request dropped once its retries are spent."""
    if req.state != "SYN-RECV" or req.rtx_packet is None:
        disarm(req)
        return None
    retries = host.sysctl.int("net.ipv4.tcp_synack_retries")
    queued = len(listener.syn_queue)
    if queued * 2 > max(8, listener.backlog):
        # A queue more than half full: older requests get fewer tries, so young ones find room.
        young = 2 * sum(1 for r in listener.syn_queue if r.retransmits == 0)
        while retries > 2 and queued >= young:
            retries -= 1
            young <<= 1
    if req.retransmits >= retries:
        disarm(req)
        host.sockets.dequeue(listener, req)
        return None
    req.retransmits += 1
    req.rtx_due = host.clock + synack_gap(req.retransmits)
    return req.rtx_packet


def resend_synack(host: Host, req: Socket) -> Packet | None:
    """tcp_check_req() on the same SYN again: the SYN-ACK is resent (at most once per 500 ms,
    tcp_oow_rate_limited) and the timer restarted from now; None when rate limited."""
    if req.rtx_packet is None:
        return None
    if req.last_dup_synack is not None and host.clock - req.last_dup_synack < 0.5:
        return None
    req.last_dup_synack = host.clock
    req.rtx_due = host.clock + synack_gap(req.retransmits)
    return req.rtx_packet
