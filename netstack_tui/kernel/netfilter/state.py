"""Per-host state of the compiled matches: the xt_recent address lists and each limit rule's bucket.

Compiled predicates keep none of it themselves: they find it through the `MatchContext` of the
ruleset being traversed, so a copied host (a session's snapshot before a packet) gets its own lists
and buckets instead of sharing the original's.

Like /proc/net/xt_recent/NAME, a list is shared by every rule that names it, and it keeps at most
`LIST_TOTAL` addresses with at most `PKT_LIST_TOTAL` timestamps each (the module's defaults
ip_list_tot=100 and ip_pkt_list_tot=20).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..ipset import IpsetRegistry

HZ = 250
"""Kernel tick rate the simulated clock is quantised to (CONFIG_HZ of Debian/Ubuntu kernels)."""

LIST_TOTAL = 100
PKT_LIST_TOTAL = 20


def jiffies(now: float) -> int:
    """The jiffies counter at simulated time `now` (seconds since boot)."""
    return int(now * HZ)


@dataclass(slots=True)
class RecentEntry:
    """One address in a recent list: its last TTL and up to 20 jiffies timestamps, oldest first."""

    addr: int
    ttl: int
    stamps: list[int] = field(default_factory=list)


@dataclass(slots=True)
class RecentTable:
    """A named xt_recent list; insertion order doubles as the LRU order the module evicts by."""

    name: str
    mask: int = 0xFFFFFFFF
    max_stamps: int = PKT_LIST_TOTAL
    entries: dict[int, RecentEntry] = field(default_factory=dict)

    def lookup(self, addr: int, ttl: int) -> RecentEntry | None:
        """recent_entry_lookup: the entry for addr (and, when ttl is non-zero, that TTL)."""
        entry = self.entries.get(addr)
        if entry is None or (ttl and entry.ttl != ttl):
            return None
        return entry

    def add(self, addr: int, ttl: int, now: int) -> RecentEntry:
        """recent_entry_init: a new entry stamped now, evicting the oldest when the list is full."""
        if len(self.entries) >= LIST_TOTAL:
            del self.entries[next(iter(self.entries))]
        entry = RecentEntry(addr, ttl, [now])
        self.entries[addr] = entry
        return entry

    def touch(self, entry: RecentEntry, now: int) -> None:
        """recent_entry_update: add a timestamp and move the entry to the LRU tail."""
        entry.stamps.append(now)
        if len(entry.stamps) > self.max_stamps:
            del entry.stamps[0]
        self.entries.pop(entry.addr, None)
        self.entries[entry.addr] = entry

    def lines(self) -> list[str]:
        """/proc/net/xt_recent/NAME lines (timestamps in jiffies)."""
        from ..addr import format_ipv4

        return [
            f"src={format_ipv4(e.addr)} ttl: {e.ttl} last_seen: {e.stamps[-1]} oldest_pkt: {len(e.stamps)} "
            + ", ".join(str(s) for s in e.stamps)
            for e in self.entries.values()
        ]


class LimitBucket:
    """One limit rule's xt_limit_priv: credit left and the jiffy it was last refilled."""

    __slots__ = ("credit", "prev")

    def __init__(self, credit: int, prev: int) -> None:
        self.credit = credit
        self.prev = prev


@dataclass(slots=True)
class RulesetState:
    """Mutable state the compiled matches of one host share."""

    recent: dict[str, RecentTable] = field(default_factory=dict)
    limits: dict[int, LimitBucket] = field(default_factory=dict)
    """Buckets by the key their rule was compiled with (a rule inserted again gets a new one)."""
    per_rule: dict[object, Any] = field(default_factory=dict)
    """State of the other counting matches (statistic, quota, hashlimit, connlimit), by the key
    their rule was compiled with, like `limits`. It decides verdicts, so it is never an accumulator."""
    ipsets: IpsetRegistry = field(default_factory=IpsetRegistry)
    """The namespace's IP sets (`ipset`, `-m set`, `-j SET`)."""

    def recent_table(self, name: str, mask: int) -> RecentTable:
        """The list called `name`, created on first use as the module does at checkentry."""
        table = self.recent.get(name)
        if table is None:
            table = self.recent[name] = RecentTable(name, mask)
        return table
