"""Matches on connection tracking and marks: state, conntrack, mark, connmark.

They read what the stack put in the `MatchContext` (ctstate, tuples, status, ct mark) and the
packet's nfmark; the stack, not the table, owns the conntrack entry itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar, cast

from ..packet import Packet
from .api import CtTuple, MatchContext
from .extension import Check, Match, Opt, RuleInfo, Spec, register_match
from .state import RulesetState
from .values import (
    format_address_mask,
    format_port_range,
    parse_address_mask,
    parse_mark,
    parse_port_range,
    parse_protocol,
    parse_uint,
    problem,
)

STATE_ORDER = ("INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT")
"""The order libxt_conntrack prints states in, whatever order they were written."""
STATUS_ORDER = ("EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED")


def _inv(flag: bool) -> str:
    return " !" if flag else ""


def _parse_states(text: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    found = set()
    for word in text.split(","):
        name = word.upper()
        if name not in allowed:
            raise problem(f'Bad ctstate "{word}"')
        found.add(name)
    return tuple(s for s in allowed if s in found)


def _state_test(states: frozenset[str]) -> Callable[[MatchContext], bool]:
    # SNAT/DNAT are virtual states: the connection's status bits say whether it was NATed.
    plain = states - {"SNAT", "DNAT"}
    nat = states & {"SNAT", "DNAT"}
    if not nat:
        return lambda c: c.ct_state in plain
    return lambda c: c.ct_state in plain or bool(nat & c.ct_status)


@dataclass(frozen=True, slots=True)
class StateMatch(Match):
    """-m state --state LIST."""

    name: ClassVar[str] = "state"
    states: tuple[str, ...]
    invert: bool = False

    def save(self) -> str:
        """` --state NEW,ESTABLISHED` in the kernel's order."""
        return f"{_inv(self.invert)} --state {','.join(self.states)}"

    def listing(self, numeric: bool) -> str:
        """` state NEW,ESTABLISHED`."""
        return f"{_inv(self.invert)} state {','.join(self.states)}"

    def checks(self, state: RulesetState) -> list[Check]:
        """Compare ctx.ct_state."""
        test, inv = _state_test(frozenset(self.states)), self.invert
        return [((lambda p, c: test(c) != inv), self.save().strip())]


def _build_state(opts: list[Opt], info: RuleInfo) -> StateMatch:
    if not opts:
        raise problem("state match: you must specify `--state'")
    opt = opts[-1]
    states = _parse_states(opt.arg, STATE_ORDER[:5])
    return StateMatch(states, opt.invert)


register_match(Spec("state", {"--state": 1}, _build_state, frozenset({"--state"})))


@dataclass(frozen=True, slots=True)
class ConntrackMatch(Match):
    """-m conntrack: --ctstate --ctproto --ctorig/repl{src,dst}[port] --ctstatus --ctexpire --ctdir.

    `items` holds (key, inverted, value) in the order libxt_conntrack prints them.
    """

    name: ClassVar[str] = "conntrack"
    items: tuple[tuple[str, bool, object], ...]

    @staticmethod
    def _value_text(key: str, value: object) -> str:
        if key in ("ctstate", "ctstatus"):
            names = tuple(cast("Iterable[str]", value))
            return ",".join(names) if names else "NONE"
        if key.endswith(("src", "dst")):
            addr, mask = cast("tuple[int, int]", value)
            return format_address_mask(addr, mask, save=False)
        if key.endswith("port") or key == "ctexpire":
            lo, hi = cast("tuple[int, int]", value)
            return format_port_range(lo, hi)
        return str(value)

    def save(self) -> str:
        """` --ctstate NEW --ctproto 6 --ctorigdstport 80`."""
        return "".join(f"{_inv(inv)} --{key} {self._value_text(key, val)}" for key, inv, val in self.items)

    def listing(self, numeric: bool) -> str:
        """` ctstate NEW ctproto 6`."""
        return "".join(f"{_inv(inv)} {key} {self._value_text(key, val)}" for key, inv, val in self.items)

    def checks(self, state: RulesetState) -> list[Check]:
        """One predicate per option, over the context's conntrack view."""
        return [self._check(key, inv, val) for key, inv, val in self.items]

    def _check(self, key: str, inv: bool, val: object) -> Check:
        label = ("! " if inv else "") + f"--{key} {self._value_text(key, val)}"
        if key == "ctstate":
            test = _state_test(frozenset(cast("Iterable[str]", val)))
            return (lambda p, c: test(c) != inv), label
        if key == "ctstatus":
            wanted = frozenset(cast("Iterable[str]", val))
            if not wanted:
                return (lambda p, c: (not (c.ct_status & set(STATUS_ORDER))) != inv), label
            return (lambda p, c: bool(wanted & c.ct_status) != inv), label
        if key == "ctdir":
            return (lambda p, c: (c.ct_dir == val) != inv), label
        if key == "ctexpire":
            lo, hi = cast("tuple[int, int]", val)
            return (lambda p, c: (lo <= c.ct_expire <= hi) != inv), label
        if key == "ctproto":
            return (lambda p, c: ((c.ct_orig.proto if c.ct_orig else p.proto) == val) != inv), label
        reply = key.startswith("ctrepl")
        attr = key[6:]
        which = "ct_reply" if reply else "ct_orig"

        def tuple_of(p: Packet, c: MatchContext) -> CtTuple:
            found: CtTuple | None = getattr(c, which)
            if found is not None:
                return found
            # No entry yet: the packet itself is the original tuple; the reply is its mirror.
            if reply:
                return CtTuple(p.proto, p.dst, p.src, p.dport, p.sport)
            return CtTuple(p.proto, p.src, p.dst, p.sport, p.dport)

        if attr in ("src", "dst"):
            addr, mask = cast("tuple[int, int]", val)
            return (lambda p, c: ((getattr(tuple_of(p, c), attr) & mask) == addr) != inv), label
        lo, hi = cast("tuple[int, int]", val)
        field = "sport" if attr == "srcport" else "dport"
        return (lambda p, c: (lo <= getattr(tuple_of(p, c), field) <= hi) != inv), label


