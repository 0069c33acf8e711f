"""Parsing one nft rule (matches, statements, verdict) from tokens, as nft's grammar reads it."""

from __future__ import annotations

from collections.abc import Collection

from .. import numbers
from ..addr import AddressError, parse_ipv4
from ..numbers import is_decimal
from .exprs import (
    BITMASK_KINDS,
    LIMIT_UNITS,
    META_SHORT,
    SELECTORS,
    Cmp,
    Counter,
    Elem,
    Expr,
    Limit,
    Log,
    Nat,
    Notrack,
    Reject,
    SetMark,
    Verdict,
    VMap,
    implied_l4,
)
from .lexer import Token
from .model import Rule
from .sets import KIND_DESC, NamedSet, merge_intervals
from .values import (
    CT_DIRECTIONS,
    CT_STATES,
    CT_STATUS,
    ETHERTYPES,
    ICMP_CODES,
    ICMP_TYPES,
    LOG_LEVELS,
    NFPROTOS,
    PROTOCOL_ALIASES,
    PROTOCOLS,
    SERVICES,
    TCP_FLAGS,
    NftError,
    not_simulated,
    parse_addr,
    parse_int,
)

NOT_SIMULATED_WORDS = frozenset({
    "queue", "fwd", "dup", "quota", "synproxy", "tproxy", "flow", "numgen", "jhash", "symhash", "fib", "rt",
    "socket", "osf", "ipsec", "exthdr", "vlan", "ether", "arp", "sctp", "dccp", "udplite", "ah", "esp", "comp",
    "frag", "hbh", "rt0", "mh", "dst", "igmp", "gre", "vxlan", "geneve", "secmark", "set", "add", "update",
    "delete", "meter", "xt", "last", "objref", "sample", "map",
})
ICMPX_CODES = ("port-unreachable", "admin-prohibited", "no-route", "host-unreachable")
_BITNAMES = {"ctstate": (CT_STATES, "conntrack state"), "ctstatus": (CT_STATUS, "conntrack status"),
             "tcpflags": (TCP_FLAGS, "TCP flag")}


class Cursor:
    """A position in a token list."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self, k: int = 0) -> Token | None:
        """The token `k` ahead, or None at the end."""
        j = self.i + k
        return self.tokens[j] if j < len(self.tokens) else None

    def peek_text(self, k: int = 0) -> str | None:
        """The text of the token `k` ahead."""
        t = self.peek(k)
        return t.text if t is not None else None

    def next(self, what: str = "") -> Token:
        """Take a token; at the end it is nft's syntax error."""
        t = self.peek()
        if t is None or t.kind == "eol":
            unexpected = "end of file" if t is None else "newline" if t.text == "\n" else "semicolon"
            raise NftError(f"Error: syntax error, unexpected {unexpected}" + (f", expecting {what}" if what else ""))
        if t.kind == "word" and t.text.startswith("$"):  # `define` replaced every variable it knows
            raise NftError(f"Error: unknown identifier '{t.text[1:]}'")
        self.i += 1
        return t

    def accept(self, text: str) -> bool:
        """Take the token if it is `text`."""
        t = self.peek()
        if t is not None and t.kind != "string" and t.text == text:
            self.i += 1
            return True
        return False

    def expect(self, text: str) -> None:
        """Take `text` or fail with nft's syntax error."""
        t = self.peek()
        if t is None or t.text != text or t.kind == "string":
            raise NftError(f"Error: syntax error, unexpected {_describe(t)}, expecting {text}")
        self.i += 1

    def at_stmt_end(self) -> bool:
        """End of a statement: newline, `;`, `}` or the end."""
        t = self.peek()
        return t is None or t.kind == "eol" or (t.kind == "punct" and t.text == "}")

    def skip_eols(self) -> None:
        """Skip newlines and semicolons."""
        while (t := self.peek()) is not None and t.kind == "eol":
            self.i += 1


def _describe(t: Token | None) -> str:
    if t is None:
        return "end of file"
    if t.kind == "eol":
        return "newline" if t.text == "\n" else "semicolon"
    if t.kind == "string":
        return "string"
    return f"'{t.text}'" if t.kind == "punct" else t.text


# ---- values --------------------------------------------------------------------------------------


def _symbol(text: str, names: dict[str, int], what: str) -> int:
    if text in names:
        return names[text]
    return parse_int(text, what)


