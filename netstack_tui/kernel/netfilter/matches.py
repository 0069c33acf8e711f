"""Header matches: tcp, udp, icmp, multiport, iprange, mac, ttl, length, tos, pkttype, comment,
addrtype and owner.

Each parses its options into a frozen record, prints itself the way libxt_NAME's save/print
functions do, and compiles into closures over ints (see `extension`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..addr import AddressError, format_ipv4, parse_mac
from ..packet import ICMP_TYPES, Packet
from .api import MatchContext
from .extension import Check, Match, Opt, RuleInfo, Spec, once, register_match
from .icmpnum import parse_numeric_icmp
from .state import RulesetState
from .values import (
    PORT_NAMES,
    USERS,
    Refused,
    format_port_range,
    parse_address,
    parse_mport,
    parse_port,
    parse_port_range,
    parse_uint,
    problem,
)

TCP_FLAGS = (("FIN", 0x01), ("SYN", 0x02), ("RST", 0x04), ("PSH", 0x08), ("ACK", 0x10), ("URG", 0x20))


def _inv(flag: bool) -> str:
    return " !" if flag else ""


def _port_text(port: int, numeric: bool) -> str:
    return str(port) if numeric else PORT_NAMES.get(port, str(port))


def _list_ports(label: str, low: int, high: int, invert: bool, numeric: bool) -> str:
    """print_ports() of libxt_tcp/udp: ` dpt:22`, ` dpts:1:1023`, ` spt:!22`."""
    if low == 0 and high == 65535 and not invert:
        return ""
    bang = "!" if invert else ""
    if low == high:
        return f" {label}:{bang}{_port_text(low, numeric)}"
    return f" {label}s:{bang}{_port_text(low, numeric)}:{_port_text(high, numeric)}"


def _port_check(field: str, low: int, high: int, invert: bool, text: str) -> Check:
    if field == "sport":
        return (lambda p, c: (low <= p.sport <= high) != invert), text
    return (lambda p, c: (low <= p.dport <= high) != invert), text


def _combined_ports_check(sport: int, dport: int) -> Check:
    """iptables-nft's negated source and destination port as one word: `!(sport, dport) == (S, D)`."""
    def check(p: Packet, c: MatchContext) -> bool:
        return not (p.sport == sport and p.dport == dport)

    return check, f"! --sport {sport} ! --dport {dport} (iptables-nft: one test, false only when both ports match)"


def _needs_proto(info: RuleInfo, *protos: int) -> None:
    if info.proto not in protos or info.proto_inv:
        raise Refused()


# ---- tcp / udp ----------------------------------------------------------------------------------


def tcp_flags_text(flags: int) -> str:
    """libxt_tcp's print_tcpf: names in FIN..URG order, `NONE` for none."""
    names = [name for name, bit in TCP_FLAGS if flags & bit]
    return ",".join(names) if names else "NONE"


def _parse_tcp_flags(text: str) -> int:
    value = 0
    for word in text.split(","):
        name = word.upper()
        if name == "ALL":
            value |= 0x3F
        elif name == "NONE":
            continue
        else:
            bits = dict(TCP_FLAGS)
            if name not in bits:
                raise problem(f"Unknown TCP flag `{word}'")
            value |= bits[name]
    return value


