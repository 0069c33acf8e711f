"""pcap-filter(7) expressions, compiled to predicates over the simulator's packet records.

The grammar and the error messages follow libpcap 1.10 (checked against `tcpdump -d` 4.99.3):
`and`/`or` have equal precedence and group from the left, `not` binds tightest, and an operand
without qualifiers takes the qualifiers of the one before it (`port 80 or 443`, `host A and not B`).

Supported: `ip tcp udp icmp` (and the other IPv4 protocol names), `arp` (the taps' ARP frames; `ip`
never matches them, `host X` and `net N` match their sender and target addresses, as libpcap's do),
`ether [src|dst] [host] MAC` and `ether broadcast|multicast`, `ip6 rarp` (never match: the simulator
is IPv4 only), `[src|dst|src or dst|src and dst] host|net|port|portrange ...`, protocol
qualified forms (`tcp dst port 53`), `net N/LEN` and `net N mask M`, service names, `localhost`,
`[ip] proto N`, `less`/`greater`, and relations over `len` and header bytes
(`tcp[tcpflags] & (tcp-syn|tcp-ack) != 0`, `ip[8] < 5`, `icmp[icmptype] == icmp-echo`).
Header bytes are those of the frame `kernel.wire` builds for the record (payload bytes are zeros).

Not supported (FilterError says so): the other link-layer primitives, IPv6 addresses, `gateway`,
`protochain`, `broadcast`/`multicast`, `inbound`/`outbound`, `vlan`/`mpls`/`pppoe*`, and the rest of
the non-IP vocabulary. libpcap's optimizer also refuses filters it proves can never match
("expression rejects all packets", e.g. `tcp and udp`); this compiler accepts them, and they match nothing.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from ..kernel.addr import prefix_mask
from ..kernel.capture import Captured
from ..kernel.netfilter.values import PROTOCOLS
from ..kernel.numbers import NumberError, is_decimal, parse_int
from ..kernel.packet import IP_HEADER_LEN, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Packet
from ..kernel.wire import ARP_LEN, ip_datagram
from .tcpdump_print import service_port

Predicate = Callable[[Captured], bool]
"""What the compiler builds: a test of one captured frame."""
Filter = Callable[[Captured | Packet], bool]
"""What `compile_filter` returns: a test of a captured frame, or of a bare packet record (an IP frame)."""

PROG = "tcpdump"
ETHER_HEADER_LEN = 14
_U32 = 0xFFFFFFFF
IPPROTO_SCTP = 132


class FilterError(ValueError):
    """A filter expression libpcap refuses; the message is the line tcpdump prints."""


def _error(text: str) -> FilterError:
    return FilterError(f"{PROG}: {text}")


def _parse_error() -> FilterError:
    """What the grammar (yacc) reports for tokens in an impossible order."""
    return _error("can't parse filter expression: syntax error")


def _semantic_syntax_error() -> FilterError:
    """What the code generator reports for an operand it cannot qualify (`tcp or 80`)."""
    return _error("syntax error in filter expression")


def _unsupported(what: str) -> FilterError:
    return _error(f"'{what}' is not supported by the simulator's tcpdump (IPv4 TCP, UDP and ICMP only)")


def compile_filter(words: list[str], *, link_header_len: int = ETHER_HEADER_LEN) -> Filter:
    """Compile tcpdump's expression words (joined with spaces, as tcpdump joins them).

    `link_header_len` is the frame's link header (14 for Ethernet, 20 for `-i any`'s cooked
    header): `len`, `less` and `greater` count whole frames. Raises FilterError.
    """
    tokens = _tokenize(" ".join(words))
    if tokens[0].kind == _EOF:
        return _frame_filter(_match_all)
    _check_size(tokens)
    parser = _Parser(tokens, link_header_len)
    try:
        predicate, _ = parser.expression(_QERR)
    except RecursionError:  # a mix of nesting the size check lets through; never a traceback
        raise _too_complex("nesting") from None
    if parser.peek().kind != _EOF:
        raise _parse_error()
    return _frame_filter(_guarded(predicate) if parser.may_reject else predicate)


MAX_NESTING = 100
"""Parentheses, or `not`s in a row, nested deeper than this are refused (libpcap's parser has no
such limit; this one recurses, and 100 is far past any filter a person writes)."""
MAX_ARITHMETIC = 100
"""Arithmetic operators in one filter (each one is a step when a packet is tested)."""


def _check_size(tokens: list[_Token]) -> None:
    depth = run = arithmetic = 0
    for token in tokens:
        is_op = token.kind == _OP
        if is_op and token.text == "(":
            depth += 1
        elif is_op and token.text == ")":
            depth -= 1
        run = run + 1 if is_op and token.text in ("!", "-") else 0
        arithmetic += is_op and token.text in _BINARY_OPERATORS
        if depth > MAX_NESTING or run > MAX_NESTING:
            raise _too_complex(f"more than {MAX_NESTING} nested parentheses or negations")
        if arithmetic > MAX_ARITHMETIC:
            raise _too_complex(f"more than {MAX_ARITHMETIC} arithmetic operators")


def _too_complex(what: str) -> FilterError:
    return _error(f"can't parse filter expression: too complex for this simulation ({what})")


def _frame_filter(predicate: Predicate) -> Filter:
    def wanted(frame: Captured | Packet) -> bool:
        return predicate(frame if isinstance(frame, Captured) else Captured(0.0, "", "In", frame))
    return wanted


def _match_all(frame: Captured) -> bool:
    return True


def _never(frame: Captured) -> bool:
    return False


def _is_arp(frame: Captured) -> bool:
    return frame.arp is not None


def _is_ip(frame: Captured) -> bool:
    return frame.arp is None


def _frame_length(frame: Captured) -> int:
    """Bytes after the link header: the ARP message or the IP datagram."""
    return ARP_LEN if frame.arp is not None else frame.packet.length


# --- tokens ---------------------------------------------------------------------------------------

_OP, _KW, _NUM, _HID, _ID, _EOF, _MAC = "op", "kw", "num", "hid", "id", "eof", "mac"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    value: int = 0
    """A number's value; for an address (`_HID`), its parts packed from the right."""
    parts: int = 0
    """How many dotted parts an address has (`10.0` has 2)."""


