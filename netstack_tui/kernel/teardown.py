"""A process exits: the kernel closes each of its sockets as tcp_close() does, and the segments that
sends are journeys of their own (like `kernel.retransmit`'s).

Measured on Linux 6.18 between namespaces (tcpdump, ss -tano, nstat) by killing nc and a Python
server:

* an established connection with nothing unread: FIN (FIN-WAIT-1; the peer's ACK makes it
  FIN-WAIT-2 and the peer CLOSE-WAIT; the peer app's close then sends its FIN: LAST-ACK there,
  TIME-WAIT here); from CLOSE-WAIT the FIN makes it LAST-ACK;
* unread data in the receive queue: a reset instead ([R.], TcpExtTCPAbortOnClose), the socket gone
  at once;
* a listener: every connection still in its accept queue is reset (inet_csk_listen_stop() ->
  tcp_disconnect()), pending requests vanish without a segment;
* a connecting socket (SYN-SENT) just closes, as do UDP sockets.

A FIN that leaves on a wire with nothing simulated at its far end (a single host's eth0) is
answered by the peer's kernel as a live peer's is, with its ACK, received as a journey of its own
(tcpdump shows it): LAST-ACK ends, FIN-WAIT-1 becomes FIN-WAIT-2. What the peer's application does
next (its own FIN) is the learner's to send.
"""

from __future__ import annotations

from . import mib, stack, tcp_timers
from .host import Host
from .packet import ACK, FIN, IPPROTO_TCP, RST, TCPOLEN_TSTAMP_ALIGNED, Packet
from .sockets import Process, Socket
from .trace import Disposition, Trace


def kill(host: Host, proc: Process) -> tuple[int, list[Trace]]:
    """The process exits: every fd closes. Returns how many sockets closed and the journeys of the
    segments the kernel sent for them."""
    table = host.sockets
    owner = f"{proc.name} (pid {proc.pid})"
    closed = 0
    traces: list[Trace] = []
    for _fd, obj in sorted(proc.fds.items()):
        if not isinstance(obj, Socket):
            continue
        closed += 1
        if obj.state == "LISTEN":
            traces += _close_listener(host, obj, owner)
        elif obj.proto == "tcp" and obj.state in ("ESTAB", "CLOSE-WAIT"):
            traces += _close_connection(host, obj, owner)
            continue
        tcp_timers.disarm(obj)
        table.close(obj, host.clock, active=False)
    proc.fds.clear()
    proc.alive = False
    return closed, traces


def _segment(sock: Socket, flags: int) -> Packet:
    return Packet(IPPROTO_TCP, sock.local[0], sock.peer[0], sock.local[1], sock.peer[1], flags=flags,
                  seq=sock.snd_nxt, ack_seq=sock.rcv_nxt, opt_len=TCPOLEN_TSTAMP_ALIGNED if sock.timestamps else 0)


def _reset(host: Host, sock: Socket, owner: str | None) -> Trace:
    """tcp_send_active_reset(): [R.] with our next sequence number; the connection is gone."""
    if sock.state in ("ESTAB", "CLOSE-WAIT"):
        mib.count(host, "TcpEstabResets")  # tcp_set_state(TCP_CLOSE) from an established state
    rst = _segment(sock, RST | ACK)
    mib.tcp_out(host, rst, rst=True)
    if sock in host.sockets.sockets:
        host.sockets.close(sock, host.clock, active=False)
    return stack.transmit(host, rst, owner=owner)


def _close_connection(host: Host, sock: Socket, owner: str) -> list[Trace]:
    """tcp_close() of a connection: a reset when data is unread, else our FIN."""
    if sock.recv_q:
        mib.count(host, "TcpExtTCPAbortOnClose")
        return [_reset(host, sock, owner)]
    fin = _segment(sock, FIN | ACK)
    host.sockets.close_sending_fin(sock, host.clock, fin_ack=sock.snd_nxt + 1)
    mib.tcp_out(host, fin)
    trace = stack.transmit(host, fin, owner=owner)
    dev = trace.final_packet.oif if trace.disposition == Disposition.SENT else None
    if dev and dev in host.interfaces and not host.interfaces[dev].is_loopback:
        # Nothing simulated beyond this device: the peer's kernel acknowledges the FIN.
        ack = Packet(IPPROTO_TCP, fin.dst, fin.src, fin.dport, fin.sport, flags=ACK, seq=fin.ack_seq,
                     ack_seq=(fin.seq + 1) & 0xFFFFFFFF, opt_len=fin.opt_len)
        return [trace, stack.receive(host, ack, dev)]
    return [trace]


def _close_listener(host: Host, listener: Socket, owner: str) -> list[Trace]:
    """inet_csk_listen_stop(): connections nobody accepted are reset, requests dropped."""
    table = host.sockets
    traces: list[Trace] = []
    for request in list(listener.syn_queue):
        tcp_timers.disarm(request)
        table.dequeue(listener, request)
    for child in list(listener.accept_queue):
        table.dequeue(listener, child)
        if child.state in ("ESTAB", "CLOSE-WAIT"):
            traces.append(_reset(host, child, owner))
    return traces
