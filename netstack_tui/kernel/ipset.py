"""IP sets of one host (the kernel's ip_set core): hash:ip, hash:net, hash:ip,port and bitmap:port.

A set holds its members in insertion order; the kernel prints a hash set in bucket order, which
depends on a random `initval`, so nothing may rely on the order of `ipset list` members (the
differential tests compare them sorted). A bitmap prints ascending, as the kernel does.

Errors are `IpsetError` with the text ipset 7.17 prints after its `ipset v7.17: ` banner.
Timeouts, counters, comments, IPv6 and the other set types are refused with a message saying so.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from .addr import AddressError, format_ipv4, parse_ipv4
from .packet import IPPROTO_TCP, IPPROTO_UDP

IPPROTO_SCTP = 132
PROTO_NAMES = {IPPROTO_TCP: "tcp", IPPROTO_UDP: "udp", IPPROTO_SCTP: "sctp"}
PROTO_NUMBERS = {name: number for number, name in PROTO_NAMES.items()}
REVISIONS = {"hash:ip": 6, "hash:net": 7, "hash:ip,port": 7, "bitmap:port": 3}
DIMENSIONS = {"hash:ip": 1, "hash:net": 1, "hash:ip,port": 2, "bitmap:port": 1}
MAX_RANGE = 65536
"""Most addresses one `add` of a range or CIDR may expand to (ipset refuses huge hash ranges too)."""


class IpsetError(Exception):
    """What ipset prints after its banner; `status` is its exit code (1 kernel error, 2 syntax)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


Member = int | tuple[int, int] | tuple[int, int, int]
"""hash:ip and bitmap:port: an int; hash:net: (network, prefix); hash:ip,port: (addr, proto, port)."""


@dataclass(slots=True)
class IpSet:
    """One set: its type, creation options and members."""

    name: str
    kind: str
    hashsize: int = 1024
    maxelem: int = 65536
    port_range: tuple[int, int] = (0, 0)
    """bitmap:port only: the `range FROM-TO` it was created with."""
    members: dict[Member, None] = field(default_factory=dict)

    @property
    def initval(self) -> int:
        """A fixed stand-in for the kernel's random hash seed (so output is reproducible)."""
        return zlib.crc32(self.name.encode()) & 0xFFFFFFFF

    def header(self) -> str:
        """The `Header:` line's text (also the options `ipset save` prints after the type)."""
        if self.kind == "bitmap:port":
            return f"range {self.port_range[0]}-{self.port_range[1]}"
        return (f"family inet hashsize {self.hashsize} maxelem {self.maxelem} bucketsize 12 "
                f"initval 0x{self.initval:08x}")

    def memory(self) -> int:
        """An estimate of `Size in memory:` (the kernel's figure depends on its bucket layout)."""
        if self.kind == "bitmap:port":
            return 200 + (self.port_range[1] - self.port_range[0] + 8) // 8
        per = {"hash:ip": 48, "hash:net": 88, "hash:ip,port": 56}[self.kind]
        return 200 + per * len(self.members)

    def ordered(self) -> list[Member]:
        """Members in the order `ipset list` prints them."""
        if self.kind == "bitmap:port":
            return sorted(self.members)
        return list(self.members)

    def member_text(self, member: Member) -> str:
        """One member as ipset prints it."""
        if isinstance(member, int):
            return str(member) if self.kind == "bitmap:port" else format_ipv4(member)
        if len(member) == 2:
            net, plen = member
            return format_ipv4(net) if plen == 32 else f"{format_ipv4(net)}/{plen}"
        addr, proto, port = member
        return f"{format_ipv4(addr)},{PROTO_NAMES[proto]}:{port}"

    # ---- elements from text ----------------------------------------------------------------------

    def parse(self, text: str) -> list[Member]:
        """The members an `add`/`del`/`test` argument names (a range or CIDR names several)."""
        if self.kind == "bitmap:port":
            low, high = _port_span(text)
            if low < self.port_range[0] or high > self.port_range[1]:
                raise IpsetError("Element is out of the range of the set")
            return list(range(low, high + 1))
        if self.kind == "hash:net":
            addr, plen = _cidr(text)
            if plen == 0:
                raise IpsetError("The value of the CIDR parameter of the IP address is invalid")
            return [(_network(addr, plen), plen)]
        if self.kind == "hash:ip":
            return list(_addresses(text))
        ip_text, comma, port_text = text.partition(",")
        if not comma:
            raise IpsetError(f"Syntax error: Second element is missing from {text}.")
        proto = IPPROTO_TCP
        if ":" in port_text:
            proto_name, _, port_text = port_text.partition(":")
            if proto_name not in PROTO_NUMBERS:
                raise IpsetError(f"ipset: protocol `{proto_name}' in elements is not simulated here (tcp, udp, sctp)")
            proto = PROTO_NUMBERS[proto_name]
        low, high = _port_span(port_text)
        return [(addr, proto, port) for addr in _addresses(ip_text) for port in range(low, high + 1)]

    # ---- the packet path -------------------------------------------------------------------------

    def contains(self, member: Member) -> bool:
        """Whether a member taken from a packet is in the set (a hash:net tests every prefix)."""
        if self.kind == "hash:net":
            addr = member[0]  # type: ignore[index]
            return any((_network(addr, plen), plen) in self.members for plen in _prefixes(self))
        return member in self.members

    def add(self, member: Member) -> bool:
        """Add from the packet path (the SET target); False when the set is full or has it."""
        if member in self.members or len(self.members) >= self.maxelem:
            return False
        self.members[member] = None
        return True