def _port(text: str) -> int:
    if text in SERVICES:
        return SERVICES[text]
    try:
        value = parse_int(text)
    except NftError:
        if is_decimal(text):  # a number too long for the scanner is still a number, and out of range
            raise NftError("Error: Service out of range") from None
        raise NftError(f"Error: Could not resolve service: Servname not supported for ai_socktype ('{text}')") from None
    if not 0 <= value <= 65535:
        raise NftError("Error: Service out of range")
    return value


def _scalar(kind: str, text: str) -> int | str:
    if kind == "addr":
        return parse_addr(text)
    if kind == "port":
        return _port(text)
    if kind == "proto":
        return _symbol(PROTOCOL_ALIASES.get(text, text), PROTOCOLS, "protocol")
    if kind == "icmptype":
        return _symbol(text, ICMP_TYPES, "ICMP type")
    if kind == "icmpcode":
        return _symbol(text, ICMP_CODES, "ICMP code")
    if kind == "nfproto":
        return _symbol(text, NFPROTOS, "nfproto")
    if kind == "ethertype":
        return _symbol(text, ETHERTYPES, "ether type")
    if kind == "ctdir":
        return _symbol(text, CT_DIRECTIONS, "conntrack direction")
    if kind in ("ifname", "iface"):
        return text
    if kind == "addr6":
        return 0
    return parse_int(text)


def _elem(kind: str, tok: Token, ifaces: Collection[str] | None) -> Elem:
    text = tok.text
    if kind in ("ifname", "iface"):
        if kind == "iface" and ifaces is not None and text not in ifaces:
            raise NftError("Error: Interface does not exist")
        return Elem(text)
    if kind == "addr6":
        return Elem(0)
    if kind == "addr" and "/" in text:
        addr, _, plen_text = text.partition("/")
        try:
            plen = numbers.parse_int(plen_text)
        except numbers.NumberError:
            raise NftError("Error: syntax error, unexpected newline, expecting comma") from None
        if not 0 <= plen <= 32:
            raise NftError("Error: Invalid prefix length")
        mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
        return Elem(parse_addr(addr) & mask, plen=plen)
    if "-" in text[1:] and kind not in ("icmptype", "icmpcode"):
        lo, _, hi = text.partition("-")
        try:
            lo_v, hi_v = _scalar(kind, lo), _scalar(kind, hi)
        except NftError:
            lo_v = hi_v = None  # type: ignore[assignment]
        if lo_v is not None:
            if lo_v > hi_v:  # type: ignore[operator]
                raise NftError("Error: Range has zero or negative size")
            return Elem(lo_v, hi_v)
    return Elem(_scalar(kind, text))


def _bits(cur: Cursor, kind: str) -> int:
    """A bitmask value: `syn`, `syn,ack`, `(syn|ack)`, `syn | ack`."""
    names, what = _BITNAMES[kind]
    paren = cur.accept("(")
    value = _symbol(cur.next(what).text, names, what)
    while cur.peek_text() in (",", "|"):
        cur.next()
        value |= _symbol(cur.next(what).text, names, what)
    if paren:
        cur.expect(")")
    return value


def _value_token(cur: Cursor) -> Token:
    t = cur.next("value")
    if t.kind == "punct":
        raise NftError(f"Error: syntax error, unexpected {_describe(t)}")
    return t


def named_set(sets: dict[str, NamedSet] | None, word: str, kind: str, *, is_map: bool | None = None) -> NamedSet:
    """The set `@NAME` refers to, checked against the selector's datatype."""
    found = (sets or {}).get(word[1:])
    if found is None:
        raise NftError("Error: No such file or directory")
    if is_map is True and found.data != "verdict":
        raise NftError("Error: Expression is not a map")
    if is_map is False and found.is_map:
        raise NftError(f"Error: datatype mismatch, expected {KIND_DESC.get(kind, kind)}, expression has type"
                       f" {KIND_DESC.get(found.kind, found.kind)}")
    if found.kind != kind and not (kind in ("ifname", "iface") and found.kind == kind):
        raise NftError(f"Error: datatype mismatch, expected {KIND_DESC.get(kind, kind)}, expression has type"
                       f" {KIND_DESC.get(found.kind, found.kind)}")
    return found


