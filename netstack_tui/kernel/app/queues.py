"""What a program's socket holds unread, computed as Linux computes Recv-Q for TCP."""

from __future__ import annotations

from ..sockets import Socket

FIN_RECEIVED = frozenset({"CLOSE-WAIT", "LAST-ACK", "CLOSING", "TIME-WAIT"})
"""States reached after the peer's FIN, which takes one sequence number and no byte."""


def unread(sock: Socket) -> int:
    """Bytes received and not yet read: rcv_nxt - copied_seq (less the FIN's sequence number)."""
    if sock.copied_seq is None or sock.state in ("SYN-SENT", "LISTEN", "UNCONN", "CLOSE"):
        return 0
    fin = 1 if sock.state in FIN_RECEIVED else 0
    waiting = (sock.rcv_nxt - sock.copied_seq - fin) & 0xFFFFFFFF
    return 0 if waiting >= 1 << 31 else waiting  # a peer's odd sequence numbers never show as gigabytes
