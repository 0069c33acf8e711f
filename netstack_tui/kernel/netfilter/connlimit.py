"""-m connlimit: how many tracked connections share the packet's (masked) source or destination.

Like nf_conncount, each rule keeps its own list of the connections it has seen, grouped by key
(the masked address), and counts those still alive in the conntrack table: an entry that is gone,
or a TCP connection in TIME_WAIT or CLOSE, no longer counts once a walk of the list reaches it. The
packet's own connection is added when it is not listed yet, so the first SYN of a connection
already counts itself. The lists live
in `RulesetState.per_rule`, where `kernel.steady` sees them as state.

The kernel skips its walk when the list was walked in the same jiffy (adding the connection even
if it is listed); the simulator always walks it, since its clock stands still during a flood.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

from ..addr import prefix_mask
from ..conntrack import packet_tuple
from ..packet import Packet
from .api import CtTuple, MatchContext
from .extension import Check, Match, Opt, RuleInfo, Spec, register_match
from .state import RulesetState
from .values import parse_uint, problem

_KEYS = itertools.count(1)
GC_MAX = 8
"""CONNCOUNT_GC_MAX_NODES: a walk stops forgetting after this many."""
_CLOSED = frozenset({"TIME_WAIT", "CLOSE"})
"""already_closed(): TCP connections in these states are dropped from the count."""


@dataclass(frozen=True, slots=True)
class ConnlimitMatch(Match):
    """-m connlimit --connlimit-above|upto N [--connlimit-mask L] [--connlimit-saddr|--connlimit-daddr]."""

    name: ClassVar[str] = "connlimit"
    limit: int
    upto: bool
    """XT_CONNLIMIT_INVERT: match while the count is at most `limit`."""
    mask: int = 32
    daddr: bool = False

    def save(self) -> str:
        """` --connlimit-above 2 --connlimit-mask 32 --connlimit-saddr` (mask and side always printed)."""
        bound = "upto" if self.upto else "above"
        side = "daddr" if self.daddr else "saddr"
        return f" --connlimit-{bound} {self.limit} --connlimit-mask {self.mask} --connlimit-{side}"

    def listing(self, numeric: bool) -> str:
        """` #conn src/32 > 2`."""
        return f" #conn {'dst' if self.daddr else 'src'}/{self.mask} {'<=' if self.upto else '>'} {self.limit}"

    def checks(self, state: RulesetState) -> list[Check]:
        """connlimit_mt(): count the key's live connections (adding this one) and compare."""
        m = self
        slot = ("connlimit", next(_KEYS))
        mask = prefix_mask(m.mask)

        def check(p: Packet, c: MatchContext) -> bool:
            assert c.rules is not None
            lists: dict[int, list[CtTuple]] = c.rules.per_rule.setdefault(slot, {})
            key = (p.dst if m.daddr else p.src) & mask
            own = c.ct_orig if c.ct_orig is not None else packet_tuple(p)
            listed = lists[key] = _add(lists.get(key, []), own, getattr(c.host, "conntrack", None), c.now)
            return (len(listed) > m.limit) != m.upto

        return [(check, self.save().strip())]


def _add(listed: list[CtTuple], own: CtTuple, table: object, now: float) -> list[CtTuple]:
    """__nf_conncount_add(): walk the list in order, forgetting connections that are gone or closed
    (at most `GC_MAX` of them per walk), and stop at the packet's own connection if it is listed
    and alive; otherwise it is added at the end. Entries behind the stop are not looked at, so a
    dead connection there still counts until a later walk reaches it, as in the kernel."""
    kept: list[CtTuple] = []
    collected = 0
    for index, t in enumerate(listed):
        if collected > GC_MAX:
            return kept + listed[index:] + [own]
        hit = table.find(t, now) if table is not None else None  # type: ignore[attr-defined]
        if hit is None:
            collected += 1
            continue
        if t == own:
            return kept + listed[index:]
        if hit[0].tcp_state in _CLOSED:
            collected += 1
            continue
        kept.append(t)
    return kept + [own]


def _build(opts: list[Opt], info: RuleInfo) -> ConnlimitMatch:
    given = {o.name: o for o in opts}
    if "--connlimit-above" in given and "--connlimit-upto" in given:
        raise problem('connlimit: option "--connlimit-upto" cannot be used together with "--connlimit-above".\n')
    if "--connlimit-saddr" in given and "--connlimit-daddr" in given:
        raise problem('connlimit: option "--connlimit-saddr" cannot be used together with "--connlimit-daddr".\n')
    bound = given.get("--connlimit-above") or given.get("--connlimit-upto")
    if bound is None:
        raise problem('You must specify "--connlimit-above" or "--connlimit-upto".')
    limit = parse_uint(bound.arg, 0, 0xFFFFFFFF)
    if limit is None:
        raise problem(f'connlimit: bad value for option "{bound.name}", or out of range (0-4294967295).\n')
    upto = (bound.name == "--connlimit-upto") != bound.invert
    mask_opt = given.get("--connlimit-mask")
    mask = 32
    if mask_opt is not None:
        value = parse_uint(mask_opt.arg, 0, 128)
        if value is None:
            raise problem('connlimit: bad value for option "--connlimit-mask", or out of range (0-128).\n')
        # A prefix length beyond 32 is an all-ones IPv4 mask (libxt_connlimit parses it for IPv6 too).
        mask = min(value, 32)
    return ConnlimitMatch(limit, upto, mask, "--connlimit-daddr" in given)


register_match(Spec("connlimit", {"--connlimit-upto": 1, "--connlimit-above": 1, "--connlimit-mask": 1,
                                  "--connlimit-saddr": 0, "--connlimit-daddr": 0}, _build,
                    frozenset({"--connlimit-upto", "--connlimit-above"})))
