"""The socket calls a program makes, carried out on the host's socket table.

Each returns the call's result, raises `Failed` with the errno the kernel would return, or returns
`BLOCK` when a blocking call must wait (the runner retries it after the kernel has moved on). Data
moves as real segments: write() sends one PSH|ACK through the stack, close() and shutdown() a FIN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import mib, retransmit, stack
from ..addr import AddressError, parse_ipv4
from ..host import Host
from ..packet import ACK, FIN, IPPROTO_TCP, PSH, RST, SYN, TCPOLEN_SYN_NO_TS, TCPOLEN_SYN_TS, Packet
from ..sockets import Socket
from ..trace import Trace
from ..world import world_of
from . import acks, options, ports, queues
from .language import CONSTANTS
from .state import ERRNO, App, Event, FdInfo, Interest, Thread

BLOCK = object()
"""The call cannot finish yet: the thread waits in it."""
FIN_RECEIVED = queues.FIN_RECEIVED
EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLET = (CONSTANTS[n] for n in ("EPOLLIN", "EPOLLOUT", "EPOLLERR",
                                                                        "EPOLLHUP", "EPOLLET"))


class Failed(Exception):
    """The call returns -1 with this errno."""

    def __init__(self, errno_name: str) -> None:
        super().__init__(errno_name)
        self.errno_name = errno_name


@dataclass(slots=True)
class Call:
    """One call being made: who makes it and with what (args evaluated; `names` as written)."""

    host: Host
    app: App
    thread: Thread
    args: list[object]
    names: list[str]
    traces: list[Trace]
    """Journeys of the segments this call sent (the shell's `trace` shows them)."""

    @property
    def owner(self) -> str:
        return f"{self.app.proc.name} (pid {self.app.proc.pid})"

    def int_arg(self, i: int, default: int | None = None) -> int:
        if i >= len(self.args):
            if default is None:
                raise Failed("EINVAL")
            return default
        value = self.args[i]
        if not isinstance(value, int):
            raise Failed("EINVAL")
        return value

    def file(self, i: int = 0, kind: str = "socket") -> FdInfo:
        """The fd in argument `i`: EBADF when not open, ENOTSOCK/EINVAL when of the wrong kind."""
        fd = self.int_arg(i)
        info = self.app.files.get(fd)
        if info is None:
            raise Failed("EBADF")
        if info.kind != kind:
            raise Failed("ENOTSOCK" if kind == "socket" else "EINVAL")
        if info.sock is not None and fd not in self.app.proc.fds:
            # The kernel dropped the connection (a RST): the socket is closed, the fd is still open.
            self.app.proc.fds[fd] = info.sock
        return info


def _sock(info: FdInfo) -> Socket:
    assert info.sock is not None
    return info.sock


def _endpoint(call: Call, i: int) -> tuple[int, int]:
    value = call.args[i] if i < len(call.args) else None
    if not isinstance(value, str) or ":" not in value:
        raise Failed("EINVAL")
    addr, _, port = value.rpartition(":")
    try:
        return parse_ipv4(addr), int(port)
    except (AddressError, ValueError):
        raise Failed("EINVAL") from None


endpoint = _endpoint
"""`ADDR:PORT` in argument i, for the UDP calls too."""


def _port_or(port: int | None, errno_name: str) -> int:
    """An ephemeral port, or the errno when the range has none left."""
    if port is None:
        raise Failed(errno_name)
    return port


def _take_error(info: FdInfo) -> None:
    """A pending sk_err is reported once, by the next call that looks."""
    if info.pending_error is not None:
        err, info.pending_error = info.pending_error, None
        raise Failed(err)


def notice_reset(host: Host, info: FdInfo) -> None:
    """A connected socket the kernel dropped (a RST arrived, or connect() gave up) gets its error:
    tcp_reset() sets ECONNREFUSED in SYN-SENT, EPIPE in CLOSE-WAIT, ECONNRESET otherwise."""
    sock = info.sock
    if sock is None or sock.proto != "tcp" or info.reset or sock.peer == (0, 0) or sock.state == "LISTEN":
        return
    if sock.copied_seq is None and sock.state != "SYN-SENT":
        # A non-blocking connect() completed meanwhile: reading starts at the peer's first byte.
        sock.copied_seq = (sock.rcv_nxt - sock.recv_q) & 0xFFFFFFFF
    if sock in host.sockets.sockets and sock.error is None:
        return
    info.reset = True  # `refused` waits for a connect() call to report it (tcp_disconnect)
    info.pending_error = sock.error or {"SYN-SENT": "ECONNREFUSED", "CLOSE-WAIT": "EPIPE"}.get(sock.state,
                                                                                               "ECONNRESET")
    sock.state = "CLOSE"


def unread(info: FdInfo) -> int:
    """Bytes received on the fd's socket and not yet read."""
    return queues.unread(_sock(info))


def readiness(host: Host, info: FdInfo) -> int:
    """The poll mask of a socket now (tcp_poll()): EPOLLIN when accept() or read() would not block."""
    sock = _sock(info)
    if sock.proto == "udp":
        # udp_poll(): readable with a datagram queued or an error pending; always writable.
        return EPOLLOUT | (EPOLLIN if sock.datagrams or sock.error else 0) | (EPOLLERR if sock.error else 0)
    notice_reset(host, info)
    if sock.state == "LISTEN":
        return EPOLLIN if sock.accept_queue else 0
    mask = 0
    if info.reset:
        mask |= EPOLLERR | EPOLLHUP | EPOLLIN
    if unread(info) or sock.state in FIN_RECEIVED:
        mask |= EPOLLIN
    if sock.state in ("ESTAB", "CLOSE-WAIT") and not info.shut_wr:
        mask |= EPOLLOUT
    return mask


def _edge_token(info: FdInfo) -> object:
    """What changes when a new event arrives on the socket (an edge-triggered set reports only then)."""
    sock = _sock(info)
    if sock.state == "LISTEN":
        return tuple(id(child) for child in sock.accept_queue)[-1:]
    if sock.proto == "udp":
        return sock.datagrams_in, sock.error
    return sock.rcv_nxt, sock.state, info.reset


# ---- the calls -------------------------------------------------------------------------------------


def socket(call: Call) -> object:
    """socket(AF_INET, SOCK_STREAM|SOCK_DGRAM[|SOCK_NONBLOCK]): an unbound TCP or UDP socket and
    the lowest free fd."""
    family, kind = call.int_arg(0), call.int_arg(1)
    if family != CONSTANTS["AF_INET"]:
        raise Failed("EINVAL")
    nonblock = bool(kind & CONSTANTS["SOCK_NONBLOCK"])
    proto = {CONSTANTS["SOCK_STREAM"]: "tcp", CONSTANTS["SOCK_DGRAM"]: "udp"}.get(kind & ~CONSTANTS["SOCK_NONBLOCK"])
    if proto is None:
        raise Failed("EINVAL")  # inet_create(): no protocol of that type
    sock = Socket(proto, (0, 0), pid=call.app.proc.pid)
    proc = call.app.proc
    if len(proc.fds) >= proc.nofile:
        raise Failed("EMFILE")
    sock.fd = proc.alloc_fd(sock)
    call.app.files[sock.fd] = FdInfo("socket", sock, nonblock=nonblock)
    return sock.fd


def setsockopt(call: Call) -> object:
    """setsockopt(fd, LEVEL, OPTION, VALUE), or (fd, OPTION, VALUE) with the level implied."""
    info = call.file()
    option, value = (call.names[2], call.int_arg(3)) if len(call.args) == 4 else (call.names[1], call.int_arg(2))
    try:
        options.set_option(call.host, info, option, value)
    except KeyError:
        raise Failed("ENOPROTOOPT") from None
    return 0


def getsockopt(call: Call) -> object:
    """getsockopt(fd, LEVEL, OPTION): the option's value; SO_ERROR is the pending error's number,
    cleared by reading it."""
    info = call.file()
    option = call.names[-1]
    if option == "SO_ERROR":
        notice_reset(call.host, info)
        err, info.pending_error = info.pending_error, None
        return ERRNO[err] if err else 0
    try:
        return options.get_option(call.host, info, option)
    except KeyError:
        raise Failed("ENOPROTOOPT") from None


def bind(call: Call) -> object:
    """bind(fd, ADDR:PORT): EINVAL when already bound, EADDRNOTAVAIL for a foreign address,
    EADDRINUSE on a conflict (inet_bind_conflict), port 0 picks an ephemeral port."""
    info = call.file()
    sock = _sock(info)
    addr, port = _endpoint(call, 1)
    if sock in call.host.sockets.sockets:
        raise Failed("EINVAL")
    host = call.host
    if addr and not host.is_local(addr) and not host.sysctl.int("net.ipv4.ip_nonlocal_bind"):
        raise Failed("EADDRNOTAVAIL")
    if port == 0 and sock.proto == "udp":
        held = {s.local[1] for s in host.sockets.sockets if s.proto == "udp"}
        low, high = (int(v) for v in host.sysctl.get("net.ipv4.ip_local_port_range").split())
        port = _port_or(next((p for p in range(low, high + 1) if p not in held), None), "EADDRINUSE")
    elif port == 0:
        port = _port_or(ports.free_port(host, addr, None), "EADDRINUSE")
    elif host.sockets.bind_conflict(sock.proto, addr, port, sock.reuseaddr, sock.reuseport, host.clock) is not None:
        raise Failed("EADDRINUSE")
    sock.local = (addr, port)
    host.sockets.sockets.append(sock)
    return 0


def listen(call: Call) -> object:
    """listen(fd, BACKLOG): an unbound socket gets an ephemeral port first; a second listener on a
    port shared with SO_REUSEADDR alone gets EADDRINUSE here, not at bind()."""
    info = call.file()
    sock, host = _sock(info), call.host
    if sock.state not in ("UNCONN", "LISTEN") or sock.peer != (0, 0):
        raise Failed("EINVAL")
    if sock not in host.sockets.sockets:
        sock.local = (0, _port_or(ports.free_port(host, 0, None), "EADDRINUSE"))
        host.sockets.sockets.append(sock)
    elif sock.state != "LISTEN":
        host.sockets.sockets.remove(sock)
        try:
            if host.sockets.bind_conflict("tcp", sock.local[0], sock.local[1], sock.reuseaddr, sock.reuseport,
                                          host.clock) is not None:
                raise Failed("EADDRINUSE")
        finally:
            host.sockets.sockets.append(sock)
    host.sockets.listen(sock, call.int_arg(1, 128), host.sysctl.int("net.core.somaxconn"))
    return 0


def accept(call: Call, flags: int = 0) -> object:
    """accept(fd): the oldest established connection, a new fd; EAGAIN (non-blocking) or wait when
    none is queued; EMFILE at RLIMIT_NOFILE (the connection stays queued)."""
    info = call.file()
    listener = _sock(info)
    if listener.state != "LISTEN":
        raise Failed("EINVAL")
    if not listener.accept_queue:
        if info.nonblock:
            raise Failed("EAGAIN")
        return BLOCK
    proc, table = call.app.proc, call.host.sockets
    if len(proc.fds) >= proc.nofile:
        raise Failed("EMFILE")
    child = table.accept_first(listener)
    child.parent, child.pid = None, proc.pid
    child.fd = proc.alloc_fd(child)
    table.sockets.append(child)
    new = FdInfo("socket", child, nonblock=bool(flags & CONSTANTS["SOCK_NONBLOCK"]))
    child.copied_seq = (child.rcv_nxt - child.recv_q) & 0xFFFFFFFF
    child.recv_q = 0
    new.send_seq = child.snd_nxt or (child.isn + 1) & 0xFFFFFFFF
    call.app.files[child.fd] = new
    return child.fd


def accept4(call: Call) -> object:
    """accept4(fd, FLAGS): accept() with SOCK_NONBLOCK set on the new fd at once."""
    return accept(call, call.int_arg(1, 0))


def connect(call: Call) -> object:
    """connect(fd, ADDR:PORT): the SYN leaves at the first call; a blocking socket waits for the
    answer, a non-blocking one returns EINPROGRESS (the outcome comes later: writable, or SO_ERROR)."""
    info = call.file()
    sock, host = _sock(info), call.host
    notice_reset(host, info)
    if info.connecting and sock.state != "SYN-SENT":
        info.connecting = False
        if sock.state == "ESTAB":
            return 0
        info.refused = True
        _take_error(info)
        raise Failed("ECONNABORTED")  # the error was already taken (SO_ERROR, a read or a write)
    if sock.state == "SYN-SENT" or (info.reset and call.thread.blocked):
        if info.reset:
            info.refused = True
            _take_error(info)
        if sock.error is not None:
            raise Failed(sock.error)
        if info.nonblock:
            raise Failed("EALREADY")
        return BLOCK
    if sock.state == "ESTAB":
        if call.thread.blocked:
            return 0
        raise Failed("EISCONN")
    if sock.state != "UNCONN" and not info.reset:
        raise Failed("EISCONN")  # __inet_stream_connect(): only a closed socket may connect (a listener may not)
    _take_error(info)
    dst, dport = _endpoint(call, 1)
    info.reset = info.refused = False  # a failed socket may connect again (tcp_disconnect reset it)
    sock.error = None
    found = host.routing.lookup(dst, sock.local[0])
    if found.route is None or found.error is not None:
        raise Failed(found.error or "ENETUNREACH")
    src = sock.local[0]
    if not src:
        route = found.route
        src = route.src or host.primary_address(route.dev or "", dst) or (dst if host.is_local(dst) else 0)
    if sock in host.sockets.sockets:
        sock.local = (src, sock.local[1])
    else:
        sock.local = (src, _port_or(ports.connect_port(host, src, (dst, dport)), "EADDRNOTAVAIL"))
        host.sockets.sockets.append(sock)
    sock.peer = (dst, dport)
    isn = (src * 2654435761 ^ dst * 40503 ^ sock.local[1] << 16 ^ dport) & 0xFFFFFFFF
    # Linux's SYN offers timestamps while tcp_timestamps is on; TIME-WAIT reuse depends on them.
    ts = host.sysctl.int("net.ipv4.tcp_timestamps") != 0
    syn = Packet(IPPROTO_TCP, src, dst, sock.local[1], dport, flags=SYN, seq=isn,
                 opt_len=TCPOLEN_SYN_TS if ts else TCPOLEN_SYN_NO_TS)
    call.traces.append(retransmit.send_syn(host, sock, syn, call.owner))
    info.send_seq = (isn + 1) & 0xFFFFFFFF
    info.opened_actively = True
    notice_reset(host, info)
    if info.nonblock:
        info.connecting = True
        raise Failed("EINPROGRESS")
    if info.reset:
        info.refused = True
        _take_error(info)
    if sock.state == "ESTAB":
        return 0
    return BLOCK


def read(call: Call) -> object:
    """read(fd, N): up to N unread bytes; 0 at end of file (the peer's FIN); EAGAIN or wait when
    nothing has arrived; ECONNRESET once after a RST."""
    info = call.file()
    sock = _sock(info)
    notice_reset(call.host, info)
    if sock.state == "LISTEN" or (sock.peer == (0, 0) and not info.reset):
        raise Failed("ENOTCONN" if sock.state != "LISTEN" else "ENOTCONN")
    _take_error(info)
    if info.reset:
        if info.refused:
            raise Failed("ENOTCONN")  # never connected: nothing to read, not even end of file
        return 0
    if sock.state == "SYN-SENT":
        if info.nonblock:
            raise Failed("EAGAIN")
        return BLOCK
    available = unread(info)
    if available:
        call.thread.deadline = None
        taken = min(available, call.int_arg(1, 4096))
        sock.copied_seq = ((sock.copied_seq or 0) + taken) & 0xFFFFFFFF
        info.bytes_read += taken
        if available >= options.window_space(call.host, sock) and sock.state == "ESTAB":
            # The window was closed; reading reopened it. tcp_cleanup_rbuf() tells the peer at once
            # (a window update: an ACK carrying nothing new) so that it resumes sending.
            _segment(call, info, ACK)
        elif sock.ack_due is not None and sock.acks_owed >= 2 and taken == available:
            # tcp_cleanup_rbuf(): a read that drains two or more small segments still owed an ACK
            # (ICSK_ACK_PUSHED2) acknowledges them now rather than when the delayed ACK fires.
            _segment(call, info, ACK)
        return taken
    if sock.state in FIN_RECEIVED:
        return 0
    if info.nonblock:
        raise Failed("EAGAIN")
    return receive_timeout(call, info)


def receive_timeout(call: Call, info: FdInfo) -> object:
    """A blocking read with SO_RCVTIMEO set gives up with EAGAIN once that long has passed
    (sock_rcvtimeo()); without it, it waits for ever."""
    seconds = info.options.get("SO_RCVTIMEO", 0)
    if not seconds:
        return BLOCK
    if call.thread.deadline is None:
        call.thread.deadline = call.host.clock + seconds
    if call.host.clock + 1e-9 >= call.thread.deadline:
        call.thread.deadline = None
        raise Failed("EAGAIN")
    return BLOCK


def write(call: Call) -> object:
    """write(fd, DATA): one segment of len(DATA) bytes (or DATA bytes for a number); EPIPE once the
    socket cannot send any more (after shutdown(SHUT_WR), or a reset in CLOSE-WAIT)."""
    info = call.file()
    sock, host = _sock(info), call.host
    notice_reset(host, info)
    _take_error(info)
    data = call.args[1] if len(call.args) > 1 else ""
    length = len(data) if isinstance(data, str) else data if isinstance(data, int) else -1
    if length < 0:
        raise Failed("EFAULT")
    if info.reset or info.shut_wr or sock.state in ("FIN-WAIT-1", "FIN-WAIT-2", "LAST-ACK", "CLOSING"):
        raise Failed("EPIPE")
    if sock.state == "SYN-SENT":
        if info.nonblock:
            raise Failed("EAGAIN")
        return BLOCK
    if sock.state not in ("ESTAB", "CLOSE-WAIT"):
        raise Failed("ENOTCONN")
    if length:
        if info.unsent + length > options.sndbuf(call.host, info):
            if info.nonblock:
                raise Failed("EAGAIN")
            return BLOCK  # the send buffer is full: the peer is not taking what was sent
        info.unsent += length
        flush(call, info)
    return length


def peer_room(host: Host, sock: Socket) -> int:
    """The window the peer offers: what its receive buffer still holds. Packets here carry no
    window field, so a program's peer socket is asked directly (its ACKs would say the same);
    a peer that is not a program (the shell's `send`, nc) takes whatever comes."""
    for each in world_of(host).hosts():
        peer = each.sockets.lookup_established("tcp", sock.peer, sock.local)
        if peer is not None and peer.peer == sock.local:
            if peer.copied_seq is None and not peer.rcvbuf:
                return 1 << 30
            waiting = queues.unread(peer) if peer.copied_seq is not None else peer.recv_q
            return max(0, options.window_space(each, peer) - waiting)
    return 1 << 30


def flush(call: Call, info: FdInfo) -> None:
    """Send what write() queued, as much as the peer's window takes (the rest stays in Send-Q)."""
    sock = _sock(info)
    if not info.unsent or sock.state not in ("ESTAB", "CLOSE-WAIT") or info.reset:
        return
    length = min(info.unsent, peer_room(call.host, sock))
    nodelay = bool(info.options.get("TCP_NODELAY"))
    if length > 0 and not acks.nagle_holds(call.host, sock, info.send_seq, length, nodelay):
        info.unsent -= length
        _segment(call, info, PSH | ACK, length)
    # Send-Q: written and not yet acknowledged (held back, or in flight until the peer's ACK).
    sock.send_q = info.unsent + acks.in_flight(sock, info.send_seq)


def send_ack(call: Call, info: FdInfo) -> None:
    """A bare ACK for what has arrived (a delayed ACK whose timer fired, a window update)."""
    _segment(call, info, ACK)


def _segment(call: Call, info: FdInfo, flags: int, length: int = 0) -> None:
    sock = _sock(info)
    seg = Packet(IPPROTO_TCP, sock.local[0], sock.peer[0], sock.local[1], sock.peer[1], flags=flags,
                 seq=info.send_seq, ack_seq=sock.rcv_nxt, payload_len=length)
    info.send_seq = (info.send_seq + length + (1 if flags & FIN else 0)) & 0xFFFFFFFF
    sock.ack_due, sock.acks_owed = None, 0  # the segment carries our ACK: a delayed one has nothing to add
    info.segs_out += 1
    info.last_sent = call.host.clock
    if length:
        acks.sent_data(call.host, sock)
        info.bytes_sent += length
        info.data_segs_out += 1
    mib.tcp_out(call.host, seg, rst=bool(flags & RST))
    call.traces.append(stack.transmit(call.host, seg, owner=call.owner))


def transmit(call: Call, seg: Packet) -> Trace:
    """A segment the kernel sends on its own for this socket (a keepalive probe, a reset)."""
    mib.tcp_out(call.host, seg, rst=bool(seg.flags & RST))
    return stack.transmit(call.host, seg, owner=call.owner)


def shutdown(call: Call) -> object:
    """shutdown(fd, SHUT_WR|SHUT_RDWR): our FIN leaves, the fd stays open (FIN-WAIT-1 or LAST-ACK)."""
    info = call.file()
    sock = _sock(info)
    how = call.int_arg(1)
    if how not in (0, 1, 2):
        raise Failed("EINVAL")
    notice_reset(call.host, info)
    if sock.state not in ("ESTAB", "CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-2", "LAST-ACK", "CLOSING") or info.reset:
        raise Failed("ENOTCONN")
    if how != 0 and not info.shut_wr:
        info.shut_wr = True
        sock.fin_ack = (info.send_seq + 1) & 0xFFFFFFFF
        sock.state = "LAST-ACK" if sock.state == "CLOSE-WAIT" else "FIN-WAIT-1"
        sock.send_q = 1
        _segment(call, info, FIN | ACK)
    return 0


def close(call: Call) -> object:
    """close(fd): the fd is free at once; a connection sends its FIN (a RST when data was left
    unread, as tcp_close() does) and the kernel keeps the socket until the goodbye is over."""
    fd = call.int_arg(0)
    info = call.app.files.get(fd)
    if info is None or fd not in call.app.proc.fds:
        raise Failed("EBADF")
    release(call, fd, info)
    return 0


def release(call: Call, fd: int, info: FdInfo) -> None:
    """Drop an fd as close() and exit do."""
    app, host = call.app, call.host
    del app.files[fd]
    for other in app.files.values():
        other.interests.pop(fd, None)  # the last reference to the file closes: epoll forgets it
    if info.kind != "socket":
        app.proc.fds.pop(fd, None)
        return
    sock = _sock(info)
    table = host.sockets
    notice_reset(host, info)
    if sock.proto == "udp":
        sock.datagrams.clear()  # the unread datagrams go with the socket
        sock.recv_q = 0
        table.close(sock, host.clock, active=False)
    elif sock.state == "LISTEN":
        for child in sock.syn_queue + sock.accept_queue:
            table.dequeue(sock, child)
        table.close(sock, host.clock, active=False)
    elif sock.state in ("ESTAB", "CLOSE-WAIT") and not info.reset:
        if unread(info):
            _segment(call, info, RST | ACK)
            table.close(sock, host.clock, active=False)
        else:
            table.close_sending_fin(sock, host.clock, fin_ack=(info.send_seq + 1) & 0xFFFFFFFF)
            _segment(call, info, FIN | ACK)
    elif sock.state in ("FIN-WAIT-1", "FIN-WAIT-2", "LAST-ACK", "CLOSING"):
        app.proc.fds.pop(fd, None)
        sock.fd, sock.pid = None, None
    else:
        table.close(sock, host.clock, active=False)
    app.proc.fds.pop(fd, None)


def fcntl(call: Call) -> object:
    """fcntl(fd, F_GETFL) / fcntl(fd, F_SETFL, O_NONBLOCK or 0)."""
    fd = call.int_arg(0)
    info = call.app.files.get(fd)
    if info is None:
        raise Failed("EBADF")
    command = call.int_arg(1)
    if command == CONSTANTS["F_GETFL"]:
        return 2 | (CONSTANTS["O_NONBLOCK"] if info.nonblock else 0)  # O_RDWR
    if command == CONSTANTS["F_SETFL"]:
        info.nonblock = bool(call.int_arg(2) & CONSTANTS["O_NONBLOCK"])
        return 0
    raise Failed("EINVAL")


def epoll_create1(call: Call) -> object:
    """epoll_create1(0): an epoll instance (anon_inode:[eventpoll] in /proc/PID/fd)."""
    proc = call.app.proc
    if len(proc.fds) >= proc.nofile:
        raise Failed("EMFILE")
    fd = proc.alloc_fd("anon_inode:[eventpoll]")
    call.app.files[fd] = FdInfo("epoll")
    return fd


def epoll_ctl(call: Call) -> object:
    """epoll_ctl(ep, EPOLL_CTL_ADD|MOD|DEL, fd, EVENTS): EEXIST, ENOENT, EBADF as the kernel says."""
    ep = call.file(0, "epoll")
    op, fd = call.int_arg(1), call.int_arg(2)
    target = call.app.files.get(fd)
    if target is None:
        raise Failed("EBADF")
    if target is ep:
        raise Failed("EINVAL")
    if op == CONSTANTS["EPOLL_CTL_ADD"]:
        if fd in ep.interests:
            raise Failed("EEXIST")
        ep.interests[fd] = Interest(call.int_arg(3, EPOLLIN))
    elif op == CONSTANTS["EPOLL_CTL_MOD"]:
        if fd not in ep.interests:
            raise Failed("ENOENT")
        ep.interests[fd] = Interest(call.int_arg(3, EPOLLIN))
    elif op == CONSTANTS["EPOLL_CTL_DEL"]:
        if ep.interests.pop(fd, None) is None:
            raise Failed("ENOENT")
    else:
        raise Failed("EINVAL")
    return 0


def _wait(call: Call, ready: list[Event], timeout_ms: int, verb: str, out_arg: int) -> object:
    """Store the ready list in the variable named by argument `out_arg`; wait when it is empty."""
    target = call.names[out_arg] if len(call.names) > out_arg else "events"
    if not ready:
        if timeout_ms == 0:
            call.thread.variables[target] = []
            return 0
        if timeout_ms > 0:
            if call.thread.deadline is None:
                call.thread.deadline = call.host.clock + timeout_ms / 1000
            if call.host.clock + 1e-9 >= call.thread.deadline:
                call.thread.deadline = None
                call.thread.variables[target] = []
                return 0
        return BLOCK
    call.thread.deadline = None
    call.thread.variables[target] = ready
    call.app.last_events = f"{verb}: " + ", ".join(f"fd {e.fd} {event_names(e.events)}" for e in ready)
    return len(ready)


def epoll_wait(call: Call) -> object:
    """epoll_wait(ep, events, MAX[, TIMEOUT_MS]): level-triggered fds while ready, edge-triggered
    (EPOLLET) ones only when something new arrived since they were last reported."""
    ep = call.file(0, "epoll")
    limit = call.int_arg(2, 64)
    if limit <= 0:
        raise Failed("EINVAL")
    ready: list[Event] = []
    for fd, interest in ep.interests.items():
        info = call.app.files.get(fd)
        if info is None or info.kind != "socket":
            continue
        mask = readiness(call.host, info) & (interest.mask | EPOLLERR | EPOLLHUP)
        if not mask:
            continue
        if interest.mask & EPOLLET:
            token = _edge_token(info)
            if token == interest.last_token:
                continue
            interest.last_token = token
        ready.append(Event(fd, mask))
        if len(ready) == limit:
            break
    return _wait(call, ready, call.int_arg(3, -1), "epoll_wait", 1)


def poll(call: Call) -> object:
    """poll(ready, FD, FD, ...): which of the listed fds can be read or written (level-triggered);
    select(ready, FD, ...) the same for reading only."""
    return _poll(call, EPOLLIN | EPOLLOUT, "poll")


def select(call: Call) -> object:
    """select(ready, FD, FD, ...): which listed fds are readable."""
    return _poll(call, EPOLLIN, "select")


def _poll(call: Call, wanted: int, verb: str) -> object:
    ready = []
    for i in range(1, len(call.args)):
        info = call.file(i)
        mask = readiness(call.host, info) & (wanted | EPOLLERR | EPOLLHUP)
        if mask:
            ready.append(Event(call.int_arg(i), mask))
    return _wait(call, ready, -1, verb, 0)


def sleep(call: Call) -> object:
    """sleep(SECONDS): the thread waits until the host's clock has moved on that far."""
    if call.thread.deadline is None:
        call.thread.deadline = call.host.clock + call.int_arg(0)
    if call.host.clock + 1e-9 >= call.thread.deadline:
        call.thread.deadline = None
        return 0
    return BLOCK


def event_names(mask: int) -> str:
    """`EPOLLIN|EPOLLOUT` for a mask, as strace prints it."""
    names = [n for n in ("EPOLLIN", "EPOLLOUT", "EPOLLERR", "EPOLLHUP") if mask & CONSTANTS[n]]
    return "|".join(names) or "0"


CALLS: dict[str, Callable[[Call], object]] = {
    "socket": socket, "setsockopt": setsockopt, "getsockopt": getsockopt, "bind": bind, "listen": listen,
    "accept": accept, "accept4": accept4, "connect": connect, "read": read, "recv": read, "write": write,
    "send": write, "shutdown": shutdown, "close": close, "fcntl": fcntl, "epoll_create1": epoll_create1,
    "epoll_ctl": epoll_ctl, "epoll_wait": epoll_wait, "poll": poll, "select": select, "sleep": sleep,
}
"""Every call a program may make, by name."""
