"""ss's filter expressions (ss(8) "FILTER"): `sport`/`dport` with `= != < > <= >=` (and their word
forms), `src`/`dst` with an address, prefix or `ADDR:PORT`, joined by `and`/`or`/`not` (`&&`, `||`, `!`)
and parentheses. Errors use ss's own wording and exit statuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..kernel.addr import parse_ipv4
from ..kernel.numbers import parse_int
from ..kernel.sockets import Socket
from .base import CommandError
from .numbers import is_decimal, number

Predicate = Callable[[Socket], bool]
_OPS = {
    "=": "eq",
    "==": "eq",
    "eq": "eq",
    "!=": "ne",
    "ne": "ne",
    "neq": "ne",
    ">": "gt",
    "gt": "gt",
    "<": "lt",
    "lt": "lt",
    ">=": "ge",
    "ge": "ge",
    "geq": "ge",
    "<=": "le",
    "le": "le",
    "leq": "le",
}
_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "lt": lambda a, b: a < b,
    "ge": lambda a, b: a >= b,
    "le": lambda a, b: a <= b,
}
_SYNTAX = CommandError('ss: bison bellows (while parsing filter): "syntax error!" Sorry.', 255)


MAX_NESTING = 100
"""Parentheses, or `not`s in a row, nested deeper than this are refused (far past any real filter)."""


def parse_filter(words: list[str], services: dict[int, str]) -> Predicate:
    """The predicate an expression stands for (the words after the options and state filters)."""
    tokens = re.findall(r"\(|\)|[^\s()]+", " ".join(words))
    depth = run = 0
    for token in tokens:  # ss's grammar has no depth limit; this parser recurses, so it has one
        depth += (token == "(") - (token == ")")
        run = run + 1 if token in ("not", "!") else 0
        if depth > MAX_NESTING or run > MAX_NESTING:
            raise CommandError(f"ss: filter nested deeper than {MAX_NESTING} levels is not simulated", 255)
    parser = _Parser(tokens, {name: port for port, name in services.items()})
    predicate = parser.expression()
    if parser.pos != len(tokens):
        raise _SYNTAX
    return predicate


class _Parser:
    """Recursive descent: or-expression of and-expressions of (possibly negated) conditions."""

    def __init__(self, tokens: list[str], ports: dict[str, int]) -> None:
        self.tokens = tokens
        self.ports = ports
        self.pos = 0

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise _SYNTAX
        self.pos += 1
        return token

    # A chain of `or`s (`and`s) is kept as one flat list tested in a loop, so a long chain never
    # nests one closure per operator (which would overflow the stack when a socket is tested).

    def expression(self) -> Predicate:
        parts = [self._conjunction()]
        while self._peek() in ("or", "||"):
            self.pos += 1
            parts.append(self._conjunction())
        return parts[0] if len(parts) == 1 else _any_of(parts)

    def _conjunction(self) -> Predicate:
        parts = [self._negation()]
        while self._peek() is not None and self._peek() not in ("or", "||", ")"):
            if self._peek() in ("and", "&&"):
                self.pos += 1
            parts.append(self._negation())  # juxtaposed conditions are joined by `and`, as in ss
        return parts[0] if len(parts) == 1 else _all_of(parts)

    def _negation(self) -> Predicate:
        if self._peek() in ("not", "!"):
            self.pos += 1
            inner = self._negation()
            return lambda sock: not inner(sock)
        if self._peek() == "(":
            self.pos += 1
            inner = self.expression()
            if self._take() != ")":
                raise _SYNTAX
            return inner
        return self._condition()

    def _condition(self) -> Predicate:
        key = self._take()
        if key not in ("sport", "dport", "src", "dst"):
            raise CommandError(
                f"ss: filter word '{key}' is not simulated here (sport, dport, src, dst, "
                "and, or, not and parentheses are)",
                1,
            )
        op = "eq"
        if self._peek() in _OPS:
            op = _OPS[self._take()]
        value = self._take()
        peer = key in ("dport", "dst")
        if key.endswith("port"):
            port = self._port(value.rsplit(":", 1)[-1] if ":" in value else value)
            compare = _COMPARE[op]
            return lambda sock: compare((sock.peer if peer else sock.local)[1], port)
        if op not in ("eq", "ne"):
            raise _SYNTAX
        address = self._address(value)
        if op == "ne":
            return lambda sock: not address(sock.peer if peer else sock.local)
        return lambda sock: address(sock.peer if peer else sock.local)

    def _port(self, text: str) -> int:
        if is_decimal(text):
            return number(text, 0, 65536, "", clamp=True)  # ss takes any number; past 65535 none matches
        if text in self.ports:
            return self.ports[text]
        raise CommandError(f'Error: "{text}" does not look like a port.', 1)

    def _address(self, text: str) -> Callable[[tuple[int, int]], bool]:
        host, port = text, None
        if re.fullmatch(r"[^:]*:[^:]+", text):
            host, _, port_text = text.partition(":")
            port = self._port(port_text)
        if host in ("", "*"):
            network, prefix = 0, 0
        else:
            addr, _, bits = host.partition("/")
            try:
                network, prefix = parse_ipv4(addr), parse_int(bits, 0, 32) if bits else 32
            except ValueError:
                raise CommandError(
                    f'Error: an inet prefix is expected rather than "{text}".\nCannot parse dst/src address.', 1
                ) from None
        mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF

        def matches(endpoint: tuple[int, int]) -> bool:
            return (endpoint[0] & mask) == (network & mask) and (port is None or endpoint[1] == port)

        return matches


def _any_of(parts: list[Predicate]) -> Predicate:
    return lambda sock: any(part(sock) for part in parts)


def _all_of(parts: list[Predicate]) -> Predicate:
    return lambda sock: all(part(sock) for part in parts)
