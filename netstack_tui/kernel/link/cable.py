"""Following a frame out of a device: across its cable and through any bridges, to the devices that
receive it.

This is the layer-2 walk ARP needs (a request is broadcast, a reply comes back unicast) and that the
topology view reads. An IP packet's journey does not use the walk: it crosses one cable at a time,
and each namespace it enters runs its own receive path, bridge stage included (see `kernel.stack`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..host import Host, far_host
from ..interfaces import Interface
from . import bridge


@dataclass(frozen=True, slots=True)
class Landing:
    """A device a frame reached, in its namespace."""

    host: Host
    iface: Interface


def reach(host: Host, dev: str, src_mac: str, dst_mac: str) -> list[Landing]:
    """Every device a frame sent by `host` out of `dev` arrives at (bridges on the way learn its
    source MAC). One device for a unicast a bridge knows; every flooded port for a broadcast."""
    out: list[Landing] = []
    iface = host.interfaces.get(dev)
    if iface is None or not iface.up:
        return out
    if iface.kind == "bridge":
        _through_bridge(host, iface.name, None, src_mac, dst_mac, out, set())
    else:
        _across(host, iface, src_mac, dst_mac, out, set())
    return out


def _across(host: Host, iface: Interface, src_mac: str, dst_mac: str, out: list[Landing],
            seen: set[tuple[int, str]]) -> None:
    key = (id(host), iface.name)
    if key in seen or iface.cable is None:
        return
    seen.add(key)
    there, far = far_host(iface.cable), iface.cable.far()
    if far is None or not far.up:
        return
    if far.master is None:
        out.append(Landing(there, far))
        return
    _through_bridge(there, far.master, far.name, src_mac, dst_mac, out, seen)


def _through_bridge(host: Host, name: str, in_port: str | None, src_mac: str, dst_mac: str, out: list[Landing],
                    seen: set[tuple[int, str]]) -> None:
    br = host.interfaces.get(name)
    if br is None or not br.up:
        return
    if in_port is not None:
        bridge.learn(host, name, src_mac, in_port)
    decision = bridge.decide(host, name, in_port, dst_mac)
    if decision.local:
        out.append(Landing(host, br))
    for port in decision.ports:
        _across(host, host.interfaces[port], src_mac, dst_mac, out, seen)
