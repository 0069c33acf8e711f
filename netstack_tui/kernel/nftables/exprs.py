"""Rule expressions: what a selector reads from a packet, how a comparison matches and prints.

A rule is a list of expressions evaluated left to right (nft_do_chain): a comparison that fails
ends the rule (NFT_BREAK), statements act (counter, log, mark, NAT), and a verdict ends the chain.
Every expression prints itself as `nft list ruleset` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from ..addr import format_ipv4
from ..netfilter.api import MatchContext
from ..packet import Packet
from .values import (
    CT_DIRECTIONS,
    CT_STATES,
    CT_STATUS,
    ETHERTYPES,
    ICMP_CODES,
    ICMP_TYPES,
    NFPROTOS,
    PROTOCOLS,
    TCP_FLAGS,
    format_bits,
    name_of,
)

Getter = Callable[[Packet, MatchContext], "int | str | None"]
BITMASK_KINDS = frozenset({"ctstate", "ctstatus", "tcpflags"})
STRING_KINDS = frozenset({"ifname", "iface"})

_CT_STATE_BITS = {"INVALID": 1, "ESTABLISHED": 2, "RELATED": 4, "NEW": 8, "UNTRACKED": 64}
_CT_STATUS_BITS = {"EXPECTED": 1, "SEEN_REPLY": 2, "ASSURED": 4, "CONFIRMED": 8, "SNAT": 16, "SRC_NAT": 16,
                   "DNAT": 32, "DST_NAT": 32}


def _tracked(c: MatchContext) -> bool:
    return c.ct_state not in ("INVALID", "UNTRACKED")


def _l4(proto: int | tuple[int, ...], attr: str) -> Getter:
    protos = (proto,) if isinstance(proto, int) else proto
    return lambda p, c: getattr(p, attr) if p.proto in protos else None


@dataclass(frozen=True, slots=True)
class Selector:
    """The left-hand side of a comparison: `ip saddr`, `tcp dport`, `ct state`, `iifname`..."""

    text: str
    kind: str
    """Datatype of its values: addr, port, int, proto, ifname, iface, mark, ctstate, ..."""
    get: Getter = field(compare=False)
    never: str | None = None
    """Why it never matches here (IPv6 headers on an IPv4-only simulator)."""
    l4: int | None = None
    """Transport protocol the selector implies (nft adds a `meta l4proto` dependency)."""


def _never(p: Packet, c: MatchContext) -> None:
    return None


_IP6 = "IPv6 header: this simulator carries IPv4 only, so it never matches"

SELECTORS: dict[str, Selector] = {
    s.text: s
    for s in (
        Selector("ip saddr", "addr", lambda p, c: p.src),
        Selector("ip daddr", "addr", lambda p, c: p.dst),
        Selector("ip protocol", "proto", lambda p, c: p.proto),
        Selector("ip ttl", "int", lambda p, c: p.ttl),
        Selector("ip length", "int", lambda p, c: p.length),
        Selector("ip6 saddr", "addr6", _never, _IP6),
        Selector("ip6 daddr", "addr6", _never, _IP6),
        Selector("ip6 nexthdr", "proto", _never, _IP6),
        Selector("ip6 hoplimit", "int", _never, _IP6),
        Selector("tcp sport", "port", _l4(6, "sport"), l4=6),
        Selector("tcp dport", "port", _l4(6, "dport"), l4=6),
        Selector("tcp flags", "tcpflags", _l4(6, "flags"), l4=6),
        Selector("udp sport", "port", _l4(17, "sport"), l4=17),
        Selector("udp dport", "port", _l4(17, "dport"), l4=17),
        Selector("th sport", "port", _l4((6, 17), "sport"), l4=-1),
        Selector("th dport", "port", _l4((6, 17), "dport"), l4=-1),
        Selector("icmp type", "icmptype", _l4(1, "icmp_type"), l4=1),
        Selector("icmp code", "icmpcode", _l4(1, "icmp_code"), l4=1),
        Selector("icmpv6 type", "int", _never, _IP6),
        Selector("meta l4proto", "proto", lambda p, c: p.proto),
        Selector("meta nfproto", "nfproto", lambda p, c: NFPROTOS["ipv4"]),
        Selector("meta protocol", "ethertype", lambda p, c: ETHERTYPES["ip"]),
        Selector("meta mark", "mark", lambda p, c: p.mark),
        Selector("iif", "iface", lambda p, c: p.iif),
        Selector("oif", "iface", lambda p, c: p.oif),
        Selector("iifname", "ifname", lambda p, c: p.iif),
        Selector("oifname", "ifname", lambda p, c: p.oif),
        Selector("ct state", "ctstate", lambda p, c: _CT_STATE_BITS.get(c.ct_state, 1)),
        Selector("ct status", "ctstatus",
                 lambda p, c: sum({_CT_STATUS_BITS.get(s, 0) for s in c.ct_status}) if _tracked(c) else None),
        Selector("ct mark", "mark", lambda p, c: c.ct_mark if _tracked(c) else None),
        Selector("ct direction", "ctdir",
                 lambda p, c: CT_DIRECTIONS[c.ct_dir.lower()] if _tracked(c) else None),
    )
}
META_SHORT = {"mark": "meta mark", "iif": "iif", "oif": "oif", "iifname": "iifname", "oifname": "oifname",
              "l4proto": "meta l4proto", "nfproto": "meta nfproto", "protocol": "meta protocol"}
"""`meta KEY` spellings and what nft prints for them."""


@dataclass(frozen=True, slots=True)
class Elem:
    """One value of a comparison: a single value, a range `lo-hi` or a prefix `addr/len`."""

    lo: int | str
    hi: int | str | None = None
    plen: int | None = None

    def contains(self, x: int | str) -> bool:
        """Whether `x` is this value, inside this range or under this prefix."""
        if self.plen is not None:
            assert isinstance(x, int) and isinstance(self.lo, int)
            mask = (0xFFFFFFFF << (32 - self.plen)) & 0xFFFFFFFF
            return (x & mask) == self.lo
        if self.hi is not None:
            return self.lo <= x <= self.hi  # type: ignore[operator]
        if isinstance(self.lo, str) and self.lo.endswith("*") and isinstance(x, str):
            return x.startswith(self.lo[:-1])
        return x == self.lo

    def sort_key(self) -> int:
        """Sets print in value order; a string (an interface name) counts as its bytes read in host
        (little-endian) order, as nft compares them, which is why `lo` sorts before `eth0`."""
        if isinstance(self.lo, str):
            return int.from_bytes(self.lo.encode(), "little")
        return self.lo


def format_value(kind: str, value: int | str, neq: bool = False) -> str:
    """One value of `kind` as nft prints it."""
    if isinstance(value, str):
        return f'"{value}"'
    if kind == "addr":
        return format_ipv4(value)
    if kind == "proto":
        return name_of(value, PROTOCOLS)
    if kind == "mark":
        return f"0x{value:08x}"
    if kind in BITMASK_KINDS:
        names = {"ctstate": CT_STATES, "ctstatus": CT_STATUS, "tcpflags": TCP_FLAGS}[kind]
        text = format_bits(value, names)
        return text.replace(",", " | ") if neq else text
    if kind == "icmptype":
        return name_of(value, ICMP_TYPES)
    if kind == "icmpcode":
        return name_of(value, ICMP_CODES)
    if kind == "nfproto":
        return name_of(value, NFPROTOS)
    if kind == "ethertype":
        return name_of(value, ETHERTYPES)
    if kind == "ctdir":
        return name_of(value, CT_DIRECTIONS)
    return str(value)


def format_elem(kind: str, elem: Elem, neq: bool = False) -> str:
    """A value, range or prefix."""
    if elem.plen is not None:
        return f"{format_value(kind, elem.lo)}/{elem.plen}"
    if elem.hi is not None:
        return f"{format_value(kind, elem.lo)}-{format_value(kind, elem.hi)}"
    return format_value(kind, elem.lo, neq)


class SetRef(Protocol):
    """A named set or map as a rule sees it (`@NAME`): its name and a lookup."""

    name: str

    def find(self, x: int | str) -> Elem | None:
        """The element holding `x`, or None."""


@dataclass(frozen=True, slots=True)
class Cmp:
    """A comparison (relational expression): `SELECTOR [OP] VALUE | { SET } | VALUE / MASK`."""

    sel: Selector
    op: str
    """`` (implicit), `==`, `!=`, `<`, `>`, `<=`, `>=`."""
    elems: tuple[Elem, ...]
    is_set: bool = False
    mask: int | None = None
    mask_style: str = "/"
    """How a masked comparison was written: `&` (`& MASK == V`) or `/` (`V / MASK`); nft lists both as `/`."""
    named: SetRef | None = field(default=None, compare=False)
    """`@NAME`: a lookup in a named set (then `elems` is empty)."""

    def text(self) -> str:
        """The comparison as `nft list` prints it."""
        kind, sel = self.sel.kind, self.sel.text
        if self.named is not None:
            return f"{sel} {'!= ' if self.op == '!=' else ''}@{self.named.name}"
        if self.mask is not None:
            value = self.elems[0].lo
            assert isinstance(value, int)
            neg = "!= " if self.op == "!=" else ""
            return f"{sel} {neg}{format_value(kind, value)} / {format_value(kind, self.mask)}"
        if self.op in ("", "==") and not (self.op == "==" and kind in BITMASK_KINDS):
            op = ""
        else:
            op = self.op + " "
        if self.is_set:
            items = sorted(self.elems, key=Elem.sort_key)
            return f"{sel} {op}{{ {', '.join(format_elem(kind, e) for e in items)} }}"
        return f"{sel} {op}{format_elem(kind, self.elems[0], self.op == '!=')}"

    def matches(self, p: Packet, c: MatchContext) -> bool:
        """nft_cmp_eval / nft_lookup_eval / nft_range_eval on what the selector reads."""
        if self.sel.never is not None:
            return False
        x = self.sel.get(p, c)
        if x is None:
            return False  # the implicit protocol dependency (or a missing device) breaks the rule
        negate = self.op == "!="
        if self.named is not None:
            return (self.named.find(x) is not None) != negate
        if self.mask is not None:
            assert isinstance(x, int)
            return ((x & self.mask) == self.elems[0].lo) != negate
        if self.is_set:
            return any(e.contains(x) for e in self.elems) != negate
        elem = self.elems[0]
        if self.sel.kind in BITMASK_KINDS and self.op in ("", "!=") and isinstance(x, int):
            assert isinstance(elem.lo, int)
            return ((x & elem.lo) != 0) != negate
        if self.op in ("<", ">", "<=", ">="):
            v = elem.lo
            return {"<": x < v, ">": x > v, "<=": x <= v, ">=": x >= v}[self.op]  # type: ignore[operator]
        return elem.contains(x) != negate


# ---- statements ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Counter:
    """`counter`: packets and bytes of every packet that reaches it."""

    ACCUMULATORS: ClassVar = ("packets", "bytes")

    packets: int = 0
    bytes: int = 0

    def text(self) -> str:
        """`counter packets N bytes M`."""
        return f"counter packets {self.packets} bytes {self.bytes}"


LIMIT_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


@dataclass(slots=True)
class Limit:
    """`limit rate [over] N/UNIT [burst B packets]`: nft_limit's token bucket, in nanoseconds."""

    rate: int
    unit: str
    burst: int = 0
    over: bool = False
    tokens: int | None = None
    last: int = 0

    def text(self) -> str:
        """nft 1.0.x omits the default burst of 5 packets."""
        burst = f" burst {self.burst} packets" if self.burst not in (0, 5) else ""
        return f"limit rate {'over ' if self.over else ''}{self.rate}/{self.unit}{burst}"

    def matches(self, now: float) -> bool:
        """nft_limit_eval(): spend one packet's cost; `over` inverts the answer."""
        nsecs = LIMIT_UNITS[self.unit] * 1_000_000_000
        cost = nsecs // self.rate
        tokens_max = cost * (self.burst or 5)
        now_ns = int(round(now * 1_000_000_000))
        if self.tokens is None:
            self.tokens, self.last = tokens_max, now_ns
        tokens = min(self.tokens + now_ns - self.last, tokens_max)
        self.last = now_ns
        if tokens - cost >= 0:
            self.tokens = tokens - cost
            return not self.over
        self.tokens = tokens
        return self.over


