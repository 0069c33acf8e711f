"""Which address family the netfilter tools are working for: iptables (IPv4) or ip6tables (IPv6).

The two tools share one parser, one table model and one printer; only a few things differ
(address syntax, protocol names, the ICMP flavour, REJECT's types, program names in messages).
Those places ask `current()`; the ip6tables commands run the shared code inside `using(IPV6)`.
A context variable rather than a parameter threaded through every call: the differences are
few and deep (an address printed by a conntrack match), the call paths many.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Family:
    """What distinguishes one family's tools."""

    version: int
    """4 or 6."""
    tool: str
    """iptables or ip6tables: the name in messages and in iptables-save's header."""
    address_bits: int
    proto_names: tuple[tuple[int, str], ...] = ()
    """Protocol numbers the tool names differently from the shared table."""
    missing: frozenset[str] = frozenset()
    """Extensions of the other family this tool cannot load (`Couldn't load match`)."""

    @property
    def full_mask(self) -> int:
        """The all-ones mask of a host address."""
        return (1 << self.address_bits) - 1


IPV4 = Family(4, "iptables", 32)
IPV6 = Family(
    6,
    "ip6tables",
    128,
    proto_names=((58, "ipv6-icmp"), (135, "mobility-header")),
    # libipt_* modules have no libip6t_* twin: ip6tables answers as for an unknown module.
    missing=frozenset({"icmp", "ttl", "TTL", "ECN", "realm", "CLUSTERIP", "ULOG"}),
)

_CURRENT: ContextVar[Family] = ContextVar("netfilter_family", default=IPV4)


def current() -> Family:
    """The family the running netfilter command works for (IPv4 unless inside `using`)."""
    return _CURRENT.get()


@contextmanager
def using(family: Family) -> Iterator[Family]:
    """Run the shared netfilter code for `family` within the block."""
    token = _CURRENT.set(family)
    try:
        yield family
    finally:
        _CURRENT.reset(token)


_TOOL_AT_LINE_START = re.compile(r"^iptables(?=[-: ])", re.MULTILINE)


def retitle(message: str, family: Family) -> str:
    """A message the shared code wrote as iptables, with the program named as `family`'s tool.

    Only a tool name that opens a line is renamed (`iptables v1.8.9`, `iptables-restore ...`,
    `iptables: No chain ...`), never a chain or comment that happens to contain the word.
    """
    if family.version == 4:
        return message
    return _TOOL_AT_LINE_START.sub(family.tool, message)
