"""The neighbour table (`ip neigh`) and ARP: the MAC a frame needs before it can leave.

Before an IPv4 packet leaves a device that has a link behind it, neigh_resolve_output() needs the
next hop's MAC. An unknown neighbour becomes INCOMPLETE and an ARP request is broadcast (arp_solicit);
whoever owns the address answers with its MAC (arp_process, which also notes the asker as STALE), and
the entry becomes REACHABLE. Nobody answering, the kernel tries three times a second apart
(mcast_solicit), marks the entry FAILED, drops the queued packet and reports "host unreachable".

Simplified on purpose: an exchange happens at once, within the journey that needs it (the three
seconds of an unanswered one are not waited out); REACHABLE turns STALE after a fixed 30 s
(the kernel picks 15-45 s), and a used STALE entry turns DELAY, as `ip neigh` shows it right after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..capture import ArpFrame
from .bridge import BROADCAST
from .cable import Landing, reach
from .tables import Neighbour

if TYPE_CHECKING:
    from ..host import Host
    from ..interfaces import Interface

REACHABLE_TIME = 30.0
"""base_reachable_time_ms (the kernel randomises it to 15-45 s; fixed here)."""
SOLICIT_TRIES = 3
"""mcast_solicit: ARP requests before an entry is FAILED (retrans_time_ms 1000 apart)."""
ZERO_MAC = "00:00:00:00:00:00"


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a next hop's MAC was found: from the table, by an ARP exchange, or not at all."""

    mac: str | None
    how: str
    """`cached` (the table had it), `arp` (an exchange just now), `failed` (nobody answered)."""
    answered_by: str = ""
    """The namespace that answered the ARP request."""
    state_before: str = "none"


def entry(host: Host, addr: int, dev: str) -> Neighbour | None:
    """The entry for `addr` on `dev`, with its state brought up to the host's clock."""
    found = host.neighbours.get((addr, dev))
    if found is not None and found.state == "REACHABLE" and host.clock - found.confirmed > REACHABLE_TIME:
        found.state = "STALE"
    if found is not None and found.state == "INCOMPLETE" and host.clock - found.confirmed >= SOLICIT_TRIES:
        found.state = "FAILED"  # the last of the three requests went unanswered
    return found


def resolve(host: Host, iface: Interface, hop: int) -> Resolution:
    """neigh_resolve_output(): the MAC of next hop `hop` on `iface`, asking by ARP if need be."""
    known = entry(host, hop, iface.name)
    if known is not None and known.mac is not None and known.state != "FAILED":
        before = known.state
        if known.state == "STALE":
            known.state = "DELAY"  # used while stale: the kernel re-confirms it within delay_first_probe_time
        return Resolution(known.mac, "cached", state_before=before)
    before = known.state if known is not None else "none"
    source = host.primary_address(iface.name, hop) or 0
    answer = solicit(host, iface, hop, source)
    if answer is None:
        # INCOMPLETE while the kernel keeps asking; `entry` shows it FAILED once the time is up.
        if known is None or known.state != "FAILED":
            host.neighbours[(hop, iface.name)] = Neighbour(None, "INCOMPLETE", host.clock)
        return Resolution(None, "failed", state_before=before)
    owner, mac = answer
    host.neighbours[(hop, iface.name)] = Neighbour(mac, "REACHABLE", host.clock)
    return Resolution(mac, "arp", owner.host.name, before)


def solicit(host: Host, iface: Interface, target: int, source: int) -> tuple[Landing, str] | None:
    """Broadcast "who has `target`? tell `source`" out of `iface`; the device that answers and its MAC.

    The owner answers for any of its addresses on whichever device heard the request (arp_ignore=0,
    the default), notes the asker (STALE), and its reply comes back by unicast, so bridges on the way
    learn both MACs. Every device the frames pass is shown to that namespace's tcpdump.
    """
    request = ArpFrame("request", iface.mac, source, ZERO_MAC, target)
    host.capture.tap_arp(host.clock, iface.name, "Out", request, (iface.mac, BROADCAST))
    for landing in reach(host, iface.name, iface.mac, BROADCAST):
        there, dev = landing.host, landing.iface
        there.capture.tap_arp(there.clock, dev.name, "In", request, (iface.mac, BROADCAST))
        if not there.is_local(target) or dev.kind == "loopback":
            continue
        there.neighbours[(source, dev.name)] = Neighbour(iface.mac, "STALE", there.clock)
        reply = ArpFrame("reply", dev.mac, target, iface.mac, source)
        there.capture.tap_arp(there.clock, dev.name, "Out", reply, (dev.mac, iface.mac))
        back = reach(there, dev.name, dev.mac, iface.mac)
        if any(b.host is host and b.iface is iface for b in back):
            host.capture.tap_arp(host.clock, iface.name, "In", reply, (dev.mac, iface.mac))
            return landing, dev.mac
    return None


def note_sender(host: Host, dev: str, addr: int, mac: str) -> None:
    """A frame injected on a linked device (`send ... iface=DEV`) from on-link address `addr`: its
    sender must have asked for this host's MAC first, and that request left an entry for it (STALE),
    so an answer can go back without an ARP exchange nobody simulated would reply to."""
    iface = host.interfaces.get(dev)
    if iface is None or iface.cable is None or (addr, dev) in host.neighbours:
        return
    route = host.routing.lookup(addr, oif=dev).route
    if route is not None and route.dev == dev and route.via is None and route.type == "unicast":
        host.neighbours[(addr, dev)] = Neighbour(mac, "STALE", host.clock)
