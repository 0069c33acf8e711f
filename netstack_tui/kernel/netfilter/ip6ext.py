"""The extensions only ip6tables has (icmp6, hl, rt, REJECT's ICMPv6 types), and the lookup of an
extension by name for the family at work (`family.current()`).

The simulator's packets are IPv4, so an IPv6 ruleset is never traversed: these matches parse,
refuse and print as ip6tables 1.8.9 does, and compile to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .extension import MATCHES, TARGETS, Match, Opt, RuleInfo, Spec
from .family import current
from .icmpnum import parse_numeric_icmp
from .ip6addr import format_ip6, parse_ip6
from .targets import Target
from .values import Refused, parse_uint, problem

ICMP6 = 58

# `ip6tables -p icmpv6 -h`, in its order: name -> (type, code or None for every code).
ICMP6_TYPES: dict[str, tuple[int, int | None]] = {
    "destination-unreachable": (1, None),
    "no-route": (1, 0),
    "communication-prohibited": (1, 1),
    "beyond-scope": (1, 2),
    "address-unreachable": (1, 3),
    "port-unreachable": (1, 4),
    "failed-policy": (1, 5),
    "reject-route": (1, 6),
    "packet-too-big": (2, None),
    "time-exceeded": (3, None),
    "ttl-exceeded": (3, None),
    "ttl-zero-during-transit": (3, 0),
    "ttl-zero-during-reassembly": (3, 1),
    "parameter-problem": (4, None),
    "bad-header": (4, 0),
    "unknown-header-type": (4, 1),
    "unknown-option": (4, 2),
    "echo-request": (128, None),
    "ping": (128, None),
    "echo-reply": (129, None),
    "pong": (129, None),
    "router-solicitation": (133, None),
    "router-advertisement": (134, None),
    "neighbour-solicitation": (135, None),
    "neighbor-solicitation": (135, None),
    "neighbour-advertisement": (136, None),
    "neighbor-advertisement": (136, None),
    "redirect": (137, None),
}

REJECT6_TYPES = {
    "icmp6-no-route": "icmp6-no-route",
    "no-route": "icmp6-no-route",
    "icmp6-adm-prohibited": "icmp6-adm-prohibited",
    "adm-prohibited": "icmp6-adm-prohibited",
    "icmp6-addr-unreachable": "icmp6-addr-unreachable",
    "addr-unreach": "icmp6-addr-unreachable",
    "icmp6-port-unreachable": "icmp6-port-unreachable",
    "port-unreach": "icmp6-port-unreachable",
    "tcp-reset": "tcp-reset",
    "icmp6-policy-fail": "icmp6-policy-fail",
    "policy-fail": "icmp6-policy-fail",
    "icmp6-reject-route": "icmp6-reject-route",
    "reject-route": "icmp6-reject-route",
}


def _inv(flag: bool) -> str:
    return " !" if flag else ""


# ---- icmp6 ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Icmp6Match(Match):
    """-m icmp6 --icmpv6-type TYPE[/CODE]."""

    name: ClassVar[str] = "icmp6"
    icmp_type: int
    code_min: int = 0
    code_max: int = 255
    invert: bool = False

    def save(self) -> str:
        """` --icmpv6-type 1/4`: a code range keeps only its low end in print (as libip6t_icmp6)."""
        code = f"/{self.code_min}" if (self.code_min, self.code_max) != (0, 255) else ""
        return f"{_inv(self.invert)} --icmpv6-type {self.icmp_type}{code}"

    def listing(self, numeric: bool) -> str:
        """` ipv6-icmp echo-request`, ` ipv6-icmptype 2 code 0`, ` ipv6-icmp !type 128`."""
        if not numeric:
            for name, (t, c) in ICMP6_TYPES.items():
                lo, hi = (0, 255) if c is None else (c, c)
                if t == self.icmp_type and (lo, hi) == (self.code_min, self.code_max):
                    return f" ipv6-icmp {'!' if self.invert else ''}{name}"
        text = " ipv6-icmp" + (" !" if self.invert else "") + f"type {self.icmp_type}"
        if self.code_min == self.code_max:
            text += f" code {self.code_min}"
        elif (self.code_min, self.code_max) != (0, 255):
            text += f" codes {self.code_min}-{self.code_max}"
        return text


def _icmp6_by_name(text: str) -> tuple[int, int | None] | None:
    """Exact name, else an unambiguous prefix (libip6t_icmp6's lookup)."""
    found: str | None = None
    for name in ICMP6_TYPES:
        if name == text:
            return ICMP6_TYPES[name]
        if name.startswith(text):
            if found is not None and ICMP6_TYPES[found] != ICMP6_TYPES[name]:
                raise problem(f"Ambiguous ICMPv6 type `{text}': `{found}' or `{name}'?")
            found = found or name
    return None if found is None else ICMP6_TYPES[found]


def _build_icmp6(opts: list[Opt], info: RuleInfo) -> Icmp6Match:
    if not opts:
        raise problem('icmp6: option "--icmpv6-type" must be specified')
    opt = opts[-1]
    text = opt.arg
    named = _icmp6_by_name(text) if text else None
    if named is not None:
        t, code = named
        match = Icmp6Match(t, 0, 255, opt.invert) if code is None else Icmp6Match(t, code, code, opt.invert)
    else:
        numeric = parse_numeric_icmp(text, "ICMPv6")
        # A `:high` code is accepted but not kept: 1.8.9 prints `1/3` for `1/3:1` and for `1/3:5`.
        low, high = (0, 255) if numeric.codes is None else (numeric.codes[0], numeric.codes[0])
        match = Icmp6Match(numeric.icmp_type, low, high, opt.invert)
    if info.proto != ICMP6 or info.proto_inv:
        raise Refused()  # icmp6_checkentry wants -p icmpv6
    return match


# ---- hl -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HlMatch(Match):
    """-m hl --hl-eq/--hl-lt/--hl-gt N: the IPv6 twin of ttl."""

    name: ClassVar[str] = "hl"
    mode: str
    value: int

    def save(self) -> str:
        """` --hl-eq 255`, ` ! --hl-eq 5`."""
        flag = {"eq": " --hl-eq", "ne": " ! --hl-eq", "lt": " --hl-lt", "gt": " --hl-gt"}[self.mode]
        return f"{flag} {self.value}"

    def listing(self, numeric: bool) -> str:
        """` HL match HL == 255`."""
        return f" HL match HL {({'eq': '==', 'ne': '!=', 'lt': '<', 'gt': '>'})[self.mode]} {self.value}"


def _build_hl(opts: list[Opt], info: RuleInfo) -> HlMatch:
    if not opts:
        raise problem("HL match: You must specify one of `--hl-eq', `--hl-lt', `--hl-gt'")
    first = opts[0]
    for opt in opts[1:]:
        raise problem(f'hl: option "{opt.name}" cannot be used together with "{first.name}".')
    value = parse_uint(first.arg, 0, 255)
    if value is None:
        raise problem(f'hl: bad value for option "{first.name}", or out of range (0-255).')
    if first.invert and first.name != "--hl-eq":
        raise problem(f'hl: option "{first.name}" cannot be inverted.')
    return HlMatch("ne" if first.invert else first.name[-2:], value)


# ---- rt -------------------------------------------------------------------------------------------

_U32 = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class RtMatch(Match):
    """-m rt: the routing header's type, segments left, length and type-0 addresses."""

    name: ClassVar[str] = "rt"
    rt_type: int | None = None
    type_inv: bool = False
    segsleft: tuple[int, int] = (0, _U32)
    segs_inv: bool = False
    length: int | None = None
    len_inv: bool = False
    res: bool = False
    addrs: tuple[int, ...] = ()
    not_strict: bool = False

    def save(self) -> str:
        """Options in rt_save()'s order; the full segments-left range is not printed."""
        text = ""
        if self.rt_type is not None:
            text += f"{' !' if self.type_inv else ''} --rt-type {self.rt_type}"
        lo, hi = self.segsleft
        if (lo, hi) != (0, _U32) or self.segs_inv:
            text += f"{' !' if self.segs_inv else ''} --rt-segsleft " + (f"{lo}" if lo == hi else f"{lo}:{hi}")
        if self.length is not None:
            text += f"{' !' if self.len_inv else ''} --rt-len {self.length}"
        text += " --rt-0-res" if self.res else ""
        if self.addrs:
            text += " --rt-0-addrs " + ",".join(format_ip6(a) for a in self.addrs)
        return text + (" --rt-0-not-strict" if self.not_strict else "")

    def listing(self, numeric: bool) -> str:
        """` rt type:0 segslefts:3:5 length:!8`."""
        text = " rt"
        if self.rt_type is not None:
            text += f" type:{'!' if self.type_inv else ''}{self.rt_type}"
        lo, hi = self.segsleft
        if (lo, hi) != (0, _U32) or self.segs_inv:
            text += f" segsleft{'' if lo == hi else 's'}:{'!' if self.segs_inv else ''}"
            text += f"{lo}" if lo == hi else f"{lo}:{hi}"
        if self.length is not None:
            text += f" length:{'!' if self.len_inv else ''}{self.length}"
        text += " reserved" if self.res else ""
        if self.addrs:
            text += " 0-addrs " + ",".join(format_ip6(a) for a in self.addrs)
        return text + (" 0-not-strict" if self.not_strict else "")


def _u32(opt: Opt) -> int:
    value = parse_uint(opt.arg, 0, _U32)
    if value is None:
        raise problem(f'rt: bad value for option "{opt.name}", or out of range (0-4294967295).')
    return value


def _segsleft(opt: Opt) -> tuple[int, int]:
    low_text, colon, high_text = opt.arg.partition(":")
    low = parse_uint(low_text, 0, _U32) if low_text else 0
    high = (parse_uint(high_text, 0, _U32) if high_text else _U32) if colon else low
    if low is None or high is None:
        raise problem(f'rt: bad value for option "{opt.name}", or out of range (0-4294967295).')
    return low, high


def _build_rt(opts: list[Opt], info: RuleInfo) -> RtMatch:
    fields: dict[str, object] = {}
    for opt in opts:
        if opt.name == "--rt-type":
            fields["rt_type"], fields["type_inv"] = _u32(opt), opt.invert
        elif opt.name == "--rt-segsleft":
            fields["segsleft"], fields["segs_inv"] = _segsleft(opt), opt.invert
        elif opt.name == "--rt-len":
            fields["length"], fields["len_inv"] = _u32(opt), opt.invert
        elif fields.get("rt_type") != 0 or fields.get("type_inv"):
            raise problem(f"`--rt-type 0' required before `{opt.name}'")
        elif opt.name == "--rt-0-res":
            fields["res"] = True
        elif opt.name == "--rt-0-addrs":
            fields["addrs"] = tuple(_rt_address(a) for a in opt.arg.split(","))
        elif not fields.get("addrs"):
            raise problem("`--rt-0-addr ...' required before `--rt-0-not-strict'")
        else:
            fields["not_strict"] = True
    return RtMatch(**fields)  # type: ignore[arg-type]


def _rt_address(text: str) -> int:
    try:
        return parse_ip6(text)
    except ValueError:
        raise problem(f"bad address: {text}") from None


# ---- REJECT (IPv6) --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reject6Target(Target):
    """ip6tables' -j REJECT: its ICMPv6 answers (or a TCP reset)."""

    name: ClassVar[str] = "REJECT"
    terminal: ClassVar[bool] = True
    hooks: ClassVar[frozenset[str] | None] = frozenset({"INPUT", "FORWARD", "OUTPUT"})
    tables: ClassVar[frozenset[str] | None] = frozenset({"filter"})
    with_: str = "icmp6-port-unreachable"

    def save(self) -> str:
        """` --reject-with icmp6-port-unreachable` (the default is printed too)."""
        return f" --reject-with {self.with_}"

    def listing(self, numeric: bool) -> str:
        """` reject-with icmp6-port-unreachable`."""
        return f" reject-with {self.with_}"


def _build_reject6(opts: list[Opt], info: RuleInfo) -> Reject6Target:
    if not opts:
        return Reject6Target()
    text = opts[-1].arg
    if text not in REJECT6_TYPES:
        raise problem(f'unknown reject type "{text}"')
    kind = REJECT6_TYPES[text]
    if kind == "tcp-reset" and (info.proto != 6 or info.proto_inv):
        raise Refused()
    return Reject6Target(kind)


_HL = {"--hl-eq": 1, "--hl-lt": 1, "--hl-gt": 1}
_RT = {"--rt-type": 1, "--rt-segsleft": 1, "--rt-len": 1, "--rt-0-res": 0, "--rt-0-addrs": 1, "--rt-0-not-strict": 0}
MATCHES6: dict[str, Spec] = {
    "icmp6": Spec("icmp6", {"--icmpv6-type": 1}, _build_icmp6, frozenset({"--icmpv6-type"})),
    "hl": Spec("hl", _HL, _build_hl, frozenset(_HL)),
    "rt": Spec("rt", _RT, _build_rt, frozenset({"--rt-type", "--rt-segsleft", "--rt-len"})),
}
"""Matches only ip6tables loads."""
TARGETS6: dict[str, Spec] = {"REJECT": Spec("REJECT", {"--reject-with": 1}, _build_reject6)}
"""Targets ip6tables loads in place of (or besides) iptables' ones."""


def find_match(name: str) -> Spec | None:
    """The `-m NAME` module for the family at work, or None when its tool has none."""
    if current().version == 6:
        return MATCHES6.get(name) or (MATCHES.get(name) if name not in current().missing else None)
    return MATCHES.get(name)


def find_target(name: str) -> Spec | None:
    """The `-j NAME` target extension for the family at work (None: a chain or verdict)."""
    if current().version == 6:
        return TARGETS6.get(name) or (TARGETS.get(name) if name not in current().missing else None)
    return TARGETS.get(name)


def protocol_match(proto_name: str) -> str:
    """The module `-p NAME` loads implicitly: icmpv6 and ipv6-icmp load icmp6 in ip6tables."""
    if current().version == 6 and proto_name in ("icmpv6", "ipv6-icmp"):
        return "icmp6"
    return proto_name
