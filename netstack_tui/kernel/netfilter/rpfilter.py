"""-m rpfilter: would the reply to this packet leave through the interface it came in on?

xt_rpfilter asks the FIB for the route back to the packet's source (from the loopback
interface, with the packet's destination as source address unless that is multicast,
broadcast or 0.0.0.0) and accepts a unicast route through the arriving interface; `--loose`
accepts any unicast route, `--accept-local` a local one too, `--validmark` looks up with the
packet's mark, `--invert` reverses the answer. Only raw and mangle PREROUTING may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..packet import Packet
from .api import MatchContext
from .extension import Check, Match, Opt, RuleInfo, Spec, register_match
from .state import RulesetState

_FLAGS = ("loose", "validmark", "accept-local", "invert")


def _no_source(addr: int) -> bool:
    """rpfilter_get_saddr(): multicast, limited broadcast and 0.0.0.0 give no source to look up with."""
    return addr >> 28 == 0xE or addr == 0xFFFFFFFF or addr >> 24 == 0


@dataclass(frozen=True, slots=True)
class RpfilterMatch(Match):
    """-m rpfilter [--loose] [--validmark] [--accept-local] [--invert]."""

    name: ClassVar[str] = "rpfilter"
    hooks: ClassVar[frozenset[str] | None] = frozenset({"PREROUTING"})
    tables: ClassVar[frozenset[str] | None] = frozenset({"raw", "mangle"})
    flags: frozenset[str] = frozenset()

    def save(self) -> str:
        """` --loose --validmark --accept-local --invert` (those given, in this order)."""
        return "".join(f" --{f}" for f in _FLAGS if f in self.flags)

    def listing(self, numeric: bool) -> str:
        """` rpfilter loose invert`."""
        return " rpfilter" + "".join(f" {f}" for f in _FLAGS if f in self.flags)

    def checks(self, state: RulesetState) -> list[Check]:
        """rpfilter_mt() and rpfilter_lookup_reverse()."""
        flags = self.flags
        invert = "invert" in flags

        def check(p: Packet, c: MatchContext) -> bool:
            host = c.host
            if host is None:
                return False
            iif = p.iif or "lo"
            if iif == "lo":
                return not invert
            if p.src == 0 and (p.dst == 0xFFFFFFFF or p.dst >> 8 == 0xE00000):
                # A DHCP client has no address yet: broadcasts and 224.0.0.0/24 from 0.0.0.0 pass.
                return not invert
            back = host.routing.lookup(p.src, 0 if _no_source(p.dst) else p.dst, "lo", None,
                                       p.mark if "validmark" in flags else 0)
            route = back.route
            if route is None or back.error:
                return invert
            if route.type != "unicast" and not (route.type == "local" and "accept-local" in flags):
                return invert
            return (route.dev == iif or "loose" in flags) != invert

        return [(check, self.save().strip() or "-m rpfilter")]


def _build(opts: list[Opt], info: RuleInfo) -> RpfilterMatch:
    return RpfilterMatch(frozenset(o.name[2:] for o in opts))


register_match(Spec("rpfilter", {f"--{f}": 0 for f in _FLAGS}, _build))
