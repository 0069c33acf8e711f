"""Sockets and processes: bind/listen/accept/close, SO_REUSEADDR/SO_REUSEPORT, queues, fd tables.

The rules are the kernel's: bind() conflicts follow inet_bind_conflict() (both sockets need
SO_REUSEADDR, and never against a listener; a TIME_WAIT socket still holds its port), a listener's
backlog is capped by net.core.somaxconn, a SYN is dropped while the accept queue is full
(sk_acceptq_is_full), and accept() fails with EMFILE when the process is at RLIMIT_NOFILE.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .addr import format_ipv4
from .packet import Packet

TCP_TIMEWAIT_LEN = 60.0
"""Seconds a TIME_WAIT socket lives (include/net/tcp.h); tcp_fin_timeout does not change it."""
ORPHAN_FIN_TIMEOUT = 107.5
"""Seconds an orphaned socket whose FIN is never acknowledged (LAST-ACK, FIN-WAIT-1, CLOSING) lives.
tcp_orphan_retries=0 means 8 retries, given up at the first retransmission timer after
((2 << 8) - 1) * TCP_RTO_MIN = 102.2 s (tcp_model_timeout()). Measured on 6.18 between namespaces
(the last ACK dropped): the FIN is resent at 0.2, 0.4, 0.8, ... 27, 54 s and the LAST-ACK socket is
gone 107-108 s after the first FIN (the RTO is a little over 200 ms). The model does not resend it.
"""
ORPHAN_STATES = frozenset({"FIN-WAIT-1", "FIN-WAIT-2", "CLOSING", "LAST-ACK", "TIME-WAIT"})
"""States of a TCP socket the application has closed: the kernel keeps it, without an fd, until the
peer's answers end it or its timer runs out (`expires_at`)."""


class SocketError(OSError):
    """A failing socket call; `errno_name` is EADDRINUSE, EMFILE, ..."""

    def __init__(self, errno_name: str, message: str) -> None:
        super().__init__(message)
        self.errno_name = errno_name
        self.message = message


