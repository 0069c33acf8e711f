"""Numbers a user typed, read safely: ASCII digits only, bounded before conversion, always finite.

Python's `int()` and `float()` accept more than any network tool does (`1_000`, `' 7 '`, Unicode
digits, `nan`, `inf`) and `int()` refuses strings past 4,300 digits with its own ValueError. Every
number from a command line goes through here; the caller turns `NumberError` into its tool's words.
"""

from __future__ import annotations

import math
import re

_DIGITS = {10: "0123456789", 16: "0123456789abcdefABCDEF", 8: "01234567"}
# Possessive quantifiers: a long run of digits followed by junk is refused in linear time.
_FLOAT = re.compile(r"[+-]?(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)(?:[eE][+-]?[0-9]++)?+\Z")
_MAX_DIGITS = 400
"""Longer than any bound the simulator uses; a longer number is out of range without converting it."""


class NumberError(ValueError):
    """`text` is not a number of the kind asked for (`reason` "invalid") or lies outside the
    bounds (`reason` "range")."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{reason} number {text[:40]!r}")
        self.text = text
        self.reason = reason


def is_decimal(text: str) -> bool:
    """Whether `text` is one or more ASCII digits (`str.isdigit` also says yes to `²` and `١`)."""
    return bool(text) and text.isascii() and text.isdigit()


def parse_int(text: str, low: int | None = None, high: int | None = None, *, base: int = 10,
              signed: bool = False, clamp: bool = False) -> int:
    """`text` as an integer within [low, high]. `base` 10, 16 or 8; 0 reads as C's strtol does
    (`0x1f` hex, `017` octal, else decimal). `signed` allows a leading `+` or `-`. `clamp` gives
    the nearest bound for a number past it (as tools that saturate at LONG_MAX do) instead of
    refusing it."""
    body = text
    negative = False
    if signed and body[:1] in ("+", "-"):
        negative, body = body[0] == "-", body[1:]
    if base == 0:
        if body[:2].lower() == "0x" and len(body) > 2:
            base, body = 16, body[2:]
        elif body[:1] == "0" and len(body) > 1:
            base, body = 8, body[1:]
        else:
            base = 10
    digits = _DIGITS[base]
    if not body or any(ch not in digits for ch in body):
        raise NumberError(text, "invalid")
    significant = body.lstrip("0") or "0"
    if len(significant) > _MAX_DIGITS:
        bound = low if negative else high
        if clamp and bound is not None:
            return bound
        raise NumberError(text, "range")
    value = int(significant, base)
    value = -value if negative else value
    if clamp:
        value = value if low is None else max(low, value)
        return value if high is None else min(high, value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise NumberError(text, "range")
    return value


def parse_float(text: str, low: float | None = None, high: float | None = None) -> float:
    """`text` as a finite decimal number (`1`, `0.2`, `.5`, `1e3`) within [low, high]; `nan`,
    `inf` and anything that overflows to infinity are refused."""
    if not _FLOAT.match(text):
        raise NumberError(text, "invalid")
    value = float(text)
    if not math.isfinite(value):
        raise NumberError(text, "range")
    if (low is not None and value < low) or (high is not None and value > high):
        raise NumberError(text, "range")
    return value