def parse_verdict(cur: Cursor) -> Verdict:
    """A verdict as a map value: `accept`, `drop`, `continue`, `return`, `jump C`, `goto C`."""
    t = cur.next("verdict")
    if t.text in ("accept", "drop", "continue", "return") and t.kind == "word":
        return Verdict(t.text)
    if t.text in ("jump", "goto") and t.kind == "word":
        return Verdict(t.text, cur.next("chain").text)
    raise NftError(f"Error: syntax error, unexpected {'string' if t.kind == 'word' else _describe(t)}")


def parse_elements(cur: Cursor, kind: str, ifaces: Collection[str] | None, *, verdicts: bool = False,
                   data_kind: str | None = None) -> list[tuple[Elem, Verdict | Elem | None]]:
    """`{ E, E : V, ... }` after its opening brace, up to and including the closing one."""
    out: list[tuple[Elem, Verdict | Elem | None]] = []
    while True:
        cur.skip_eols()
        if cur.accept("}"):
            break
        if kind in BITMASK_KINDS:
            names, what = _BITNAMES[kind]
            elem = Elem(_symbol(cur.next(what).text, names, what))
        else:
            elem = _elem(kind, _value_token(cur), ifaces)
        value: Verdict | Elem | None = None
        if verdicts or data_kind is not None:
            t = cur.peek()
            if t is None or t.text != ":":
                raise NftError(f"Error: syntax error, unexpected {_describe(t)}, expecting colon")
            cur.next()
            value = parse_verdict(cur) if verdicts else _elem(data_kind or "", _value_token(cur), ifaces)
        out.append((elem, value))
        cur.skip_eols()
        if not cur.accept(","):
            cur.skip_eols()
            cur.expect("}")
            break
    return out


def _vmap(cur: Cursor, sel_text: str, ifaces: Collection[str] | None, sets: dict[str, NamedSet] | None) -> VMap:
    sel = SELECTORS[sel_text]
    t = cur.next("'{' or '@'")
    if t.kind == "word" and t.text.startswith("@"):
        found = named_set(sets, t.text, sel.kind, is_map=True)
        return VMap(sel, named=found, named_values=found.values)  # type: ignore[arg-type]
    if t.text != "{":
        raise NftError(f"Error: syntax error, unexpected {_describe(t)}")
    entries: list[tuple[Elem, Verdict]] = []
    for elem, value in parse_elements(cur, sel.kind, ifaces, verdicts=True):
        assert isinstance(value, Verdict)
        if any(elem == k for k, _ in entries):
            raise NftError("Error: Could not process rule: File exists")
        entries.append((elem, value))
    return VMap(sel, tuple(entries))


def parse_match(cur: Cursor, sel_text: str, ifaces: Collection[str] | None,
                sets: dict[str, NamedSet] | None = None) -> Cmp | VMap:
    """A comparison, a lookup in `@SET` or a verdict map on `sel_text`."""
    if cur.accept("vmap"):
        return _vmap(cur, sel_text, ifaces, sets)
    op = ""
    t = cur.peek()
    if t is not None and t.kind == "punct" and t.text in ("==", "!="):
        t2 = cur.peek(1)
        if t2 is not None and t2.kind == "word" and t2.text.startswith("@"):
            op = cur.next().text
            t = t2
    if t is not None and t.kind == "word" and t.text.startswith("@"):
        cur.next()
        sel = SELECTORS[sel_text]
        return Cmp(sel, op, (), named=named_set(sets, t.text, sel.kind, is_map=False))
    return parse_cmp(cur, sel_text, ifaces)