def _prefixes(ipset: IpSet) -> set[int]:
    return {plen for _, plen in ipset.members}  # type: ignore[misc]


def _network(addr: int, plen: int) -> int:
    return addr & (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF


def _ip(text: str) -> int:
    try:
        return parse_ipv4(text)
    except AddressError:
        raise IpsetError(f"Syntax error: cannot parse {text}: resolving to IPv4 address failed") from None


def _cidr(text: str) -> tuple[int, int]:
    addr_text, slash, plen_text = text.partition("/")
    addr = _ip(addr_text)
    if not slash:
        return addr, 32
    if not plen_text.isdigit() or int(plen_text) > 32:
        raise IpsetError("The value of the CIDR parameter of the IP address is invalid")
    return addr, int(plen_text)


def _addresses(text: str) -> range:
    """An address, `A-B` or `A/N` as the hash:ip addresses it covers."""
    if "-" in text:
        first, _, last = text.partition("-")
        low, high = _ip(first), _ip(last)
    else:
        addr, plen = _cidr(text)
        if plen == 0:
            raise IpsetError("The value of the CIDR parameter of the IP address is invalid")
        low = _network(addr, plen)
        high = low + (1 << (32 - plen)) - 1
    if high < low:
        low, high = high, low
    if high - low >= MAX_RANGE:
        raise IpsetError("Hash is full, cannot add more elements")
    return range(low, high + 1)


def _port(text: str) -> int:
    if text.isdigit() and int(text) <= 65535:
        return int(text)
    from .netfilter.values import SERVICES  # only names; imported late to keep the layers apart

    if text in SERVICES:
        return SERVICES[text]
    raise IpsetError(f"Syntax error: cannot parse '{text}' as a port")


def _port_span(text: str) -> tuple[int, int]:
    first, dash, last = text.partition("-")
    low = _port(first)
    high = _port(last) if dash else low
    return (low, high) if low <= high else (high, low)


def packet_member(ipset: IpSet, addrs: tuple[int, ...], ports: tuple[int, ...], proto: int) -> Member | None:
    """The member a packet offers, from the address and port of each dimension's side; None when
    the packet has no such member (a port set and a packet without ports)."""
    if ipset.kind in ("hash:ip", "hash:net"):
        return addrs[0] if ipset.kind == "hash:ip" else (addrs[0], 32)
    if proto not in PROTO_NAMES:
        return None
    if ipset.kind == "bitmap:port":
        return ports[0]
    return (addrs[0], proto, ports[1])


class IpsetRegistry:
    """The sets of one network namespace, by name, in creation order (as `ipset list` shows them)."""

    __slots__ = ("sets",)

    def __init__(self) -> None:
        self.sets: dict[str, IpSet] = {}

    def get(self, name: str) -> IpSet:
        """The set called `name`, or ipset's error."""
        found = self.sets.get(name)
        if found is None:
            raise IpsetError("The set with the given name does not exist")
        return found

    def create(self, ipset: IpSet, exist: bool) -> None:
        """Add a new set (with -exist, an identical existing set is not an error)."""
        old = self.sets.get(ipset.name)
        if old is not None:
            if exist and old.kind == ipset.kind:
                return
            raise IpsetError("Set cannot be created: set with the same name already exists")
        self.sets[ipset.name] = ipset
