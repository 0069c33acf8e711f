"""tcpdump 4.99's line format for captured frames, and the lines it prints before and after them.

Reproduced from real captures (tcpdump 4.99.3 / libpcap 1.10.3), with what the packet record does
not carry filled in as the frame bytes `kernel.wire` builds fill it in, so a line describes exactly
the frame `tcpdump -w` would save:

- The TCP window is fixed (`tcp_window`); TCP options are MSS 1460 only (`opt_len == 4`; longer
  option space prints `mss 1460,eol`, as tcpdump shows MSS followed by End of Option List).
- Payload bytes are zeros and are never decoded: UDP prints the generic `UDP, length N` and TCP no
  application summary (tcpdump would add `: HTTP`, a DNS decode, ... from the real bytes).
- The ICMP echo sequence number is 0 (the record keeps only the identifier), an ICMP redirect's
  gateway is 0.0.0.0 and a "need to frag" carries no next-hop MTU.
- The IP header never has DF set (`flags [none]`), and checksums are always correct.

Without `-n`, ports are named from the simulator's frozen service table, per protocol as Debian's
/etc/services (netbase 6.4) lists them, and 127.0.0.1 is `localhost` (every Linux /etc/hosts says
so); other addresses stay numeric (there is no DNS).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..kernel.addr import format_ipv4
from ..kernel.capture import ArpFrame, Captured
from ..kernel.netfilter.values import PORT_NAMES, SERVICES
from ..kernel.packet import (
    ACK,
    FIN,
    ICMP_ERROR_MAX_QUOTE,
    ICMP_ERROR_TYPES,
    IP_HEADER_LEN,
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    RST,
    SYN,
    URG,
    Packet,
)
from ..kernel.wire import ARP_LEN, ip_datagram, tcp_option_layout
from ..kernel.wire import tcp_window as _wire_tcp_window

ETHER_HEADER_LEN = 14
SLL2_HEADER_LEN = 20
"""A Linux cooked v2 header replaces the Ethernet header in `-i any` captures."""
SNAPLEN = 262144
LOCALHOST = 0x7F000001
NO_MAC = "00:00:00:00:00:00"
BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
"""What tcpdump -e shows for lo's frames, which carry no Ethernet addresses."""
DEFAULT_IFINDEXES: Mapping[str, int] = {"lo": 1, "eth0": 2}
"""Interface indexes `-i any -e` prints when the caller gives none (a fresh host's); an interface
missing from the mapping shows 0."""

# /etc/services (netbase 6.4) lists most of the simulator's service names for one protocol only,
# and tcpdump looks ports up per protocol: UDP port 80 prints as `80`, `port http` is TCP only.
_TCP_ONLY_SERVICES = frozenset({
    "tcpmux", "ftp-data", "ftp", "ssh", "telnet", "smtp", "whois", "gopher", "finger", "http", "www", "pop3",
    "auth", "nntp", "epmap", "netbios-ssn", "imap", "imap2", "bgp", "microsoft-ds", "submission", "rsync", "ftps",
    "imaps", "pop3s", "socks", "ms-sql-s", "mysql", "ms-wbt-server", "postgresql", "x11", "ircd", "http-alt",
    "webcache",
})
_UDP_ONLY_SERVICES = frozenset({
    "bootps", "bootpc", "tftp", "ntp", "netbios-ns", "netbios-dgm", "isakmp", "l2tp", "ipsec-nat-t",
})
_UNLISTED_SERVICES = frozenset({"irc", "pptp"})
"""Names the simulator's table has that /etc/services does not."""
_PRIMARY_NAMES = {(IPPROTO_TCP, 143): "imap2", (IPPROTO_TCP, 514): "shell", (IPPROTO_UDP, 21): "fsp",
                  (IPPROTO_UDP, 1701): "l2f"}
