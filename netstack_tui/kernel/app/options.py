"""Socket options a program sets and reads, with the kernel's rules for each value.

SO_RCVBUF/SO_SNDBUF are capped at net.core.rmem_max/wmem_max and then doubled (sock_setsockopt():
the kernel counts its own bookkeeping in the buffer too), never below SOCK_MIN_RCVBUF/SNDBUF; a
socket that never set them starts at tcp_rmem/tcp_wmem's middle value. Measured on 6.18: a fresh
socket reports 131072 and 16384, SO_RCVBUF 1000 reads back 2304, 65536 reads back 131072.
"""

from __future__ import annotations

from ..host import Host
from ..sockets import Socket
from .state import FdInfo

SOCK_MIN_RCVBUF = 2304
"""2048 + sizeof(struct sk_buff) rounded, as x86-64 builds have it."""
SOCK_MIN_SNDBUF = 4608
"""Twice SOCK_MIN_RCVBUF."""
FLAGS = ("SO_REUSEADDR", "SO_REUSEPORT", "SO_KEEPALIVE", "TCP_NODELAY")
"""Options that are on or off: getsockopt() reads back 1 or 0."""
KNOWN = (*FLAGS, "SO_RCVBUF", "SO_SNDBUF", "SO_RCVTIMEO", "SO_ERROR")


def _middle(host: Host, key: str) -> int:
    return int(host.sysctl.get(key).split()[1])


def rcvbuf(host: Host, sock: Socket) -> int:
    """sk_rcvbuf: what SO_RCVBUF set, else tcp_rmem's default (a UDP socket's is rmem_default)."""
    if sock.proto == "udp":
        return sock.rcvbuf or host.sysctl.int("net.core.rmem_default")
    return sock.rcvbuf or _middle(host, "net.ipv4.tcp_rmem")


def sndbuf(host: Host, info: FdInfo) -> int:
    """sk_sndbuf: what SO_SNDBUF set, else tcp_wmem's default (a UDP socket's is wmem_default)."""
    if info.sock is not None and info.sock.proto == "udp":
        return info.options.get("SO_SNDBUF") or host.sysctl.int("net.core.wmem_default")
    return info.options.get("SO_SNDBUF") or _middle(host, "net.ipv4.tcp_wmem")


def window_space(host: Host, sock: Socket) -> int:
    """Bytes of data the receive buffer holds at most: half of sk_rcvbuf (tcp_adv_win_scale=1)."""
    return rcvbuf(host, sock) // 2


def set_option(host: Host, info: FdInfo, option: str, value: int) -> None:
    """Apply one setsockopt(); KeyError for an option this simulator does not know."""
    sock = info.sock
    assert sock is not None
    if option == "SO_REUSEADDR":
        sock.reuseaddr = bool(value)
    elif option == "SO_REUSEPORT":
        sock.reuseport = bool(value)
    elif option == "SO_RCVBUF":
        capped = min(max(value, 0), host.sysctl.int("net.core.rmem_max"))
        sock.rcvbuf = max(capped * 2, SOCK_MIN_RCVBUF)
    elif option == "SO_SNDBUF":
        capped = min(max(value, 0), host.sysctl.int("net.core.wmem_max"))
        info.options[option] = max(capped * 2, SOCK_MIN_SNDBUF)
    elif option in ("SO_KEEPALIVE", "TCP_NODELAY"):
        info.options[option] = 1 if value else 0
        if option == "SO_KEEPALIVE":
            # tcp_set_keepalive(): arming (or re-arming) starts a full idle period from now.
            info.keepalive_probes = 0
            info.keepalive_due = host.clock + host.sysctl.int("net.ipv4.tcp_keepalive_time") if value else None
    elif option == "SO_RCVTIMEO":
        info.options[option] = max(value, 0)  # seconds (the timeval's tv_sec); 0 waits for ever
    else:
        raise KeyError(option)


def get_option(host: Host, info: FdInfo, option: str) -> int:
    """getsockopt()'s value (SO_ERROR is the caller's: reading it clears it)."""
    sock = info.sock
    assert sock is not None
    if option == "SO_REUSEADDR":
        return int(sock.reuseaddr)
    if option == "SO_REUSEPORT":
        return int(sock.reuseport)
    if option == "SO_RCVBUF":
        return rcvbuf(host, sock)
    if option == "SO_SNDBUF":
        return sndbuf(host, info)
    if option in ("SO_KEEPALIVE", "TCP_NODELAY", "SO_RCVTIMEO"):
        return info.options.get(option, 0)
    raise KeyError(option)