@dataclass(frozen=True, slots=True)
class Log:
    """`log [prefix "P"] [level L] [flags all]`: a kernel log line, then the rule goes on."""

    prefix: str = ""
    level: str = "warn"
    flags: str = ""

    def text(self) -> str:
        """Level warn (the default) is not printed."""
        out = "log"
        if self.prefix:
            out += f' prefix "{self.prefix}"'
        if self.level != "warn":
            out += f" level {self.level}"
        if self.flags:
            out += f" flags {self.flags}"
        return out


@dataclass(frozen=True, slots=True)
class SetMark:
    """`meta mark set V` or `ct mark set V`."""

    target: str
    """`meta mark` or `ct mark`."""
    value: int

    def text(self) -> str:
        """`meta mark set 0x00000001`."""
        return f"{self.target} set 0x{self.value:08x}"


@dataclass(frozen=True, slots=True)
class Notrack:
    """`notrack`: the packet skips connection tracking (only before conntrack at -200 it matters)."""

    def text(self) -> str:
        """`notrack`."""
        return "notrack"


@dataclass(frozen=True, slots=True)
class Verdict:
    """`accept`, `drop`, `continue`, `return`, `jump CHAIN`, `goto CHAIN`."""

    kind: str
    chain: str | None = None

    def text(self) -> str:
        """The verdict word and its chain."""
        return f"{self.kind} {self.chain}" if self.chain else self.kind