@dataclass(slots=True, eq=False)
class Socket:
    """A TCP or UDP socket (or a TIME_WAIT remnant, which has no fd)."""

    proto: str
    """`tcp` or `udp`."""
    local: tuple[int, int]
    peer: tuple[int, int] = (0, 0)
    state: str = "UNCONN"
    """ss names: LISTEN, SYN-SENT, SYN-RECV, ESTAB, CLOSE-WAIT, LAST-ACK, FIN-WAIT-1, FIN-WAIT-2,
    CLOSING, TIME-WAIT, UNCONN."""
    pid: int | None = None
    fd: int | None = None
    reuseaddr: bool = False
    reuseport: bool = False
    backlog: int = 0
    """Effective accept-queue limit: min(listen() backlog, somaxconn)."""
    syn_queue: list[Socket] = field(default_factory=list)
    accept_queue: list[Socket] = field(default_factory=list)
    recv_q: int = 0
    send_q: int = 0
    expires_at: float = 0.0
    """For a closed socket (`ORPHAN_STATES`): when the socket disappears."""
    parent: Socket | None = None
    isn: int = 0
    """Our initial sequence number (the SYN-ACK's seq), for checking the handshake's ACK."""
    synack_sent: bool = False
    """Whether a SYN-ACK for this request left the host (a peer cannot acknowledge one that did not)."""
    timestamps: bool = False
    """Whether the connection uses TCP timestamps (both SYNs carried the option): every segment it
    sends after the handshake carries `TCPOLEN_TSTAMP_ALIGNED` bytes of options."""
    snd_nxt: int = 0
    """The sequence number our next segment carries (as the peer's latest ACK acknowledged it: no
    data of ours is ever in flight here); a FIN or reset sent on close() carries it."""
    rcv_nxt: int = 0
    """The next sequence number we expect from the peer (what our segments acknowledge)."""
    fin_ack: int | None = None
    """Once our FIN is sent: the acknowledgement number that covers it (our FIN's seq + 1)."""
    rtx_packet: Packet | None = None
    """The segment the retransmission timer resends: our SYN (SYN-SENT) or a request's SYN-ACK
    (SYN-RECV). None when no timer runs (see `kernel.tcp_timers`)."""
    rtx_due: float | None = None
    """When the retransmission timer fires next, on the host's clock."""
    rtx_start: float = 0.0
    """When the first SYN or SYN-ACK left (retrans_stamp: connect() gives up by the time since)."""
    retransmits: int = 0
    """icsk_retransmits for a connecting socket, num_timeout for a request (what `ss -o` shows)."""
    last_dup_synack: float | None = None
    """When a repeated SYN last got the SYN-ACK again (tcp_oow_rate_limited: one per 500 ms)."""
    synflood_warned: bool = False
    """A listener: whether "Possible SYN flooding" was logged for it (the kernel logs it once)."""
    error: str | None = None
    """sk_err once the kernel gave up on the connection (ETIMEDOUT), for the app's connect()."""
    copied_seq: int | None = None
    """tp->copied_seq for a socket a program reads itself (`kernel.app`): how far it has read, so
    the unread bytes are rcv_nxt - copied_seq, as Linux computes Recv-Q. None where the model's
    own reader takes data as it arrives (`recv_q` then counts what it has not taken)."""
    rcvbuf: int = 0
    """sk_rcvbuf in bytes (SO_RCVBUF doubled, or tcp_rmem's default); 0 until a program's socket
    sets it. Half of it holds data (tcp_adv_win_scale=1): that is the most the window offers."""
    last_heard: float = 0.0
    """When the last segment from the peer arrived (keepalive counts idle time from here)."""
    data_heard: float | None = None
    """When data from the peer last arrived (icsk_ack.lrcvtime), for a program's socket."""
    pingpong: bool = False
    """Interactive mode (inet_csk_in_pingpong_mode): this socket sent data within the ACK timeout
    of receiving some, so it delays its ACKs, hoping to carry them on its next answer."""
    ack_due: float | None = None
    """The delayed-ACK timer (tcp_send_delayed_ack): when the ACK for data received leaves, unless
    data we send carries it first."""
    acks_owed: int = 0
    """Data segments that arrived since our last ACK (ICSK_ACK_PUSHED, then PUSHED2 at two)."""
    segs_in: int = 0
    """Segments received once established (tcp_info's segs_in, less the handshake's)."""
    data_segs_in: int = 0
    rcv_mss: int = 0
    """The largest segment received (icsk_ack.rcv_mss as ss shows it); 0 until data arrives."""
    datagrams: list[tuple[tuple[int, int], int]] = field(default_factory=list)
    """A program's UDP socket: the datagrams queued and not yet read, as (sender, length); `recv_q`
    holds their total length."""
    datagrams_in: int = 0
    """Datagrams ever queued on it (what an edge-triggered epoll set compares)."""

    def local_text(self) -> str:
        """`ADDR:PORT` as ss prints it (`*` for INADDR_ANY on a bound socket)."""
        addr = "0.0.0.0" if self.local[0] == 0 else format_ipv4(self.local[0])
        return f"{addr}:{self.local[1]}"

    def peer_text(self) -> str:
        """Peer address, `0.0.0.0:*` when unconnected."""
        if self.peer == (0, 0):
            return "0.0.0.0:*"
        return f"{format_ipv4(self.peer[0])}:{self.peer[1]}"


@dataclass(slots=True, eq=False)
class Process:
    """A process with an fd table and RLIMIT_NOFILE."""

    pid: int
    name: str
    nofile: int = 1024
    """Soft RLIMIT_NOFILE."""
    nofile_hard: int = 524288
    fds: dict[int, Socket | str] = field(default_factory=dict)
    """fd → socket, or a description for non-socket files (0, 1, 2 are the terminal)."""
    auto_accept: bool = True
    """The app calls accept() as soon as a connection is ready."""
    leaks: bool = False
    """The app never close()s accepted connections (the fd-leak bug)."""
    alive: bool = True

    def alloc_fd(self, obj: Socket | str) -> int:
        """The lowest free fd, as the kernel hands out; EMFILE at the limit."""
        fd = 0
        while fd in self.fds:
            fd += 1
        if fd >= self.nofile:
            raise SocketError("EMFILE", "accept: Too many open files")
        self.fds[fd] = obj
        return fd


