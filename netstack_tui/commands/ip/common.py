"""What every `ip` object shares: options, errors in iproute2's words, argument helpers."""

from __future__ import annotations

import dataclasses

from ...kernel.addr import AddressError, parse_ipv4
from ...kernel.host import Host, HostError
from ...kernel.interfaces import Interface
from ...kernel.numbers import NumberError, parse_int
from ..base import CommandError
from ..numbers import number

# iproute2's object table (ip.c), in its order: a prefix picks the first object it starts.
OBJECTS = (
    "address",
    "addrlabel",
    "maddress",
    "route",
    "rule",
    "neighbor",
    "neighbour",
    "ntable",
    "link",
    "l2tp",
    "fou",
    "ila",
    "macsec",
    "tunnel",
    "tuntap",
    "token",
    "tcpmetrics",
    "monitor",
    "xfrm",
    "mroute",
    "mrule",
    "netns",
    "netconf",
    "vrf",
    "sr",
    "nexthop",
    "mptcp",
    "ioam",
    "stats",
    "help",
)
ERRNO_TEXT = {
    "ENETUNREACH": "Network is unreachable",
    "EHOSTUNREACH": "No route to host",
    "EINVAL": "Invalid argument",
    "EACCES": "Permission denied",
    "EXDEV": "Invalid cross-device link",
}
MAX_MTU = 65535


@dataclasses.dataclass
class Options:
    """Global `ip` options."""

    family4: bool = False
    brief: bool = False
    stats: int = 0
    force: bool = False
    details: bool = False
    netns: str | None = None
    """`-n NS`: run in that namespace."""


def not_simulated(what: str) -> CommandError:
    """The one-line answer for real iproute2 features this shell leaves out."""
    return CommandError(f"ip: '{what}' is not simulated here", 1)


def rtnl(errno_name: str) -> CommandError:
    """`RTNETLINK answers: ...` with status 2."""
    return CommandError(f"RTNETLINK answers: {ERRNO_TEXT.get(errno_name, errno_name)}", 2)


def ext_error(message: str) -> CommandError:
    """A kernel extack message, as iproute2 prints it (status 2)."""
    return CommandError(f"Error: {message}.", 2)


def bad_arg(value: str, what: str) -> CommandError:
    """iproute2's invarg(): `Error: argument "X" is wrong: ...` then an empty line, status 255."""
    return CommandError(f'Error: argument "{value}" is wrong: {what}\n', 255)


def device(host: Host, name: str) -> Interface:
    try:
        return host.interface(name)
    except HostError as exc:
        raise CommandError(str(exc), 1) from None


def match_word(word: str, full: str) -> bool:
    """iproute2's matches(): `word` is a non-empty prefix of `full`."""
    return bool(word) and full.startswith(word)


def sub_command(args: list[str], default: str, known: tuple[str, ...], obj_help: str) -> tuple[str, list[str]]:
    """The subcommand (by iproute2 prefix rules) and its arguments."""
    if not args:
        return default, []
    for name in known:
        if match_word(args[0], name):
            return name, args[1:]
    raise CommandError(f'Command "{args[0]}" is unknown, try "ip {obj_help} help".', 255)


def parse_addr_prefix(text: str) -> tuple[int, int]:
    addr_text, _, plen_text = text.partition("/")
    try:
        addr = parse_ipv4(addr_text)
        plen = parse_int(plen_text, 0, 32) if plen_text else 32
    except (AddressError, NumberError):
        raise CommandError(f'Error: any valid prefix is expected rather than "{text}".', 1) from None
    return addr, plen


def int_arg(text: str, what: str, high: int = 2**32 - 1) -> int:
    """A number as iproute2's get_u32() reads it (decimal, 0x hex, 0 octal), at most `high`."""
    return number(text, 0, high, bad_arg(text, f'"{what}" value is invalid').message, 255, base=0)


def ipv4_arg(text: str) -> int:
    try:
        return parse_ipv4(text)
    except AddressError:
        raise CommandError(f'Error: inet address is expected rather than "{text}".', 1) from None
