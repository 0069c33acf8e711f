"""nft's symbolic constants and how values parse and print (datatype.c, proto.c, ct.c in nftables)."""

from __future__ import annotations

from .. import numbers
from ..addr import AddressError, format_ipv4, parse_ipv4


class NftError(ValueError):
    """A command nft refuses; `message` is nft's one-line error (status 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def not_simulated(what: str) -> NftError:
    """The error for valid nft syntax this simulator leaves out."""
    return NftError(f"Error: nft expression '{what}' is not simulated here")


CT_STATES = {"invalid": 1, "established": 2, "related": 4, "new": 8, "untracked": 64}
CT_STATUS = {"expected": 1, "seen-reply": 2, "assured": 4, "confirmed": 8, "snat": 16, "dnat": 32, "dying": 512}
TCP_FLAGS = {"fin": 1, "syn": 2, "rst": 4, "psh": 8, "ack": 16, "urg": 32, "ecn": 64, "cwr": 128}
ICMP_TYPES = {
    "echo-reply": 0, "destination-unreachable": 3, "source-quench": 4, "redirect": 5, "echo-request": 8,
    "router-advertisement": 9, "router-solicitation": 10, "time-exceeded": 11, "parameter-problem": 12,
    "timestamp-request": 13, "timestamp-reply": 14, "info-request": 15, "info-reply": 16,
    "address-mask-request": 17, "address-mask-reply": 18,
}
ICMP_CODES = {
    "net-unreachable": 0, "host-unreachable": 1, "prot-unreachable": 2, "port-unreachable": 3,
    "frag-needed": 4, "net-prohibited": 9, "host-prohibited": 10, "admin-prohibited": 13,
}
PROTOCOLS = {"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58,
             "sctp": 132, "udplite": 136}
PROTOCOL_ALIASES = {"icmpv6": "ipv6-icmp"}
NFPROTOS = {"ipv4": 2, "ipv6": 10}
ETHERTYPES = {"ip": 0x0800, "arp": 0x0806, "ip6": 0x86DD, "vlan": 0x8100}
SERVICES = {"ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "http": 80, "pop3": 110, "ntp": 123,
            "imap": 143, "snmp": 161, "https": 443, "submission": 587, "imaps": 993, "pop3s": 995,
            "mysql": 3306, "postgresql": 5432}
CT_DIRECTIONS = {"original": 0, "reply": 1}
LOG_LEVELS = ("emerg", "alert", "crit", "err", "warn", "notice", "info", "debug")

# Standard base chain priorities (nftables src/rule.c std_prios), for the ip/ip6/inet families.
STD_PRIOS = (("raw", -300), ("mangle", -150), ("dstnat", -100), ("filter", 0), ("security", 50),
             ("srcnat", 100))
HOOKS = ("prerouting", "input", "forward", "output", "postrouting")


def prio_name_allowed(name: str, hook: str) -> bool:
    """std_prio_family_hook_compat(): dstnat only at prerouting, srcnat only at postrouting."""
    if name == "dstnat":
        return hook == "prerouting"
    if name == "srcnat":
        return hook == "postrouting"
    return True


def format_priority(prio: int, hook: str) -> str:
    """prio2str(): a standard name, a name with an offset of at most 10, or the number."""
    for name, value in STD_PRIOS:
        if not prio_name_allowed(name, hook):
            continue
        if prio == value:
            return name
        offset = prio - value
        if -10 <= offset <= 10:
            return f"{name} {'+' if offset > 0 else '-'} {abs(offset)}"
    return str(prio)


def _u64(text: str) -> int:
    """nft's scanner reads a number as decimal or 0x hex into 64 bits."""
    if text[:2] in ("0x", "0X"):
        return numbers.parse_int(text[2:], 0, 2**64 - 1, base=16)
    return numbers.parse_int(text, 0, 2**64 - 1)


def parse_int(text: str, what: str = "value") -> int:
    """A decimal or 0x hex number (64 bits at most)."""
    try:
        return _u64(text)
    except numbers.NumberError:
        raise NftError(f"Error: Could not parse {what}") from None


def parse_number(text: str) -> int:
    """A place where nft's grammar wants a number token (`handle N`, `position N`): anything else
    is its syntax error, naming what came instead (a keyword, or `string` for other text)."""
    try:
        return _u64(text)
    except numbers.NumberError:
        found = text if text.isascii() and text.isalpha() else "string"
        raise NftError(f"Error: syntax error, unexpected {found}, expecting number") from None


def parse_addr(text: str) -> int:
    """An IPv4 address (nft would try DNS for anything else; here that is an error)."""
    try:
        return parse_ipv4(text)
    except AddressError:
        raise NftError("Error: Could not resolve hostname: Name or service not known") from None


def format_bits(value: int, names: dict[str, int]) -> str:
    """A bitmask as nft prints it: names in bit order joined by commas."""
    parts = [name for name, bit in sorted(names.items(), key=lambda kv: kv[1]) if value & bit]
    rest = value & ~sum(names.values())
    if rest:
        parts.append(f"0x{rest:x}")
    return ",".join(parts) or "0x0"


def name_of(value: int, names: dict[str, int]) -> str:
    """The symbol for a value, or the number."""
    for name, number in names.items():
        if number == value:
            return name
    return str(value)


__all__ = ["NftError", "format_ipv4"]
