"""Value parsers shared by the iptables matches and targets: numbers, ports, protocols, marks.

Every parser raises `IptablesError` with the wording iptables 1.8.9 uses, so the shell can show
the message the real tool would print. Name tables (services, protocols, users) are embedded
constants: the simulator never consults this machine's /etc files.
"""

from __future__ import annotations

from ..addr import AddressError, format_ipv4, parse_ipv4, prefix_mask
from ..numbers import NumberError, is_decimal, parse_int
from .family import current
from .ip6addr import format_ip6, mask_length6, parse_ip6, prefix_mask6

PROG = "iptables v1.8.9 (nf_tables)"
"""The banner iptables prefixes to its error messages."""

PARAMETER_PROBLEM = 2
"""xtables' exit status for a bad command line (PARAMETER_PROBLEM)."""


class IptablesError(Exception):
    """A command or rule iptables refuses: `message` is its one-line error, `status` its exit code."""

    def __init__(self, message: str, status: int = PARAMETER_PROBLEM) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def problem(text: str) -> IptablesError:
    """An xtables_error(PARAMETER_PROBLEM, ...) with the program banner."""
    return IptablesError(f"{PROG}: {text}", PARAMETER_PROBLEM)


# /etc/services names iptables users write (getservbyname); frozen so output never depends on
# the machine running the simulator.
SERVICES: dict[str, int] = {
    "tcpmux": 1,
    "echo": 7,
    "discard": 9,
    "daytime": 13,
    "ftp-data": 20,
    "ftp": 21,
    "ssh": 22,
    "telnet": 23,
    "smtp": 25,
    "time": 37,
    "whois": 43,
    "tacacs": 49,
    "domain": 53,
    "bootps": 67,
    "bootpc": 68,
    "tftp": 69,
    "gopher": 70,
    "finger": 79,
    "http": 80,
    "www": 80,
    "kerberos": 88,
    "pop3": 110,
    "sunrpc": 111,
    "auth": 113,
    "nntp": 119,
    "ntp": 123,
    "epmap": 135,
    "netbios-ns": 137,
    "netbios-dgm": 138,
    "netbios-ssn": 139,
    "imap": 143,
    "imap2": 143,
    "snmp": 161,
    "snmp-trap": 162,
    "bgp": 179,
    "irc": 194,
    "ldap": 389,
    "https": 443,
    "microsoft-ds": 445,
    "isakmp": 500,
    "syslog": 514,
    "submission": 587,
    "ldaps": 636,
    "rsync": 873,
    "ftps": 990,
    "imaps": 993,
    "pop3s": 995,
    "socks": 1080,
    "openvpn": 1194,
    "ms-sql-s": 1433,
    "l2tp": 1701,
    "pptp": 1723,
    "radius": 1812,
    "radius-acct": 1813,
    "nfs": 2049,
    "mysql": 3306,
    "ms-wbt-server": 3389,
    "ipsec-nat-t": 4500,
    "sip": 5060,
    "postgresql": 5432,
    "x11": 6000,
    "ircd": 6667,
    "http-alt": 8080,
    "webcache": 8080,
}
PORT_NAMES: dict[int, str] = {}
for _name, _port in SERVICES.items():
    PORT_NAMES.setdefault(_port, _name)

# xtables_chain_protos first (iptables prefers these spellings), then /etc/protocols.
PROTOCOLS: dict[str, int] = {
    "tcp": 6,
    "sctp": 132,
    "udp": 17,
    "udplite": 136,
    "icmp": 1,
    "icmpv6": 58,
    "ipv6-icmp": 58,
    "esp": 50,
    "ah": 51,
    "mh": 135,
    "ipv6-mh": 135,
    "all": 0,
    "igmp": 2,
    "ipencap": 4,
    "egp": 8,
    "dccp": 33,
    "ipv6": 41,
    "rsvp": 46,
    "gre": 47,
    "ospf": 89,
    "ipip": 94,
    "pim": 103,
    "vrrp": 112,
    "l2tp": 115,
}
PROTO_NAMES: dict[int, str] = {}
for _name, _num in PROTOCOLS.items():
    PROTO_NAMES.setdefault(_num, _name)

