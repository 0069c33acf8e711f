"""IPv6 addresses as ip6tables reads (inet_pton) and prints them (glibc's inet_ntop).

Pure functions on 128-bit ints; errors are ValueError so callers word them as their tool does.
"""

from __future__ import annotations

import ipaddress

BITS = 128
FULL = (1 << BITS) - 1


def parse_ip6(text: str) -> int:
    """An IPv6 address in the forms inet_pton accepts (including `::ffff:1.2.3.4`)."""
    if "%" in text or "/" in text or not text:
        # Python would take a zone index (`fe80::1%eth0`); inet_pton does not.
        raise ValueError(text)
    try:
        return int(ipaddress.IPv6Address(text))
    except ipaddress.AddressValueError:
        raise ValueError(text) from None


def format_ip6(addr: int) -> str:
    """inet_ntop(AF_INET6): the longest run (two or more) of zero groups as `::`, lower-case hex,
    and the last 32 bits dotted for IPv4-compatible (`::1.2.3.4`) and -mapped addresses."""
    words = [(addr >> (112 - 16 * i)) & 0xFFFF for i in range(8)]
    best_start, best_len, start = -1, 0, -1
    for i, word in enumerate([*words, 1]):
        if word == 0 and start < 0:
            start = i
        elif word != 0 and start >= 0:
            if i - start > best_len:
                best_start, best_len = start, i - start
            start = -1
    if best_len < 2:
        best_start = -1
    parts: list[str] = []
    i = 0
    while i < 8:
        if i == best_start:
            parts.append("" if i else ":")
            i += best_len
            if i == 8:
                parts.append("")
            continue
        if i == 6 and best_start == 0 and (best_len == 6 or (best_len == 5 and words[5] == 0xFFFF)):
            parts.append(f"{words[6] >> 8}.{words[6] & 0xFF}.{words[7] >> 8}.{words[7] & 0xFF}")
            break
        parts.append(f"{words[i]:x}")
        i += 1
    return ":".join(parts)


def prefix_mask6(length: int) -> int:
    """The mask of a /length prefix."""
    return FULL ^ (FULL >> length)


def mask_length6(mask: int) -> int | None:
    """The prefix length of a contiguous mask, or None."""
    inverted = ~mask & FULL
    if inverted & (inverted + 1):
        return None
    return BITS - inverted.bit_length()
