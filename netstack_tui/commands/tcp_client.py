"""A client's side of TCP and UDP for `nc` and `curl`: connect(), send(), close(), as journeys.

Every segment is traced from the namespace the command runs in (`kernel.stack.transmit`) through
every namespace it crosses; what connect() returns is read from the answers delivered back there:
a SYN-ACK (the kernel ACKs it, the listener's app accepts), a RST (ECONNREFUSED), an ICMP error
(converted to an errno as icmp_err_convert[] does), or nothing: the kernel's SYN timer sends it
again at 1, 2, 3, 4, 5, 7, 11, 19, 35 and 67 s, until the caller's timeout or ETIMEDOUT at 131 s
(Linux 6.18's defaults; the rule, with the sysctls, is in `kernel.tcp_timers`).

Segments carry Linux's option sizes: the SYN offers MSS, SACK, timestamps and window scale (20
bytes; 12 without net.ipv4.tcp_timestamps), and once the SYN-ACK has echoed the timestamps every
later segment carries them (12 bytes). close() sends the FIN and leaves the socket to the kernel
(FIN-WAIT-1, FIN-WAIT-2 on the peer's ACK, TIME-WAIT on its FIN: see `kernel.deliver`).

Simplified on purpose: an unanswered ARP request fails the connection after its 3 s without the SYN
being sent again meanwhile; sequence numbers start from a fixed hash.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..kernel import mib, retransmit, stack, tcp_timers
from ..kernel.addr import AddressError, parse_ipv4
from ..kernel.app import ports
from ..kernel.host import Host
from ..kernel.link.neigh import SOLICIT_TRIES
from ..kernel.outside import PUBLIC_SERVERS
from ..kernel.packet import (
    ACK,
    FIN,
    ICMP_DEST_UNREACH,
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    PSH,
    RST,
    SYN,
    TCPOLEN_SYN_NO_TS,
    TCPOLEN_SYN_TS,
    TCPOLEN_TSTAMP_ALIGNED,
    Packet,
)
from ..kernel.sockets import Process, Socket, SocketError
from ..kernel.trace import Disposition, Trace

ERRNO_TEXT = {
    "ECONNREFUSED": "Connection refused",
    "ENETUNREACH": "Network is unreachable",
    "EHOSTUNREACH": "No route to host",
    "ENOPROTOOPT": "Protocol not available",
    "EOPNOTSUPP": "Operation not supported",
    "EHOSTDOWN": "Host is down",
    "ENONET": "Machine is not on the network",
    "EINVAL": "Invalid argument",
    "EACCES": "Permission denied",
    "ETIMEDOUT": "Connection timed out",
    "EADDRINUSE": "Address already in use",
    "EADDRNOTAVAIL": "Cannot assign requested address",
    "EMFILE": "Too many open files",
}
ICMP_UNREACH_ERRNO = {0: "ENETUNREACH", 1: "EHOSTUNREACH", 2: "ENOPROTOOPT", 3: "ECONNREFUSED", 5: "EOPNOTSUPP",
                      6: "ENETUNREACH", 7: "EHOSTDOWN", 8: "ENONET", 9: "ENETUNREACH", 10: "EHOSTUNREACH",
                      11: "ENETUNREACH", 12: "EHOSTUNREACH", 13: "EHOSTUNREACH", 14: "EHOSTUNREACH",
                      15: "EHOSTUNREACH"}
"""icmp_err_convert[]: the errno an ICMP destination-unreachable code becomes."""
ICMP_FATAL = frozenset({2, 3, 4, 9, 10, 13})
"""Codes icmp_err_convert[] marks fatal: the only ones a connected UDP socket reports (without IP_RECVERR)."""
HOSTS = {"localhost": "127.0.0.1", **{name: addr for addr, name, _ in PUBLIC_SERVERS}}
"""Names this machine resolves: /etc/hosts' localhost and the names the `internet` namespace serves."""