class SocketTable:
    """All sockets and processes of a host."""

    __slots__ = ("sockets", "processes", "_next_pid", "shell_nofile", "_queued", "programs")

    def __init__(self) -> None:
        self._queued: dict[tuple[tuple[int, int], tuple[int, int]], list[Socket]] = {}
        """Requests and connections waiting in some listener's SYN or accept queue, by (local, peer):
        the index that keeps a lookup from walking every queue (kept by the queue methods below)."""
        self.sockets: list[Socket] = []
        self.processes: dict[int, Process] = {}
        self._next_pid = 100
        self.shell_nofile = 1024
        """The shell's `ulimit -n`, inherited by apps started after it changes."""
        self.programs: dict[int, object] = {}
        """Programs of socket calls running here (`kernel.app`'s App, by pid): kept with the sockets
        they use, so that copying the host copies them too."""

    def spawn(self, name: str, *, leaks: bool = False, auto_accept: bool = True) -> Process:
        """Start a process with stdin/stdout/stderr open."""
        self._next_pid += 1
        proc = Process(self._next_pid, name, nofile=self.shell_nofile, leaks=leaks, auto_accept=auto_accept)
        proc.fds.update({0: "/dev/pts/0", 1: "/dev/pts/0", 2: "/dev/pts/0"})
        self.processes[proc.pid] = proc
        return proc

    def find_process(self, key: str) -> Process | None:
        """A live process by name or pid text."""
        for proc in self.processes.values():
            if proc.alive and (proc.name == key or str(proc.pid) == key):
                return proc
        return None

    def expire(self, now: float) -> None:
        """Drop closed sockets whose time is up (TIME-WAIT, and orphans whose FIN got no answer)."""
        self.sockets = [s for s in self.sockets
                        if not (s.state in ORPHAN_STATES and s.pid is None and s.expires_at <= now)]

    # ---- bind / listen ---------------------------------------------------------------------------

    def bind_conflict(self, proto: str, addr: int, port: int, reuseaddr: bool, reuseport: bool,
                      now: float) -> Socket | None:
        """The socket that makes bind() fail with EADDRINUSE, if any (inet_bind_conflict())."""
        self.expire(now)
        for other in self.sockets:
            if other.proto != proto or other.local[1] != port:
                continue
            if other.parent is not None and other.state not in ("TIME-WAIT",) and proto == "tcp":
                # Accepted children share the listener's bind bucket; the listener decides.
                pass
            if addr and other.local[0] and addr != other.local[0]:
                continue
            if proto == "udp":
                if not (reuseaddr and other.reuseaddr) and not (reuseport and other.reuseport):
                    return other
                continue
            if reuseaddr and other.reuseaddr and other.state != "LISTEN":
                continue
            if reuseport and other.reuseport:
                continue
            return other
        return None

    def bind(self, proc: Process, proto: str, addr: int, port: int, *, reuseaddr: bool = False,
             reuseport: bool = False, now: float = 0.0) -> Socket:
        """socket() + setsockopt() + bind(): EADDRINUSE on a conflict, EMFILE when out of fds."""
        if self.bind_conflict(proto, addr, port, reuseaddr, reuseport, now) is not None:
            raise SocketError("EADDRINUSE", "bind: Address already in use")
        sock = Socket(proto, (addr, port), pid=proc.pid, reuseaddr=reuseaddr, reuseport=reuseport)
        sock.fd = proc.alloc_fd(sock)
        self.sockets.append(sock)
        return sock

    @staticmethod
    def listen(sock: Socket, backlog: int, somaxconn: int) -> None:
        """listen(): the backlog is silently capped at somaxconn."""
        sock.state = "LISTEN"
        sock.backlog = min(backlog, somaxconn)

    # ---- lookup ----------------------------------------------------------------------------------

    def lookup_established(self, proto: str, local: tuple[int, int], peer: tuple[int, int]) -> Socket | None:
        """__inet_lookup_established(): a connected socket for this exact 4-tuple.

        Sockets in table order; a listener's queued requests count as found at the listener.
        """
        queued = self._queued.get((local, peer))
        for sock in self.sockets:
            if sock.proto == proto and sock.peer == peer and sock.local == local and sock.state != "LISTEN":
                return sock
            if queued and sock.state == "LISTEN":
                mine = [child for child in queued if child.parent is sock]
                if len(mine) == 1:
                    return mine[0]
                if mine:
                    return next(child for child in sock.syn_queue + sock.accept_queue if child in mine)
        return None

    # ---- listener queues -------------------------------------------------------------------------

    def enqueue_request(self, listener: Socket, child: Socket) -> None:
        """A new request joins the listener's SYN queue."""
        listener.syn_queue.append(child)
        self._queued.setdefault((child.local, child.peer), []).append(child)

    def promote(self, listener: Socket, child: Socket) -> None:
        """The handshake completed: the request moves from the SYN queue to the accept queue."""
        listener.syn_queue.remove(child)
        listener.accept_queue.append(child)

    def dequeue(self, listener: Socket, child: Socket) -> None:
        """The request leaves the listener's queues (accepted, reset or dropped)."""
        for queue in (listener.syn_queue, listener.accept_queue):
            if child in queue:
                queue.remove(child)
        key = (child.local, child.peer)
        found = self._queued.get(key)
        if found is not None and child in found:
            found.remove(child)
            if not found:
                del self._queued[key]

    def accept_first(self, listener: Socket) -> Socket:
        """accept() takes the oldest connection off the accept queue."""
        child = listener.accept_queue[0]
        self.dequeue(listener, child)
        return child

    def lookup_listener(self, proto: str, addr: int, port: int,
                        peer: tuple[int, int] | None = None) -> Socket | None:
        """__inet_lookup_listener(): a specific address beats INADDR_ANY. Given the peer, a group of
        SO_REUSEPORT listeners on the same address shares new connections by a hash of the 4-tuple
        (reuseport_select_sock); without it the group's first listener answers."""
        best: Socket | None = None
        for sock in self.sockets:
            if sock.proto != proto or sock.local[1] != port:
                continue
            if proto == "tcp" and sock.state != "LISTEN":
                continue
            if proto == "udp" and sock.peer != (0, 0):
                continue
            if sock.local[0] == addr:
                return self._reuseport_pick(sock, peer, addr, port)
            if sock.local[0] == 0 and best is None:
                best = sock
        return self._reuseport_pick(best, peer, addr, port) if best is not None else None

    def _reuseport_pick(self, first: Socket, peer: tuple[int, int] | None, addr: int, port: int) -> Socket:
        """The member of `first`'s SO_REUSEPORT group a connection from `peer` goes to."""
        if not first.reuseport or peer is None:
            return first
        group = [s for s in self.sockets if s.reuseport and s.proto == first.proto and s.local == first.local
                 and (s.state == "LISTEN" if s.proto == "tcp" else s.peer == (0, 0))]
        if len(group) < 2:
            return first
        # The kernel's hash is keyed by a boot-time secret, so which listener a given peer reaches
        # differs from boot to boot; a fixed mix of the 4-tuple keeps the model deterministic while
        # spreading peers as evenly. reciprocal_scale() maps the 32-bit hash onto the group.
        h = (peer[0] * 0x9E3779B1 ^ peer[1] * 0x85EBCA77 ^ addr * 0xC2B2AE3D ^ port * 0x27D4EB2F) & 0xFFFFFFFF
        h = (h ^ h >> 15) * 0x2C1B3C6D & 0xFFFFFFFF
        h ^= h >> 12
        return group[(h * len(group)) >> 32]

    def close(self, sock: Socket, now: float, *, active: bool = True) -> None:
        """close() without a simulated peer to answer (a killed process; `close_sending_fin` is the
        full one): an established TCP socket closed first by us ends in TIME-WAIT at once."""
        proc = self.processes.get(sock.pid) if sock.pid is not None else None
        if proc is not None and sock.fd is not None:
            proc.fds.pop(sock.fd, None)
        sock.fd = None
        if sock.proto == "tcp" and active and sock.state in ("ESTAB", "CLOSE-WAIT", "FIN-WAIT-1"):
            sock.state = "TIME-WAIT" if sock.state == "ESTAB" else "LAST-ACK"
            sock.expires_at = now + TCP_TIMEWAIT_LEN
            sock.pid = None
            if sock.state == "LAST-ACK":
                self.sockets.remove(sock)
            return
        if sock in self.sockets:
            self.sockets.remove(sock)

    def close_sending_fin(self, sock: Socket, now: float, fin_ack: int) -> None:
        """close() of a connected TCP socket whose FIN the caller sends (tcp_close(), a simulated peer
        will answer): ESTAB becomes FIN-WAIT-1, CLOSE-WAIT becomes LAST-ACK. The socket leaves the
        process but stays in the table (an orphan, Send-Q 1: the unacknowledged FIN) until the peer's
        ACK of `fin_ack` moves it on (see `deliver`) or `ORPHAN_FIN_TIMEOUT` ends it."""
        proc = self.processes.get(sock.pid) if sock.pid is not None else None
        if proc is not None and sock.fd is not None:
            proc.fds.pop(sock.fd, None)
        sock.fd, sock.pid = None, None
        sock.state = "LAST-ACK" if sock.state == "CLOSE-WAIT" else "FIN-WAIT-1"
        sock.send_q, sock.fin_ack = 1, fin_ack & 0xFFFFFFFF
        sock.expires_at = now + ORPHAN_FIN_TIMEOUT

    def kill(self, proc: Process, now: float) -> int:
        """The process exits: every fd closes. Returns the number of sockets closed."""
        closed = 0
        for _fd, obj in sorted(proc.fds.items()):
            if isinstance(obj, Socket):
                if obj.state == "LISTEN":
                    for child in obj.accept_queue + obj.syn_queue:
                        if child in self.sockets:
                            self.sockets.remove(child)
                self.close(obj, now)
                closed += 1
        proc.fds.clear()
        proc.alive = False
        return closed
