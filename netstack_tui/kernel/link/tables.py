"""The layer-2 tables a namespace keeps: its neighbour entries and each bridge's forwarding database.

Plain data, so `kernel.host` can hold them without importing the code that works on them
(`link.neigh`, `link.bridge`); the bridge's MAC rule lives here because both sides need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..interfaces import Interface


@dataclass(slots=True)
class Neighbour:
    """An `ip neigh` entry: the MAC (None while INCOMPLETE or FAILED), the NUD state, when confirmed."""

    mac: str | None
    state: str
    """PERMANENT, REACHABLE, STALE, DELAY, INCOMPLETE or FAILED."""
    confirmed: float = 0.0


@dataclass(slots=True)
class FdbEntry:
    """One MAC the bridge knows: behind which port, and since when."""

    port: str
    updated: float
    local: bool = False
    """The MAC of one of the bridge's own ports (`permanent` in `bridge fdb show`)."""


@dataclass(slots=True)
class Bridge:
    """A bridge's state: its forwarding database, MAC → entry, in learning order."""

    fdb: dict[str, FdbEntry] = field(default_factory=dict)
    mac_set: bool = False
    """Whether `ip link set BR address` chose the MAC (then ports no longer change it)."""

    def forget_port(self, port: str) -> None:
        """A port leaves: everything learned behind it and its own entry go."""
        for mac in [m for m, e in self.fdb.items() if e.port == port]:
            del self.fdb[mac]


def recalculate_mac(bridge: Bridge, device: Interface, members: list[Interface]) -> None:
    """br_stp_recalculate_bridge_id(): a bridge whose MAC was not set takes its lowest port MAC."""
    if not bridge.mac_set and members:
        device.mac = min(p.mac for p in members)
