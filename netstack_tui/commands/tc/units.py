"""tc's numbers: rates, sizes, times and handles, read and printed as iproute2 6.1 does (tc(8),
UNITS; print_rate/print_size/print_time in tc_util.c, reproduced from their observed output)."""

from __future__ import annotations

import re

from ...kernel.numbers import NumberError, parse_float, parse_int

RATE_UNITS = {"bit": 1, "kbit": 1000, "mbit": 1000**2, "gbit": 1000**3, "tbit": 1000**4,
              "kibit": 1024, "mibit": 1024**2, "gibit": 1024**3, "tibit": 1024**4,
              "bps": 8, "kbps": 8000, "mbps": 8 * 1000**2, "gbps": 8 * 1000**3, "tbps": 8 * 1000**4,
              "kibps": 8192, "mibps": 8 * 1024**2, "gibps": 8 * 1024**3, "tibps": 8 * 1024**4, "": 1}
"""Bits per second per unit (a bare number is bits per second)."""
SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3,
              "kbit": 1024 / 8, "mbit": 1024**2 / 8, "gbit": 1024**3 / 8}
"""Bytes per unit (a bare number is bytes)."""
TIME_UNITS = {"": 1, "us": 1, "usec": 1, "usecs": 1, "ms": 1000, "msec": 1000, "msecs": 1000,
              "s": 1_000_000, "sec": 1_000_000, "secs": 1_000_000}
"""Microseconds per unit (a bare number is microseconds)."""
_NUMBER = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([a-z]*)")


def count(text: str, high: int = 2**32 - 1) -> int | None:
    """A plain decimal count as tc reads one (get_u32), or None when it is not one or too big."""
    try:
        return parse_int(text, 0, high)
    except NumberError:
        return None


def _amount(text: str, scale: float, divisor: float = 1) -> int | None:
    """`text` (the number part of a rate, size or time) times its unit; None past 64 bits (a number
    too long to hold would otherwise be infinity)."""
    try:
        value = int(parse_float(text) * scale / divisor)
    except (NumberError, OverflowError):
        return None
    return value if value < 2**64 else None


def parse_rate(text: str) -> int | None:
    """A rate in bytes per second, or None when it is not one."""
    found = _NUMBER.fullmatch(text.lower())
    if found is None or found.group(2) not in RATE_UNITS:
        return None
    return _amount(found.group(1), RATE_UNITS[found.group(2)], 8)


def parse_size(text: str) -> int | None:
    """A size in bytes, or None."""
    found = _NUMBER.fullmatch(text.lower())
    if found is None or found.group(2) not in SIZE_UNITS:
        return None
    return _amount(found.group(1), SIZE_UNITS[found.group(2)])


def parse_time(text: str) -> int | None:
    """A time in microseconds, or None."""
    found = _NUMBER.fullmatch(text.lower())
    if found is None or found.group(2) not in TIME_UNITS:
        return None
    return _amount(found.group(1), TIME_UNITS[found.group(2)])


def format_rate(rate: int) -> str:
    """`1Mbit`, `1500Kbit`: the largest 1000-unit that keeps the number whole (below 1000 units)."""
    bits = rate * 8
    units = ("", "K", "M", "G", "T")
    i = 0
    while i < len(units) - 1 and bits >= 1000 and (bits % 1000 == 0 or bits >= 1000 * 1000):
        bits //= 1000
        i += 1
    return f"{bits}{units[i]}bit"


def format_size(size: int) -> str:
    """`1600b`, `10Kb`, `32Mb` (a size within a little of a whole Kb or Mb is printed so)."""
    mb, kb = 1024 * 1024, 1024
    if size >= mb and abs(mb * round(size / mb) - size) < 1024:
        return f"{round(size / mb)}Mb"
    if size >= kb and abs(kb * round(size / kb) - size) < 16:
        return f"{round(size / kb)}Kb"
    return f"{size}b"


def format_time(usecs: float) -> str:
    """`81.9ms`, `50ms`, `1.5s`, `800us` (three significant digits)."""
    if usecs >= 1_000_000:
        return f"{usecs / 1_000_000:.3g}s"
    if usecs >= 1000:
        return f"{usecs / 1000:.3g}ms"
    return f"{int(usecs)}us"


def shown_burst(size: int, rate: int) -> int:
    """A burst as `tc class show` gives it back: tc sends it as a time in whole microseconds, and
    the bytes that time is worth at `rate` are printed (1600 bytes at 3mbit come back as 1599b)."""
    if rate <= 0:
        return size
    usecs = int(size * 1_000_000 / rate)
    return int(rate * usecs / 1_000_000)


def parse_handle(text: str) -> int | None:
    """A qdisc handle `1:` (or `1`, `1:0`) as a 32-bit value with minor 0, or None."""
    found = re.fullmatch(r"([0-9a-fA-F]{1,4})(?::(0{0,4}))?", text)
    return int(found.group(1), 16) << 16 if found else None


def parse_classid(text: str) -> int | None:
    """A classid `1:10` (hex on both sides; `:10` keeps major 0), or None."""
    found = re.fullmatch(r"([0-9a-fA-F]{0,4}):([0-9a-fA-F]{1,4})", text)
    if found is None:
        return None
    return int(found.group(1) or "0", 16) << 16 | int(found.group(2), 16)


def format_handle(handle: int) -> str:
    """`1:` for a qdisc handle, `1:10` for a class, `ffff:fff1` for the ingress parent."""
    return f"{handle >> 16:x}:" + (f"{handle & 0xFFFF:x}" if handle & 0xFFFF else "")