"""Where /etc/services' first name for a port differs from the simulator's table."""
_TCP_FLAG_LETTERS = "FSRP.UEW"
"""tcpdump's flag letters, bit 0 (FIN) upwards; '.' is ACK."""
_IP_PROTO_NAMES = {IPPROTO_ICMP: "ICMP", IPPROTO_TCP: "TCP", IPPROTO_UDP: "UDP"}
_ECN = {0: "", 1: ",ECT(1)", 2: ",ECT(0)", 3: ",CE"}
_UNREACH_TEXT = {
    0: "net {} unreachable",
    1: "host {} unreachable",
    5: "{} unreachable - source route failed",
    6: "net {} unreachable - unknown",
    7: "host {} unreachable - unknown",
    8: "{} unreachable - source host isolated",
    9: "net {} unreachable - admin prohibited",
    10: "host {} unreachable - admin prohibited",
    11: "net {} unreachable - tos prohibited",
    12: "host {} unreachable - tos prohibited",
    13: "host {} unreachable - admin prohibited filter",
    14: "host {} unreachable - host precedence violation",
    15: "host {} unreachable - precedence cutoff",
}
_REDIRECT_TEXT = {0: "redirect {} to net {}", 1: "redirect {} to host {}",
                  2: "redirect-tos {} to net {}", 3: "redirect-tos {} to host {}"}
_SIMPLE_ICMP_TEXT = {4: "source quench", 10: "router solicitation", 15: "information request",
                     16: "information reply", 17: "address mask request",
                     # What tcpdump makes of the 4 zero bytes after the header (no addresses listed).
                     9: "router advertisement lifetime 0 0: [size 0]"}
_TIME_EXCEEDED_TEXT = {0: "time exceeded in-transit", 1: "ip reassembly time exceeded"}
_TRUNCATED_ICMP = " [|icmp]"
_GATEWAY = "0.0.0.0"
"""The redirect gateway the frame carries: the record has no field for it, so the bytes are zero."""


def tcp_window(pkt: Packet) -> int:
    """The window a frame advertises. The simulator does not model windows, so they are fixed at
    what a fresh Linux connection on Ethernet shows: 0 in a reset, 65160 in a SYN-ACK, else 64240
    (the same values `kernel.wire` writes into the frame bytes)."""
    return _wire_tcp_window(pkt)


def service_port(name: str) -> tuple[int, int | None] | None:
    """A service name's port and the one protocol /etc/services lists it for (None: TCP and UDP),
    or None for a name it does not know."""
    if name not in SERVICES or name in _UNLISTED_SERVICES:
        return None
    if name in _TCP_ONLY_SERVICES:
        return SERVICES[name], IPPROTO_TCP
    return SERVICES[name], IPPROTO_UDP if name in _UDP_ONLY_SERVICES else None


def service_name(port: int, proto: int) -> str | None:
    """The name tcpdump prints for a TCP or UDP port, or None when /etc/services has none."""
    if (proto, port) in _PRIMARY_NAMES:
        return _PRIMARY_NAMES[proto, port]
    name = PORT_NAMES.get(port)
    if name is None:
        return None
    listed = service_port(name)
    return name if listed is not None and listed[1] in (None, proto) else None


def clock(seconds: float) -> str:
    """`HH:MM:SS.uuuuuu` of the simulated clock, counted from midnight (the host boots at 00:00)."""
    micros = round(seconds * 1_000_000)
    whole, micros = divmod(micros, 1_000_000)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours % 24:02d}:{minutes:02d}:{secs:02d}.{micros:06d}"


def tcp_flags(flags: int) -> str:
    """The text between `Flags [` and `]`: letters in tcpdump's order (`S.`, `FP.`, ...) or `none`."""
    text = "".join(letter for bit, letter in enumerate(_TCP_FLAG_LETTERS) if flags & (1 << bit))
    return text or "none"


def header(iface: str, any_iface: bool, *, verbose: bool = False) -> list[str]:
    """The lines tcpdump writes to stderr when it starts listening.

    With -v the "verbose output suppressed" hint is left out and the listening line takes its
    `tcpdump: ` prefix instead. On `any`, tcpdump first says it picked the cooked v2 link type.
    """
    link = "LINUX_SLL2 (Linux cooked v2)" if any_iface else "EN10MB (Ethernet)"
    listening = f"listening on {iface}, link-type {link}, snapshot length {SNAPLEN} bytes"
    lines = ["tcpdump: data link type LINUX_SLL2"] if any_iface else []
    if verbose:
        return [*lines, f"tcpdump: {listening}"]
    return [*lines, "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode", listening]