class ClientError(Exception):
    """A socket call failed before anything was sent (bind, route): errno name and its text."""

    def __init__(self, errno_name: str, *, call: str = "bind") -> None:
        super().__init__(ERRNO_TEXT[errno_name])
        self.errno_name = errno_name
        self.text = ERRNO_TEXT[errno_name]
        self.call = call
        """The call that failed: `bind` (an explicit source), or `connect` (no free port to pick)."""


def resolve(name: str) -> int | None:
    """An IPv4 address literal or a name this machine knows, else None."""
    try:
        return parse_ipv4(HOSTS.get(name.lower(), name))
    except AddressError:
        return None


@dataclass(slots=True)
class Connection:
    """One client socket and what happened to it."""

    host: Host
    proc: Process
    sock: Socket
    src: int
    sport: int
    dst: int
    dport: int
    seq: int = 0
    """Our next sequence number."""
    ack: int = 0
    """The next byte we expect from the peer."""
    errno_name: str | None = None
    """Why connect() failed (ECONNREFUSED, ETIMEDOUT, ...), or None once established."""
    elapsed: float = 0.0
    """Seconds connect() took (the clock moved by as much)."""
    traces: list[Trace] = field(default_factory=list)
    server: str | None = None
    """`app (pid N) ADDR:PORT` of the socket that accepted the connection."""

    @property
    def owner(self) -> str:
        """How traces name the client process."""
        return f"{self.proc.name} (pid {self.proc.pid})"


def open_socket(host: Host, app: str, proto: str, dst: int, dport: int, *, src: int | None = None,
                sport: int | None = None) -> Connection:
    """socket(), bind() (to `src`:`sport` when given) and the route toward `dst` (ClientError when
    routing refuses: ENETUNREACH, EHOSTUNREACH, ... as connect() would return at once)."""
    if src is not None and not host.is_local(src):
        raise ClientError("EADDRNOTAVAIL")
    found = host.routing.lookup(dst, src or 0)
    if found.route is None or found.error is not None:
        raise ClientError(found.error or "ENETUNREACH")
    route = found.route
    if src is None:
        dev = "lo" if route.type == "local" else route.dev or ""
        src = route.src or host.primary_address(dev, dst) or (dst if host.is_local(dst) else None)
        if src is None:
            raise ClientError("ENETUNREACH")
    table = host.sockets
    proc = table.spawn(app)
    if proto == "tcp" and sport is None:
        sock = _autobound(host, proc, src, (dst, dport))
        port = sock.local[1]
    else:
        port = sport if sport is not None else _ephemeral_port(host, proto)
        try:
            sock = table.bind(proc, proto, src, port, now=host.clock)
        except SocketError:
            proc.alive = False
            raise ClientError("EADDRINUSE") from None
    sock.peer = (dst, dport)
    return Connection(host, proc, sock, src, port, dst, dport)


def _autobound(host: Host, proc: Process, src: int, peer: tuple[int, int]) -> Socket:
    """connect() on an unbound TCP socket: a port whose 4-tuple toward PEER is free, or held by a
    TIME-WAIT that net.ipv4.tcp_tw_reuse hands over; bind()'s conflict rules do not apply."""
    port = ports.connect_port(host, src, peer)
    if port is None:
        proc.alive = False
        raise ClientError("EADDRNOTAVAIL", call="connect")
    sock = Socket("tcp", (src, port), pid=proc.pid)
    try:
        sock.fd = proc.alloc_fd(sock)
    except SocketError:
        proc.alive = False
        raise ClientError("EMFILE") from None
    host.sockets.sockets.append(sock)
    return sock


def _ephemeral_port(host: Host, proto: str) -> int:
    """The first free port of ip_local_port_range (the kernel starts at a hashed offset instead)."""
    low, high = (int(v) for v in host.sysctl.get("net.ipv4.ip_local_port_range").split())
    used = {s.local[1] for s in host.sockets.sockets if s.proto == proto}
    return next((p for p in range(low, high + 1) if p not in used), low)


def advance(host: Host, seconds: float) -> list[Trace]:
    """Let time pass (every namespace's timers fire); the retransmissions' journeys."""
    if seconds <= 0:
        return []
    if host.world is not None:
        return host.world.advance(seconds)
    return retransmit.advance([host], seconds)


