"""What a packet socket (tcpdump) would see on each interface: the frames that passed the taps.

Linux hands every frame to the packet taps (ptype_all) at two places: on receive in
__netif_receive_skb_core(), after XDP (native and generic) and before tc ingress and netfilter; on
send in dev_queue_xmit_nit(), after tc egress, the qdisc and POSTROUTING (so NATed addresses show).
That is why tcpdump sees a packet iptables drops on the way in, never one XDP drops, and never one
dropped in OUTPUT. On lo a frame is seen once, as it comes back in.

The simulated shell runs one command at a time, so `tcpdump` cannot wait for traffic: the host keeps
the last `CAPACITY` frames every traced journey passed a tap, and `tcpdump` reads them back as if it
had been listening all along. Floods are not kept frame by frame: each interface counts them instead.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field

from .packet import Packet

CAPACITY = 1000
PEER_MAC = "02:00:00:00:00:02"
"""The MAC of the machine at the other end of the simulated link (what sent frames go to)."""


@dataclass(frozen=True, slots=True)
class ArpFrame:
    """An ARP request or reply (RFC 826, Ethernet/IPv4), as the taps see it."""

    op: str
    """`request` or `reply`."""
    sender_mac: str
    sender_ip: int
    target_mac: str
    """All zeros in a request (the MAC being asked for)."""
    target_ip: int


@dataclass(frozen=True, slots=True)
class Captured:
    """One frame at a tap."""

    time: float
    """Simulated clock (seconds since boot) when the frame passed."""
    iface: str
    direction: str
    """`In` or `Out`, as tcpdump -i any prints it."""
    packet: Packet
    src_mac: str = ""
    dst_mac: str = ""
    """The Ethernet addresses of the frame (tcpdump -e; all zeros on lo); empty when unknown (a
    cooked capture read back)."""
    window: int | None = None
    tcp_options: str | None = None
    """A real capture's TCP window and options as tcpdump prints them (`mss 1460,sackOK,...`); the
    simulator models neither, so frames it captured itself leave them None."""
    arp: ArpFrame | None = None
    """For an ARP frame: its fields (then `packet` only carries the two addresses, protocol 0, so
    address filters such as `host X` match it as tcpdump's do)."""


@dataclass(slots=True)
class CaptureRing:
    """The frames traced journeys passed the taps with, oldest first, and the flood frames not kept."""

    ACCUMULATORS = ("unlisted",)
    """Counted flood frames only grow (see `kernel.steady`): a flood still settles."""
    CACHES = ("frames",)
    """Not a cache, but `kept` changes whenever `frames` does, so the steady-state walk need not
    compare a thousand packets to notice."""

    frames: deque[Captured] = field(default_factory=lambda: deque(maxlen=CAPACITY))
    kept: int = 0
    """Frames ever kept; those beyond CAPACITY have been pushed out by newer ones."""
    unlisted: dict[str, int] = field(default_factory=dict)
    """Frames per interface that passed a tap in floods (batch runs keep no frames)."""

    def tap(self, time: float, iface: str, direction: str, packet: Packet, macs: tuple[str, str] = ("", ""), *,
            keep: bool) -> None:
        """A frame passes a tap: kept when its journey is traced, counted when it is part of a flood."""
        if keep:
            self.frames.append(Captured(time, iface, direction, packet, *macs))
            self.kept += 1
        else:
            self.unlisted[iface] = self.unlisted.get(iface, 0) + 1

    def tap_arp(self, time: float, iface: str, direction: str, arp: ArpFrame, macs: tuple[str, str]) -> None:
        """An ARP frame passes a tap (ARP is only exchanged for traced journeys: always kept)."""
        from .packet import Packet

        placeholder = Packet(0, arp.sender_ip, arp.target_ip)
        self.frames.append(Captured(time, iface, direction, placeholder, *macs, arp=arp))
        self.kept += 1

    @property
    def pushed_out(self) -> int:
        """Kept frames the ring no longer holds."""
        return self.kept - len(self.frames)

    def __deepcopy__(self, memo: dict[int, object]) -> CaptureRing:
        # Frames are immutable: a host copy shares them instead of copying a thousand packets.
        return CaptureRing(copy.copy(self.frames), self.kept, dict(self.unlisted))
