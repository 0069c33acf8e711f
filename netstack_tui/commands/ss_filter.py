"""ss's filter expressions (ss(8) "FILTER"): `sport`/`dport` with `= != < > <= >=` (and their word
forms), `src`/`dst` with an address, prefix or `ADDR:PORT`, joined by `and`/`or`/`not` (`&&`, `||`, `!`)
and parentheses. Errors use ss's own wording and exit statuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..kernel.addr import parse_ipv4
from ..kernel.sockets import Socket
from .base import CommandError

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


def parse_filter(words: list[str], services: dict[int, str]) -> Predicate:
    """The predicate an expression stands for (the words after the options and state filters)."""
    tokens = re.findall(r"\(|\)|[^\s()]+", " ".join(words))
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

    def expression(self) -> Predicate:
        left = self._conjunction()
        while self._peek() in ("or", "||"):
            self.pos += 1
            right = self._conjunction()
            left = _either(left, right)
        return left

    def _conjunction(self) -> Predicate:
        left = self._negation()
        while self._peek() is not None and self._peek() not in ("or", "||", ")"):
            if self._peek() in ("and", "&&"):
                self.pos += 1
            right = self._negation()  # juxtaposed conditions are joined by `and`, as in ss
            left = _both(left, right)
        return left

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
        if text.isdigit():
            return int(text)
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
                network, prefix = parse_ipv4(addr), int(bits) if bits else 32
                if not 0 <= prefix <= 32:
                    raise ValueError(bits)
            except ValueError:
                raise CommandError(
                    f'Error: an inet prefix is expected rather than "{text}".\nCannot parse dst/src address.', 1
                ) from None
        mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF

        def matches(endpoint: tuple[int, int]) -> bool:
            return (endpoint[0] & mask) == (network & mask) and (port is None or endpoint[1] == port)

        return matches


def _either(a: Predicate, b: Predicate) -> Predicate:
    return lambda sock: a(sock) or b(sock)


def _both(a: Predicate, b: Predicate) -> Predicate:
    return lambda sock: a(sock) and b(sock)
