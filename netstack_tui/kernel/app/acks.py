"""When a small segment leaves: Nagle's algorithm on the sender, delayed ACKs on the receiver.

Nagle (tcp_nagle_check): a segment shorter than the MSS waits while data already sent is not yet
acknowledged, unless TCP_NODELAY is set; it leaves, with everything written meanwhile, once the ACK
comes. Delayed ACK (tcp_send_delayed_ack): a socket in interactive ("pingpong") mode — one that has
answered data within the ACK timeout — does not acknowledge data at once but waits up to
TCP_DELACK_MIN for an answer to carry the ACK. Both at once are the classic 40 ms stall: the
sender's second small write waits for an ACK that the receiver holds back.

Measured on Linux 6.18 over lo: a request sent as two writes of 10 and 20 bytes, answered by the
peer, repeated; from the second request on the 20-byte segment leaves 40 ms after the first,
right after the peer's bare ACK (tests/sockets/test_nagle.py runs the same on the real kernel).
"""

from __future__ import annotations

from ..host import Host
from ..sockets import Socket

TCP_DELACK_MIN = 0.04
"""HZ/25 seconds: the shortest a delayed ACK waits (TCP_ATO_MIN), and on lo, where the RTT is far
shorter, also how long it waits."""
TCP_ATO_MIN = TCP_DELACK_MIN
"""An answer sent within this long of the data it answers makes the socket interactive."""
MAX_WINDOW = 65536
"""The largest window a peer offers at first (its unscaled 16-bit field, rounded to the scale)."""
OPTIONS_LEN = 12
"""The timestamp option every segment of a connection that negotiated it carries."""


def in_flight(sock: Socket, send_seq: int) -> int:
    """Bytes sent and not yet acknowledged: the next sequence number less the peer's latest ACK."""
    if not sock.snd_nxt:
        return 0
    waiting = (send_seq - sock.snd_nxt) & 0xFFFFFFFF
    return 0 if waiting >= 1 << 31 else waiting


def path_mtu(host: Host, sock: Socket) -> int:
    """The route's device MTU, at most IP's 65535 (lo's 65536 counts as that)."""
    found = host.routing.lookup(sock.peer[0], sock.local[0])
    dev = host.interfaces.get(found.route.dev or "") if found.route is not None else None
    return min(dev.mtu if dev is not None else 1500, 65535)


def advmss(host: Host, sock: Socket) -> int:
    """The MSS we advertise: the path MTU less the IP and TCP headers and the options every
    segment carries."""
    return path_mtu(host, sock) - 40 - (OPTIONS_LEN if sock.timestamps else 0)


def mss(host: Host, sock: Socket) -> int:
    """The segment size the connection sends: tcp_bound_to_half_wnd() keeps it at most half the
    largest window the peer offered (64 KiB before scaling), which is what bounds it on lo."""
    return min(advmss(host, sock), MAX_WINDOW // 2)


def nagle_holds(host: Host, sock: Socket, send_seq: int, length: int, nodelay: bool) -> bool:
    """Whether a segment of `length` bytes must wait for the ACK of what is in flight."""
    return not nodelay and length < mss(host, sock) and in_flight(sock, send_seq) > 0


def sent_data(host: Host, sock: Socket) -> None:
    """Data left carrying our ACK: no delayed ACK is pending any more, and an answer sent soon
    after data arrived makes the socket interactive (tcp_event_data_sent)."""
    sock.ack_due = None
    if sock.data_heard is not None and host.clock - sock.data_heard < TCP_ATO_MIN - 1e-9:
        sock.pingpong = True
