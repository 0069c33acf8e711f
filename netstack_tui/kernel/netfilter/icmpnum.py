"""Numeric ICMP and ICMPv6 types as iptables 1.8.9 reads them: `TYPE[:TYPE][/CODE[:CODE]]`.

1.8.9 reads each number with an end pointer and then looks at the character it stopped on, so
`8x` and `08` (octal 0, then `8`) are refused as "unknown character x" rather than as an unknown
type; a type range is refused unless both ends are equal. Measured by hand in a namespace.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..numbers import NumberError, parse_int
from .values import problem

_HEX = "0123456789abcdefABCDEF"


def _leading_number(text: str) -> tuple[int | None, str]:
    """xtables_strtoui with an end pointer, bounded to 0-255: (value, the rest after its digits).

    Blanks and one `+` may lead; a `-` is refused, as is a number past 255. None when no digit
    was read."""
    body = text.lstrip(" \t\n\v\f\r")
    if body.startswith("-"):
        return None, text
    if body.startswith("+"):
        body = body[1:]
    if body[:2].lower() == "0x" and body[2:3] != "" and body[2] in _HEX:
        digits, base = "0123456789abcdefABCDEF", 16
        body = body[2:]
    elif body[:1] == "0":
        digits, base = "01234567", 8
    else:
        digits, base = "0123456789", 10
    end = 0
    while end < len(body) and body[end] in digits:
        end += 1
    if end == 0:
        return None, text
    try:
        value = parse_int(body[:end], 0, 255, base=base)
    except NumberError:
        return None, body[end:]
    return value, body[end:]


@dataclass(frozen=True, slots=True)
class NumericIcmp:
    """A parsed numeric ICMP type: the type and, when a `/CODE` was given, the codes."""

    icmp_type: int
    codes: tuple[int, int] | None


def parse_numeric_icmp(text: str, word: str) -> NumericIcmp:
    """`TYPE[:TYPE][/CODE[:CODE]]`; `word` is "ICMP" or "ICMPv6" for the error messages."""
    icmp_type, rest = _leading_number(text)
    if icmp_type is None:
        raise problem(f"Unknown {word} type `{text}'")
    if rest.startswith(":"):
        high, rest = _leading_number(rest[1:])
        if high is None:
            raise problem(f"Unknown {word} type `{text}'")
        if high != icmp_type:
            raise problem(f"{word} type range not supported")
    codes: tuple[int, int] | None = None
    if rest.startswith("/"):
        low_code, rest = _leading_number(rest[1:])
        if low_code is None:
            raise problem(f"Unknown {word} code `{text}'")
        high_code = low_code
        if rest.startswith(":"):
            high_code_read, rest = _leading_number(rest[1:])
            if high_code_read is None:
                raise problem(f"Unknown {word} code `{text}'")
            high_code = high_code_read
        codes = (low_code, high_code)
    if rest:
        raise problem(f"unknown character {rest[0]}")
    return NumericIcmp(icmp_type, codes)
