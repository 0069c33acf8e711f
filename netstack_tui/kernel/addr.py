"""IPv4 and MAC address helpers.

The kernel model keeps addresses as plain ints: matching thousands of rules compares ints far
faster than `ipaddress` objects, and ints print back exactly as the kernel stores them.
"""

from __future__ import annotations


class AddressError(ValueError):
    """An address or prefix that does not parse."""


def parse_ipv4(text: str) -> int:
    """Parse dotted-quad IPv4 text into an int; raise AddressError when it is not one."""
    parts = text.split(".")
    if len(parts) != 4:
        raise AddressError(f"invalid IPv4 address {text!r}")
    value = 0
    for part in parts:
        if not (part.isascii() and part.isdigit()) or len(part) > 3:
            raise AddressError(f"invalid IPv4 address {text!r}")
        octet = int(part)
        if octet > 255:
            raise AddressError(f"invalid IPv4 address {text!r}")
        value = (value << 8) | octet
    return value


def format_ipv4(value: int) -> str:
    """Dotted-quad text of an int address."""
    return f"{value >> 24 & 255}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


def prefix_mask(length: int) -> int:
    """The netmask int of a prefix length (0..32)."""
    return (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF if length else 0


def parse_prefix(text: str, *, strict: bool = False) -> tuple[int, int]:
    """Parse `A.B.C.D[/len]` into (network, length); host bits are masked off unless `strict`.

    A bare address is a /32, as iproute2 and iptables read it.
    """
    if "/" in text:
        addr_text, _, len_text = text.partition("/")
        if not (len_text.isascii() and len_text.isdigit()) or len(len_text) > 10 or int(len_text) > 32:
            raise AddressError(f"invalid prefix length in {text!r}")
        length = int(len_text)
    else:
        addr_text, length = text, 32
    addr = parse_ipv4(addr_text)
    network = addr & prefix_mask(length)
    if strict and network != addr:
        raise AddressError(f"{text!r} has host bits set")
    return network, length


def format_prefix(network: int, length: int) -> str:
    """`A.B.C.D/len` text."""
    return f"{format_ipv4(network)}/{length}"


def in_prefix(addr: int, network: int, length: int) -> bool:
    """Whether `addr` lies in network/length."""
    return (addr & prefix_mask(length)) == network


def parse_mac(text: str) -> str:
    """Normalise a MAC address to lower-case colon form; raise AddressError when invalid."""
    parts = text.split(":")
    if len(parts) != 6 or not all(len(p) == 2 and all(c in "0123456789abcdefABCDEF" for c in p) for p in parts):
        raise AddressError(f"invalid MAC address {text!r}")
    return text.lower()


BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