@dataclass(frozen=True, slots=True)
class PortsMatch(Match):
    """-m tcp / -m udp: --sport, --dport, and for tcp --tcp-flags/--syn and --tcp-option."""

    proto_name: str
    sport: tuple[int, int] = (0, 65535)
    sport_inv: bool = False
    dport: tuple[int, int] = (0, 65535)
    dport_inv: bool = False
    flags: tuple[int, int] | None = None
    flags_inv: bool = False
    option: int | None = None
    option_inv: bool = False

    @property
    def name(self) -> str:  # type: ignore[override]
        """`tcp` or `udp`."""
        return self.proto_name

    def _parts(self) -> list[tuple[bool, str]]:
        parts: list[tuple[bool, str]] = []
        if self.sport != (0, 65535) or self.sport_inv:
            parts.append((self.sport_inv, f"--sport {format_port_range(*self.sport)}"))
        if self.dport != (0, 65535) or self.dport_inv:
            parts.append((self.dport_inv, f"--dport {format_port_range(*self.dport)}"))
        if self.option is not None:
            parts.append((self.option_inv, f"--tcp-option {self.option}"))
        if self.flags is not None:
            mask, cmp = self.flags
            parts.append((self.flags_inv, f"--tcp-flags {tcp_flags_text(mask)} {tcp_flags_text(cmp)}"))
        return parts

    def save(self) -> str:
        """` --sport a[:b] --dport a[:b] --tcp-option n --tcp-flags MASK COMP`."""
        return "".join(f"{_inv(inv)} {text}" for inv, text in self._parts())

    def listing(self, numeric: bool) -> str:
        """` tcp spt:1 dpts:2:3 flags:FIN,SYN/SYN`."""
        text = f" {self.proto_name}"
        text += _list_ports("spt", *self.sport, self.sport_inv, numeric)
        text += _list_ports("dpt", *self.dport, self.dport_inv, numeric)
        if self.option is not None:
            text += f" option={'!' if self.option_inv else ''}{self.option}"
        if self.flags is not None:
            mask, cmp = self.flags
            bang = "!" if self.flags_inv else ""
            if numeric:
                text += f" flags:{bang}0x{mask:02X}/0x{cmp:02X}"
            else:
                text += f" flags:{bang}{tcp_flags_text(mask)}/{tcp_flags_text(cmp)}"
        return text

    @property
    def combined_ports(self) -> bool:
        """Whether iptables-nft compares both ports as one 32-bit word (add_nft_tcpudp(): one
        source and one destination port, both negated or neither). Negated, that word test is
        `!(sport == S && dport == D)`: the rule matches when *either* port differs, not only when
        both do as with iptables-legacy (measured with iptables 1.8.9 nf_tables, whose own
        `nft list ruleset` prints the rule as if it were the latter)."""
        (s_low, s_high), (d_low, d_high) = self.sport, self.dport
        return 0 < s_low == s_high and 0 < d_low == d_high and self.sport_inv == self.dport_inv

    def checks(self, state: RulesetState) -> list[Check]:
        """Port ranges and flag masks as int comparisons."""
        out: list[Check] = []
        for inv, text in self._parts():
            label = ("! " if inv else "") + text
            if text.startswith("--sport") and self.combined_ports and inv:
                out.append(_combined_ports_check(self.sport[0], self.dport[0]))
            elif text.startswith("--dport") and self.combined_ports and inv:
                continue  # tested together with --sport above
            elif text.startswith("--sport"):
                out.append(_port_check("sport", *self.sport, inv, label))
            elif text.startswith("--dport"):
                out.append(_port_check("dport", *self.dport, inv, label))
            elif text.startswith("--tcp-flags") and self.flags is not None:
                mask, cmp = self.flags

                def flags_check(p: Packet, c: MatchContext, m: int = mask, v: int = cmp, i: bool = inv) -> bool:
                    return ((p.flags & m) == v) != i

                out.append((flags_check, label))
            else:
                # TCP options are not part of the packet record: say so instead of guessing.
                out.append(((lambda p, c: False), label + " (not simulated)"))
        return out


def _nft_port_range(ports: tuple[int, int], invert: bool) -> tuple[tuple[int, int], bool]:
    """iptables-nft stores `! --dport 0:N` as `dport > N` and prints it back as `--dport N+1:65535`.

    Observed with iptables 1.8.9 (nf_tables); a full `! 0:65535` keeps the upstream .t form.
    """
    low, high = ports
    if invert and low == 0 and 0 < high < 65535:
        return (high + 1, 65535), False
    return ports, invert


def _build_ports(proto_name: str, proto_num: int) -> Spec:
    def ports(text: str, option: str) -> tuple[int, int]:
        # libxt_udp parses with xtopt_parse_mport, libxt_tcp with its own checked parser.
        return parse_mport(text, proto_name, option) if proto_name == "udp" else parse_port_range(text, proto_name)

    def build(opts: list[Opt], info: RuleInfo) -> PortsMatch:
        if info.proto == 0 and not info.proto_inv:
            raise problem(f"{proto_name.upper()} match requires '-p {proto_name}'")
        _needs_proto(info, proto_num)
        fields: dict[str, object] = {}
        for opt in opts:
            once(opts, opt.name, proto_name)
            if opt.name in ("--sport", "--source-port"):
                fields["sport"], fields["sport_inv"] = _nft_port_range(ports(opt.arg, "--source-port"), opt.invert)
            elif opt.name in ("--dport", "--destination-port"):
                fields["dport"], fields["dport_inv"] = _nft_port_range(ports(opt.arg, "--destination-port"), opt.invert)
            elif opt.name == "--syn":
                fields["flags"], fields["flags_inv"] = (0x17, 0x02), opt.invert
            elif opt.name == "--tcp-flags":
                fields["flags"] = (_parse_tcp_flags(opt.args[0]), _parse_tcp_flags(opt.args[1]))
                fields["flags_inv"] = opt.invert
            elif opt.name == "--tcp-option":
                value = parse_uint(opt.arg, 0, 255)
                if value is None:
                    raise problem(f'Bad TCP option "{opt.arg}"')
                fields["option"], fields["option_inv"] = value, opt.invert
        return PortsMatch(proto_name, **fields)  # type: ignore[arg-type]

    options = {"--sport": 1, "--source-port": 1, "--dport": 1, "--destination-port": 1}
    if proto_name == "tcp":
        options.update({"--syn": 0, "--tcp-flags": 2, "--tcp-option": 1})
    return Spec(proto_name, options, build, frozenset(options))