_OPERATORS = ("&&", "||", "!=", "==", ">=", "<=", "<<", ">>",
              "(", ")", "[", "]", ":", "!", "=", ">", "<", "&", "|", "+", "-", "*", "/", "%", "^")
_N = r"(?:0[xX][0-9A-Fa-f]+|[0-9]+)"
# Tried in this order; the longest match wins and earlier patterns win ties, as flex decides.
_PATTERNS = (
    (_MAC, re.compile(r"[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){5}")),
    (_HID, re.compile(rf"{_N}\.{_N}\.{_N}\.{_N}|{_N}\.{_N}\.{_N}|{_N}\.{_N}")),
    (_NUM, re.compile(_N)),
    (_ID, re.compile(r"[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?")),
    ("escaped", re.compile(r"\\[^ !()\n\t]+")),
)
_WORD_OPERATORS = {"and": "&&", "or": "||", "not": "!"}
_KEYWORDS = frozenset({
    "src", "dst", "host", "net", "mask", "port", "portrange", "proto", "protochain", "gateway",
    "less", "greater", "len", "length", "broadcast", "multicast", "inbound", "outbound",
    "vlan", "mpls", "pppoed", "pppoes", "geneve", "byte", "ether", "link", "ppp", "slip", "fddi", "tr", "wlan",
})
# Named numbers from libpcap's scanner: header offsets, ICMP types, TCP flag bits.
_NAMED_NUMBERS = {
    "icmptype": 0, "icmpcode": 1, "tcpflags": 13,
    "icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5, "icmp-echo": 8,
    "icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11, "icmp-paramprob": 12,
    "icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15, "icmp-ireqreply": 16,
    "icmp-maskreq": 17, "icmp-maskreply": 18,
    "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08,
    "tcp-ack": 0x10, "tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
}
# Protocol names that work as terms (`tcp`), qualifiers (`tcp port`) and byte loads (`tcp[13]`),
# with the IPv4 protocol number they stand for; None for the families the simulator never carries.
_PROTOCOL_NAMES: dict[str, int | None] = {
    "ip": None, "tcp": IPPROTO_TCP, "udp": IPPROTO_UDP, "icmp": IPPROTO_ICMP, "sctp": IPPROTO_SCTP,
    "igmp": 2, "igrp": 9, "pim": 103, "vrrp": 112, "carp": 112, "ah": 51, "esp": 50,
    "ip6": None, "icmp6": None, "arp": None, "rarp": None,
}
_IP_PROTOCOL_WORDS = {IPPROTO_TCP: "tcp", IPPROTO_UDP: "udp"}
_NOT_IPV4 = frozenset({"ip6", "icmp6", "arp", "rarp"})
_LINK_LAYER = frozenset({"ether", "link", "ppp", "slip", "fddi", "tr", "wlan"})
_LOADABLE = frozenset({"ip", "tcp", "udp", "icmp", "sctp", "igmp", "igrp", "pim", "vrrp", "carp"} | _NOT_IPV4)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        token, pos = _next_token(text, pos)
        tokens.append(token)
    tokens.append(_Token(_EOF, ""))
    return tokens