USERS: dict[str, int] = {"root": 0, "daemon": 1, "bin": 2, "sys": 3, "nobody": 65534}
"""Account names the owner match resolves (getpwnam/getgrnam on a minimal system)."""


def parse_uint(text: str, low: int, high: int) -> int | None:
    """xtables_strtoui: decimal, 0x hex or 0 octal within [low, high]; None when invalid.

    strtoumax skips leading blanks and takes one `+` (`--dport +22` is port 22); xtables refuses
    a `-` itself.
    """
    body = text.strip()
    if body.startswith("+"):
        body = body[1:]
    try:
        return parse_int(body, low, high, base=0)
    except NumberError:
        return None


def parse_port(text: str, proto: str | None = None) -> int:
    """xtables_parse_port: a number 0-65535 or a service name of `proto` (getservbyname).

    The frozen services table lists tcp/udp names only, as a stock /etc/services does: an sctp
    port must be a number.
    """
    value = parse_uint(text, 0, 65535)
    if value is None and proto != "sctp":
        value = SERVICES.get(text)
    if value is None:
        raise problem(f"invalid port/service `{text}' specified")
    return value


def parse_port_range(text: str, proto: str | None = None) -> tuple[int, int]:
    """`a`, `a:b`, `:b`, `a:` or `:` as xtables reads port ranges (a missing end is 0 or 65535)."""
    if ":" not in text:
        port = parse_port(text, proto)
        return port, port
    low_text, _, high_text = text.partition(":")
    low = parse_port(low_text, proto) if low_text else 0
    high = parse_port(high_text, proto) if high_text else 65535
    if low > high:
        raise problem("invalid portrange (min > max)")
    return low, high


def _resolve_port(text: str) -> int | None:
    """xtables_getportbyname (getaddrinfo): decimal wrapped to 16 bits, or a service name."""
    digits = text.lstrip(" \t").removeprefix("+")
    if is_decimal(digits):
        value = min(int(digits), 2**64 - 1) & 0xFFFFFFFF  # strtoul, then glibc keeps an int
        return None if value >= 2**31 else value & 0xFFFF
    return SERVICES.get(text)


def parse_mport(text: str, module: str, option: str) -> tuple[int, int]:
    """xtopt_parse_mport (udp's --sport/--dport): `a`, `a:b`, `:b`, `a:`.

    Numbers wrap modulo 65536 (`65536` is port 0), as getaddrinfo's service parsing does.
    """
    parts = text.split(":")
    if len(parts) > 2:
        raise problem(f'{module}: Too many components for option "{option}" (max: 2)')
    ports: list[int] = []
    for index, part in enumerate(parts):
        value = (65535 if index else 0) if part == "" else _resolve_port(part)
        if value is None:
            raise problem(f'Port "{part}" does not resolve to anything.')
        ports.append(value)
    # A reversed range (80:22) is kept as typed and matches no port: iptables 1.8.9 has no min > max
    # check for udp (upstream's libxt_udp.t and later releases refuse it; we follow 1.8.9).
    return (ports[0], ports[0]) if len(ports) == 1 else (ports[0], ports[1])


def format_port_range(low: int, high: int) -> str:
    """`a` or `a:b`, as iptables-save prints a port range."""
    return str(low) if low == high else f"{low}:{high}"


def parse_protocol(text: str) -> int:
    """xtables_parse_protocol: a number 0-255 or a protocol name (case-insensitive)."""
    value = parse_uint(text, 0, 255)
    if value is not None:
        return value
    name = text.lower()
    if name in PROTOCOLS:
        return PROTOCOLS[name]
    raise problem(f'unknown protocol "{text}" specified')


def proto_save_name(proto: int) -> str:
    """How iptables-save names a protocol: its name when it has one, else the number."""
    own = dict(current().proto_names)
    return own.get(proto) or PROTO_NAMES.get(proto, str(proto))


