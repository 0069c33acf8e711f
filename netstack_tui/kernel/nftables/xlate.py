"""An iptables-nft rule as `nft list` prints it (nftables 1.0.6 reading iptables 1.8.9's rules).

iptables-nft stores the IP header tests, tcp/udp ports and flags, `mark` and `limit` as native nft
expressions and everything else as `xt` compat expressions, which nft prints through libxtables'
translation (`ct state ...`, `log prefix ...`) or, without one, as `xt match NAME`/`xt target NAME`.
Every form here was recorded from the real tools in a throw-away namespace (tests/nftables/).
"""

from __future__ import annotations

from ..addr import format_ipv4
from ..netfilter.ctmatches import ConntrackMatch, MarkMatch, StateMatch
from ..netfilter.extension import Extension
from ..netfilter.matches import (
    AddrtypeMatch,
    CommentMatch,
    IcmpMatch,
    IprangeMatch,
    LengthMatch,
    MacMatch,
    MultiportMatch,
    OwnerMatch,
    PkttypeMatch,
    PortsMatch,
    TtlMatch,
)
from ..netfilter.opaque import OpaqueMatch, OpaqueTarget
from ..netfilter.rate import LimitMatch, rate_text
from ..netfilter.rule import Rule
from ..netfilter.targets import ConnmarkTarget, CtTarget, LogTarget, MarkTarget, NatTarget, RejectTarget
from .values import ICMP_TYPES, LOG_LEVELS, PROTOCOLS

_PROTO_NAMES = {number: name for name, number in PROTOCOLS.items()}
_ICMP_NAMES = {number: name for name, number in ICMP_TYPES.items()}
_TCP_FLAG_NAMES = (("fin", 1), ("syn", 2), ("rst", 4), ("psh", 8), ("ack", 16), ("urg", 32))
_CT_STATE_ORDER = ("INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED")
_RATE_UNITS = {"sec": "second", "min": "minute", "hour": "hour", "day": "day"}
_REJECT = {
    "icmp-port-unreachable": "",
    "port-unreach": "",
    "tcp-reset": " with tcp reset",
    "icmp-net-unreachable": " with icmp type net-unreachable",
    "icmp-host-unreachable": " with icmp type host-unreachable",
    "icmp-proto-unreachable": " with icmp type prot-unreachable",
    "icmp-net-prohibited": " with icmp type net-prohibited",
    "icmp-host-prohibited": " with icmp type host-prohibited",
    "icmp-admin-prohibited": " with icmp type admin-prohibited",
}
_MASK = 0xFFFFFFFF


def native(rule: Rule) -> bool:
    """Whether iptables-nft stores the rule without xt expressions (nft then prints no warning)."""
    for match in rule.matches:
        if isinstance(match, PortsMatch) and match.option is None:
            continue
        if isinstance(match, LimitMatch) or (isinstance(match, MarkMatch) and match.kind == "mark"):
            continue
        return False
    return rule.target is None


def rule_text(rule: Rule, pkts: int, bytes_: int) -> str:
    """The rule's line in `nft list` output (without indentation and handle)."""
    words: list[str] = []
    if rule.iif:
        words.append(f'iifname {_neq(rule.iif_inv)}"{_ifname(rule.iif)}"')
    if rule.oif:
        words.append(f'oifname {_neq(rule.oif_inv)}"{_ifname(rule.oif)}"')
    if rule.src_mask or rule.src_inv:
        words.append(f"ip saddr {_neq(rule.src_inv)}{_prefix(rule.src, rule.src_mask)}")
    if rule.dst_mask or rule.dst_inv:
        words.append(f"ip daddr {_neq(rule.dst_inv)}{_prefix(rule.dst, rule.dst_mask)}")
    first = rule.matches[0] if rule.matches else None
    implied = isinstance(first, PortsMatch) and first.option is None and not rule.proto_inv
    if (rule.proto or rule.proto_inv) and not implied:
        words.append(f"meta l4proto {_neq(rule.proto_inv)}{_PROTO_NAMES.get(rule.proto, str(rule.proto))}")
    if rule.fragment is not None:
        words.append("ip frag-off & 8191 != 0" if rule.fragment else "ip frag-off & 8191 == 0")
    proto = _PROTO_NAMES.get(rule.proto, "tcp")
    words.extend(_match_text(m, proto) for m in rule.matches)
    words.append(f"counter packets {pkts} bytes {bytes_}")
    if rule.target is not None:
        words.append(_target_text(rule.target))
    elif rule.verdict in ("ACCEPT", "DROP", "RETURN"):
        words.append(rule.verdict.lower())
    elif rule.verdict:
        words.append(f"{'goto' if rule.goto else 'jump'} {rule.verdict}")
    return " ".join(words)


def _neq(invert: bool) -> str:
    return "!= " if invert else ""


def _ifname(name: str) -> str:
    return name[:-1] + "*" if name.endswith("+") else name