def footer(captured: int, received: int) -> list[str]:
    """The statistics tcpdump writes to stderr when it stops (nothing is ever dropped here)."""
    return [f"{_count(captured, 'packet')} captured", f"{_count(received, 'packet')} received by filter",
            f"{_count(0, 'packet')} dropped by kernel"]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class LinePrinter:
    """Formats captured frames one line each, keeping tcpdump's relative TCP sequence numbers.

    tcpdump prints sequence and acknowledgement numbers relative to the first ones it saw in a
    conversation, so a printer must see the frames in order; use one printer per listing.
    """

    def __init__(self, *, numeric: bool, any_iface: bool, timestamps: bool = True, verbose: bool = False,
                 link: bool = False, ifindexes: Mapping[str, int] | None = None) -> None:
        self.numeric = numeric
        self.any_iface = any_iface
        self.timestamps = timestamps
        self.verbose = verbose
        self.link = link
        self.ifindexes = DEFAULT_IFINDEXES if ifindexes is None else ifindexes
        self._tcp_bases: dict[tuple[int, int, int, int], tuple[int, int]] = {}
        """Per direction-normalised 4-tuple: the (seq, ack) bases, as print-tcp.c's tcp_seq_hash."""

    def line(self, c: Captured) -> str:
        """The line tcpdump prints for a frame (-v lines span several text lines)."""
        prefix = clock(c.time) + " " if self.timestamps else ""
        if self.any_iface:
            prefix += f"{c.iface:<5} {c.direction:<3} "
        if c.arp is not None:
            return prefix + (self._link_header(c) if self.link else "ARP, ") + self._arp(c.arp)
        if self.link:
            # With -e the ethertype is on the link header, so the network layer is not named again.
            return prefix + self._link_header(c) + self._ip(c.packet, frame=c)
        return prefix + "IP " + self._ip(c.packet, frame=c)

    def _link_header(self, c: Captured) -> str:
        ethertype, length = ("ARP (0x0806)", ARP_LEN) if c.arp is not None else ("IPv4 (0x0800)", c.packet.length)
        if self.any_iface:
            ifindex = self.ifindexes.get(c.iface, 0)
            return (f"ifindex {ifindex} {self._mac(c.src_mac or NO_MAC)} ethertype {ethertype}, "
                    f"length {SLL2_HEADER_LEN + length}: ")
        return (f"{self._mac(c.src_mac or NO_MAC)} > {self._mac(c.dst_mac or NO_MAC)}, ethertype {ethertype}, "
                f"length {ETHER_HEADER_LEN + length}: ")

    def _mac(self, mac: str) -> str:
        """A MAC as etheraddr_string() prints it: without -n, the broadcast address by name and any
        other with its vendor (the simulator's are locally administered: "oui Unknown"; all zeros
        is OUI 00:00:00, "Ethernet")."""
        if self.numeric:
            return mac
        if mac == BROADCAST_MAC:
            return "Broadcast"
        return f"{mac} (oui {'Ethernet' if mac.startswith('00:00:00') else 'Unknown'})"

    def _arp(self, arp: ArpFrame) -> str:
        """print-arp.c for Ethernet/IPv4: `Request who-has T tell S` or `Reply S is-at MAC`."""
        lead = "Ethernet (len 6), IPv4 (len 4), " if self.verbose else ""
        if arp.op == "request":
            asked = "" if arp.target_mac == NO_MAC else f" ({self._mac(arp.target_mac)})"
            text = f"Request who-has {self._host(arp.target_ip)}{asked} tell {self._host(arp.sender_ip)}"
        else:
            text = f"Reply {self._host(arp.sender_ip)} is-at {self._mac(arp.sender_mac)}"
        return f"{lead}{text}, length {ARP_LEN}"

    def _ip(self, pkt: Packet, *, frame: Captured | None = None, quoted: bool = False) -> str:
        """The network layer and everything above it (after `IP `): of a captured `frame`'s packet,
        or (`quoted`) of the datagram an ICMP error carries."""
        body = self._transport(pkt, frame, quoted)
        if not self.verbose:
            return body
        proto = _IP_PROTO_NAMES.get(pkt.proto, "unknown")
        fields = (f"tos {pkt.tos:#x}{_ECN[pkt.tos & 3]}, ttl {pkt.ttl}, id {pkt.ip_id}, offset 0, flags [none], "
                  f"proto {proto} ({pkt.proto}), length {pkt.length}")
        return f"({fields})\n    {body}"

    def _transport(self, pkt: Packet, frame: Captured | None, quoted: bool) -> str:
        if pkt.proto in (IPPROTO_TCP, IPPROTO_UDP):
            ends = f"{self._endpoint(pkt.src, pkt.sport, pkt.proto)} > {self._endpoint(pkt.dst, pkt.dport, pkt.proto)}"
            if pkt.proto == IPPROTO_TCP:
                return f"{ends}: {self._tcp(pkt, frame, quoted)}"
            return f"{ends}: UDP, length {pkt.payload_len}"
        addresses = f"{self._host(pkt.src)} > {self._host(pkt.dst)}:"
        if pkt.proto == IPPROTO_ICMP:
            return f"{addresses} {self._icmp(pkt)}"
        return f"{addresses}  ip-proto-{pkt.proto} {pkt.length - IP_HEADER_LEN}"

    def _host(self, addr: int) -> str:
        return "localhost" if addr == LOCALHOST and not self.numeric else format_ipv4(addr)

    def _port(self, port: int, proto: int) -> str:
        return str(port) if self.numeric else service_name(port, proto) or str(port)

    def _endpoint(self, addr: int, port: int, proto: int) -> str:
        return f"{self._host(addr)}.{self._port(port, proto)}"

    def _tcp(self, pkt: Packet, frame: Captured | None, quoted: bool) -> str:
        # A frame read from a real capture keeps its window and options, which the record does not
        # model; its checksum covered bytes that are gone, so none is shown for it.
        window, options = _real_window_and_options(frame)
        parts = [f"Flags [{tcp_flags(pkt.flags)}]"]
        # tcpdump verifies (and prints) a checksum only over a whole segment; an ICMP error may
        # quote just the first 548 bytes of a datagram.
        if self.verbose and window is None and (not quoted or pkt.length <= ICMP_ERROR_MAX_QUOTE):
            parts.append(f"cksum {_tcp_checksum(pkt):#06x} (correct)")
        parts += self._sequence_numbers(pkt)
        parts.append(f"win {tcp_window(pkt) if window is None else window}")
        if pkt.flags & URG:
            parts.append("urg 0")
        options = _modelled_options(pkt) if options is None else options
        if options:
            parts.append(f"options [{options}]")
        parts.append(f"length {pkt.payload_len}")
        return ", ".join(parts)

    def _sequence_numbers(self, pkt: Packet) -> list[str]:
        """`seq A[:B]` when the segment carries data or SYN/FIN/RST, `ack N` when ACK is set."""
        seq, ack = self._relative_seq(pkt)
        parts = []
        if pkt.payload_len or pkt.flags & (SYN | FIN | RST):
            end = f":{(seq + pkt.payload_len) & 0xFFFFFFFF}" if pkt.payload_len else ""
            parts.append(f"seq {seq}{end}")
        if pkt.flags & ACK:
            parts.append(f"ack {ack}")
        return parts

    def _relative_seq(self, pkt: Packet) -> tuple[int, int]:
        """(seq, ack) as tcpdump prints them: only segments with ACK take part; the first of a
        conversation, or one with SYN, records the bases and prints absolute numbers."""
        if not pkt.flags & ACK:
            return pkt.seq, pkt.ack_seq
        reverse = (pkt.src, pkt.sport) > (pkt.dst, pkt.dport)
        key = (pkt.dst, pkt.dport, pkt.src, pkt.sport) if reverse else (pkt.src, pkt.sport, pkt.dst, pkt.dport)
        bases = self._tcp_bases.get(key)
        if bases is None or pkt.flags & SYN:
            ack_base = (pkt.ack_seq - 1) & 0xFFFFFFFF
            self._tcp_bases[key] = (ack_base, pkt.seq) if reverse else (pkt.seq, ack_base)
            return pkt.seq, pkt.ack_seq
        seq_base, ack_base = (bases[1], bases[0]) if reverse else bases
        return (pkt.seq - seq_base) & 0xFFFFFFFF, (pkt.ack_seq - ack_base) & 0xFFFFFFFF

    def _icmp(self, pkt: Packet) -> str:
        text = self._icmp_text(pkt)
        if text is None:
            return _TRUNCATED_ICMP
        line = f"ICMP {text}, length {pkt.length - IP_HEADER_LEN}"
        if self.verbose and pkt.inner is not None and pkt.icmp_type in ICMP_ERROR_TYPES:
            # The quoted datagram is introduced like a frame's: `IP ` unless -e named the ethertype.
            line += "\n\t" + ("" if self.link else "IP ") + self._ip(pkt.inner, quoted=True)
        return line

    def _icmp_text(self, pkt: Packet) -> str | None:
        """What follows `ICMP ` (print-icmp.c's wording), or None where tcpdump finds the message
        too short for its type."""
        kind, code = pkt.icmp_type, pkt.icmp_code
        about = self._host(pkt.inner.dst) if pkt.inner is not None else "0.0.0.0"
        if kind in (0, 8):
            return f"echo {'reply' if kind == 0 else 'request'}, id {pkt.icmp_id}, seq 0"
        if kind == 3:
            return self._unreachable(pkt, about)
        if kind == 5:
            return _REDIRECT_TEXT.get(code, f"redirect-#{code} {{}} to {{}}").format(about, _GATEWAY)
        if kind == 11:
            return _TIME_EXCEEDED_TEXT.get(code, f"time exceeded-#{code}")
        if kind == 12:
            return f"parameter problem - code {code}" if code else "parameter problem - octet 0"
        if kind == 13:
            return f"time stamp query id {pkt.icmp_id} seq 0"
        if kind == 14:
            # The three timestamps follow the header: zeros, when the message has room for them.
            if pkt.payload_len < 12:
                return None
            return (f"time stamp reply id {pkt.icmp_id} seq 0: org 00:00:00.000, recv 00:00:00.000, "
                    "xmit 00:00:00.000")
        if kind == 18:
            return "address mask is 0x00000000" if pkt.payload_len >= 4 else None
        return _SIMPLE_ICMP_TEXT.get(kind, f"type-#{kind}")

    def _unreachable(self, pkt: Packet, about: str) -> str:
        code, inner = pkt.icmp_code, pkt.inner
        if code == 2 and inner is not None:
            return f"{about} protocol {inner.proto} unreachable"
        if code == 3 and inner is not None:
            if inner.proto in (IPPROTO_TCP, IPPROTO_UDP):
                return f"{about} {inner.proto_name} port {self._port(inner.dport, inner.proto)} unreachable"
            # Other protocols: tcpdump reads a "port" where UDP's would be, bytes 2-3 of the header.
            quoted = ip_datagram(inner)
            port = int.from_bytes(quoted[IP_HEADER_LEN + 2: IP_HEADER_LEN + 4], "big")
            return f"{about} protocol {inner.proto} port {port} unreachable"
        if code == 4:
            return f"{about} unreachable - need to frag"
        return _UNREACH_TEXT.get(code, "{} unreachable - #" + str(code)).format(about)


def _real_window_and_options(frame: Captured | None) -> tuple[int | None, str | None]:
    """The TCP window and options text a frame from a real capture file carries (None, None for
    frames the simulator captured, and for datagrams quoted in ICMP errors)."""
    if frame is None:
        return None, None
    return frame.window, frame.tcp_options


def _modelled_options(pkt: Packet) -> str:
    """The options the frame bytes carry, as tcpdump prints them (see `kernel.wire.tcp_option_layout`)."""
    words = {"mss": "mss 1460", "TS": "TS val 0 ecr 0", "wscale": "wscale 7"}
    return ",".join(words.get(name, name) for name in tcp_option_layout(pkt))


def _tcp_checksum(pkt: Packet) -> int:
    """The checksum field of the frame's TCP header (bytes 16-17 of the segment)."""
    offset = IP_HEADER_LEN + 16
    return int.from_bytes(ip_datagram(pkt)[offset: offset + 2], "big")