def parse_mark(text: str, what: str = "mark") -> tuple[int, int]:
    """`value[/mask]` (32-bit each); the mask defaults to 0xffffffff."""
    value_text, slash, mask_text = text.partition("/")
    value = parse_uint(value_text, 0, 0xFFFFFFFF)
    mask = parse_uint(mask_text, 0, 0xFFFFFFFF) if slash else 0xFFFFFFFF
    if value is None or mask is None:
        raise problem(f'Bad {what} value "{text}"')
    return value, mask


def parse_address(text: str) -> int:
    """A dotted-quad address (ip6tables: an IPv6 one); host names are refused, not resolved."""
    if current().version == 6:
        try:
            return parse_ip6(text)
        except ValueError:
            raise problem(f"host/network `{text}' not found") from None
    try:
        return parse_ipv4(text)
    except AddressError:
        pass
    # iptables accepts shortened forms such as "10.1" (inet_aton); support the common ones.
    parts = text.split(".")
    if 1 <= len(parts) < 4 and all(is_decimal(p) and len(p) <= 3 and int(p) <= 255 for p in parts):
        return parse_ipv4(".".join(parts[:-1] + ["0"] * (4 - len(parts)) + parts[-1:]))
    raise problem(f"host/network `{text}' not found")


def parse_netmask(text: str) -> int:
    """A prefix length (`24`) or a dotted netmask (`255.255.255.0`) as a mask int."""
    if current().version == 6:
        return _parse_netmask6(text)
    if is_decimal(text):
        length = parse_uint(text, 0, 32)
        if length is None:
            raise problem(f"invalid mask `{text}' specified")
        return prefix_mask(length)
    try:
        return parse_ipv4(text)
    except AddressError:
        raise problem(f"invalid mask `{text}' specified") from None


def _parse_netmask6(text: str) -> int:
    """ip6tables' mask: a prefix length 0-128 or a mask written as an IPv6 address."""
    if is_decimal(text):
        length = parse_uint(text, 0, 128)
        if length is None:
            raise problem(f"invalid mask `{text}' specified")
        return prefix_mask6(length)
    try:
        return parse_ip6(text)
    except ValueError:
        raise problem(f"invalid mask `{text}' specified") from None


def format_address(addr: int) -> str:
    """An address of the current family, as the tool prints it."""
    return format_ip6(addr) if current().version == 6 else format_ipv4(addr)


def parse_address_mask(text: str) -> tuple[int, int]:
    """`addr[/mask]` into (address & mask, mask), host bits cleared as iptables stores them."""
    addr_text, slash, mask_text = text.partition("/")
    mask = parse_netmask(mask_text) if slash else current().full_mask
    if not addr_text:
        raise problem(f"host/network `{text}' not found")
    return parse_address(addr_text) & mask, mask


def mask_length(mask: int) -> int | None:
    """The prefix length of a contiguous mask, or None when it is not contiguous."""
    if current().version == 6:
        return mask_length6(mask)
    inverted = ~mask & 0xFFFFFFFF
    if inverted & (inverted + 1):
        return None
    return 32 - inverted.bit_length()


def format_address_mask(addr: int, mask: int, *, save: bool = True) -> str:
    """`a.b.c.d/len` (save always shows the length; `-L` drops `/32`); odd masks print dotted."""
    length = mask_length(mask)
    suffix = f"/{length}" if length is not None else f"/{format_address(mask)}"
    if not save and mask == current().full_mask:
        suffix = ""
    return format_address(addr) + suffix


def save_string(value: str) -> str:
    """xtables_save_string: the value, double-quoted with escapes unless it is a plain word."""
    plain = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if value and all(ch in plain for ch in value):
        return value
    return '"' + "".join("\\" + ch if ch in "\"\\'" else ch for ch in value) + '"'


class Refused(Exception):
    """The kernel's checkentry refused the rule (iptables reports `RULE_APPEND failed (...)`).

    `errno` is the name the nft backend prints, e.g. `Invalid argument`.
    """

    def __init__(self, errno: str = "Invalid argument") -> None:
        super().__init__(errno)
        self.errno = errno