@dataclass(frozen=True, slots=True)
class Reject:
    """`reject [with tcp reset | icmp CODE | icmpx CODE]` (a drop with an answer)."""

    kind: str
    """`tcp`, `icmp` or `icmpx`."""
    code: str = "port-unreachable"
    family: str = "ip"

    def text(self) -> str:
        """nft prints the family's default (`icmp`/`icmpx port-unreachable`) as a bare `reject`."""
        if self.kind == "tcp":
            return "reject with tcp reset"
        default = "icmpx" if self.family == "inet" else "icmp"
        if self.kind == default and self.code == "port-unreachable":
            return "reject"
        return f"reject with {self.kind} {self.code}"

    @property
    def with_type(self) -> str:
        """The iptables REJECT spelling the stack's reply builder understands."""
        if self.kind == "tcp":
            return "tcp-reset"
        code = {"prot-unreachable": "proto-unreachable", "no-route": "net-unreachable"}.get(self.code, self.code)
        return f"icmp-{code}"


@dataclass(frozen=True, slots=True)
class Nat:
    """`snat|dnat [ip] to ADDR[-ADDR][:PORT[-PORT]]`, `masquerade [to :P[-P]]`, `redirect [to :P]`."""

    kind: str
    """snat, dnat, masquerade or redirect."""
    family: str = ""
    """`ip` when written `dnat ip to` (required in inet tables)."""
    addr_lo: int | None = None
    addr_hi: int | None = None
    port_lo: int | None = None
    port_hi: int | None = None

    def text(self) -> str:
        """`dnat to 10.0.0.2:80`, `masquerade`, `redirect to :8080`."""
        target = ""
        if self.addr_lo is not None:
            target = format_ipv4(self.addr_lo)
            if self.addr_hi is not None and self.addr_hi != self.addr_lo:
                target += f"-{format_ipv4(self.addr_hi)}"
        if self.port_lo is not None:
            target += f":{self.port_lo}"
            if self.port_hi is not None and self.port_hi != self.port_lo:
                target += f"-{self.port_hi}"
        out = self.kind + (f" {self.family}" if self.family else "")
        return f"{out} to {target}" if target else out