def all_replies(trace: Trace) -> Iterator[Trace]:
    """Every answer in a journey's tree, depth first."""
    for reply in trace.replies:
        yield reply
        yield from all_replies(reply)


def answers(conn: Connection, trace: Trace) -> Iterator[Packet]:
    """The packets of this journey's tree delivered back to the client's namespace for its socket
    (as sent: NAT may have rewritten the addresses on the way, never the flags or ICMP type)."""
    for reply in all_replies(trace):
        if reply.disposition != Disposition.DELIVERED or not reply.steps or reply.steps[-1].host != conn.host.name:
            continue
        pkt = reply.packet
        if pkt.proto == IPPROTO_ICMP and pkt.icmp_type == ICMP_DEST_UNREACH and pkt.inner is not None:
            yield pkt
        elif pkt.proto in (IPPROTO_TCP, IPPROTO_UDP):
            yield pkt


def _isn(conn: Connection) -> int:
    """Our initial sequence number (the kernel's is a keyed hash of the 4-tuple and a clock)."""
    return (conn.src * 2654435761 ^ conn.dst * 40503 ^ conn.sport << 16 ^ conn.dport) & 0xFFFFFFFF


def connect(conn: Connection, timeout: float | None) -> Connection:
    """connect() on a TCP socket: the handshake as journeys; sets `errno_name` when it fails. The
    kernel's SYN timer (`kernel.tcp_timers`) resends the SYN while the clock runs to the answer, the
    caller's `timeout` or the kernel's ETIMEDOUT."""
    host, sock = conn.host, conn.sock
    conn.seq = _isn(conn)
    timestamps = host.sysctl.int("net.ipv4.tcp_timestamps") != 0
    syn = Packet(IPPROTO_TCP, conn.src, conn.dst, conn.sport, conn.dport, flags=SYN, seq=conn.seq,
                 opt_len=TCPOLEN_SYN_TS if timestamps else TCPOLEN_SYN_NO_TS)
    trace = retransmit.send_syn(host, sock, syn, conn.owner)
    while True:
        conn.traces.append(trace)
        outcome = _syn_outcome(conn, trace)
        if outcome == "ESTAB":
            conn.seq, conn.errno_name = (conn.seq + 1) & 0xFFFFFFFF, None
            conn.server = trace.delivered_to or next(
                (r.delivered_to for r in all_replies(trace) if r.delivered_to and "(pid" in r.delivered_to), None)
            return conn
        if outcome == "ARP":  # the neighbour stays unresolved: EHOSTUNREACH once its 3 s are up
            limit = timeout if timeout else float("inf")
            return _fail(conn, "EHOSTUNREACH" if limit > SOLICIT_TRIES else "ETIMEDOUT",
                         min(limit, SOLICIT_TRIES) - conn.elapsed)
        if outcome is not None:
            return _fail(conn, outcome, 0.0)
        found = _wait_for_timer(conn, timeout)
        if found is None:
            return conn
        trace = found


def _wait_for_timer(conn: Connection, timeout: float | None) -> Trace | None:
    """Let the clock run to our SYN's next retransmission and return its journey; None once connect()
    has failed (the caller's timeout, or the kernel gave up: ETIMEDOUT)."""
    host, sock = conn.host, conn.sock
    while True:
        due = sock.rtx_due
        if sock.error is not None or due is None:
            _fail(conn, sock.error or "ETIMEDOUT", 0.0)
            return None
        wait = max(0.0, due - host.clock)
        if timeout and conn.elapsed + wait >= timeout:
            _fail(conn, "ETIMEDOUT", timeout - conn.elapsed)
            return None
        fired = advance(host, wait)
        conn.elapsed += wait
        mine = (conn.src, conn.sport, conn.dst, conn.dport)
        ours = [t for t in fired if t.packet.proto == IPPROTO_TCP and t.packet.flags & SYN
                and (t.packet.src, t.packet.sport, t.packet.dst, t.packet.dport) == mine]
        if ours:
            return ours[-1]


