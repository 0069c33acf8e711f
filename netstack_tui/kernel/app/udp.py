"""The socket calls on a UDP socket (SOCK_DGRAM): datagrams, not a stream.

sendto() puts one datagram on the wire through the stack at once (UDP keeps no send queue);
what arrives waits in the socket's queue (`Socket.datagrams`, filled by `kernel.deliver`) until
recvfrom() takes it whole: a short buffer truncates the datagram and the rest is lost. connect()
sends nothing: it sets the default peer, so send() needs no address and only that peer's
datagrams are delivered, and it makes an ICMP port unreachable an error the next call reports.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import mib, stack
from ..addr import format_ipv4
from ..host import Host
from ..packet import IPPROTO_UDP, Packet
from ..sockets import Socket
from . import calls
from .calls import Call, Failed
from .state import FdInfo

UDP_MAX_PAYLOAD = 65507
"""65535 less the IPv4 and UDP headers: a larger datagram is EMSGSIZE (udp_sendmsg)."""


def _udp(info: FdInfo) -> Socket:
    assert info.sock is not None
    return info.sock


def _free_port(host: Host, addr: int) -> int:
    """udp_lib_get_port() for port 0: a port of ip_local_port_range no UDP socket holds."""
    low, high = (int(v) for v in host.sysctl.get("net.ipv4.ip_local_port_range").split())
    held = {s.local[1] for s in host.sockets.sockets if s.proto == "udp" and s.local[0] in (0, addr)}
    for port in range(low, high + 1):
        if port not in held:
            return port
    raise Failed("EAGAIN")  # inet_autobind() when the range is used up


def _autobind(host: Host, sock: Socket) -> None:
    """A socket that sends or connects before bind() gets an ephemeral port (inet_autobind)."""
    if sock not in host.sockets.sockets:
        sock.local = (0, _free_port(host, 0))
        host.sockets.sockets.append(sock)


def _take_error(sock: Socket) -> None:
    """sock_error(): a pending sk_err (ECONNREFUSED after a port unreachable) is reported once."""
    if sock.error is not None:
        err, sock.error = sock.error, None
        raise Failed(err)


def _source(host: Host, sock: Socket, dst: int) -> int:
    """The source address toward `dst`: the bound one, else the route's (ENETUNREACH without one)."""
    found = host.routing.lookup(dst, sock.local[0])
    if found.route is None or found.error is not None:
        raise Failed(found.error or "ENETUNREACH")
    if sock.local[0]:
        return sock.local[0]
    route = found.route
    return route.src or host.primary_address(route.dev or "", dst) or (dst if host.is_local(dst) else 0)


def _length(call: Call) -> int:
    data = call.args[1] if len(call.args) > 1 else ""
    if isinstance(data, str):
        return len(data.encode())
    if isinstance(data, int) and data >= 0:
        return data
    raise Failed("EFAULT")


def _send(call: Call, info: FdInfo, peer: tuple[int, int]) -> int:
    """One datagram to `peer` through the stack; its length is the result."""
    host, sock = call.host, _udp(info)
    length = _length(call)
    if length > UDP_MAX_PAYLOAD:
        raise Failed("EMSGSIZE")
    _take_error(sock)
    if info.shut_wr:
        raise Failed("EPIPE")
    src = _source(host, sock, peer[0])
    _autobind(host, sock)
    pkt = Packet(IPPROTO_UDP, src, peer[0], sock.local[1], peer[1], payload_len=length)
    mib.count(host, "UdpOutDatagrams")
    info.bytes_sent += length
    call.traces.append(stack.transmit(host, pkt, owner=call.owner))
    return length