def parse_cmp(cur: Cursor, sel_text: str, ifaces: Collection[str] | None) -> Cmp:
    """`SELECTOR [op] VALUE`, `SELECTOR { SET }`, `SELECTOR & MASK == V`, `SELECTOR V / MASK`."""
    sel = SELECTORS[sel_text]
    kind = sel.kind
    op = ""
    t = cur.peek()
    if t is not None and t.kind == "punct" and t.text in ("==", "!=", "<", ">", "<=", ">="):
        op = cur.next().text
    elif t is not None and t.kind == "punct" and t.text == "&" and kind in BITMASK_KINDS:
        cur.next()
        mask = _bits(cur, kind)
        t2 = cur.next("'=='")
        if t2.text not in ("==", "!="):
            raise NftError(f"Error: syntax error, unexpected {_describe(t2)}")
        value = _bits(cur, kind)
        return Cmp(sel, t2.text, (Elem(value),), mask=mask, mask_style="&")
    if cur.accept("{"):
        written = [e for e, _ in parse_elements(cur, kind, ifaces)]
        if not written:
            raise NftError("Error: syntax error, unexpected '}'")
        elems = tuple(dict.fromkeys(written))
        if len(written) == 1:  # a one-element set becomes a plain comparison (before duplicates go)
            return Cmp(sel, op, elems)
        if any(e.hi is not None or e.plen is not None for e in elems):
            elems = merge_intervals(kind, elems)
        return Cmp(sel, op, elems, is_set=True)
    if kind in BITMASK_KINDS:
        value = _bits(cur, kind)
        if cur.accept("/"):
            mask = _bits(cur, kind)
            return Cmp(sel, op, (Elem(value & mask),), mask=mask)
        return Cmp(sel, op, (Elem(value),))
    return Cmp(sel, op, (_elem(kind, _value_token(cur), ifaces),))


# ---- statements ----------------------------------------------------------------------------------


def _limit(cur: Cursor) -> Limit:
    cur.expect("rate")
    over = cur.accept("over")
    rate_text = cur.next("rate").text
    number, slash, unit = rate_text.partition("/")
    if not slash and cur.accept("/"):
        unit = cur.next("unit").text
    if not is_decimal(number):
        raise not_simulated(f"limit rate {rate_text}")
    if len(number) > 20 or int(number) >= 2**64:
        raise NftError("Error: syntax error, unexpected string, expecting number")
    if unit not in LIMIT_UNITS:
        if "bytes" in rate_text or (cur.peek_text() or "").endswith("bytes/second"):
            raise not_simulated(f"limit rate {rate_text} (byte rates)")
        raise NftError(f"Error: Wrong rate format, {unit!r}")
    burst = 0
    if cur.accept("burst"):
        burst = parse_int(cur.next("number").text, "burst")
        if not cur.accept("packets"):
            raise not_simulated("limit ... burst N bytes")
    return Limit(int(number), unit, burst, over)


def _log(cur: Cursor) -> Log:
    prefix, level, flags = "", "warn", ""
    while True:
        if cur.accept("prefix"):
            prefix = cur.next("string").text
        elif cur.accept("level"):
            level = cur.next("level").text
            if level not in LOG_LEVELS:
                raise NftError(f"Error: invalid log level: {level}")
        elif cur.accept("flags"):
            flags = cur.next("flags").text
            while cur.accept(","):
                flags += "," + cur.next("flags").text
        elif cur.peek_text() in ("group", "snaplen", "queue-threshold"):
            raise not_simulated(f"log {cur.peek_text()}")
        else:
            return Log(prefix, level, flags)


def _reject(cur: Cursor, family: str) -> Reject:
    if not cur.accept("with"):
        return Reject("icmpx" if family == "inet" else "icmp", family=family)
    kind = cur.next("tcp or icmp").text
    if kind == "tcp":
        cur.expect("reset")
        return Reject("tcp", family=family)
    if kind not in ("icmp", "icmpx"):
        raise not_simulated(f"reject with {kind}")
    cur.accept("type")
    code = cur.next("code").text
    if kind == "icmpx":
        if family != "inet":
            raise NftError("Error: abstracted ICMP unreachable not supported")
        if code not in ICMPX_CODES:
            raise NftError(f"Error: Could not parse ICMPX code '{code}'")
    elif code not in ICMP_CODES:
        raise NftError(f"Error: Could not parse ICMP code '{code}'")
    return Reject(kind, code, family)


def _nat(cur: Cursor, kind: str, family: str, exprs: list[Expr]) -> Nat:
    fam = ""
    if cur.peek_text() in ("ip", "ip6") and kind in ("snat", "dnat"):
        fam = cur.next().text
        if fam == "ip6":
            raise not_simulated(f"{kind} ip6 (IPv6 NAT)")
    if not cur.accept("to"):
        if kind in ("snat", "dnat"):
            raise NftError("Error: syntax error, unexpected newline, expecting to")
        _nat_flags(cur)
        return Nat(kind)
    target = cur.next("address").text
    addr_text, colon, port_text = target.partition(":")
    addr_lo = addr_hi = port_lo = port_hi = None
    if addr_text:
        if kind in ("masquerade", "redirect"):
            raise NftError("Error: syntax error, unexpected string")
        if family == "inet" and not fam:
            raise NftError("Error: ip or ip6 must be specified with address for inet tables.")
        lo, _, hi = addr_text.partition("-")
        addr_lo = parse_addr(lo)
        addr_hi = parse_addr(hi) if hi else None
    elif kind in ("snat", "dnat") and not colon:
        raise NftError("Error: syntax error, unexpected newline")
    if colon:
        lo, _, hi = port_text.partition("-")
        port_lo = _port(lo)
        port_hi = _port(hi) if hi else None
        if implied_l4(exprs, len(exprs)) is None:
            raise NftError("Error: transport protocol mapping is only valid after transport protocol match")
    _nat_flags(cur)
    return Nat(kind, fam, addr_lo, addr_hi, port_lo, port_hi)