def _syn_outcome(conn: Connection, trace: Trace) -> str | None:
    """`ESTAB`, an errno name, `ARP` (our own neighbour resolution failed) or None (no answer)."""
    for pkt in answers(conn, trace):
        if pkt.proto == IPPROTO_TCP and pkt.dport == conn.sport and pkt.flags & (SYN | ACK) == SYN | ACK:
            if conn.sock.state == "ESTAB":
                conn.ack = (pkt.seq + 1) & 0xFFFFFFFF
                return "ESTAB"
        elif pkt.proto == IPPROTO_TCP and pkt.dport == conn.sport and pkt.flags & RST:
            return "ECONNREFUSED"
        elif pkt.proto == IPPROTO_ICMP and pkt.inner is not None and pkt.inner.sport == conn.sport:
            if conn.host.is_local(pkt.src) and pkt.icmp_code == 1:
                return "ARP"
            return ICMP_UNREACH_ERRNO.get(pkt.icmp_code, "EHOSTUNREACH")
    return None


def _fail(conn: Connection, errno_name: str, wait: float) -> Connection:
    tcp_timers.disarm(conn.sock)  # the app gives up (or was told): no SYN leaves while it waits
    advance(conn.host, wait)
    conn.elapsed += wait
    conn.errno_name = errno_name
    finish(conn)
    return conn


def send(conn: Connection, length: int, *, sender: Host | None = None) -> Trace:
    """One data segment (PSH|ACK) of `length` bytes on the established connection."""
    seg = Packet(IPPROTO_TCP, conn.src, conn.dst, conn.sport, conn.dport, flags=PSH | ACK, seq=conn.seq,
                 ack_seq=conn.ack, payload_len=length, opt_len=segment_options(conn))
    conn.seq = (conn.seq + length) & 0xFFFFFFFF
    mib.tcp_out(sender or conn.host, seg)
    trace = stack.transmit(sender or conn.host, seg, owner=conn.owner)
    conn.traces.append(trace)
    return trace


def segment_options(conn: Connection) -> int:
    """TCP option bytes of a segment after the handshake: the timestamps when negotiated, else none."""
    return TCPOLEN_TSTAMP_ALIGNED if conn.sock.timestamps else 0


def close(conn: Connection) -> Trace:
    """close() first on our side: the FIN leaves and the socket, orphaned, is the kernel's (FIN-WAIT-1;
    the peer's ACK and FIN take it to FIN-WAIT-2 and TIME-WAIT)."""
    conn.host.sockets.close_sending_fin(conn.sock, conn.host.clock, fin_ack=conn.seq + 1)
    fin = Packet(IPPROTO_TCP, conn.src, conn.dst, conn.sport, conn.dport, flags=FIN | ACK, seq=conn.seq,
                 ack_seq=conn.ack, opt_len=segment_options(conn))
    conn.seq = (conn.seq + 1) & 0xFFFFFFFF
    mib.tcp_out(conn.host, fin)
    trace = stack.transmit(conn.host, fin, owner=conn.owner)
    conn.traces.append(trace)
    finish(conn)
    return trace


def finish(conn: Connection) -> None:
    """The client process exits: a socket still open is released."""
    table = conn.host.sockets
    if conn.sock.fd is not None:
        table.close(conn.sock, conn.host.clock, active=False)
    conn.proc.fds.clear()
    conn.proc.alive = False


def send_datagram(conn: Connection, length: int) -> tuple[Trace, str | None]:
    """write() on a connected UDP socket; the errno a later write() gets (fatal ICMP errors only)."""
    pkt = Packet(IPPROTO_UDP, conn.src, conn.dst, conn.sport, conn.dport, payload_len=length)
    trace = stack.transmit(conn.host, pkt, owner=conn.owner)
    conn.traces.append(trace)
    for answer in answers(conn, trace):
        if (answer.proto == IPPROTO_ICMP and answer.inner is not None and answer.inner.sport == conn.sport
                and answer.icmp_code in ICMP_FATAL):
            return trace, ICMP_UNREACH_ERRNO.get(answer.icmp_code, "EHOSTUNREACH")
    return trace, None