def sendto(call: Call) -> object:
    """sendto(fd, DATA, ADDR:PORT): one datagram of len(DATA) bytes (or DATA bytes for a number);
    without an address only on a connected socket (else EDESTADDRREQ)."""
    info = call.file()
    sock = _udp(info)
    _autobind(call.host, sock)  # inet_send_prepare(): even a send that fails binds the socket
    if len(call.args) > 2:
        return _send(call, info, calls.endpoint(call, 2))
    if sock.peer == (0, 0):
        raise Failed("EDESTADDRREQ")
    return _send(call, info, sock.peer)


def send(call: Call) -> object:
    """send(fd, DATA) / write(fd, DATA): to the connected peer; EDESTADDRREQ when there is none."""
    info = call.file()
    _autobind(call.host, _udp(info))  # inet_send_prepare(): even a send that fails binds the socket
    if _udp(info).peer == (0, 0):
        raise Failed("EDESTADDRREQ")
    return _send(call, info, _udp(info).peer)


def recvfrom(call: Call) -> object:
    """recvfrom(fd, N, SENDER): the oldest datagram, at most N bytes of it (the rest is discarded);
    SENDER (a name) is set to its source as ADDR:PORT. A pending error comes first; an empty
    queue is EAGAIN for a non-blocking socket, else the call waits (SO_RCVTIMEO bounds it)."""
    info = call.file()
    sock = _udp(info)
    _take_error(sock)
    if not sock.datagrams:
        if info.nonblock:
            raise Failed("EAGAIN")
        return calls.receive_timeout(call, info)
    call.thread.deadline = None
    (addr, port), length = sock.datagrams.pop(0)
    sock.recv_q -= length
    taken = min(length, max(call.int_arg(1, 65536), 0))
    info.bytes_read += taken
    if len(call.names) > 2:
        call.thread.variables[call.names[2]] = f"{format_ipv4(addr)}:{port}"
    return taken


def connect(call: Call) -> object:
    """connect(fd, ADDR:PORT): the default peer (no packet leaves); an unbound socket gets its
    port and the route's source address, as ip4_datagram_connect() does."""
    info = call.file()
    sock, host = _udp(info), call.host
    dst, dport = calls.endpoint(call, 1)
    src = _source(host, sock, dst)
    _autobind(host, sock)
    sock.local = (src, sock.local[1])
    sock.peer, sock.state, sock.error = (dst, dport), "ESTAB", None
    return 0


def shutdown(call: Call) -> object:
    """shutdown(fd, HOW): ENOTCONN unless connected; SHUT_WR makes later sends EPIPE."""
    info = call.file()
    how = call.int_arg(1)
    if how not in (0, 1, 2):
        raise Failed("EINVAL")
    if _udp(info).peer == (0, 0):
        raise Failed("ENOTCONN")
    info.shut_wr = info.shut_wr or how != 0
    return 0


def not_supported(call: Call) -> object:
    """listen() and accept() on a datagram socket."""
    call.file()
    raise Failed("EOPNOTSUPP")


CALLS: dict[str, Callable[[Call], object]] = {
    "sendto": sendto, "recvfrom": recvfrom, "send": send, "write": send, "recv": recvfrom, "read": recvfrom,
    "connect": connect, "shutdown": shutdown, "listen": not_supported, "accept": not_supported,
    "accept4": not_supported,
}
"""The calls that work differently on a UDP socket."""

_TCP_FORMS = {"sendto": calls.write, "recvfrom": calls.read}
"""On a TCP socket the address is ignored: sendto() is write(), recvfrom() is read()."""


def pick(name: str, call: Call) -> Callable[[Call], object] | None:
    """The UDP form of call `name` when its fd is a UDP socket (or the name exists only here);
    None to use the ordinary one."""
    fd = call.args[0] if call.args else None
    info = call.app.files.get(fd) if isinstance(fd, int) else None
    udp = info is not None and info.sock is not None and info.sock.proto == "udp"
    if udp:
        return CALLS.get(name)
    if name in _TCP_FORMS and info is not None and info.sock is not None:
        return _TCP_FORMS[name]
    return CALLS.get(name) if name in _TCP_FORMS else None

