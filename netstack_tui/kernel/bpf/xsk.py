"""AF_XDP sockets, kept minimal: a socket bound to one device queue, whose frames are counted and kept.

A real AF_XDP socket shares a UMEM (a user-space buffer area) with the driver and talks to it through
four rings (fill, completion, RX, TX): user space hands the kernel empty frames on the fill ring, the
driver (or the copy path) writes a redirected frame into one and posts its address on the RX ring.
The model keeps none of that: a frame an XDP program redirects to the socket lands in `frames`
directly, in arrival order, and stays until read. What it does keep is where the frame goes: past the
sk_buff, netfilter and the socket layer, to the one socket bound to the queue it arrived on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..packet import Packet

KEEP_FRAMES = 1024
"""Frames kept for reading (the oldest go first); `rx_packets` counts them all."""


@dataclass(slots=True)
class XskSocket:
    """socket(AF_XDP, SOCK_RAW, 0) bound to `dev` queue `queue` (struct sockaddr_xdp)."""

    ino: int
    """The socket's inode number, as `ss` and /proc show it."""
    dev: str
    queue: int
    owner: str
    rx_packets: int = 0
    rx_bytes: int = 0
    frames: list[Packet] = field(default_factory=list)

    def receive(self, pkt: Packet, frame_bytes: int) -> None:
        """xsk_rcv(): the frame is now user space's; the kernel stack never sees it."""
        self.rx_packets += 1
        self.rx_bytes += frame_bytes
        self.frames.append(pkt)
        del self.frames[:-KEEP_FRAMES]

    def read(self) -> list[Packet]:
        """Take every frame waiting on the RX ring."""
        taken, self.frames = self.frames, []
        return taken
