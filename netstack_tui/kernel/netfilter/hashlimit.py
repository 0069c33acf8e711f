"""-m hashlimit: a token bucket per key (xt_hashlimit revision 3), on the simulated clock.

The key is built from the packet as `--hashlimit-mode` says (source/destination address under
their masks, ports when the protocol has them); with no mode every packet shares one bucket.
Buckets live in a table named by `--hashlimit-name`, shared by every rule naming it, with the
configuration of the rule that created it, as in the kernel. The tables are kept in
`RulesetState.per_rule` so `kernel.steady` sees them as state. A bucket unused for
`--hashlimit-htable-expire` ms (10 s by default) is forgotten, so the next packet of its key
starts with a full burst again (the kernel's garbage collector runs every second; we forget
the bucket at its expiry exactly).

Rates in bytes (`1kb/s`) are printed as written and not evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from ..addr import prefix_mask
from ..packet import Packet
from .api import MatchContext
from .extension import Check, Match, Opt, RuleInfo, Spec, register_match
from .opaque import Defaults, items_text, ordered_items
from .rate import parse_rate, rate_text
from .state import HZ, RulesetState, jiffies
from .values import Refused, parse_uint, problem

SCALE = 1_000_000
"""XT_HASHLIMIT_SCALE_v2: rates are microseconds per packet."""
CREDITS_PER_JIFFY = 1 << ((0xFFFFFFFFFFFFFFFF // (HZ * 60 * 60 * 24)).bit_length() - 1)
"""The 64-bit CREDITS_PER_JIFFY of revisions 2 and 3 (a power of two that cannot overflow in a day)."""
DEFAULT_EXPIRE_MS = 10_000
_PORT_PROTOCOLS = frozenset({6, 17, 33, 132, 136})
"""proto_ports_offset(): TCP, UDP, DCCP, SCTP, UDP-Lite carry ports where the key reads them."""
_BYTE_RATE = re.compile(r"^\d+[kmg]?b/", re.IGNORECASE)
_MODES = ("srcip", "srcport", "dstip", "dstport")


def user2credits(user: int) -> int:
    """xt_hashlimit's user2credits() for revision 2 and later: the constants are divided first, and
    the product wraps at 64 bits as the kernel's u64 does (which is what its overflow check catches)."""
    return (user * (HZ * CREDITS_PER_JIFFY // SCALE)) & 0xFFFFFFFFFFFFFFFF


def _rate(args: tuple[str, ...]) -> tuple[str, ...]:
    if _BYTE_RATE.match(args[0]):
        return args
    return (rate_text(parse_rate(args[0], SCALE), SCALE),)


def _mode(args: tuple[str, ...]) -> tuple[str, ...]:
    words = args[0].split(",")
    for word in words:
        if word not in _MODES:
            raise problem(f'hashlimit: Bad value for "--hashlimit-mode" option: "{args[0]}"')
    return (",".join(w for w in _MODES if w in words),)


TABLE = (
    ("--hashlimit-upto", 1, _rate),
    ("--hashlimit-above", 1, _rate),
    ("--hashlimit-burst", 1, None),
    ("--hashlimit-mode", 1, _mode),
    ("--hashlimit-name", 1, None),
    ("--hashlimit-htable-size", 1, None),
    ("--hashlimit-htable-max", 1, None),
    ("--hashlimit-htable-gcinterval", 1, None),
    ("--hashlimit-htable-expire", 1, None),
    ("--hashlimit-srcmask", 1, None),
    ("--hashlimit-dstmask", 1, None),
    ("--hashlimit-rate-match", 0, None),
    ("--hashlimit-rate-interval", 1, None),
)
_DEFAULTS: Defaults = {"--hashlimit-burst": (("5",), ())}


@dataclass(frozen=True, slots=True)
class HashlimitMatch(Match):
    """-m hashlimit --hashlimit-upto|above RATE [--hashlimit-burst N] [--hashlimit-mode ...] --hashlimit-name N."""

    name: ClassVar[str] = "hashlimit"
    items: tuple[tuple[str, bool, tuple[str, ...]], ...]
    avg: int
    """Microseconds per packet (0 for a byte rate, which is not evaluated)."""
    burst: int
    above: bool
    modes: frozenset[str]
    table_name: str
    srcmask: int = 32
    dstmask: int = 32
    expire_ms: int = DEFAULT_EXPIRE_MS

    def save(self) -> str:
        """Options in libxt_hashlimit's print order (the default burst included)."""
        return items_text(self.items)

    def listing(self, numeric: bool) -> str:
        """` limit: up to 5/sec burst 5 mode srcip-dstport htable-expire 10000 srcmask 24`."""
        opts = {name: args for name, _, args in self.items}
        rate = (opts.get("--hashlimit-above") or opts.get("--hashlimit-upto") or ("",))[0]
        text = f" limit: {'above' if self.above else 'up to'} {rate}"
        if "--hashlimit-burst" in opts:
            text += f" burst {opts['--hashlimit-burst'][0]}"
        if "--hashlimit-mode" in opts:
            text += " mode " + opts["--hashlimit-mode"][0].replace(",", "-")
        for option, _, args in self.items:
            word = option.removeprefix("--hashlimit-")
            if word in ("upto", "above", "burst", "mode", "name"):
                continue
            text += f" {word}" + "".join(f" {a}" for a in args)
        return text

    def _key(self, p: Packet) -> tuple[int, int, int, int]:
        """hashlimit_init_dst(): the fields the mode names, masked; ports only where the protocol has them."""
        ports = p.proto in _PORT_PROTOCOLS
        return (
            p.src & prefix_mask(self.srcmask) if "srcip" in self.modes else 0,
            p.dst & prefix_mask(self.dstmask) if "dstip" in self.modes else 0,
            p.sport if ports and "srcport" in self.modes else 0,
            p.dport if ports and "dstport" in self.modes else 0,
        )

    def checks(self, state: RulesetState) -> list[Check]:
        """hashlimit_mt_common(): find or make the key's bucket, refill it, spend one packet's cost."""
        m = self
        if not m.avg:
            return [((lambda p, c: False), "-m hashlimit (byte rates not simulated)")]
        slot = ("hashlimit", m.table_name)
        # The first rule naming a table creates it with its configuration (the key's fields, rate,
        # burst, expiry); a later rule naming it shares the table, config and all, and keeps only
        # its own upto/above.
        state.per_rule.setdefault(slot, {"config": m, "buckets": {}})

        def check(p: Packet, c: MatchContext) -> bool:
            assert c.rules is not None
            table = c.rules.per_rule.setdefault(slot, {"config": m, "buckets": {}})
            config: HashlimitMatch = table["config"]
            cost, cap = user2credits(config.avg), user2credits(config.avg * config.burst)
            buckets: dict[tuple[int, int, int, int], list[int]] = table["buckets"]
            now = jiffies(c.now)
            key = config._key(p)
            bucket = buckets.get(key)
            expire = config.expire_ms * HZ // 1000
            if bucket is None or now >= bucket[2]:
                # dsthash_alloc_init() + rateinfo_init(): a new key starts with the whole burst.
                bucket = buckets[key] = [cap, now, now + expire]
            else:
                bucket[2] = now + expire
                if now != bucket[1]:
                    bucket[0] = min(bucket[0] + (now - bucket[1]) * CREDITS_PER_JIFFY, cap)
                    bucket[1] = now
            if bucket[0] >= cost:
                bucket[0] -= cost
                return not m.above
            return m.above

        return [(check, self.save().strip())]


def _number(opt: Opt, low: int, high: int) -> int:
    value = parse_uint(opt.arg, low, high)
    if value is None:
        raise problem(f'hashlimit: bad value for option "{opt.name}", or out of range ({low}-{high}).\n')
    return value


def _build(opts: list[Opt], info: RuleInfo) -> HashlimitMatch:
    given = {o.name: o for o in opts}
    rates = [o for o in opts if o.name in ("--hashlimit-upto", "--hashlimit-above")]
    if "--hashlimit-upto" in given and "--hashlimit-above" in given:
        raise problem('hashlimit: option "--hashlimit-upto" cannot be used together with "--hashlimit-above".\n')
    if "--hashlimit-name" not in given:
        raise problem('hashlimit: option "--hashlimit-name" must be specified\n')
    if not rates:
        raise problem("You have to specify --hashlimit")
    rate = rates[0]
    # `!` turns one bound into the other (XT_HASHLIMIT_INVERT), and the rule prints the other.
    above = (rate.name == "--hashlimit-above") != rate.invert
    swapped = [Opt("--hashlimit-above" if above else "--hashlimit-upto", False, rate.args) if o is rate else o
               for o in opts]
    masks = {}
    for side in ("src", "dst"):
        opt = given.get(f"--hashlimit-{side}mask")
        masks[side] = _number(opt, 0, 0xFFFFFFFF) if opt is not None else 32
        if masks[side] > 32:
            raise Refused()
    byte_rate = bool(_BYTE_RATE.match(rate.arg))
    items = tuple(item for item in ordered_items(TABLE, swapped, {} if byte_rate else _DEFAULTS)
                  if not (item[0].endswith("mask") and item[2] == ("32",)))
    burst = _number(given["--hashlimit-burst"], 1, 0xFFFFFFFF) if "--hashlimit-burst" in given else 5
    expire = given.get("--hashlimit-htable-expire")
    mode_items = [args for name, _, args in items if name == "--hashlimit-mode"]
    modes = frozenset(mode_items[0][0].split(",")) if mode_items else frozenset()
    avg = 0 if byte_rate else parse_rate(rate.arg, SCALE)
    if avg and user2credits((avg * burst) & 0xFFFFFFFFFFFFFFFF) < user2credits(avg):
        raise Refused("Numerical result out of range")
    return HashlimitMatch(items, avg, burst, above, modes, given["--hashlimit-name"].arg, masks["src"],
                          masks["dst"], _number(expire, 0, 0xFFFFFFFF) if expire is not None else DEFAULT_EXPIRE_MS)


register_match(Spec("hashlimit", {n: a for n, a, _ in TABLE}, _build,
                    frozenset({"--hashlimit-upto", "--hashlimit-above"})))
