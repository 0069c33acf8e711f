"""-m connbytes: a connection's packets, bytes or average packet size so far, in one direction or both.

The counts are conntrack's accounting (`CtEntry.acct`), which the kernel keeps only on entries
made while net.netfilter.nf_conntrack_acct is 1. Adding a connbytes rule turns accounting on for
the namespace ("Forcing CT accounting to be enabled"): the rule leaves a flag in the ruleset state
and the stack sets the sysctl when it next makes an entry. An entry without counters never matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..numbers import NumberError, parse_int
from ..packet import Packet
from .api import MatchContext
from .extension import Check, Match, Opt, RuleInfo, Spec, register_match
from .state import RulesetState
from .values import problem

U64_MAX = 2**64 - 1
FORCE_ACCT = "connbytes-forces-acct"
"""Key in `RulesetState.per_rule`: a connbytes rule was added, so conntrack accounting is on."""
_DIRECTIONS = ("original", "reply", "both")
_MODES = ("packets", "bytes", "avgpkt")


@dataclass(frozen=True, slots=True)
class ConnbytesMatch(Match):
    """struct xt_connbytes_info: from > to means the range was negated."""

    name: ClassVar[str] = "connbytes"
    low: int
    high: int
    mode: str
    direction: str

    def _range(self, prefix: str) -> str:
        low, high, inv = (self.high, self.low, " !") if self.low > self.high else (self.low, self.high, "")
        return f"{inv} {prefix}connbytes {low}" + (f":{high}" if high and high < U64_MAX else "")

    def save(self) -> str:
        """` ! --connbytes 10:20 --connbytes-mode bytes --connbytes-dir both` (an open end omitted)."""
        return self._range("--") + f" --connbytes-mode {self.mode} --connbytes-dir {self.direction}"

    def listing(self, numeric: bool) -> str:
        """` connbytes 10 connbytes mode bytes connbytes direction both`."""
        return self._range("") + f" connbytes mode {self.mode} connbytes direction {self.direction}"

    def checkentry(self, state: RulesetState) -> None:
        """connbytes_mt_check(): accounting is forced on for the namespace."""
        state.per_rule[FORCE_ACCT] = True

    def checks(self, state: RulesetState) -> list[Check]:
        """connbytes_mt(): the chosen count, inside [from, to], or outside it when negated."""
        m = self
        sides = {"original": (0,), "reply": (1,), "both": (0, 1)}[m.direction]

        def check(p: Packet, c: MatchContext) -> bool:
            counts = c.ct_acct
            if counts is None or c.ct_state in ("INVALID", "UNTRACKED"):
                return False
            packets = sum(counts[2 * s] for s in sides)
            octets = sum(counts[2 * s + 1] for s in sides)
            if m.mode == "packets":
                what = packets
            elif m.mode == "bytes":
                what = octets
            else:
                what = octets // packets if packets else 0
            if m.high >= m.low:
                return m.low <= what <= m.high
            return what < m.high or what > m.low

        return [(check, self.save().strip())]


def _count(text: str, whole: str) -> int:
    try:
        return parse_int(text, 0, U64_MAX)
    except NumberError:
        raise problem(f'connbytes: bad value for option "--connbytes" near "{whole}", '
                      f"or out of range (0-{U64_MAX}).\n") from None


def _build(opts: list[Opt], info: RuleInfo) -> ConnbytesMatch:
    given = {o.name: o for o in opts}
    for name in ("--connbytes", "--connbytes-dir", "--connbytes-mode"):
        if name not in given:
            raise problem(f'connbytes: option "{name}" must be specified\n')
    value = given["--connbytes"]
    first, colon, second = value.arg.partition(":")
    low = _count(first, value.arg) if first else 0
    high = (_count(second, value.arg) if second else U64_MAX) if colon else U64_MAX
    if high < low:
        raise problem(f"{low} should be less than {high}")
    if value.invert:
        low, high = high, low
    direction, mode = given["--connbytes-dir"].arg, given["--connbytes-mode"].arg
    if direction not in _DIRECTIONS:
        raise problem(f"Unknown --connbytes-dir `{direction}'")
    if mode not in _MODES:
        raise problem(f"Unknown --connbytes-mode `{mode}'")
    return ConnbytesMatch(low, high, mode, direction)


register_match(Spec("connbytes", {"--connbytes": 1, "--connbytes-dir": 1, "--connbytes-mode": 1}, _build,
                    frozenset({"--connbytes"})))