register_match(_build_ports("tcp", 6))
register_match(_build_ports("udp", 17))


# ---- icmp -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IcmpMatch(Match):
    """-m icmp --icmp-type TYPE[/CODE] (names as `iptables -p icmp -h` lists them, or `any`)."""

    name: ClassVar[str] = "icmp"
    icmp_type: int
    code_min: int = 0
    code_max: int = 255
    invert: bool = False

    def _text(self) -> str:
        if self.icmp_type == 255 and (self.code_min, self.code_max) == (0, 255):
            return "any"
        text = str(self.icmp_type)
        if (self.code_min, self.code_max) != (0, 255):
            text += f"/{self.code_min}" if self.code_min == self.code_max else f"/{self.code_min}:{self.code_max}"
        return text

    def save(self) -> str:
        """` --icmp-type 8` or ` --icmp-type 3/3`; `any` for the catch-all."""
        return f"{_inv(self.invert)} --icmp-type {self._text()}"

    def listing(self, numeric: bool) -> str:
        """` icmptype 8`, ` icmp echo-request` (print_icmptype)."""
        if not numeric:
            for name, (t, c) in (("any", (255, None)), *ICMP_TYPES.items()):
                lo, hi = (0, 255) if c is None else (c, c)
                if t == self.icmp_type and (lo, hi) == (self.code_min, self.code_max):
                    return f" icmp {'!' if self.invert else ''}{name}"
        text = " icmp" + (" !" if self.invert else "") + f"type {self.icmp_type}"
        if self.code_min == self.code_max:
            text += f" code {self.code_min}"
        elif (self.code_min, self.code_max) != (0, 255):
            text += f" codes {self.code_min}-{self.code_max}"
        return text

    def checks(self, state: RulesetState) -> list[Check]:
        """Type and code range; type 255 matches any type, as icmp_type_code_match does."""
        t, lo, hi, inv = self.icmp_type, self.code_min, self.code_max, self.invert
        label = ("! " if inv else "") + f"--icmp-type {self._text()}"
        return [((lambda p, c: ((t == 255 or p.icmp_type == t) and lo <= p.icmp_code <= hi) != inv), label)]


_ICMP_ALIASES = {"echo-reply": "pong", "echo-request": "ping", "time-exceeded": "ttl-exceeded"}


def _icmp_names() -> list[tuple[str, int, int | None]]:
    """`any`, then the names in `iptables -p icmp -h` order, each alias right after its name."""
    names: list[tuple[str, int, int | None]] = [("any", 255, None)]
    for name, (t, code) in ICMP_TYPES.items():
        names.append((name, t, code))
        if name in _ICMP_ALIASES:
            names.append((_ICMP_ALIASES[name], t, code))
    return names


def _icmp_by_name(text: str) -> tuple[int, int | None] | None:
    """libxt_icmp's lookup: case-insensitive, any unambiguous prefix of a name or alias."""
    found: tuple[str, int, int | None] | None = None
    for name, t, code in _icmp_names():
        if name.lower() == text.lower():
            return t, code
        if name.lower().startswith(text.lower()):
            if found is not None and (found[1], found[2]) != (t, code):
                raise problem(f"Ambiguous ICMP type `{text}': `{found[0]}' or `{name}'?")
            found = found or (name, t, code)
    return None if found is None else (found[1], found[2])


def _build_icmp(opts: list[Opt], info: RuleInfo) -> IcmpMatch:
    if not opts:
        raise problem('icmp: option "--icmp-type" must be specified')
    _needs_proto(info, 1)
    opt = opts[-1]
    once(opts, "--icmp-type", "icmp")
    text = opt.arg
    named = _icmp_by_name(text)  # an empty name is a prefix of all: "Ambiguous ICMP type"
    if named is not None:
        t, code = named
        if t == 255:
            return IcmpMatch(255, 0, 255, opt.invert)
        return IcmpMatch(t, 0, 255, opt.invert) if code is None else IcmpMatch(t, code, code, opt.invert)
    numeric = parse_numeric_icmp(text, "ICMP")
    icmp_type = numeric.icmp_type
    if numeric.codes is not None:
        code = numeric.codes[0]  # a `:high` code is accepted but not kept (as iptables-nft)
        # Type 255 with a code prints as `any` (measured for 255/0 and 255/1); 255/255 keeps the
        # upstream libipt_icmp.t expectation, although iptables 1.8.9 prints `any` for it too.
        if icmp_type != 255 or code == 255:
            return IcmpMatch(icmp_type, code, code, opt.invert)
    return IcmpMatch(icmp_type, 0, 255, opt.invert)


register_match(Spec("icmp", {"--icmp-type": 1}, _build_icmp, frozenset({"--icmp-type"})))


