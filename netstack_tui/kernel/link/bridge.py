"""The Linux bridge: a forwarding database learned from source MACs, and where a frame goes.

A bridge (`ip link add br0 type bridge`) is a switch inside a namespace: its ports are other devices
(`ip link set veth1 master br0`), and the bridge device itself is the switch's own port into its
host's IP stack (br_pass_frame_up), with the MAC of its lowest-numbered port unless one was set.
On each frame the bridge learns "this source MAC is behind the port it came in on" (br_fdb_update),
then looks the destination up (br_fdb_find_rcu): its own MAC goes up to the host, a known MAC goes out
its port only, a broadcast or an unknown MAC is flooded to every other port (br_flood).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .tables import Bridge, FdbEntry, recalculate_mac

if TYPE_CHECKING:
    from ..host import Host
    from ..interfaces import Interface

AGEING_TIME = 300.0
"""Seconds a learned entry lives without being seen again (`ip -d link` ageing_time 30000)."""
BROADCAST = "ff:ff:ff:ff:ff:ff"


@dataclass(frozen=True, slots=True)
class Decision:
    """Where the bridge sends a frame: up to its host, out these ports, and how it knew."""

    local: bool
    ports: tuple[str, ...]
    how: str
    """`local` (its own MAC), `fdb` (a learned port), `flood` (broadcast or unknown), `filtered`
    (the MAC is behind the port the frame came in on)."""


def state(host: Host, name: str) -> Bridge:
    """The bridge `name`'s state on `host` (created on first use)."""
    return host.bridges.setdefault(name, Bridge())


def ports(host: Host, name: str) -> list[Interface]:
    """The bridge's ports, by ifindex (as `bridge link` lists them)."""
    return sorted((i for i in host.interfaces.values() if i.master == name), key=lambda i: i.index)


def learn(host: Host, name: str, mac: str, port: str) -> None:
    """br_fdb_update(): remember that `mac` is behind `port` (a multicast source is never learned)."""
    if int(mac[:2], 16) & 1:
        return
    fdb = state(host, name).fdb
    entry = fdb.get(mac)
    if entry is not None and entry.local:
        return
    fdb.pop(mac, None)  # re-learned entries move to the end, as the kernel's hash walk would not; stable order
    fdb[mac] = FdbEntry(port, host.clock)


def decide(host: Host, name: str, in_port: str | None, dst_mac: str) -> Decision:
    """Where a frame for `dst_mac` that came in on `in_port` (None: sent by the host itself) goes."""
    bridge = host.interfaces[name]
    up_ports = tuple(p.name for p in ports(host, name) if p.up and p.name != in_port)
    if dst_mac == bridge.mac:
        return Decision(True, (), "local")
    if int(dst_mac[:2], 16) & 1:
        return Decision(in_port is not None, up_ports, "flood")
    entry = live(host, name).get(dst_mac)
    if entry is None:
        return Decision(in_port is not None, up_ports, "flood")
    if entry.local:
        return Decision(True, (), "local")
    if entry.port == in_port:
        return Decision(False, (), "filtered")
    return Decision(False, (entry.port,), "fdb")


def live(host: Host, name: str) -> dict[str, FdbEntry]:
    """The entries not aged out (br_fdb_cleanup runs as time passes; here they are dropped on reading)."""
    fdb = state(host, name).fdb
    for mac in [m for m, e in fdb.items() if not e.local and host.clock - e.updated > AGEING_TIME]:
        del fdb[mac]
    return fdb


def port_added(host: Host, name: str, port: Interface) -> None:
    """A new port: its MAC becomes a local entry, and the bridge takes the lowest port MAC."""
    fdb = state(host, name).fdb
    fdb[port.mac] = FdbEntry(port.name, host.clock, local=True)
    _recalculate_mac(host, name)


def address_set(host: Host, name: str, old: str) -> None:
    """`ip link set BR address MAC` (br_set_mac_address → br_fdb_change_mac_address): the bridge's
    own MAC becomes a local entry on the bridge device itself (`MAC dev BR master BR permanent`),
    replacing the one for its old MAC, and ports no longer decide the bridge's MAC."""
    br = state(host, name)
    br.mac_set = True
    old_entry = br.fdb.get(old)
    if old_entry is not None and old_entry.local and old_entry.port == name:
        del br.fdb[old]
    mac = host.interfaces[name].mac
    if mac not in br.fdb:
        br.fdb[mac] = FdbEntry(name, host.clock, local=True)


def port_removed(host: Host, name: str, port: Interface) -> None:
    """A port leaves: everything learned behind it and its own entry go."""
    state(host, name).forget_port(port.name)
    _recalculate_mac(host, name)


def _recalculate_mac(host: Host, name: str) -> None:
    recalculate_mac(state(host, name), host.interfaces[name], ports(host, name))