def _next_token(text: str, pos: int) -> tuple[_Token, int]:
    best_kind, best_end = "", pos
    for kind, pattern in _PATTERNS:
        match = pattern.match(text, pos)
        if match and match.end() > best_end:
            best_kind, best_end = kind, match.end()
    if not best_kind:
        for op in _OPERATORS:
            if text.startswith(op, pos):
                return _Token(_OP, op), pos + len(op)
        raise _parse_error()  # a character no token starts with
    word = text[pos:best_end]
    if best_kind == _HID:
        return _address_token(word), best_end
    if best_kind == _MAC:
        return _Token(_MAC, ":".join(f"{int(part, 16):02x}" for part in word.split(":"))), best_end
    if best_kind == _NUM:
        return _Token(_NUM, word, _number(word)), best_end
    if best_kind == "escaped":
        return _Token(_ID, word[1:]), best_end
    return _word_token(word), best_end


def _word_token(word: str) -> _Token:
    if word in _WORD_OPERATORS:
        return _Token(_OP, _WORD_OPERATORS[word])
    if word in _NAMED_NUMBERS:
        return _Token(_NUM, word, _NAMED_NUMBERS[word])
    if word in _KEYWORDS or word in _PROTOCOL_NAMES:
        return _Token(_KW, "len" if word == "length" else word)
    return _Token(_ID, word)


def _number(text: str) -> int:
    """libpcap's reading of a number: 0x hex, a leading 0 octal, else decimal; 32 bits at most."""
    if text[:2] not in ("0x", "0X") and text.startswith("0") and not all(c in "01234567" for c in text):
        raise _error(f"number {text} contains non-octal digit")
    try:
        return parse_int(text, 0, _U32, base=0)
    except NumberError:
        raise _error(f"number {text} overflows 32 bits") from None


def _address_token(text: str) -> _Token:
    """A dotted address, possibly short (`10.0` is the /16 network 10.0.0.0)."""
    parts = text.split(".")
    if not all(is_decimal(p) and len(p) <= 3 and int(p) <= 255 for p in parts):
        raise _error(f"invalid IPv4 address '{text}'")
    value = 0
    for part in parts:
        value = (value << 8) | int(part)
    return _Token(_HID, text, value, len(parts))


# --- qualifiers -----------------------------------------------------------------------------------

_UNDEF = "undef"


@dataclass(frozen=True, slots=True)
class _Qual:
    """An operand's qualifiers: protocol (`tcp`), direction (`src`), kind (`port`); None = default."""

    proto: str | None = None
    dir: str | None = None
    kind: str | None = None


_QERR = _Qual(_UNDEF, _UNDEF, _UNDEF)
"""What a protocol name, a relation or the start of the expression leaves for the next bare
operand to inherit: nothing usable, so `tcp or 80` is an error."""
_DIRECTIONS = ("src", "dst")
_KINDS = ("host", "net", "port", "portrange")


# --- predicates -----------------------------------------------------------------------------------

def _both(a: Predicate, b: Predicate) -> Predicate:
    # A chain `x and y and z ...` becomes one flat list, tested in a loop: nesting a closure per
    # `and` would overflow the stack on a long chain when a packet is tested.
    parts: list[Predicate] = [*_ALL_OF.get(a, (a,)), b]

    def conjunction(p: Captured) -> bool:
        return all(part(p) for part in parts)

    _ALL_OF[conjunction] = parts
    return conjunction


def _either(a: Predicate, b: Predicate) -> Predicate:
    parts: list[Predicate] = [*_ANY_OF.get(a, (a,)), b]

    def disjunction(p: Captured) -> bool:
        return any(part(p) for part in parts)

    _ANY_OF[disjunction] = parts
    return disjunction


