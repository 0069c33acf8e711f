"""Firing TCP's retransmission timers as the clock advances: each SYN or SYN-ACK sent again is traced
as the kernel sends it (OUTPUT, POSTROUTING, the wire, captured by tcpdump), a journey of its own.

The timers' rules are in `kernel.tcp_timers`.
"""

from __future__ import annotations

from typing import Protocol

from . import mib, stack
from .deliver import retransmitted
from .host import Host
from .packet import Packet
from .sockets import Socket
from .tcp_timers import arm, disarm, next_due, syn_timer, synack_timer, timed
from .trace import Disposition, Trace


class ClockTimers(Protocol):
    """Timers kept elsewhere (a program's socket timers: keepalive, delayed ACK, a thread's sleep)
    that must fire at their own times while the clock runs, not all at its end."""

    def next_due(self, host: Host) -> float | None:
        """When the next one on this namespace fires (strictly later than its clock), or None."""

    def fire(self, host: Host) -> list[Trace]:
        """Run every one due by the host's clock; the journeys of what they sent."""


OTHER_TIMERS: list[ClockTimers] = []
"""Registered by their owners (kernel.app registers the programs' timers when it is loaded): this
module cannot import them without an import cycle."""

TRACED_PER_ADVANCE = 64
"""Retransmissions one clock step keeps as recorded journeys; the rest run unrecorded (a SYN flood's
thousands of requests all time out together)."""


def send_syn(host: Host, sock: Socket, syn: Packet, owner: str) -> Trace:
    """connect(): the SYN leaves and its timer starts (SYN-SENT)."""
    sock.state, sock.send_q, sock.error = "SYN-SENT", 1, None
    arm(sock, syn, host.clock)
    mib.count(host, "TcpActiveOpens")  # tcp_connect()
    mib.tcp_out(host, syn)
    trace = stack.transmit(host, syn, owner=owner)
    if sock.state != "SYN-SENT":  # answered (or refused) at once
        disarm(sock)
    return trace


def fire(host: Host, budget: list[int]) -> list[Trace]:
    """Run every timer due by the host's clock; return the journeys recorded (while `budget[0]` lasts)."""
    traces: list[Trace] = []
    due = [(s, parent) for s, parent in timed(host) if s.rtx_due is not None and s.rtx_due <= host.clock + 1e-9]
    for sock, listener in due:
        if listener is not None:
            mib.count(host, "TcpExtTCPTimeouts")  # reqsk_timer_handler(), also the one that drops it
            segment = synack_timer(host, sock, listener)
        else:
            mib.count(host, "TcpExtTCPTimeouts")  # tcp_retransmit_timer(), also the one that gives up
            segment = syn_timer(host, sock)
            if segment is None and sock.error == "ETIMEDOUT":
                mib.count(host, "TcpExtTCPAbortOnTimeout")  # tcp_write_err()
                mib.count(host, "TcpAttemptFails")  # tcp_done() in SYN-SENT
        if segment is None:
            continue
        retransmitted(host, segment)
        if budget[0] > 0:
            budget[0] -= 1
            trace = stack.transmit(host, segment, owner=None if listener is not None else _owner(host, sock))
            traces.append(trace)
            if listener is not None and _left(host, trace):
                sock.synack_sent = True
        else:
            outcome = stack.transmit_batch(host, segment)
            if listener is not None and outcome.disposition != Disposition.DROPPED:
                sock.synack_sent = True
    return traces


def _owner(host: Host, sock: Socket) -> str | None:
    proc = host.sockets.processes.get(sock.pid) if sock.pid is not None else None
    return f"{proc.name} (pid {proc.pid})" if proc is not None else None


def _left(host: Host, trace: Trace) -> bool:
    return trace.disposition == Disposition.SENT or any(step.host != host.name for step in trace.steps)


def advance(hosts: list[Host], seconds: float) -> list[Trace]:
    """Let `seconds` pass on every namespace's clock, firing each timer at its time, in order."""
    if seconds < 0:
        raise ValueError("time does not run backwards")
    if not hosts:
        return []
    start = hosts[0].clock
    target = start + seconds
    traces: list[Trace] = []
    budget = [TRACED_PER_ADVANCE]
    while True:
        dues = [d for d in (next_due(h) for h in hosts) if d is not None]
        dues += [d for timers in OTHER_TIMERS for h in hosts if (d := timers.next_due(h)) is not None]
        due = min(dues, default=None)
        if due is None or due > target + 1e-9:
            break
        for host in hosts:
            host.advance(max(0.0, due - host.clock))
        for host in hosts:
            traces += fire(host, budget)
            for timers in OTHER_TIMERS:
                traces += timers.fire(host)
    for host in hosts:
        host.advance(max(0.0, target - host.clock))
    return traces
