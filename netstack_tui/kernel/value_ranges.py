"""Where a host's configuration can tell two values of one packet field apart.

A flood whose packets differ only in their source port (or only in their source address) meets
rules, routes and addresses that test that field. Every such test the simulator has is an
interval test: a port range, an address prefix, an address range, one address. `boundaries`
collects the ends of all of them, so between two neighbouring boundaries every test gives the
same answer for every value — the partition `kernel.varied` runs a flood's classes by.

The field is tested in both directions: a SYN's source port is its SYN-ACK's destination port, so
the ends of destination-port tests count too (and likewise addresses). That is coarser than
needed, never wrong.

A test this module does not know (a match or target it has not been taught, an nft ruleset, a tc
filter, an address-type test) makes `boundaries` answer None: nothing is claimed about a field
that something unknown may read, and the flood walks every packet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .netfilter.ctmatches import ConntrackMatch, MarkMatch, StateMatch
from .netfilter.matches import (
    CommentMatch,
    IcmpMatch,
    IprangeMatch,
    LengthMatch,
    MacMatch,
    MultiportMatch,
    PkttypeMatch,
    PortsMatch,
    TosMatch,
    TtlMatch,
)
from .netfilter.targets import ConnmarkTarget, LogTarget, MarkTarget, RejectTarget, TosTarget

if TYPE_CHECKING:
    from .host import Host
    from .netfilter.rule import Rule

Interval = tuple[int, int]
"""Inclusive [low, high]."""

_PORT_BLIND = (CommentMatch, IcmpMatch, IprangeMatch, LengthMatch, MacMatch, MarkMatch, PkttypeMatch,
               StateMatch, TosMatch, TtlMatch)
"""Matches that never read a port."""
_ADDRESS_BLIND = (CommentMatch, IcmpMatch, LengthMatch, MacMatch, MarkMatch, MultiportMatch, PortsMatch,
                  StateMatch, TosMatch, TtlMatch)
"""Matches that never read an IP address (pkttype reads the link-layer destination, which a
packet to another address may change: it is not among them)."""
_TARGETS = (ConnmarkTarget, LogTarget, MarkTarget, RejectTarget, TosTarget)
"""Targets whose decisions read no port or address (REJECT's answer carries them, as data)."""

_SPECIAL_PREFIXES = ((0, 8), (0x7F000000, 8), (0xE0000000, 4), (0xF0000000, 4), (0xFFFFFFFF, 32))
"""0/8, 127/8, multicast, class E and limited broadcast: the input path's martian tests."""


def boundaries(host: Host, field: str) -> list[int] | None:
    """Sorted values at which some test of `field` ("sport" or "src") may change its answer, or
    None when something that may read the field is not understood here."""
    found = _intervals(host, field)
    if found is None:
        return None
    cuts = set()
    for low, high in found:
        cuts.add(low)
        cuts.add(high + 1)
    return sorted(cuts)


def _intervals(host: Host, field: str) -> list[Interval] | None:
    if host.nft.tables or any(i.tc.filters for i in host.interfaces.values()):
        return None
    out: list[Interval] = []
    for table in host.iptables.tables.values():
        for chain in table.chains.values():
            for entry in chain.entries:
                got = _rule_intervals(entry.rule, field)
                if got is None:
                    return None
                out.extend(got)
    if field == "src":
        out.extend(_address_intervals(host))
    return out


def _rule_intervals(rule: Rule, field: str) -> list[Interval] | None:
    if rule.target is not None and not isinstance(rule.target, _TARGETS):
        return None
    out: list[Interval] = []
    if field == "src":
        for addr, mask in ((rule.src, rule.src_mask), (rule.dst, rule.dst_mask)):
            interval = _masked(addr, mask)
            if interval is None:
                return None
            out.append(interval)
    for match in rule.matches:
        got = _match_intervals(match, field)
        if got is None:
            return None
        out.extend(got)
    return out


def _match_intervals(match: object, field: str) -> list[Interval] | None:
    if field == "sport":
        if isinstance(match, PortsMatch):
            return [match.sport, match.dport]
        if isinstance(match, MultiportMatch):
            return list(match.ranges)
        if isinstance(match, ConntrackMatch):
            return [value for key, _, value in match.items if key.endswith("port")]  # type: ignore[misc]
        return [] if isinstance(match, _PORT_BLIND) else None
    if isinstance(match, IprangeMatch):
        return [r for r in (match.src, match.dst) if r is not None]
    if isinstance(match, ConntrackMatch):
        found = [_masked(*value) for key, _, value in match.items  # type: ignore[misc]
                 if key.endswith(("src", "dst"))]
        return None if None in found else found  # type: ignore[return-value]
    return [] if isinstance(match, _ADDRESS_BLIND) else None


def _address_intervals(host: Host) -> Iterator[Interval]:
    """Routes (input and output lookups, rp_filter), policy rules, the host's own and broadcast
    addresses, and the ranges the input path refuses as martians."""
    for routes in host.routing.tables.values():
        for route in routes:
            yield _prefix(route.dst, route.plen)
    for rule in host.routing.rules:
        for selector in (rule.src, rule.dst):
            if selector is not None:
                yield _prefix(*selector)
    for iface in host.interfaces.values():
        for address in iface.addresses:
            yield address.addr, address.addr
            if address.broadcast is not None:
                yield address.broadcast, address.broadcast
            yield _prefix(address.addr, address.prefixlen)
    yield from (_prefix(addr, plen) for addr, plen in _SPECIAL_PREFIXES)


def _prefix(addr: int, plen: int) -> Interval:
    size = 1 << (32 - plen)
    low = addr & ~(size - 1) & 0xFFFFFFFF
    return low, low + size - 1


def _masked(addr: int, mask: int) -> Interval | None:
    """An address under a netmask as an interval, or None for a mask with holes (iptables takes
    any mask; `-s 10.0.0.1/255.0.255.0` tests no interval)."""
    plen = bin(mask).count("1")
    if mask != (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF:
        return None
    return _prefix(addr, plen)