# ---- multiport ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MultiportMatch(Match):
    """-m multiport --sports/--dports/--ports LIST (up to 15 ports, a range counting two)."""

    name: ClassVar[str] = "multiport"
    which: str
    """`sports`, `dports` or `ports`."""
    ranges: tuple[tuple[int, int], ...]
    invert: bool = False

    def _list(self, numeric: bool = True) -> str:
        return ",".join(
            _port_text(lo, numeric) if lo == hi else f"{_port_text(lo, numeric)}:{_port_text(hi, numeric)}"
            for lo, hi in self.ranges
        )

    def save(self) -> str:
        """` --dports 22,80:90`."""
        return f"{_inv(self.invert)} --{self.which} {self._list()}"

    def listing(self, numeric: bool) -> str:
        """` multiport dports 22,80:90`."""
        return f" multiport {self.which} {' !' if self.invert else ''}{self._list(numeric)}"

    def checks(self, state: RulesetState) -> list[Check]:
        """Any listed port/range hits (either side for --ports)."""
        ranges, inv = self.ranges, self.invert
        label = ("! " if inv else "") + f"--{self.which} {self._list()}"
        if self.which == "sports":
            fn = lambda p, c: any(lo <= p.sport <= hi for lo, hi in ranges) != inv  # noqa: E731
        elif self.which == "dports":
            fn = lambda p, c: any(lo <= p.dport <= hi for lo, hi in ranges) != inv  # noqa: E731
        else:
            fn = lambda p, c: any(lo <= p.sport <= hi or lo <= p.dport <= hi for lo, hi in ranges) != inv  # noqa: E731
        return [(fn, label)]


def _build_multiport(opts: list[Opt], info: RuleInfo) -> MultiportMatch:
    if not opts:
        raise problem("multiport expects an option")
    if len(opts) > 1:
        raise problem("multiport can only have one option")
    if info.proto not in (6, 17, 33, 132, 136) or info.proto_inv:
        raise problem("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'")
    opt = opts[0]
    which = {
        "--source-ports": "sports",
        "--sports": "sports",
        "--destination-ports": "dports",
        "--dports": "dports",
        "--ports": "ports",
    }[opt.name]
    ranges: list[tuple[int, int]] = []
    count = 0
    for item in opt.arg.split(","):
        if ":" in item:
            lo_text, _, hi_text = item.partition(":")
            lo, hi = parse_port(lo_text), parse_port(hi_text)
            if lo > hi:
                raise problem("invalid portrange specified")
            count += 2
        else:
            lo = hi = parse_port(item)
            count += 1
        ranges.append((lo, hi))
    if count > 15:
        raise problem("too many ports specified")
    return MultiportMatch(which, tuple(ranges), opt.invert)


_MP = {"--source-ports": 1, "--sports": 1, "--destination-ports": 1, "--dports": 1, "--ports": 1}
register_match(Spec("multiport", _MP, _build_multiport, frozenset(_MP)))


# ---- iprange --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IprangeMatch(Match):
    """-m iprange --src-range A-B / --dst-range A-B."""

    name: ClassVar[str] = "iprange"
    src: tuple[int, int] | None = None
    src_inv: bool = False
    dst: tuple[int, int] | None = None
    dst_inv: bool = False

    def _parts(self) -> list[tuple[str, tuple[int, int], bool]]:
        parts = []
        if self.src is not None:
            parts.append(("src", self.src, self.src_inv))
        if self.dst is not None:
            parts.append(("dst", self.dst, self.dst_inv))
        return parts

    def save(self) -> str:
        """` --src-range A-B --dst-range C-D`."""
        return "".join(
            f"{_inv(inv)} --{side}-range {format_ipv4(lo)}-{format_ipv4(hi)}" for side, (lo, hi), inv in self._parts()
        )

    def listing(self, numeric: bool) -> str:
        """` source IP range A-B destination IP range C-D`."""
        words = {"src": "source", "dst": "destination"}
        return "".join(
            f" {words[side]} IP range{_inv(inv)} {format_ipv4(lo)}-{format_ipv4(hi)}"
            for side, (lo, hi), inv in self._parts()
        )

    def checks(self, state: RulesetState) -> list[Check]:
        """Inclusive int ranges."""
        out: list[Check] = []
        for side, (lo, hi), inv in self._parts():
            label = ("! " if inv else "") + f"--{side}-range {format_ipv4(lo)}-{format_ipv4(hi)}"
            if side == "src":

                def src_check(p: Packet, c: MatchContext, lo: int = lo, hi: int = hi, inv: bool = inv) -> bool:
                    return (lo <= p.src <= hi) != inv

                out.append((src_check, label))
            else:

                def dst_check(p: Packet, c: MatchContext, lo: int = lo, hi: int = hi, inv: bool = inv) -> bool:
                    return (lo <= p.dst <= hi) != inv

                out.append((dst_check, label))
        return out


