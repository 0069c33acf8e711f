"""Ephemeral ports as connect() picks them: a port may be shared by connections to different
destinations, since only the 4-tuple has to be unique (__inet_hash_connect); bind(port 0) and
listen() on an unbound socket need a port no one holds."""

from __future__ import annotations

from ..host import Host


def free_port(host: Host, src: int, peer: tuple[int, int] | None) -> int | None:
    """The first usable port of ip_local_port_range (the kernel starts at a hashed offset instead),
    or None when every port is taken."""
    low, high = (int(v) for v in host.sysctl.get("net.ipv4.ip_local_port_range").split())
    by_port: dict[int, list[tuple[tuple[int, int], tuple[int, int], str]]] = {}
    for sock in host.sockets.sockets:
        if sock.proto == "tcp":
            by_port.setdefault(sock.local[1], []).append((sock.local, sock.peer, sock.state))
    for port in range(low, high + 1):
        holders = by_port.get(port, [])
        if not holders:
            return port
        if peer is None:
            continue
        # Shared only with connections that are not bound listeners, and never for the same 4-tuple.
        if all(p != (0, 0) and state != "LISTEN" and not (p == peer and local[0] in (0, src))
               for local, p, state in holders):
            return port
    return None
