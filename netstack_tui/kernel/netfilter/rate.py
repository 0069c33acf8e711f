"""Time-based matches: limit (xt_limit's token bucket) and recent (xt_recent's address lists).

Both run on the simulated clock (`MatchContext.now`) quantised to jiffies, with the kernel's own
integer arithmetic, so burst and refill behave exactly as on a real host with HZ=250.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

from ..numbers import parse_int
from .extension import Check, Match, Opt, RuleInfo, Spec, register_match
from .family import current
from .state import HZ, PKT_LIST_TOTAL, LimitBucket, RulesetState, jiffies
from .values import Refused, format_address, parse_address, parse_uint, problem

LIMIT_SCALE = 10000
"""XT_LIMIT_SCALE: rates are stored as seconds-per-packet times this."""
_RATES = (("day", 86400), ("hour", 3600), ("min", 60), ("sec", 1))


def _pow2_below(value: int) -> int:
    return 1 << (value.bit_length() - 1)


CREDITS_PER_JIFFY = _pow2_below(0xFFFFFFFF // (HZ * 60 * 60 * 24))
"""xt_limit's CREDITS_PER_JIFFY: the largest power of two that cannot overflow in a day."""


def user2credits(user: int) -> int:
    """xt_limit's user2credits(): a rate in LIMIT_SCALE units to credits, without overflowing u32."""
    if user > 0xFFFFFFFF // (HZ * CREDITS_PER_JIFFY):
        return (user // LIMIT_SCALE) * HZ * CREDITS_PER_JIFFY
    return (user * HZ * CREDITS_PER_JIFFY) // LIMIT_SCALE


def rate_text(avg: int, scale: int = LIMIT_SCALE) -> str:
    """libxt_limit's print_rate: the coarsest unit that represents the rate exactly enough."""
    index = 1
    while index < len(_RATES):
        mult = _RATES[index][1] * scale
        if avg > mult or mult // avg < mult % avg:
            break
        index += 1
    name, mult = _RATES[index - 1]
    return f"{mult * scale // avg}/{name}"


def parse_rate(text: str, scale: int = LIMIT_SCALE) -> int:
    """libxt_limit's parse_rate: `N[/second|minute|hour|day]` (unit prefixes allowed)."""
    number, slash, unit = text.partition("/")
    mult = scale
    if slash:
        unit = unit.lower()
        for name, value in (("second", 1), ("minute", 60), ("hour", 3600), ("day", 86400)):
            if unit and name.startswith(unit):
                mult = scale * value
                break
        else:
            raise problem(f'bad rate "{text}"\'')
    digits = len(number) - len(number.lstrip("0123456789"))
    # strtoul saturates: a rate too long to hold is simply too fast.
    rate = parse_int(number[:digits], 0, 2**64 - 1, clamp=True) if digits else 0
    if rate == 0:
        raise problem(f'bad rate "{text}"\'')
    avg = mult // rate
    if avg == 0:
        raise problem(f'Rate too fast "{text}"')
    return avg


_LIMIT_KEYS = itertools.count(1)
"""Keys of limit buckets in `RulesetState.limits`: one per compiled rule, never reused."""


@dataclass(frozen=True, slots=True)
class LimitMatch(Match):
    """-m limit --limit RATE --limit-burst N (default 3/hour, burst 5)."""

    name: ClassVar[str] = "limit"
    avg: int
    burst: int = 5

    def save(self) -> str:
        """` --limit 1/sec --limit-burst 10` (the default burst is omitted)."""
        return f" --limit {rate_text(self.avg)}" + (f" --limit-burst {self.burst}" if self.burst != 5 else "")

    def listing(self, numeric: bool) -> str:
        """` limit: avg 1/sec burst 5`."""
        return f" limit: avg {rate_text(self.avg)} burst {self.burst}"

    def checks(self, state: RulesetState) -> list[Check]:
        """limit_mt(): refill by elapsed jiffies, cap at the burst, spend `cost` per packet."""
        cost = user2credits(self.avg)
        cap = user2credits(self.avg * self.burst)
        key = next(_LIMIT_KEYS)

        def fn(p, c) -> bool:  # type: ignore[no-untyped-def]
            now = jiffies(c.now)
            bucket = c.rules.limits.get(key)
            if bucket is None:
                # The rule was inserted with a full bucket; refilling a full bucket changes nothing.
                bucket = c.rules.limits[key] = LimitBucket(cap, now)
            if bucket.credit < cost and bucket.prev == now:
                return False
            increase = ((now - bucket.prev) * CREDITS_PER_JIFFY) & 0xFFFFFFFF
            bucket.prev = now
            credit = min((bucket.credit + increase) & 0xFFFFFFFF, cap)
            if credit >= cost:
                bucket.credit = credit - cost
                return True
            bucket.credit = credit
            return False

        return [(fn, self.save().strip())]


def _build_limit(opts: list[Opt], info: RuleInfo) -> LimitMatch:
    avg, burst = parse_rate("3/hour"), 5
    for opt in opts:
        if opt.invert:
            raise problem("limit does not support invert")
        if opt.name == "--limit":
            avg = parse_rate(opt.arg)
        else:
            value = parse_uint(opt.arg, 0, 10000)
            if value is None:
                raise problem(f"bad --limit-burst `{opt.arg}'")
            burst = value
    if burst == 0 or user2credits(avg * burst) < user2credits(avg):
        raise Refused("Numerical result out of range")
    return LimitMatch(avg, burst)


register_match(Spec("limit", {"--limit": 1, "--limit-burst": 1}, _build_limit))


@dataclass(frozen=True, slots=True)
class RecentMatch(Match):
    """-m recent --set/--rcheck/--update/--remove on a named list (xt_recent rev 1)."""

    name: ClassVar[str] = "recent"
    command: str
    """set, rcheck, update or remove."""
    invert: bool = False
    seconds: int = 0
    reap: bool = False
    hitcount: int = 0
    rttl: bool = False
    list_name: str = "DEFAULT"
    mask: int = 0xFFFFFFFF
    side: str = "rsource"

    def save(self) -> str:
        """` --rcheck --seconds 60 --hitcount 4 --name X --mask 255.255.255.255 --rsource`."""
        text = f"{' !' if self.invert else ''} --{self.command}"
        text += f" --seconds {self.seconds}" if self.seconds else ""
        text += " --reap" if self.reap else ""
        text += f" --hitcount {self.hitcount}" if self.hitcount else ""
        text += " --rttl" if self.rttl else ""
        return text + f" --name {self.list_name} --mask {format_address(self.mask)} --{self.side}"

    def listing(self, numeric: bool) -> str:
        """` recent: CHECK seconds: 60 hit_count: 4 name: X side: source mask: 255.255.255.255`."""
        text = " !" if self.invert else ""
        text += " recent: " + {"set": "SET", "rcheck": "CHECK", "update": "UPDATE", "remove": "REMOVE"}[self.command]
        text += f" seconds: {self.seconds}" if self.seconds else ""
        text += " reap" if self.reap else ""
        text += f" hit_count: {self.hitcount}" if self.hitcount else ""
        text += " TTL-Match" if self.rttl else ""
        text += f" name: {self.list_name}"
        text += " side: source" if self.side == "rsource" else " side: dest"
        return text + f" mask: {format_address(self.mask)}"

    def checks(self, state: RulesetState) -> list[Check]:
        """recent_mt(), step for step: look up, set, check hits within --seconds, update."""
        # The list exists from the rule's insertion on (checkentry), as /proc/net/xt_recent shows.
        created = state.recent_table(self.list_name, self.mask)
        # Since Linux 4.x a list keeps as many stamps as its largest --hitcount needs.
        created.max_stamps = max(created.max_stamps, 1 << (max(self.hitcount, PKT_LIST_TOTAL) - 1).bit_length())
        m = self

        def fn(p, c) -> bool:  # type: ignore[no-untyped-def]
            table = c.rules.recent_table(m.list_name, m.mask)
            now = jiffies(c.now)
            addr = (p.dst if m.side == "rdest" else p.src) & table.mask
            ttl = p.ttl
            ret = m.invert
            entry = table.lookup(addr, ttl if m.rttl else 0)
            if entry is None:
                if m.command != "set":
                    return ret
                table.add(addr, ttl, now)
                return not ret
            if m.command == "set":
                ret = not ret
            elif m.command == "remove":
                del table.entries[entry.addr]
                return not ret
            else:
                horizon = now - m.seconds * HZ
                hits = 0
                for stamp in entry.stamps:
                    if m.seconds and horizon > stamp:
                        continue
                    hits += 1
                    if not m.hitcount or hits >= m.hitcount:
                        ret = not ret
                        break
                if m.reap:
                    entry.stamps[:] = [s for s in entry.stamps if not horizon > s]
            if m.command == "set" or (m.command == "update" and ret):
                table.touch(entry, now)
                entry.ttl = ttl
            return ret

        return [(fn, self.save().strip())]


_RECENT_COMMANDS = ("--set", "--rcheck", "--update", "--remove")


def _recent_exclusions(given: set[str]) -> None:
    """libxt_recent's option table checks (xtables_options_fcheck), in its table order."""
    for name in _RECENT_COMMANDS:
        if name in given:
            for other in _RECENT_COMMANDS:
                if other != name and other in given:
                    raise problem(f'recent: option "{name}" cannot be used together with "{other}".')
    if "--reap" in given and "--seconds" not in given:
        raise problem('recent: option "--reap" also requires "--seconds".')
    for other in ("--set", "--remove"):
        if "--rttl" in given and other in given:
            raise problem(f'recent: option "--rttl" cannot be used together with "{other}".')


def _build_recent(opts: list[Opt], info: RuleInfo) -> RecentMatch:
    fields: dict[str, object] = {}
    commands = [o for o in opts if o.name in ("--set", "--rcheck", "--update", "--remove")]
    if not commands:
        raise problem("recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'")
    _recent_exclusions({o.name for o in opts})
    fields["command"], fields["invert"] = commands[0].name[2:], commands[0].invert
    for opt in opts:
        if opt.name in ("--seconds", "--hitcount"):
            value = parse_uint(opt.arg, 0, 0xFFFFFFFF)
            if value is None:
                raise problem(f'recent: bad value for option "{opt.name}"')
            fields[opt.name[2:]] = value
        elif opt.name in ("--reap", "--rttl"):
            fields[opt.name[2:]] = True
        elif opt.name == "--name":
            fields["list_name"] = opt.arg
        elif opt.name == "--mask":
            fields["mask"] = parse_address(opt.arg)
        elif opt.name in ("--rsource", "--rdest"):
            fields["side"] = opt.name[2:]
    if fields["command"] in ("set", "remove") and (fields.get("seconds") or fields.get("hitcount")):
        raise Refused()  # recent_mt_check: --set/--remove take no time or hit-count condition
    if int(fields.get("hitcount", 0)) >= 65536:  # type: ignore[call-overload]
        raise Refused()  # XT_RECENT_MAX_NSTAMPS
    fields.setdefault("mask", current().full_mask)  # ip6tables' default mask is 128 bits wide
    name = str(fields.get("list_name", "DEFAULT"))
    if not name or len(name) > 200 or "/" in name or name.startswith("."):
        raise Refused()
    return RecentMatch(**fields)  # type: ignore[arg-type]


_REC = {
    "--set": 0,
    "--rcheck": 0,
    "--update": 0,
    "--remove": 0,
    "--seconds": 1,
    "--reap": 0,
    "--hitcount": 1,
    "--rttl": 0,
    "--name": 1,
    "--rsource": 0,
    "--rdest": 0,
    "--mask": 1,
}
register_match(Spec("recent", _REC, _build_recent, frozenset({"--set", "--rcheck", "--update", "--remove"})))