def _build_iprange(opts: list[Opt], info: RuleInfo) -> IprangeMatch:
    if not opts:
        raise problem("iprange match: You must specify `--src-range' or `--dst-range'")
    fields: dict[str, object] = {}
    for opt in opts:
        lo_text, dash, hi_text = opt.arg.partition("-")
        lo = parse_address(lo_text)
        hi = parse_address(hi_text) if dash else lo
        side = "src" if opt.name == "--src-range" else "dst"
        fields[side], fields[side + "_inv"] = (lo, hi), opt.invert
    return IprangeMatch(**fields)  # type: ignore[arg-type]


_IPR = {"--src-range": 1, "--dst-range": 1}
register_match(Spec("iprange", _IPR, _build_iprange, frozenset(_IPR)))


# ---- mac ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MacMatch(Match):
    """-m mac --mac-source XX:XX:XX:XX:XX:XX (only where a received frame has one)."""

    name: ClassVar[str] = "mac"
    hooks: ClassVar[frozenset[str] | None] = frozenset({"PREROUTING", "INPUT", "FORWARD"})
    mac: str
    invert: bool = False

    def save(self) -> str:
        """` --mac-source 02:00:00:00:00:aa`."""
        return f"{_inv(self.invert)} --mac-source {self.mac}"

    def listing(self, numeric: bool) -> str:
        """` MAC 02:00:00:00:00:aa`."""
        return f" MAC{_inv(self.invert)} {self.mac}"

    def checks(self, state: RulesetState) -> list[Check]:
        """Compare the frame's source MAC (locally generated packets have none)."""
        mac, inv = self.mac, self.invert
        return [
            (
                (lambda p, c: (p.iif is not None and p.src_mac == mac) != inv),
                ("! " if inv else "") + f"--mac-source {mac}",
            )
        ]


def _build_mac(opts: list[Opt], info: RuleInfo) -> MacMatch:
    if not opts:
        raise problem("mac match: You must specify `--mac-source'")
    opt = opts[-1]
    try:
        mac = parse_mac(opt.arg)
    except AddressError:
        raise problem("Invalid MAC address specified.") from None
    return MacMatch(mac, opt.invert)


register_match(Spec("mac", {"--mac-source": 1}, _build_mac, frozenset({"--mac-source"})))


# ---- ttl / length / tos / pkttype -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TtlMatch(Match):
    """-m ttl --ttl-eq/--ttl-lt/--ttl-gt N (`! --ttl-eq` is the kernel's not-equal mode)."""

    name: ClassVar[str] = "ttl"
    mode: str
    """eq, ne, lt or gt."""
    value: int

    def save(self) -> str:
        """` --ttl-eq 64`, ` ! --ttl-eq 64`, ` --ttl-lt 5`."""
        return {"eq": " --ttl-eq", "ne": " ! --ttl-eq", "lt": " --ttl-lt", "gt": " --ttl-gt"}[
            self.mode
        ] + f" {self.value}"

    def listing(self, numeric: bool) -> str:
        """` TTL match TTL == 64`."""
        op = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">"}[self.mode]
        return f" TTL match TTL {op} {self.value}"

    def checks(self, state: RulesetState) -> list[Check]:
        """Compare the header TTL."""
        v = self.value
        fn = {
            "eq": lambda p, c: p.ttl == v,
            "ne": lambda p, c: p.ttl != v,
            "lt": lambda p, c: p.ttl < v,
            "gt": lambda p, c: p.ttl > v,
        }[self.mode]
        return [(fn, self.save().strip())]


def _build_ttl(opts: list[Opt], info: RuleInfo) -> TtlMatch:
    if len(opts) != 1:
        raise problem("ttl: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt'")
    opt = opts[0]
    value = parse_uint(opt.arg, 0, 255)
    if value is None:
        raise problem(f'ttl: Unexpected value "{opt.arg}"')
    mode = opt.name[-2:]
    if opt.invert and mode != "eq":
        raise problem("ttl: unexpected `!'")
    return TtlMatch("ne" if opt.invert else mode, value)


_TTL = {"--ttl-eq": 1, "--ttl-lt": 1, "--ttl-gt": 1}
register_match(Spec("ttl", _TTL, _build_ttl, frozenset({"--ttl-eq"})))


@dataclass(frozen=True, slots=True)
class LengthMatch(Match):
    """-m length --length MIN[:MAX] on the IP total length."""

    name: ClassVar[str] = "length"
    low: int
    high: int
    invert: bool = False

    def save(self) -> str:
        """` --length 0:100`."""
        return f"{_inv(self.invert)} --length {format_port_range(self.low, self.high)}"

    def listing(self, numeric: bool) -> str:
        """` length 0:100`."""
        return f" length {'!' if self.invert else ''}{format_port_range(self.low, self.high)}"

    def checks(self, state: RulesetState) -> list[Check]:
        """Compare `Packet.length`."""
        lo, hi, inv = self.low, self.high, self.invert
        return [((lambda p, c: (lo <= p.length <= hi) != inv), self.save().strip())]


