"""Every frame the packet taps saw during a journey, in the order they passed them, across namespaces.

Each namespace keeps its own ring of captured frames (`kernel.capture`), and one journey stamps all
of them with the same simulated time, so the rings alone cannot say whether red's eth0 saw the SYN
before blue's. A `TapRecorder` answers that: it stands in for each namespace's ring while packets
are sent and notes every kept frame, with its namespace, as it passes. The explorer's journey has
already happened, so it is sent again on a copy of the world as it was before it (the model is
deterministic: same world, same packet, same journey, same frames).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..kernel.capture import ArpFrame, Captured, CaptureRing
from ..kernel.packet import Packet

if TYPE_CHECKING:
    from ..commands.session import Session
    from ..kernel.trace import Trace
    from ..kernel.world import World


@dataclass(frozen=True, slots=True)
class TapFrame:
    """One frame at one namespace's tap."""

    host: str
    """The namespace, as traces name it (`host` for the root, the netns name, a container's id)."""
    frame: Captured


class TapRecorder(CaptureRing):
    """A namespace's capture ring that also appends each kept frame to a list shared by the world."""

    __slots__ = ("host", "sink")

    def __init__(self, ring: CaptureRing, host: str, sink: list[TapFrame]) -> None:
        CaptureRing.__init__(self, ring.frames, ring.kept, ring.unlisted)
        self.host = host
        self.sink = sink

    def tap(self, time: float, iface: str, direction: str, packet: Packet, macs: tuple[str, str] = ("", ""), *,
            keep: bool) -> None:
        """As `CaptureRing.tap`, noting the frame when it is kept (floods are only counted)."""
        CaptureRing.tap(self, time, iface, direction, packet, macs, keep=keep)
        if keep:
            self.sink.append(TapFrame(self.host, self.frames[-1]))

    def tap_arp(self, time: float, iface: str, direction: str, arp: ArpFrame, macs: tuple[str, str]) -> None:
        """As `CaptureRing.tap_arp`, noting the frame."""
        CaptureRing.tap_arp(self, time, iface, direction, arp, macs)
        self.sink.append(TapFrame(self.host, self.frames[-1]))


def record_taps(world: World) -> list[TapFrame]:
    """Put a recorder on every namespace of `world`; the list returned fills as frames pass."""
    sink: list[TapFrame] = []
    for host in world.hosts():
        host.capture = TapRecorder(host.capture, world.label(host), sink)
    return sink


def journey_frames(session: Session) -> tuple[Trace, list[TapFrame]] | None:
    """The current packet's journey sent again on a copy of the world as it was before it, and the
    frames every tap saw on the way (replies and ARP included); None before any packet was sent."""
    from ..commands.shell import Shell

    current = session.current_send()
    if current is None:
        return None
    root, spec, namespace = current
    shell = Shell(root)
    frames = record_taps(shell.world)
    shell.host = shell.world.namespaces.get(namespace or "", shell.world.root)
    result = shell.run("send " + spec)
    if result.status != 0 or not result.traces:
        return None
    return result.traces[0], frames