_CT_KEYS = (
    "ctstate",
    "ctproto",
    "ctorigsrc",
    "ctorigdst",
    "ctreplsrc",
    "ctrepldst",
    "ctorigsrcport",
    "ctorigdstport",
    "ctreplsrcport",
    "ctrepldstport",
    "ctstatus",
    "ctexpire",
    "ctdir",
)


def _build_conntrack(opts: list[Opt], info: RuleInfo) -> ConntrackMatch:
    if not opts:
        raise problem("conntrack: At least one option is required")
    values: dict[str, tuple[bool, object]] = {}
    for opt in opts:
        key = opt.name[2:]
        arg = opt.arg
        value: object
        if key == "ctstate":
            value = _parse_states(arg, STATE_ORDER)
        elif key == "ctstatus":
            names = set()
            for word in arg.split(","):
                if word.upper() not in STATUS_ORDER + ("NONE",):
                    raise problem(f'Bad ctstatus "{word}"')
                names.add(word.upper())
            value = tuple(s for s in STATUS_ORDER if s in names)
        elif key == "ctproto":
            value = parse_protocol(arg)
            if value == 0:
                raise problem("conntrack: --ctproto 0 is not supported")
        elif key == "ctdir":
            if arg.upper() not in ("ORIGINAL", "REPLY"):
                raise problem(f'Bad ctdir "{arg}"')
            value = arg.upper()
        elif key == "ctexpire":
            lo_text, colon, hi_text = arg.partition(":")
            lo = parse_uint(lo_text, 0, 0xFFFFFFFF)
            hi = parse_uint(hi_text, 0, 0xFFFFFFFF) if colon else lo
            if lo is None or hi is None:
                raise problem(f'conntrack: bad --ctexpire value "{arg}"')
            if lo > hi:
                raise problem(f'expire min. range value "{lo}" greater than max. range value "{hi}"')
            value = (lo, hi)
        elif key.endswith("port"):
            value = parse_port_range(arg)
        else:
            value = parse_address_mask(arg)
        values[key] = (opt.invert, value)
    items = tuple((key, values[key][0], values[key][1]) for key in _CT_KEYS if key in values)
    return ConntrackMatch(items)


register_match(
    Spec("conntrack", {"--" + k: 1 for k in _CT_KEYS}, _build_conntrack, frozenset("--" + k for k in _CT_KEYS))
)


@dataclass(frozen=True, slots=True)
class MarkMatch(Match):
    """-m mark --mark V[/M] (nfmark) and -m connmark --mark V[/M] (ct mark)."""

    kind: str
    """`mark` or `connmark`."""
    value: int
    mask: int
    invert: bool = False

    @property
    def name(self) -> str:  # type: ignore[override]
        """`mark` or `connmark`."""
        return self.kind

    def _mark_text(self) -> str:
        return f"0x{self.value:x}" if self.mask == 0xFFFFFFFF else f"0x{self.value:x}/0x{self.mask:x}"

    def save(self) -> str:
        """` --mark 0x1/0xff`."""
        return f"{_inv(self.invert)} --mark {self._mark_text()}"

    def listing(self, numeric: bool) -> str:
        """` mark match 0x1` / ` connmark match ! 0x1`."""
        if self.kind == "connmark":
            return f" connmark match {'!' if self.invert else ''} {self._mark_text()}"
        return f" mark match{_inv(self.invert)} {self._mark_text()}"

    def checks(self, state: RulesetState) -> list[Check]:
        """`(mark & mask) == value`."""
        v, m, inv = self.value, self.mask, self.invert
        label = ("! " if inv else "") + f"--mark {self._mark_text()}"
        if self.kind == "mark":
            return [((lambda p, c: ((p.mark & m) == v) != inv), label)]
        return [((lambda p, c: ((c.ct_mark & m) == v) != inv), label)]


def _mark_builder(kind: str):  # type: ignore[no-untyped-def]
    def build(opts: list[Opt], info: RuleInfo) -> MarkMatch:
        if not opts:
            raise problem(f'{kind} match: option "--mark" must be specified')
        opt = opts[-1]
        value, mask = parse_mark(opt.arg)
        return MarkMatch(kind, value, mask, opt.invert)

    return build


register_match(Spec("mark", {"--mark": 1}, _mark_builder("mark"), frozenset({"--mark"})))
register_match(Spec("connmark", {"--mark": 1}, _mark_builder("connmark"), frozenset({"--mark"})))