def _build_length(opts: list[Opt], info: RuleInfo) -> LengthMatch:
    if not opts:
        raise problem("length: You must specify `--length'")
    opt = opts[-1]
    lo_text, colon, hi_text = opt.arg.partition(":")
    lo = parse_uint(lo_text, 0, 65535) if lo_text else 0
    hi = (parse_uint(hi_text, 0, 65535) if hi_text else 65535) if colon else lo
    if lo is None or hi is None or lo > hi:
        raise problem(f'length: invalid length "{opt.arg}"')
    return LengthMatch(lo, hi, opt.invert)


register_match(Spec("length", {"--length": 1}, _build_length, frozenset({"--length"})))

TOS_NAMES = {
    "Minimize-Delay": 0x10,
    "Maximize-Throughput": 0x08,
    "Maximize-Reliability": 0x04,
    "Minimize-Cost": 0x02,
    "Normal-Service": 0x00,
}


@dataclass(frozen=True, slots=True)
class TosMatch(Match):
    """-m tos --tos VALUE[/MASK] or a symbolic name (mask 0x3f)."""

    name: ClassVar[str] = "tos"
    value: int
    mask: int
    invert: bool = False

    def save(self) -> str:
        """` --tos 0x10/0x3f`."""
        return f"{_inv(self.invert)} --tos 0x{self.value:02x}/0x{self.mask:02x}"

    def listing(self, numeric: bool) -> str:
        """` tos match 0x10/0x3f`."""
        return f" tos match{'!' if self.invert else ''}0x{self.value:02x}/0x{self.mask:02x}"

    def checks(self, state: RulesetState) -> list[Check]:
        """`(tos & mask) == value`."""
        v, m, inv = self.value, self.mask, self.invert
        return [((lambda p, c: ((p.tos & m) == v) != inv), self.save().strip())]


def _build_tos(opts: list[Opt], info: RuleInfo) -> TosMatch:
    if not opts:
        raise problem("tos: You must specify `--tos'")
    opt = opts[-1]
    if opt.arg in TOS_NAMES:
        return TosMatch(TOS_NAMES[opt.arg], 0x3F, opt.invert)
    value_text, slash, mask_text = opt.arg.partition("/")
    value = parse_uint(value_text, 0, 255)
    mask = parse_uint(mask_text, 0, 255) if slash else 0xFF
    if value is None or mask is None:
        raise problem(f'Bad TOS value "{opt.arg}"')
    return TosMatch(value, mask, opt.invert)


register_match(Spec("tos", {"--tos": 1}, _build_tos, frozenset({"--tos"})))


@dataclass(frozen=True, slots=True)
class PkttypeMatch(Match):
    """-m pkttype --pkt-type unicast|broadcast|multicast, from the frame's destination MAC."""

    name: ClassVar[str] = "pkttype"
    pkt_type: str
    invert: bool = False

    def save(self) -> str:
        """` --pkt-type broadcast`."""
        return f"{_inv(self.invert)} --pkt-type {self.pkt_type}"

    def listing(self, numeric: bool) -> str:
        """` PKTTYPE = broadcast`."""
        return f" PKTTYPE {'!' if self.invert else ''}= {self.pkt_type}"

    def checks(self, state: RulesetState) -> list[Check]:
        """Classify by dst_mac: ff:..:ff broadcast, group bit multicast, else unicast/host."""
        want, inv = self.pkt_type, self.invert

        def fn(p, c):  # type: ignore[no-untyped-def]
            mac = p.dst_mac
            if mac == "ff:ff:ff:ff:ff:ff":
                kind = "broadcast"
            elif mac is not None and int(mac[:2], 16) & 1:
                kind = "multicast"
            else:
                kind = "unicast" if want == "unicast" else "host"
            return (kind == want) != inv

        return [(fn, self.save().strip())]


def _build_pkttype(opts: list[Opt], info: RuleInfo) -> PkttypeMatch:
    if not opts:
        raise problem("pkttype: You must specify `--pkt-type'")
    opt = opts[-1]
    kind = opt.arg.lower()
    if kind not in ("unicast", "broadcast", "multicast", "host", "otherhost", "outgoing", "loopback"):
        raise problem(f"Bad packet type '{opt.arg}'")
    return PkttypeMatch(kind, opt.invert)


register_match(Spec("pkttype", {"--pkt-type": 1}, _build_pkttype, frozenset({"--pkt-type"})))


# ---- comment --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommentMatch(Match):
    """-m comment --comment TEXT (at most 255 characters); always matches."""

    name: ClassVar[str] = "comment"
    text: str

    def save(self) -> str:
        """` --comment "TEXT"`."""
        from .values import save_string

        return f" --comment {save_string(self.text)}"

    def listing(self, numeric: bool) -> str:
        """` /* TEXT */`."""
        return f" /* {self.text} */"


