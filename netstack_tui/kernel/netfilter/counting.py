"""Matches that count packets or bytes per rule: statistic (xt_statistic) and quota (xt_quota).

Their counters decide verdicts (the nth packet, the byte that exhausts a quota), so they are state,
kept in `RulesetState.per_rule` under a key the rule gets when it is compiled, like limit's bucket.
Random mode draws from a generator seeded per host (its name), so a run is reproducible; the
generator's state is a plain int in `per_rule`, where `kernel.steady` sees it change.
"""

from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass
from typing import ClassVar

from ..numbers import NumberError, parse_int
from ..packet import Packet
from .api import MatchContext
from .extension import Check, Match, Opt, RuleInfo, Spec, register_match
from .state import RulesetState
from .values import parse_uint, problem

RULE_KEYS = itertools.count(1)
"""Keys of per-rule state in `RulesetState.per_rule`: one per compiled rule, never reused."""

RANDOM_SCALE = 0x80000000
"""xt_statistic keeps the probability as a 31-bit fixed-point fraction."""
_RNG_KEY = "statistic-rng"


def next_random(rules: RulesetState, seed_text: str) -> int:
    """The host's next 32-bit random number (a 64-bit LCG whose state lives in `per_rule`)."""
    state = rules.per_rule.get(_RNG_KEY)
    if state is None:
        state = zlib.crc32(seed_text.encode()) | 1
    state = (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
    rules.per_rule[_RNG_KEY] = state
    return state >> 32


@dataclass(frozen=True, slots=True)
class StatisticMatch(Match):
    """-m statistic --mode random --probability P | --mode nth --every N --packet P."""

    name: ClassVar[str] = "statistic"
    mode: str
    invert: bool = False
    probability: int = 0
    """Random mode: P * 2^31, rounded, as the kernel stores it."""
    every: int = 0
    packet: int = 0

    def _text(self, prefix: str) -> str:
        # libxt_statistic's print_match: `--packet` is always saved, listed only when non-zero.
        inv = " !" if self.invert else ""
        if self.mode == "random":
            return f" {prefix}mode random{inv} {prefix}probability {self.probability / RANDOM_SCALE:.11f}"
        text = f" {prefix}mode nth{inv} {prefix}every {self.every}"
        return text + (f" {prefix}packet {self.packet}" if self.packet or prefix else "")

    def save(self) -> str:
        """` --mode random --probability 0.29999999981`."""
        return self._text("--")

    def listing(self, numeric: bool) -> str:
        """` statistic mode nth every 3 packet 1`."""
        return " statistic" + self._text("")

    def checks(self, state: RulesetState) -> list[Check]:
        """statistic_mt(): a draw below the probability, or the counter wrapping to 0 every N."""
        m = self
        key = next(RULE_KEYS)
        if m.mode == "nth":
            # The count starts where the first match falls on packet `--packet` (0-based).
            state.per_rule[key] = (m.every - 1) - m.packet

        def check(p: Packet, c: MatchContext) -> bool:
            rules = c.rules
            assert rules is not None
            if m.mode == "random":
                seed = getattr(c.host, "name", "host")
                return ((next_random(rules, seed) & 0x7FFFFFFF) < m.probability) != m.invert
            count = rules.per_rule.get(key, (m.every - 1) - m.packet)
            count = 0 if count == m.every - 1 else count + 1
            rules.per_rule[key] = count
            return (count == 0) != m.invert

        return [(check, self.save().strip())]


def _build_statistic(opts: list[Opt], info: RuleInfo) -> StatisticMatch:
    given = {o.name: o for o in opts}
    mode = given.get("--mode")
    if mode is None:
        raise problem('statistic: option "--mode" must be specified\n')
    if mode.invert:
        raise problem('statistic: option "--mode" cannot be inverted.\n')
    if "--every" in given and "--packet" not in given:
        raise problem('statistic: option "--every" also requires "--packet".\n')
    invert = any(o.invert for o in opts)
    if mode.arg == "random":
        if "--probability" not in given:
            raise problem("--probability must be specified when using random mode")
        if "--every" in given or "--packet" in given:
            raise problem("--every and --packet can't be specified when using random mode")
        try:
            prob = float(given["--probability"].arg)
        except ValueError:
            prob = -1.0
        if not 0.0 <= prob <= 1.0:
            raise problem('statistic: bad value for option "--probability", or out of range (0-1).\n')
        # lround(): halves round away from zero.
        return StatisticMatch("random", invert, probability=int(RANDOM_SCALE * prob + 0.5))
    if mode.arg != "nth":
        raise problem(f"Bad mode \"{mode.arg}\"")
    if "--every" not in given:
        raise problem("--every and --packet must be specified when using nth mode")
    if "--probability" in given:
        raise problem("--probability can't be specified when using nth mode")
    every = parse_uint(given["--every"].arg, 1, 0xFFFFFFFF)
    if every is None:
        raise problem('statistic: bad value for option "--every", or out of range (1-4294967295).\n')
    packet = parse_uint(given["--packet"].arg, 0, 0xFFFFFFFF)
    if packet is None:
        raise problem('statistic: bad value for option "--packet", or out of range (0-4294967295).\n')
    if packet > every - 1:
        raise problem("the --packet p must be 0 <= p <= n-1")
    return StatisticMatch("nth", invert, every=every, packet=packet)


register_match(Spec("statistic", {"--mode": 1, "--probability": 1, "--every": 1, "--packet": 1},
                    _build_statistic, frozenset({"--mode", "--probability", "--every"})))


@dataclass(frozen=True, slots=True)
class QuotaMatch(Match):
    """-m quota [!] --quota BYTES: match until the rule has passed BYTES bytes."""

    name: ClassVar[str] = "quota"
    quota: int
    invert: bool = False

    def save(self) -> str:
        """` ! --quota 50` (the quota as written, not what is left)."""
        return f"{' !' if self.invert else ''} --quota {self.quota}"

    def listing(self, numeric: bool) -> str:
        """` quota: 50 bytes` (libxt_quota lists no `!`)."""
        return f" quota: {self.quota} bytes"

    def checks(self, state: RulesetState) -> list[Check]:
        """quota_mt(): spend the packet's length while it fits; once one does not, nothing is left."""
        m = self
        key = next(RULE_KEYS)
        state.per_rule[key] = m.quota

        def check(p: Packet, c: MatchContext) -> bool:
            rules = c.rules
            assert rules is not None
            left = rules.per_rule.get(key, m.quota)
            length = p.length
            if left >= length:
                rules.per_rule[key] = left - length
                return not m.invert
            rules.per_rule[key] = 0
            return m.invert

        return [(check, self.save().strip())]


def _build_quota(opts: list[Opt], info: RuleInfo) -> QuotaMatch:
    if not opts:
        raise problem('quota: option "--quota" must be specified\n')
    opt = opts[-1]
    try:
        value = parse_int(opt.arg.strip(), 0, 2**64 - 1)
    except NumberError:
        raise problem(f'quota: bad value for option "--quota", or out of range (0-{2**64 - 1}).\n') from None
    return QuotaMatch(value, opt.invert)


register_match(Spec("quota", {"--quota": 1}, _build_quota, frozenset({"--quota"})))