@dataclass(frozen=True, slots=True)
class VMap:
    """`SELECTOR vmap { KEY : VERDICT, ... }` or `SELECTOR vmap @NAME`: the verdict the key maps to;
    a key with no entry ends the rule as a failed match does."""

    sel: Selector
    entries: tuple[tuple[Elem, Verdict], ...] = ()
    named: SetRef | None = field(default=None, compare=False)
    named_values: dict[Elem, Verdict] | None = field(default=None, compare=False)

    def text(self) -> str:
        """`tcp dport vmap { 22 : accept, 80 : drop }`."""
        if self.named is not None:
            return f"{self.sel.text} vmap @{self.named.name}"
        items = sorted(self.entries, key=lambda kv: kv[0].sort_key())
        body = ", ".join(f"{format_elem(self.sel.kind, k)} : {v.text()}" for k, v in items)
        return f"{self.sel.text} vmap {{ {body} }}"

    def lookup(self, p: Packet, c: MatchContext) -> Verdict | None:
        """The verdict for this packet's key, or None (no entry, or the selector reads nothing)."""
        if self.sel.never is not None:
            return None
        x = self.sel.get(p, c)
        if x is None:
            return None
        if self.named is not None:
            found = self.named.find(x)
            return self.named_values.get(found) if found is not None and self.named_values is not None else None
        return next((v for k, v in self.entries if k.contains(x)), None)

    def verdicts(self) -> list[Verdict]:
        """Every verdict it may return (jump targets are checked like a rule's own)."""
        if self.named_values is not None:
            return list(self.named_values.values())
        return [v for _, v in self.entries]


Expr = Cmp | Counter | Limit | Log | SetMark | Notrack | Verdict | Reject | Nat | VMap


def verdicts_of(exprs: list[Expr]) -> list[Verdict]:
    """The rule's own verdict and every verdict its verdict maps hold."""
    out: list[Verdict] = []
    for e in exprs:
        if isinstance(e, Verdict):
            out.append(e)
        elif isinstance(e, VMap):
            out.extend(e.verdicts())
    return out


def implied_l4(exprs: list[Expr], before: int) -> int | None:
    """The transport protocol the first `before` expressions pin (for NAT ports, reject tcp reset)."""
    for e in exprs[:before]:
        if isinstance(e, Cmp):
            if e.sel.l4 not in (None, -1):
                return e.sel.l4
            if e.sel.text in ("ip protocol", "meta l4proto") and not e.is_set and e.op in ("", "=="):
                lo = e.elems[0].lo
                return lo if isinstance(lo, int) else None
            if e.sel.l4 == -1:
                return -1
    return None