def _build_comment(opts: list[Opt], info: RuleInfo) -> CommentMatch:
    if not opts:
        raise problem('comment: option "--comment" must be specified')
    text = opts[-1].arg
    if len(text) > 255:
        raise problem('comment: argument "--comment" too long (max 255)')
    return CommentMatch(text)


register_match(Spec("comment", {"--comment": 1}, _build_comment))


# ---- addrtype -------------------------------------------------------------------------------------

ADDR_TYPES = (
    "UNSPEC",
    "UNICAST",
    "LOCAL",
    "BROADCAST",
    "ANYCAST",
    "MULTICAST",
    "BLACKHOLE",
    "UNREACHABLE",
    "PROHIBIT",
    "THROW",
    "NAT",
    "XRESOLVE",
)


@dataclass(frozen=True, slots=True)
class AddrtypeMatch(Match):
    """-m addrtype --src-type/--dst-type TYPES [--limit-iface-in|--limit-iface-out]."""

    name: ClassVar[str] = "addrtype"
    src: tuple[str, ...] = ()
    src_inv: bool = False
    dst: tuple[str, ...] = ()
    dst_inv: bool = False
    iface_in: bool = False
    iface_out: bool = False

    def check_hooks(self, chain: str) -> bool:
        """--limit-iface-in is invalid in OUTPUT/POSTROUTING, -out in PREROUTING/INPUT."""
        if self.iface_in and chain in ("OUTPUT", "POSTROUTING"):
            return False
        return not (self.iface_out and chain in ("PREROUTING", "INPUT"))

    def save(self) -> str:
        """` --src-type LOCAL ! --dst-type LOCAL --limit-iface-in`."""
        text = ""
        if self.src:
            text += f"{_inv(self.src_inv)} --src-type {','.join(self.src)}"
        if self.dst:
            text += f"{_inv(self.dst_inv)} --dst-type {','.join(self.dst)}"
        text += " --limit-iface-in" if self.iface_in else ""
        text += " --limit-iface-out" if self.iface_out else ""
        return text

    def listing(self, numeric: bool) -> str:
        """` ADDRTYPE match src-type LOCAL dst-type !LOCAL limit-in`."""
        text = " ADDRTYPE match"
        if self.src:
            text += f" src-type {'!' if self.src_inv else ''}{','.join(self.src)}"
        if self.dst:
            text += f" dst-type {'!' if self.dst_inv else ''}{','.join(self.dst)}"
        text += " limit-in" if self.iface_in else ""
        text += " limit-out" if self.iface_out else ""
        return text

    def checks(self, state: RulesetState) -> list[Check]:
        """Ask the host (ctx.addr_type) what kind each address is."""
        out: list[Check] = []
        for side, types, inv in (("src", self.src, self.src_inv), ("dst", self.dst, self.dst_inv)):
            if not types:
                continue
            wanted = frozenset(types)
            label = ("! " if inv else "") + f"--{side}-type {','.join(types)}"
            if side == "src":

                def src_check(p: Packet, c: MatchContext, w: frozenset[str] = wanted, i: bool = inv) -> bool:
                    return (c.addr_type(p.src) in w) != i

                out.append((src_check, label))
            else:

                def dst_check(p: Packet, c: MatchContext, w: frozenset[str] = wanted, i: bool = inv) -> bool:
                    return (c.addr_type(p.dst) in w) != i

                out.append((dst_check, label))
        return out


def _types(text: str) -> tuple[str, ...]:
    found = set()
    for word in text.split(","):
        name = word.upper()
        if name not in ADDR_TYPES:
            raise problem(f'addrtype: bad type "{word}"')
        found.add(name)
    return tuple(t for t in ADDR_TYPES if t in found)


def _build_addrtype(opts: list[Opt], info: RuleInfo) -> AddrtypeMatch:
    fields: dict[str, object] = {}
    for opt in opts:
        if opt.name in ("--src-type", "--dst-type"):
            side = opt.name[2:5]
            if side in fields:
                raise problem(f"addrtype: can't specify {opt.name} twice")
            fields[side], fields[side + "_inv"] = _types(opt.arg), opt.invert
        elif opt.name == "--limit-iface-in":
            fields["iface_in"] = True
        else:
            fields["iface_out"] = True
    if "src" not in fields and "dst" not in fields:
        raise problem("addrtype: you must specify --src-type or --dst-type")
    if fields.get("iface_in") and fields.get("iface_out"):
        raise problem("addrtype: you can't specify both --limit-iface-in and --limit-iface-out")
    return AddrtypeMatch(**fields)  # type: ignore[arg-type]


_AT = {"--src-type": 1, "--dst-type": 1, "--limit-iface-in": 0, "--limit-iface-out": 0}
register_match(Spec("addrtype", _AT, _build_addrtype, frozenset({"--src-type", "--dst-type"})))