def _prefix(addr: int, mask: int) -> str:
    if mask == _MASK:
        return format_ipv4(addr)
    if mask and (~mask & _MASK) & ((~mask & _MASK) + 1) == 0:
        return f"{format_ipv4(addr)}/{bin(mask).count('1')}"
    return f"{format_ipv4(addr)} & {format_ipv4(mask)}"


def _range(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _flags(bits: int) -> str:
    return ",".join(name for name, bit in _TCP_FLAG_NAMES if bits & bit)


def _match_text(match: Extension, proto: str) -> str:
    """One match as nft prints it; `proto` names the rule's protocol for port matches."""
    if isinstance(match, PortsMatch):
        return _ports_text(match)
    if isinstance(match, MultiportMatch):
        return _multiport_text(match, proto)
    if isinstance(match, (StateMatch, ConntrackMatch)):
        return _ct_text(match)
    if isinstance(match, CommentMatch):
        return ""
    if isinstance(match, LimitMatch):
        count, _, unit = rate_text(match.avg).partition("/")
        burst = f" burst {match.burst} packets" if match.burst != 5 else ""
        return f"limit rate {count}/{_RATE_UNITS.get(unit, unit)}{burst}"
    if isinstance(match, MarkMatch):
        return _mark_text(match)
    return _other_match_text(match)


def _ports_text(match: PortsMatch) -> str:
    words = []
    name = match.proto_name
    if match.sport != (0, 65535) or match.sport_inv:
        words.append(f"{name} sport {_neq(match.sport_inv)}{_range(*match.sport)}")
    if match.dport != (0, 65535) or match.dport_inv:
        words.append(f"{name} dport {_neq(match.dport_inv)}{_range(*match.dport)}")
    if match.flags is not None:
        mask, comp = match.flags
        if comp == 0 and not match.flags_inv:
            words.append(f"tcp flags ! {_flags(mask)}")
        else:
            words.append(f"tcp flags {_neq(match.flags_inv)}{_flags(comp)} / {_flags(mask)}")
    if match.option is not None:
        words.append(f"xt match {name}")
    return " ".join(words)


def _multiport_text(match: MultiportMatch, proto: str) -> str:
    if match.which == "ports":
        pairs: list[str] = []
        for lo, hi in match.ranges:  # libxt_multiport's translation takes a range's two ends only
            for port in dict.fromkeys((lo, hi)):
                pairs += [f"0-65535 . {port}", f"{port} . 0-65535"]
        return f"{proto} sport . {proto} dport {_neq(match.invert)}{{ {', '.join(pairs)} }}"
    side = "sport" if match.which == "sports" else "dport"
    if len(match.ranges) == 1:
        return f"{proto} {side} {_neq(match.invert)}{_range(*match.ranges[0])}"
    elems = ", ".join(_range(lo, hi) for lo, hi in match.ranges)
    return f"{proto} {side} {_neq(match.invert)}{{ {elems} }}"


def _ct_text(match: StateMatch | ConntrackMatch) -> str:
    if isinstance(match, StateMatch):
        states, invert = match.states, match.invert
    else:
        if len(match.items) != 1 or match.items[0][0] != "ctstate":
            return "xt match conntrack"
        _, invert, value = match.items[0]
        states = tuple(str(s) for s in value)  # type: ignore[attr-defined]
        nat = [s.lower() for s in states if s in ("SNAT", "DNAT")]
        if nat:  # libxt_conntrack's translation keeps only the NAT pseudo-states, as a status test
            return f"ct status {'! ' if invert else ''}{','.join(nat)}"
    names = ",".join(s.lower() for s in _CT_STATE_ORDER if s in states)
    return f"ct state {'! ' if invert else ''}{names}"


def _mark_text(match: MarkMatch) -> str:
    if match.kind == "connmark":
        if match.mask == _MASK:
            return f"ct mark {_neq(match.invert)}0x{match.value:x}"
        return f"ct mark and 0x{match.mask:x} {'!=' if match.invert else '=='} 0x{match.value:x}"
    if match.mask == _MASK:
        return f"meta mark {_neq(match.invert)}0x{match.value:08x}"
    return f"meta mark & 0x{match.mask:08x} {'!=' if match.invert else '=='} 0x{match.value:08x}"


def _other_match_text(match: Extension) -> str:
    if isinstance(match, IcmpMatch):
        if match.icmp_type == 255 and (match.code_min, match.code_max) == (0, 255):
            return "ip protocol icmp"
        if (match.code_min, match.code_max) != (0, 255):
            return "xt match icmp"
        return f"icmp type {_neq(match.invert)}{_ICMP_NAMES.get(match.icmp_type, str(match.icmp_type))}"
    if isinstance(match, IprangeMatch):
        words = []
        for side, rng, inv in (("saddr", match.src, match.src_inv), ("daddr", match.dst, match.dst_inv)):
            if rng is not None:
                words.append(f"ip {side} {_neq(inv)}{format_ipv4(rng[0])}-{format_ipv4(rng[1])}")
        return " ".join(words)
    if isinstance(match, AddrtypeMatch):
        side, types, inv = ("saddr", match.src, match.src_inv) if match.src else ("daddr", match.dst, match.dst_inv)
        names = [t.lower() for t in types]
        shown = names[0] if len(names) == 1 else "{ " + ", ".join(names) + " }"
        return f"fib {side} type {_neq(inv)}{shown}"
    if isinstance(match, TtlMatch):
        op = {"eq": "", "ne": "!= ", "lt": "< ", "gt": "> "}[match.mode]
        return f"ip ttl {op}{match.value}"
    if isinstance(match, LengthMatch):
        return f"meta length {_neq(match.invert)}{_range(match.low, match.high)}"
    if isinstance(match, MacMatch):
        return f"ether saddr {_neq(match.invert)}{match.mac.lower()}"
    if isinstance(match, PkttypeMatch):
        return f"pkttype {_neq(match.invert)}{match.pkt_type.lower()}"
    if isinstance(match, OwnerMatch) and match.socket_exists is None and (match.uid is None) != (match.gid is None):
        key, rng, inv = (
            ("skuid", match.uid, match.uid_inv) if match.uid is not None else ("skgid", match.gid, match.gid_inv)
        )
        assert rng is not None
        return f"{key} {_neq(inv)}{_range(*rng)}"
    if isinstance(match, OpaqueMatch):
        return f"xt match {match.module}"
    return f"xt match {match.name}"


def _target_text(target: Extension) -> str:
    """A target extension as nft prints it."""
    if isinstance(target, LogTarget):
        return _log_text(target)
    if isinstance(target, RejectTarget):
        return "reject" + _REJECT.get(target.with_, f" with icmp type {target.with_.removeprefix('icmp-')}")
    if isinstance(target, NatTarget):
        return _nat_text(target)
    if isinstance(target, CtTarget) and (target.notrack or target.alias):
        return "notrack"
    if isinstance(target, MarkTarget):
        value, mask = target.value, target.mask
        if value == 0:
            return f"meta mark set mark and 0x{~mask & _MASK:x}"
        if value == mask:
            return f"meta mark set mark or 0x{value:x}"
        if mask == 0:
            return f"meta mark set mark xor 0x{value:x}"
        if mask == _MASK:
            return f"meta mark set 0x{value:x}"
        return f"meta mark set mark and 0x{~mask & _MASK:x} xor 0x{value:x}"
    if isinstance(target, ConnmarkTarget):
        if target.mode == "save" and target.nfmask == target.ctmask == _MASK:
            return "ct mark set mark"
        if target.mode == "restore" and target.nfmask == target.ctmask == _MASK:
            return "meta mark set ct mark"
        if target.mode == "set" and target.ctmask == _MASK:
            return f"ct mark set 0x{target.ctmark:x}"
        return "xt target CONNMARK"
    if isinstance(target, OpaqueTarget):
        return _opaque_target_text(target)
    return f"xt target {target.name}"


def _log_text(target: LogTarget) -> str:
    text = "log"
    if target.prefix:
        text += f' prefix "{target.prefix}"'
    if target.level != 4:
        text += f" level {LOG_LEVELS[target.level]}"
    flags = target.flags
    if flags & 1 and flags & 2:
        text += " flags tcp sequence,options"
    elif flags & 1:
        text += " flags tcp sequence"
    elif flags & 2:
        text += " flags tcp options"
    if flags & 4:
        text += " flags ip options"
    if flags & 8:
        text += " flags skuid"
    if flags & 0x20:
        text += " flags ether"
    return text


def _nat_text(target: NatTarget) -> str:
    kind = target.kind.lower()
    addr = ""
    if target.addr_min is not None:
        addr = format_ipv4(target.addr_min)
        if target.addr_max is not None and target.addr_max != target.addr_min:
            addr += f"-{format_ipv4(target.addr_max)}"
    ports = ""
    if target.port_min is not None:
        ports = f":{_range(target.port_min, target.port_max if target.port_max is not None else target.port_min)}"
    text = kind
    if addr or ports:
        text += f" to {addr}{ports}"
    flags = [
        name
        for name, on in (
            ("random", target.random),
            ("fully-random", target.random_fully),
            ("persistent", target.persistent),
        )
        if on
    ]
    if flags:
        text += " " + ",".join(flags)
    return text


def _opaque_target_text(target: OpaqueTarget) -> str:
    if target.target == "TCPMSS":
        for name, _, args in target.items:
            if name == "--clamp-mss-to-pmtu":
                return "tcp option maxseg size set rt mtu"
            if name == "--set-mss" and args:
                return f"tcp option maxseg size set {args[0]}"
    return f"xt target {target.target}"