_ALL_OF: weakref.WeakKeyDictionary[Predicate, list[Predicate]] = weakref.WeakKeyDictionary()
_ANY_OF: weakref.WeakKeyDictionary[Predicate, list[Predicate]] = weakref.WeakKeyDictionary()
"""The flat parts of a conjunction or disjunction built by `_both` / `_either`."""


def _negated(a: Predicate) -> Predicate:
    return lambda p: not a(p)


def _by_direction(direction: str | None, src: Predicate, dst: Predicate) -> Predicate:
    if direction == "src":
        return src
    if direction == "dst":
        return dst
    if direction == "and":
        return _both(src, dst)
    return _either(src, dst)


def _protocol_is(number: int) -> Predicate:
    return lambda f: f.arp is None and f.packet.proto == number


class _Reject(Exception):
    """A byte load past the end of the frame, or a division by zero: BPF stops, and the whole
    filter rejects the packet (whatever `not` or `or` surround the relation)."""


def _guarded(predicate: Predicate) -> Predicate:
    def guarded(frame: Captured) -> bool:
        try:
            return predicate(frame)
        except _Reject:
            return False
    return guarded


@lru_cache(maxsize=256)
def _datagram(pkt: Packet) -> bytes:
    return ip_datagram(pkt)


# --- arithmetic (relations over header bytes) -----------------------------------------------------

Arith = Callable[[Captured], int]


@dataclass(frozen=True, slots=True)
class _Value:
    """An arithmetic operand: how to compute it, and its value when it reads nothing from the packet."""

    compute: Arith
    constant: int | None = None


_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (("|",), ("^",), ("&",), ("<<", ">>"), ("+", "-"), ("*", "/", "%"))
"""Operator precedence, loosest first (libpcap's, which is C's)."""
_RELATIONS: dict[str, Callable[[int, int], bool]] = {
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "=": lambda a, b: a == b, "==": lambda a, b: a == b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, "!=": lambda a, b: a != b,
}
_BINARY_OPERATORS = frozenset(op for level in _BINARY_LEVELS for op in level)
_ARITH_OPERATORS = frozenset(op for level in _BINARY_LEVELS for op in level) | frozenset(_RELATIONS)


def _divide(a: int, b: int) -> int:
    if b == 0:
        raise _Reject  # BPF aborts on a division by a zero it loaded from the packet
    return a // b


def _modulo(a: int, b: int) -> int:
    if b == 0:
        raise _Reject
    return a % b


_COMBINE: dict[str, Callable[[int, int], int]] = {
    "|": lambda a, b: a | b, "^": lambda a, b: a ^ b, "&": lambda a, b: a & b,
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": _divide, "%": _modulo,
    "<<": lambda a, b: 0 if b > 31 else a << b, ">>": lambda a, b: 0 if b > 31 else a >> b,
}


def _constant(value: int) -> _Value:
    return _Value(lambda p: value, value)


def _binary(op: str, left: _Value, right: _Value) -> _Value:
    """`left op right` in 32-bit unsigned arithmetic; libpcap refuses constant divisors of zero and
    constant shifts past 31 bits."""
    if right.constant is not None:
        if op == "/" and right.constant == 0:
            raise _error("division by zero")
        if op == "%" and right.constant == 0:
            raise _error("modulus by zero")
        if op in ("<<", ">>") and right.constant > 31:
            raise _error("shift by more than 31 bits")
    combine = _COMBINE[op]
    if left.constant is not None and right.constant is not None:
        return _constant(combine(left.constant, right.constant) & _U32)
    left_of, right_of = left.compute, right.compute
    return _Value(lambda p: combine(left_of(p), right_of(p)) & _U32)