# ---- owner ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnerMatch(Match):
    """-m owner --uid-owner/--gid-owner ID[-ID] [--suppl-groups], --socket-exists (locally sent)."""

    name: ClassVar[str] = "owner"
    hooks: ClassVar[frozenset[str] | None] = frozenset({"OUTPUT", "POSTROUTING"})
    socket_exists: bool | None = None
    """None: not given; else the inversion flag."""
    uid: tuple[int, int] | None = None
    uid_inv: bool = False
    gid: tuple[int, int] | None = None
    gid_inv: bool = False
    suppl_groups: bool = False

    def _parts(self) -> list[tuple[bool, str]]:
        parts: list[tuple[bool, str]] = []
        if self.socket_exists is not None:
            parts.append((self.socket_exists, "--socket-exists"))
        for key, rng, inv in (("uid", self.uid, self.uid_inv), ("gid", self.gid, self.gid_inv)):
            if rng is not None:
                value = str(rng[0]) if rng[0] == rng[1] else f"{rng[0]}-{rng[1]}"
                parts.append((inv, f"--{key}-owner {value}"))
        if self.suppl_groups:
            parts.append((False, "--suppl-groups"))
        return parts

    def save(self) -> str:
        """` --uid-owner 0 --gid-owner 0-10 --suppl-groups`."""
        return "".join(f"{_inv(inv)} {text}" for inv, text in self._parts())

    def listing(self, numeric: bool) -> str:
        """` owner UID match 0`."""
        text = ""
        for inv, part in self._parts():
            word, _, value = part.partition(" ")
            label = {
                "--socket-exists": "owner socket exists",
                "--uid-owner": "owner UID match",
                "--gid-owner": "owner GID match",
                "--suppl-groups": "incl. suppl. groups",
            }[word]
            text += f" {'! ' if inv else ''}{label}" + (f" {value}" if value else "")
        return text

    def checks(self, state: RulesetState) -> list[Check]:
        """Compare the sending socket's uid/gid (no socket: no match, as xt_owner)."""
        out: list[Check] = []
        if self.socket_exists is not None:
            inv = self.socket_exists

            def socket_check(p: Packet, c: MatchContext, inv: bool = inv) -> bool:
                return (c.owner_uid is not None) != inv

            out.append((socket_check, ("! " if inv else "") + "--socket-exists"))
        if self.uid is not None:
            (lo, hi), inv = self.uid, self.uid_inv
            label = f"--uid-owner {lo}" if lo == hi else f"--uid-owner {lo}-{hi}"
            out.append(
                (
                    (lambda p, c: c.owner_uid is not None and (lo <= c.owner_uid <= hi) != inv),
                    ("! " if inv else "") + label,
                )
            )
        if self.gid is not None:
            (glo, ghi), ginv = self.gid, self.gid_inv
            out.append(
                (
                    (lambda p, c: c.owner_gid is not None and (glo <= c.owner_gid <= ghi) != ginv),
                    ("! " if ginv else "") + (f"--gid-owner {glo}" if glo == ghi else f"--gid-owner {glo}-{ghi}"),
                )
            )
        return out


def _id_range(text: str, what: str) -> tuple[int, int]:
    if text in USERS:
        return USERS[text], USERS[text]
    lo_text, dash, hi_text = text.partition("-")
    lo = parse_uint(lo_text, 0, 0xFFFFFFFE)
    hi = parse_uint(hi_text, 0, 0xFFFFFFFE) if dash else lo
    if lo is None or hi is None or lo > hi:
        raise problem(f'Bad owner name "{text}"' if what == "uid" else f'Bad group name "{text}"')
    return lo, hi


def _build_owner(opts: list[Opt], info: RuleInfo) -> OwnerMatch:
    fields: dict[str, object] = {}
    for opt in opts:
        if opt.name == "--socket-exists":
            fields["socket_exists"] = opt.invert
        elif opt.name == "--uid-owner":
            fields["uid"], fields["uid_inv"] = _id_range(opt.arg, "uid"), opt.invert
        elif opt.name == "--gid-owner":
            fields["gid"], fields["gid_inv"] = _id_range(opt.arg, "gid"), opt.invert
        else:
            if opt.invert:
                raise problem("owner: unexpected `!' for --suppl-groups")
            if "gid" not in fields:
                raise problem("owner: --suppl-groups requires --gid-owner")
            fields["suppl_groups"] = True
    if not fields:
        raise problem("owner: At least one of --uid-owner, --gid-owner or --socket-exists is required")
    return OwnerMatch(**fields)  # type: ignore[arg-type]


_OWN = {"--uid-owner": 1, "--gid-owner": 1, "--socket-exists": 0, "--suppl-groups": 0}
register_match(
    Spec("owner", _OWN, _build_owner, frozenset({"--uid-owner", "--gid-owner", "--socket-exists", "--suppl-groups"}))
)