def _nat_flags(cur: Cursor) -> None:
    if cur.peek_text() in ("random", "persistent", "fully-random"):
        raise not_simulated(f"nat flag {cur.peek_text()}")


def _set_mark(cur: Cursor, target: str) -> SetMark:
    cur.expect("set")
    return SetMark(target, parse_int(cur.next("value").text, "mark"))


def parse_rule(cur: Cursor, family: str, ifaces: Collection[str] | None = None,
               sets: dict[str, NamedSet] | None = None) -> Rule:
    """The expressions of one rule, up to a newline, `;` or `}`."""
    exprs: list[Expr] = []
    hidden: set[int] = set()
    comment: str | None = None
    while not cur.at_stmt_end():
        t = cur.next()
        w = t.text
        if t.kind != "word":
            raise NftError(f"Error: syntax error, unexpected {_describe(t)}")
        if w == "comment":
            comment = cur.next("string").text
        elif w in ("accept", "drop", "continue", "return"):
            exprs.append(Verdict(w))
        elif w in ("jump", "goto"):
            exprs.append(Verdict(w, cur.next("chain").text))
        elif w == "counter":
            counter = Counter()
            if cur.accept("packets"):
                counter.packets = parse_int(cur.next().text)
                cur.expect("bytes")
                counter.bytes = parse_int(cur.next().text)
            exprs.append(counter)
        elif w == "limit":
            exprs.append(_limit(cur))
        elif w == "log":
            exprs.append(_log(cur))
        elif w == "notrack":
            exprs.append(Notrack())
        elif w == "reject":
            rej = _reject(cur, family)
            if rej.kind == "tcp":
                _tcp_reset_dependency(exprs, hidden, family)
            elif rej.kind == "icmpx" and family == "inet" and _pins_ipv4(exprs):
                rej = Reject("icmp", rej.code, family)  # nft narrows icmpx once the rule is IPv4 only
            elif rej.kind == "icmp" and family == "inet" and not _pins_ipv4(exprs):
                _insert_dependency(exprs, hidden, Cmp(SELECTORS["meta nfproto"], "", (Elem(2),)), family)
            exprs.append(rej)
        elif w in ("snat", "dnat", "masquerade", "redirect"):
            exprs.append(_nat(cur, w, family, exprs))
        elif w == "meta":
            key = cur.next("meta key").text
            if key == "mark" and cur.peek_text() == "set":
                exprs.append(_set_mark(cur, "meta mark"))
            elif key in META_SHORT:
                exprs.append(_checked(exprs, parse_match(cur, META_SHORT[key], ifaces, sets)))
            else:
                raise not_simulated(f"meta {key}")
        elif w in ("mark", "iif", "oif", "iifname", "oifname"):
            if w == "mark" and cur.peek_text() == "set":
                exprs.append(_set_mark(cur, "meta mark"))
            else:
                exprs.append(parse_match(cur, META_SHORT[w], ifaces, sets))
        elif w == "ct":
            key = cur.next("ct key").text
            if key == "mark" and cur.peek_text() == "set":
                exprs.append(_set_mark(cur, "ct mark"))
            elif f"ct {key}" in SELECTORS:
                exprs.append(_checked(exprs, parse_match(cur, f"ct {key}", ifaces, sets)))
            else:
                raise not_simulated(f"ct {key}")
        elif w in ("ip", "ip6", "tcp", "udp", "th", "icmp", "icmpv6"):
            field = cur.next(f"{w} header field").text
            if f"{w} {field}" not in SELECTORS:
                raise not_simulated(f"{w} {field}")
            if w == "ip6" and family == "ip":
                raise NftError("Error: conflicting protocols specified: ip vs. ip6")
            exprs.append(_checked(exprs, parse_match(cur, f"{w} {field}", ifaces, sets)))
        elif w in NOT_SIMULATED_WORDS:
            raise not_simulated(w)
        else:
            raise NftError(f"Error: syntax error, unexpected {w}" if _is_keywordish(w) else
                           "Error: No symbol type information")
    _redundant_dependencies(exprs, hidden, family)
    return Rule(exprs, comment=comment, hidden=frozenset(hidden))


