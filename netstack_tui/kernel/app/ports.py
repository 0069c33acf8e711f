"""Ephemeral ports as connect() picks them: a port may be shared by connections to different
destinations, since only the 4-tuple has to be unique (__inet_hash_connect); bind(port 0) and
listen() on an unbound socket need a port no one holds. A TIME-WAIT with the same 4-tuple blocks
the port unless net.ipv4.tcp_tw_reuse lets connect() take it over (tcp_twsk_unique)."""

from __future__ import annotations

from ..addr import parse_ipv4
from ..host import Host
from ..sockets import TCP_TIMEWAIT_LEN, Socket

TW_REUSE_DELAY = 1.0
"""Seconds a TIME-WAIT must have been quiet before tcp_tw_reuse may take its 4-tuple over
(net.ipv4.tcp_tw_reuse_delay's default of 1000 ms; 1 s of timestamp clock before 6.13)."""
_LOOPBACK_NET, _LOOPBACK_MASK = parse_ipv4("127.0.0.0"), 0xFF000000


def _loopback(addr: int) -> bool:
    return addr & _LOOPBACK_MASK == _LOOPBACK_NET


def tw_reusable(host: Host, tw: Socket) -> bool:
    """Whether connect() may reuse the 4-tuple of this TIME-WAIT socket (tcp_twsk_unique with
    twp set, as __inet_hash_connect calls it): tcp_tw_reuse 1, or 2 when either end is on
    loopback; the connection used timestamps (PAWS then tells the old segments from the new);
    and more than TW_REUSE_DELAY has passed since the TIME-WAIT last heard from the peer."""
    if tw.state != "TIME-WAIT" or not tw.timestamps:
        return False
    mode = host.sysctl.get("net.ipv4.tcp_tw_reuse").strip()
    if mode == "2":
        allowed = _loopback(tw.local[0]) or _loopback(tw.peer[0])
    else:
        allowed = mode == "1"
    # A bare ACK in TIME-WAIT restarts its timer, so its start is when the peer was last heard.
    last_heard = tw.expires_at - TCP_TIMEWAIT_LEN
    return allowed and host.clock - last_heard > TW_REUSE_DELAY


def free_port(host: Host, src: int, peer: tuple[int, int] | None) -> int | None:
    """The first usable port of ip_local_port_range (the kernel starts at a hashed offset instead),
    or None when every port is taken. A port whose only obstacle is a reusable TIME-WAIT counts as
    usable; `connect_port` is the call that also takes that TIME-WAIT away."""
    found = _choose(host, src, peer)
    return None if found is None else found[0]


def connect_port(host: Host, src: int, peer: tuple[int, int]) -> int | None:
    """connect()'s ephemeral port toward PEER, or None (EADDRNOTAVAIL). A TIME-WAIT it reuses is
    gone afterwards, as inet_twsk_deschedule_put() kills it in __inet_hash_connect."""
    found = _choose(host, src, peer)
    if found is None:
        return None
    port, reused = found
    if reused is not None:
        host.sockets.sockets.remove(reused)
    return port


def _choose(host: Host, src: int, peer: tuple[int, int] | None) -> tuple[int, Socket | None] | None:
    low, high = (int(v) for v in host.sysctl.get("net.ipv4.ip_local_port_range").split())
    host.sockets.expire(host.clock)
    by_port: dict[int, list[Socket]] = {}
    for sock in host.sockets.sockets:
        if sock.proto == "tcp":
            by_port.setdefault(sock.local[1], []).append(sock)
    for port in range(low, high + 1):
        holders = by_port.get(port, [])
        if not holders:
            return port, None
        if peer is None:
            continue
        # Shared only with connections that are not bound listeners, and never for the same
        # 4-tuple, except a TIME-WAIT that tcp_tw_reuse hands over.
        if any(h.peer == (0, 0) or h.state == "LISTEN" for h in holders):
            continue
        same = [h for h in holders if h.peer == peer and h.local[0] in (0, src)]
        if not same:
            return port, None
        if len(same) == 1 and tw_reusable(host, same[0]):
            return port, same[0]
    return None