class _Parser:
    """Recursive descent over libpcap's grammar; semantic checks happen as each operand is read,
    left to right, so the first error reported is the one libpcap reports."""

    def __init__(self, tokens: list[_Token], link_header_len: int) -> None:
        self.tokens = tokens
        self.pos = 0
        self.link_header_len = link_header_len
        self.may_reject = False
        """Whether a relation may stop the filter (a load past the frame, a division by zero)."""
        self._load_protocols: list[str] = []
        """The protocols the byte loads of the relation being read need (checked before any load)."""

    # token helpers

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.peek()
        self.pos += 1
        return token

    def at(self, kind: str, *texts: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == kind and (not texts or token.text in texts)

    def expect(self, kind: str, *texts: str) -> _Token:
        if not self.at(kind, *texts):
            raise _parse_error()
        return self.advance()

    # expressions

    def expression(self, inherited: _Qual) -> tuple[Predicate, _Qual]:
        """expr: term { (and|or) (operand|term) }, grouping from the left."""
        predicate, qual = self.term(inherited)
        while self.at(_OP, "&&", "||"):
            combine = _both if self.advance().text == "&&" else _either
            right, qual = self.operand(qual) if self._operand_follows() else self.term(qual)
            predicate = combine(predicate, right)
        return predicate, qual

    def term(self, inherited: _Qual) -> tuple[Predicate, _Qual]:
        if self.at(_OP, "!"):
            self.advance()
            predicate, qual = self.term(inherited)
            return _negated(predicate), qual
        return self.primary(inherited)

    def primary(self, inherited: _Qual) -> tuple[Predicate, _Qual]:
        token = self.peek()
        if token.kind == _OP and token.text == "(" and not self._parenthesised_arithmetic():
            self.advance()
            predicate, _ = self.expression(inherited)
            self.expect(_OP, ")")
            return predicate, inherited  # a parenthesis passes on what came before it
        if token.kind == _KW:
            return self.keyword_term()
        if token.kind in (_NUM, _OP):
            return self.relation(), _QERR
        raise _parse_error()

    def keyword_term(self) -> tuple[Predicate, _Qual]:
        word = self.peek().text
        if word in _PROTOCOL_NAMES:
            if self.at(_OP, "[", ahead=1):
                return self.relation(), _QERR
            if self._qualifier_follows(1):
                return self.qualified(self.advance().text)
            self.advance()
            return _protocol_term(word), _QERR
        if word in _DIRECTIONS or word in _KINDS or word in ("proto", "protochain", "gateway"):
            return self.qualified(None)
        if word in ("less", "greater"):
            self.advance()
            limit = self.expect(_NUM).value
            frame = self.link_header_len
            if word == "less":
                return (lambda f: frame + _frame_length(f) <= limit), _QERR
            return (lambda f: frame + _frame_length(f) >= limit), _QERR
        if word == "len":
            return self.relation(), _QERR
        if word == "mask":
            raise _parse_error()
        if word == "ether" and not self.at(_OP, "[", ahead=1):
            self.advance()
            return self.ether(), _QERR
        raise _unsupported(word)

    def ether(self) -> Predicate:
        """`ether [src|dst|src or dst|src and dst] [host] MAC`, `ether broadcast|multicast`."""
        if self.at(_KW, "broadcast", "multicast"):
            broadcast = self.advance().text == "broadcast"
            return (lambda f: f.dst_mac == "ff:ff:ff:ff:ff:ff") if broadcast else \
                (lambda f: bool(f.dst_mac) and int(f.dst_mac[:2], 16) & 1 == 1)
        direction = self._direction()
        if self.at(_KW, "host"):
            self.advance()
        elif self.at(_KW):
            raise _unsupported(f"ether {self.peek().text}")
        mac = self.expect(_MAC).text
        return _by_direction(direction, lambda f: f.src_mac == mac, lambda f: f.dst_mac == mac)

    def _qualifier_follows(self, ahead: int) -> bool:
        token = self.peek(ahead)
        return token.kind == _KW and (token.text in _DIRECTIONS or token.text in _KINDS
                                      or token.text in ("proto", "protochain", "gateway", "broadcast", "multicast"))

    def qualified(self, proto: str | None) -> tuple[Predicate, _Qual]:
        """head operand: `[proto] [dir] [kind] operand`, e.g. `tcp src port 80`."""
        direction = self._direction()
        kind = None
        if self.at(_KW, *_KINDS):
            kind = self.advance().text
        elif direction is None and self.at(_KW, "proto", "protochain", "gateway"):
            kind = self.advance().text
        elif direction is None and self.at(_KW, "broadcast", "multicast"):
            raise _unsupported(self.peek().text)
        if direction is None and kind is None:
            raise _parse_error()
        if kind == "protochain":
            raise _unsupported(kind)
        qual = _Qual(proto, direction, kind)
        return self.operand(qual)

    def _direction(self) -> str | None:
        if not self.at(_KW, *_DIRECTIONS):
            return None
        first = self.advance().text
        other = "dst" if first == "src" else "src"
        # `src or dst` and `src and dst` are single qualifiers.
        if self.at(_OP, "&&", "||") and self.at(_KW, other, ahead=1):
            combined = "and" if self.advance().text == "&&" else "or"
            self.advance()
            return combined
        return first

    # operands (the values qualifiers apply to)

    def _operand_follows(self) -> bool:
        """Whether a bare operand (inheriting qualifiers) comes next rather than a term."""
        ahead = 0
        while self.at(_OP, "!", "(", ahead=ahead):
            ahead += 1
        token = self.peek(ahead)
        if token.kind in (_HID, _ID):
            return True
        if token.kind == _NUM:
            following = self.peek(ahead + 1)
            return not (following.kind == _OP and following.text in _ARITH_OPERATORS)
        return False

    def operand(self, qual: _Qual) -> tuple[Predicate, _Qual]:
        """id: `! id`, `( id {and|or id} )`, an address, a number or a name, read with `qual`."""
        token = self.peek()
        if token.kind == _OP and token.text == "!":
            self.advance()
            predicate, qual = self.operand(qual)
            return _negated(predicate), qual
        if token.kind == _OP and token.text == "(":
            self.advance()
            predicate, _ = self.parenthesised_number(qual) if self.at(_OP, "(") else self.operand(qual)
            while self.at(_OP, "&&", "||"):
                combine = _both if self.advance().text == "&&" else _either
                right, _ = self.operand(qual)
                predicate = combine(predicate, right)
            self.expect(_OP, ")")
            return predicate, qual
        if token.kind == _HID:
            return self.address_operand(qual), qual
        if token.kind == _NUM:
            self.advance()
            return _numeric_operand(token.value, 32, is_number=True, qual=qual), qual
        if token.kind == _ID:
            self.advance()
            return _named_operand(token.text, qual), qual
        raise _parse_error()

    def parenthesised_number(self, qual: _Qual) -> tuple[Predicate, _Qual]:
        """`((80))`: the grammar lets only a number open a group with another parenthesis."""
        depth = 0
        while self.at(_OP, "("):
            self.advance()
            depth += 1
        number = self.expect(_NUM).value
        for _ in range(depth):
            self.expect(_OP, ")")
        return _numeric_operand(number, 32, is_number=True, qual=qual), qual

    def address_operand(self, qual: _Qual) -> Predicate:
        token = self.advance()
        if self.at(_OP, "/"):
            self.advance()
            length = self.expect(_NUM).value
            if length > 32:
                raise _error("mask length must be <= 32")
            return _masked_net(token, prefix_mask(length), f'"{token.text}/{length}"', qual)
        if self.at(_KW, "mask"):
            self.advance()
            mask = self.expect(_HID)
            return _masked_net(token, _widened(mask), f'"{token.text} mask {mask.text}"', qual)
        if qual.kind in ("port", "portrange", "proto", "protochain"):
            raise _error(f"'{qual.kind}' modifier applied to ip host")
        return _numeric_operand(token.value, 8 * token.parts, is_number=False, qual=qual)

    # relations over lengths and header bytes

    def _parenthesised_arithmetic(self) -> bool:
        """Whether the `(` here opens arithmetic (`(tcp[13] & 2) = 2`) rather than an expression."""
        depth, ahead = 0, 0
        while True:
            token = self.peek(ahead)
            if token.kind == _EOF:
                return False
            if token.kind == _OP and token.text == "(":
                depth += 1
            elif token.kind == _OP and token.text == ")":
                depth -= 1
                if depth == 0:
                    following = self.peek(ahead + 1)
                    return following.kind == _OP and following.text in _ARITH_OPERATORS
            ahead += 1

    def relation(self) -> Predicate:
        self._load_protocols = []
        self.may_reject = True
        left = self.arith().compute
        if not self.at(_OP, *_RELATIONS):
            raise _parse_error()
        compare = _RELATIONS[self.advance().text]
        right = self.arith().compute
        if any(name in _NOT_IPV4 for name in self._load_protocols):
            return _never
        wanted = {_PROTOCOL_NAMES[name] for name in self._load_protocols} - {None}
        if len(wanted) > 1:
            return _never
        if wanted:
            # libpcap checks the protocol of every header it loads from before reading any byte.
            number = wanted.pop()
            return lambda f: f.arp is None and f.packet.proto == number and compare(left(f), right(f))
        if self._load_protocols:  # `ip[...]`: the ethertype is checked first (false for ARP, not a reject)
            return lambda f: f.arp is None and compare(left(f), right(f))
        return lambda f: compare(left(f), right(f))

    def arith(self, level: int = 0) -> _Value:
        if level == len(_BINARY_LEVELS):
            return self.unary()
        value = self.arith(level + 1)
        while self.at(_OP, *_BINARY_LEVELS[level]):
            op = self.advance().text
            value = _binary(op, value, self.arith(level + 1))
        return value

    def unary(self) -> _Value:
        if self.at(_OP, "-"):
            self.advance()
            return _binary("-", _constant(0), self.unary())
        if self.at(_OP, "("):
            self.advance()
            value = self.arith()
            self.expect(_OP, ")")
            return value
        if self.at(_NUM):
            return _constant(self.advance().value)
        if self.at(_KW, "len"):
            self.advance()
            frame = self.link_header_len
            return _Value(lambda f: frame + _frame_length(f))
        if self.at(_KW) and self.at(_OP, "[", ahead=1):
            return self.load()
        raise _parse_error()

    def load(self) -> _Value:
        """`proto[offset]` or `proto[offset:size]`: bytes of a header, big-endian."""
        name = self.advance().text
        if name not in _LOADABLE:
            raise _unsupported(name) if name in _LINK_LAYER else _error("unsupported index operation")
        self.expect(_OP, "[")
        offset = self.arith().compute
        size = 1
        if self.at(_OP, ":"):
            self.advance()
            size = self.expect(_NUM).value
            if size not in (1, 2, 4):
                raise _error("data size must be 1, 2, or 4")
        self.expect(_OP, "]")
        self._load_protocols.append(name)
        base = 0 if name == "ip" else IP_HEADER_LEN
        return _Value(_byte_load(base, offset, size))


def _byte_load(base: int, offset: Arith, size: int) -> Arith:
    def load(frame: Captured) -> int:
        start = base + offset(frame)
        data = _datagram(frame.packet)
        if start + size > len(data):
            raise _Reject
        return int.from_bytes(data[start:start + size], "big")
    return load


# --- operand semantics (libpcap's gen_ncode, gen_scode, gen_mcode, gen_host, gen_port) -------------

_HOSTS = {"localhost": 0x7F000001}
"""/etc/hosts names: the only name resolution the simulated machine has."""


def _protocol_term(name: str) -> Predicate:
    number = _PROTOCOL_NAMES[name]
    if name == "ip":
        return _is_ip
    if name == "arp":
        return _is_arp
    if number is None:
        return _never
    return _protocol_is(number)


def _numeric_operand(value: int, bits: int, *, is_number: bool, qual: _Qual) -> Predicate:
    """A number or a dotted address under `qual`."""
    kind = qual.kind
    if kind in (None, "host", "net"):
        if is_number and kind == "net":
            # A bare number as a network is its leading bytes: `net 10` is 10.0.0.0/8.
            mask = _U32
            while value and not value & 0xFF000000:
                value, mask = (value << 8) & _U32, (mask << 8) & _U32
        else:
            value, mask = (value << (32 - bits)) & _U32, prefix_mask(bits)
        return _address_match(value, mask, qual, "net" if kind == "net" else "host")
    if kind in ("port", "portrange"):
        return _port_match(qual, value, value)
    if kind == "gateway":
        raise _error("'gateway' requires a name")
    if kind == "proto":
        return _ip_protocol_match(value, qual)
    raise _semantic_syntax_error()


def _named_operand(name: str, qual: _Qual) -> Predicate:
    """A name (host, service, port range, protocol) under `qual`."""
    kind = qual.kind
    if kind == "net":
        raise _error(f"unknown network '{name}'")
    if kind in (None, "host"):
        if name not in _HOSTS:
            raise _error(f"unknown host '{name}'")
        return _address_match(_HOSTS[name], _U32, qual, "host")
    if kind == "port":
        _check_port_protocol(qual)
        service = service_port(name)
        if service is None:
            raise _error(f"unknown port '{name}'")
        port, listed = service
        return _port_match(_narrowed(qual, listed, f"port '{name}'"), port, port)
    if kind == "portrange":
        _check_port_protocol(qual)
        low, high, listed = _port_range(name)
        return _port_match(_narrowed(qual, listed, f"port in range '{name}'"), low, high)
    if kind == "gateway":
        raise _unsupported(kind)  # it needs the gateway's MAC address, and the simulator has no ethers file
    if kind == "proto":
        if name not in PROTOCOLS:
            raise _error(f"unknown ip proto '{name}'")
        return _ip_protocol_match(PROTOCOLS[name], qual)
    raise _semantic_syntax_error()


def _port_range(text: str) -> tuple[int, int, int | None]:
    """`LOW-HIGH` in numbers or service names (a reversed range is turned around), and the one
    protocol both ends are listed for (None: any)."""
    numeric = re.match(r"([0-9]+)-([0-9]+)", text)
    if numeric:
        low, high = _port_number(numeric.group(1)), _port_number(numeric.group(2))
        return min(low, high), max(low, high), None
    first, dash, second = text.partition("-")
    if not dash:
        raise _error(f"unknown port in range '{text}'")
    (low, low_proto), (high, high_proto) = _range_end(first, text), _range_end(second, text)
    return min(low, high), max(low, high), low_proto if low_proto == high_proto else None


def _port_number(text: str) -> int:
    try:
        return parse_int(text, 0, 65535)
    except NumberError:
        raise _error(f"illegal port number {text} > 65535") from None


def _range_end(word: str, whole: str) -> tuple[int, int | None]:
    if is_decimal(word):
        return _port_number(word), None
    service = service_port(word)
    if service is None:
        raise _error(f"unknown port in range '{whole}'")
    return service


def _narrowed(qual: _Qual, listed: int | None, what: str) -> _Qual:
    """A service listed for one protocol only matches that protocol, and contradicts the other."""
    if listed is None:
        return qual
    listed_name = _IP_PROTOCOL_WORDS[listed]
    if qual.proto not in (None, listed_name):
        raise _error(f"{what} is {listed_name}")
    return _Qual(listed_name, qual.dir, qual.kind)


def _masked_net(address: _Token, netmask: int, shown: str, qual: _Qual) -> Predicate:
    """`N/LEN` or `N mask M`: only networks take a mask, and it must cover the address."""
    network = _widened(address)
    if network & ~netmask & _U32:
        raise _error(f"non-network bits set in {shown}")
    if qual.kind != "net":
        raise _error("Mask syntax for networks only")
    return _address_match(network, netmask, qual, "net")


def _widened(address: _Token) -> int:
    """A short dotted address filled out with zero bytes on the right (`10.1` is 10.1.0.0)."""
    return (address.value << (32 - 8 * address.parts)) & _U32


def _address_match(network: int, mask: int, qual: _Qual, noun: str) -> Predicate:
    """Source and/or destination address in network/mask (an ICMP error by its outer header)."""
    proto = qual.proto
    if proto == "rarp":
        return _never
    if proto in ("ip6", "icmp6"):
        raise _error(f"'{proto}' modifier applied to ip host")
    if proto not in (None, "ip", "arp"):
        raise _error(f"'{proto}' modifier applied to {noun}")
    # An ARP frame's record carries its sender and target protocol addresses as source and destination.
    matches = _by_direction(qual.dir, lambda f: f.packet.src & mask == network,
                            lambda f: f.packet.dst & mask == network)
    if proto is None:
        return matches
    kind = _is_ip if proto == "ip" else _is_arp
    return lambda f: kind(f) and matches(f)


def _check_port_protocol(qual: _Qual) -> None:
    if qual.proto not in (None, "tcp", "udp", "sctp"):
        raise _error(f"illegal qualifier of '{qual.kind}'")


def _port_match(qual: _Qual, low: int, high: int) -> Predicate:
    """TCP/UDP port in low..high; with no protocol named, TCP, UDP (and SCTP) ports all count."""
    _check_port_protocol(qual)
    for port in (low, high):
        if port > 65535:
            raise _error(f"illegal port number {port} > 65535")
    protocols = {"tcp": (IPPROTO_TCP,), "udp": (IPPROTO_UDP,), "sctp": (IPPROTO_SCTP,)}.get(
        qual.proto or "", (IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP))

    def src(f: Captured) -> bool:
        return f.arp is None and f.packet.proto in protocols and low <= f.packet.sport <= high

    def dst(f: Captured) -> bool:
        return f.arp is None and f.packet.proto in protocols and low <= f.packet.dport <= high

    return _by_direction(qual.dir, src, dst)


def _ip_protocol_match(number: int, qual: _Qual) -> Predicate:
    """`[ip] proto N`: the IP protocol field (no IPv6 header ever matches `ip6 proto`)."""
    if qual.proto in (None, "ip"):
        return _protocol_is(number)
    if qual.proto == "ip6":
        return _never
    raise _error(f"'{qual.proto} proto' is bogus")