_L4_SELECTORS = ("ip protocol", "meta l4proto")


def _checked(exprs: list[Expr], new: Cmp | VMap) -> Cmp | VMap:
    _check_protocols(exprs, new)
    return new


def _l4_value(e: Expr) -> int | None:
    """The protocol an `ip protocol P` / `meta l4proto P` equality pins, else None."""
    if isinstance(e, Cmp) and e.sel.text in _L4_SELECTORS and not e.is_set and e.named is None and \
            e.mask is None and e.op in ("", "==") and isinstance(e.elems[0].lo, int) and e.elems[0].hi is None:
        return e.elems[0].lo
    return None


def _insert_dependency(exprs: list[Expr], hidden: set[int], dep: Cmp, family: str, always: bool = False) -> None:
    """A test nft adds at the start of the rule; listed when a statement comes before the reject
    (or `always`), hidden when only matches do."""
    shifted = {i + 1 for i in hidden}
    hidden.clear()
    hidden.update(shifted)
    exprs.insert(0, dep)
    if not always and all(isinstance(e, Cmp) for e in exprs):
        hidden.add(0)


def _check_protocols(exprs: list[Expr], new: Cmp | VMap) -> None:
    """Two transport protocols in one rule: nft's 'conflicting protocols specified: A vs. B'."""
    l4 = new.sel.l4
    if l4 is None or l4 == -1:
        return
    for e in exprs:
        have = _l4_value(e) if _l4_value(e) is not None else (e.sel.l4 if isinstance(e, Cmp | VMap) else None)
        if have is not None and have != -1 and have != l4:
            names = {1: "icmp", 6: "tcp", 17: "udp"}
            raise NftError(f"Error: conflicting protocols specified: {names.get(have, have)} vs. {names.get(l4, l4)}")


def _tcp_reset_dependency(exprs: list[Expr], hidden: set[int], family: str) -> None:
    """`reject with tcp reset` needs TCP: after another protocol's match the kernel refuses it; with
    none, nft puts a `meta l4proto tcp` test at the start of the rule (so a counter before the reject
    never sees other packets), and lists it unless only matches come before the reject."""
    l4 = implied_l4(exprs, len(exprs))
    if l4 == 6:
        last = exprs[-1] if exprs else None
        if last is not None and _l4_value(last) == 6 and isinstance(last, Cmp) and last.op == "":
            hidden.add(len(exprs) - 1)
        return
    if l4 is not None and l4 != -1:
        raise NftError("Error: you cannot use tcp reset with this protocol")
    if l4 == -1:
        return
    _insert_dependency(exprs, hidden, Cmp(SELECTORS["meta l4proto"], "", (Elem(6),)), family, family == "inet")


def _pins_ipv4(exprs: list[Expr]) -> bool:
    """Whether a match limits the rule to IPv4 (an `ip` header field)."""
    return any(isinstance(e, Cmp | VMap) and e.sel.text.startswith(("ip ", "icmp ")) for e in exprs)


def _redundant_dependencies(exprs: list[Expr], hidden: set[int], family: str) -> None:
    """nft drops a protocol match the next transport match implies (`meta l4proto tcp tcp dport 22`
    lists as `tcp dport 22`); in an inet table only `meta l4proto` is that dependency."""
    for i, e in enumerate(exprs):
        value = _l4_value(e)
        if value is None or i in hidden or (family == "inet" and isinstance(e, Cmp) and e.sel.text == "ip protocol"):
            continue
        for later in exprs[i + 1:]:
            if not isinstance(later, Cmp | VMap):
                break
            l4 = later.sel.l4
            if l4 is not None and l4 != -1:
                if l4 == value:
                    hidden.add(i)
                break


def _is_keywordish(word: str) -> bool:
    try:
        parse_ipv4(word)
        return True
    except AddressError:
        return word.isdigit()
