"""The shell's one argument checker for numbers: a tool's number, or the tool's own one-line error.

Every command reads the numbers on its command line through `number` or `real_number`, never with
bare `int()`/`float()`: huge, negative, `nan`, `inf` and words all end in the tool's message (with
`{value}` standing for what was typed) and its exit status, never a Python exception.
"""

from __future__ import annotations

from ..kernel.numbers import NumberError, is_decimal, parse_float, parse_int
from .base import CommandError

__all__ = ["NumberError", "is_decimal", "number", "real_number"]


def number(text: str, low: int | None, high: int | None, message: str, status: int = 1, *,
           base: int = 10, signed: bool = False, clamp: bool = False, out_of_range: str | None = None) -> int:
    """`text` as an integer in [low, high] (see `parse_int` for `base`, `signed` and `clamp`);
    otherwise CommandError(`message`) — or `out_of_range` for a well-formed number past the bounds."""
    try:
        return parse_int(text, low, high, base=base, signed=signed, clamp=clamp)
    except NumberError as exc:
        wording = out_of_range if exc.reason == "range" and out_of_range is not None else message
        raise CommandError(wording.replace("{value}", text), status) from None


def real_number(text: str, low: float | None, high: float | None, message: str, status: int = 1, *,
                out_of_range: str | None = None) -> float:
    """`text` as a finite decimal number in [low, high]; otherwise CommandError as for `number`."""
    try:
        return parse_float(text, low, high)
    except NumberError as exc:
        wording = out_of_range if exc.reason == "range" and out_of_range is not None else message
        raise CommandError(wording.replace("{value}", text), status) from None
