"""The packet record the engine works on, and its tcpdump-like text notation.

A `Packet` is immutable: every change along the path (TTL decrement, NAT rewrite, mark) makes a
new record, so each trace step keeps the packet exactly as that stage saw it. Real bytes are built
only for display (see `netstack_tui.kernel.wire`), never for the simulation itself.

Notation (the same one `send` reads and replies print)::

    tcp 203.0.113.7:51000 > 10.0.0.1:443 [S] iface=eth0
    udp 10.0.0.2:5353 > 10.0.0.1:53 len=40
    icmp 10.0.0.2 > 10.0.0.1 echo-request ttl=1
    icmp 10.0.0.1 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 10.0.0.1:53}

`len=` is the payload length, as tcpdump's `length` field reports it; `csum=bad` marks a packet whose
TCP/UDP/ICMP checksum is wrong.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from .addr import AddressError, format_ipv4, parse_ipv4, parse_mac
from .numbers import NumberError, parse_int

IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17

PROTO_NAMES = {IPPROTO_ICMP: "icmp", IPPROTO_TCP: "tcp", IPPROTO_UDP: "udp"}
PROTO_NUMBERS = {name: num for num, name in PROTO_NAMES.items()}

IP_HEADER_LEN = 20
L4_HEADER_LEN = {IPPROTO_TCP: 20, IPPROTO_UDP: 8, IPPROTO_ICMP: 8}
# icmp_send() fits the error in 576 bytes: 20 IP + 8 ICMP + at most 548 of the original.
ICMP_ERROR_MAX_QUOTE = 576 - IP_HEADER_LEN - 8

# TCP option space Linux puts in its segments (measured with tcpdump -v between namespaces, 6.18).
# The model carries only the length (`Packet.opt_len`); these are the lengths it uses.
TCPOLEN_MSS_ONLY = 4
"""A SYN-ACK to a SYN without options: MSS alone."""
TCPOLEN_SYN_TS = 20
"""Linux's SYN, and its SYN-ACK to such a SYN: mss, sackOK, TS, nop, wscale."""
TCPOLEN_SYN_NO_TS = 12
"""A SYN or SYN-ACK without timestamps (net.ipv4.tcp_timestamps=0 at either end): mss, nop, nop,
sackOK, nop, wscale."""
TCPOLEN_TSTAMP_ALIGNED = 12
"""Every later segment of a connection both of whose SYNs carried timestamps: nop, nop, TS."""

# TCP flag bits, as in the TCP header.
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
TCP_FLAG_NAMES = {"FIN": FIN, "SYN": SYN, "RST": RST, "PSH": PSH, "ACK": ACK, "URG": URG, "ECE": ECE, "CWR": CWR}
# tcpdump's one-letter flags; "." is ACK.
_TCPDUMP_FLAGS = {"S": SYN, "F": FIN, "R": RST, "P": PSH, ".": ACK, "U": URG, "E": ECE, "W": CWR}
_TCPDUMP_ORDER = "SFRPUEW"

# ICMP types and codes by their iptables names (iptables -p icmp -h prints the same list).
ICMP_TYPES: dict[str, tuple[int, int | None]] = {
    "echo-reply": (0, None),
    "destination-unreachable": (3, None),
    "network-unreachable": (3, 0),
    "host-unreachable": (3, 1),
    "protocol-unreachable": (3, 2),
    "port-unreachable": (3, 3),
    "fragmentation-needed": (3, 4),
    "source-route-failed": (3, 5),
    "network-unknown": (3, 6),
    "host-unknown": (3, 7),
    "network-prohibited": (3, 9),
    "host-prohibited": (3, 10),
    "TOS-network-unreachable": (3, 11),
    "TOS-host-unreachable": (3, 12),
    "communication-prohibited": (3, 13),
    "host-precedence-violation": (3, 14),
    "precedence-cutoff": (3, 15),
    "source-quench": (4, None),
    "redirect": (5, None),
    "network-redirect": (5, 0),
    "host-redirect": (5, 1),
    "TOS-network-redirect": (5, 2),
    "TOS-host-redirect": (5, 3),
    "echo-request": (8, None),
    "router-advertisement": (9, None),
    "router-solicitation": (10, None),
    "time-exceeded": (11, None),
    "ttl-zero-during-transit": (11, 0),
    "ttl-zero-during-reassembly": (11, 1),
    "parameter-problem": (12, None),
    "ip-header-bad": (12, 0),
    "required-option-missing": (12, 1),
    "timestamp-request": (13, None),
    "timestamp-reply": (14, None),
    "address-mask-request": (17, None),
    "address-mask-reply": (18, None),
}
ICMP_ECHO_REPLY, ICMP_DEST_UNREACH, ICMP_ECHO_REQUEST, ICMP_TIME_EXCEEDED = 0, 3, 8, 11
# ICMP types that carry the offending packet's header (and so can be RELATED to a connection).
ICMP_ERROR_TYPES = frozenset({3, 4, 5, 11, 12})


def icmp_name(icmp_type: int, code: int) -> str:
    """The most specific iptables name of an ICMP type/code, or `type-N/code-M`."""
    for name, (t, c) in ICMP_TYPES.items():
        if t == icmp_type and c == code:
            return name
    for name, (t, c) in ICMP_TYPES.items():
        if t == icmp_type and c is None and code == 0:
            return name
    return f"type-{icmp_type}/code-{code}"


class PacketSpecError(ValueError):
    """A packet notation that does not parse; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Packet:
    """An IPv4 packet as the stack sees it: parsed headers plus sk_buff metadata.

    Header fields are what is on the wire; `iif`, `oif`, `mark`, `src_mac` and `dst_mac` are the
    metadata the kernel keeps beside the bytes (in `struct sk_buff`).
    """

    proto: int
    """IP protocol number (6 tcp, 17 udp, 1 icmp)."""
    src: int
    """Source IPv4 address as an int."""
    dst: int
    """Destination IPv4 address as an int."""
    sport: int = 0
    """TCP/UDP source port (0 for ICMP)."""
    dport: int = 0
    """TCP/UDP destination port (0 for ICMP)."""
    flags: int = 0
    """TCP flag bits (see SYN, ACK, ...)."""
    seq: int = 0
    """TCP sequence number."""
    ack_seq: int = 0
    """TCP acknowledgement number."""
    icmp_type: int = 0
    """ICMP type."""
    icmp_code: int = 0
    """ICMP code."""
    icmp_id: int = 0
    """ICMP echo identifier (conntrack keys echo flows by it)."""
    ttl: int = 64
    """IP time to live."""
    tos: int = 0
    """IP type of service byte."""
    ip_id: int = 0
    """IP identification field."""
    payload_len: int = 0
    """Bytes after the transport header."""
    opt_len: int = 0
    """Bytes of TCP options: 0 (the notation's packets), 4 (a SYN-ACK's MSS to an option-less SYN),
    20 (Linux's SYN or SYN-ACK with timestamps), 12 (one without timestamps, or the timestamps option
    of any later segment of a connection that negotiated them)."""
    inner: Packet | None = None
    """For ICMP errors: the header of the packet the error is about."""
    iif: str | None = None
    """Interface the packet arrived on (None for locally generated packets)."""
    oif: str | None = None
    """Interface chosen for output, once routing has decided."""
    mark: int = 0
    """skb->mark (nfmark), set by MARK and matched by -m mark."""
    src_mac: str = "02:00:00:00:00:02"
    """Ethernet source address of a received frame."""
    dst_mac: str | None = None
    """Ethernet destination; None means 'the receiving interface's own MAC'."""
    broken_checksum: bool = False
    """Whether the IP header checksum is wrong (ip_rcv drops such packets)."""
    bad_csum: bool = False
    """Whether the TCP/UDP/ICMP checksum is wrong (notation `csum=bad`): the transport's receive
    function drops it, whether the NIC or the CPU verified it (see `kernel.offload`)."""
    gso_size: int = 0
    """skb_shinfo(skb)->gso_size: nonzero on a large send the stack left whole, to be cut into
    segments of this many payload bytes by GSO (software) or TSO (the NIC), or on GRO's merged skb."""
    segs: int = 1
    """How many wire segments this record stands for: more than 1 for a train of back-to-back
    segments of one send (after GSO/TSO) and for the skb GRO merged them into."""

    @property
    def proto_name(self) -> str:
        """`tcp`, `udp`, `icmp`, or the protocol number."""
        return PROTO_NAMES.get(self.proto, str(self.proto))

    @property
    def l4_header_len(self) -> int:
        """Length of the transport header in bytes, TCP options included."""
        return L4_HEADER_LEN.get(self.proto, 0) + self.opt_len

    @property
    def length(self) -> int:
        """IP total length: what iptables' byte counters add up.

        An ICMP error quotes as much of the offending packet as fits in 576 bytes (icmp_send()).
        """
        quoted = min(self.inner.length, ICMP_ERROR_MAX_QUOTE) if self.inner is not None else 0
        return IP_HEADER_LEN + self.l4_header_len + self.payload_len + quoted

    @property
    def offers_timestamps(self) -> bool:
        """Whether this is a SYN (or SYN-ACK) carrying the timestamps option: Linux's full option set
        of `TCPOLEN_SYN_TS` bytes (a SYN of fewer option bytes is not one the model builds with TS)."""
        return self.proto == IPPROTO_TCP and bool(self.flags & SYN) and self.opt_len >= TCPOLEN_SYN_TS

    @property
    def is_icmp_error(self) -> bool:
        """Whether this is an ICMP error carrying another packet's header."""
        return self.proto == IPPROTO_ICMP and self.icmp_type in ICMP_ERROR_TYPES

    def replace(self, **changes: object) -> Packet:
        """A copy with some fields changed (what `dataclasses.replace` does, without its checks:
        the hot path of every flood calls this a few times per packet)."""
        return _replace(self, changes)

    def __str__(self) -> str:
        return format_packet(self)


def _make_replace() -> Callable[[Packet, dict[str, object]], Packet]:
    """Build `_replace(pkt, changes)`: a copy of a frozen `Packet` with `changes` applied, field
    by field, unknown names refused as `dataclasses.replace` refuses them."""
    names = tuple(f.name for f in dataclasses.fields(Packet))
    body = "".join(f" set_(new, {n!r}, changes[{n!r}] if {n!r} in changes else pkt.{n})\n" for n in names)
    source = (
        "def _replace(pkt, changes):\n"
        " if not changes.keys() <= known:\n"
        "  return dataclasses.replace(pkt, **changes)\n"
        " new = new_(Packet)\n" + body + " return new\n"
    )
    namespace: dict[str, object] = {"set_": object.__setattr__, "new_": object.__new__, "Packet": Packet,
                                    "known": frozenset(names), "dataclasses": dataclasses}
    exec(source, namespace)  # noqa: S102 - generated from the dataclass's own field list
    return cast("Callable[[Packet, dict[str, object]], Packet]", namespace["_replace"])


_replace = _make_replace()


def tcp_flags_text(flags: int) -> str:
    """tcpdump's flag text: `S`, `S.`, `.`, `P.`, `F.`, `R`, `R.`, or `none`."""
    text = "".join(letter for letter in _TCPDUMP_ORDER if flags & _TCPDUMP_FLAGS[letter])
    if flags & ACK:
        text += "."
    return text or "none"


def format_packet(pkt: Packet, *, with_meta: bool = False) -> str:
    """The packet in tcpdump-like notation (the inverse of `parse_packet`)."""
    src, dst = format_ipv4(pkt.src), format_ipv4(pkt.dst)
    if pkt.proto in (IPPROTO_TCP, IPPROTO_UDP):
        text = f"{pkt.proto_name} {src}:{pkt.sport} > {dst}:{pkt.dport}"
        if pkt.proto == IPPROTO_TCP:
            text += f" [{tcp_flags_text(pkt.flags)}]"
    elif pkt.proto == IPPROTO_ICMP:
        text = f"icmp {src} > {dst} {icmp_name(pkt.icmp_type, pkt.icmp_code)}"
        if pkt.inner is not None:
            text += " {" + format_packet(pkt.inner) + "}"
    else:
        text = f"proto-{pkt.proto} {src} > {dst}"
    if pkt.payload_len:
        text += f" len={pkt.payload_len}"
    if pkt.ttl != 64:
        text += f" ttl={pkt.ttl}"
    if pkt.bad_csum:
        text += " csum=bad"
    if with_meta:
        if pkt.iif:
            text += f" iface={pkt.iif}"
        if pkt.mark:
            text += f" mark={pkt.mark:#x}"
    return text


_ENDPOINT = re.compile(r"^([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+):([0-9]+)$")
_OPTION_KEYS = ("iface", "ttl", "len", "mark", "tos", "seq", "ack", "id", "mac", "dmac", "code", "csum")


IPV6_NOT_TRACED = ("IPv6 packets cannot be traced: the simulated stack carries IPv4 only (ip6tables rules "
                   "load, list and save, but no packet goes through them)")


def _endpoint(text: str, proto: str) -> tuple[int, int]:
    match = _ENDPOINT.match(text)
    if not match:
        if text.count(":") > 1:
            raise PacketSpecError(IPV6_NOT_TRACED)
        raise PacketSpecError(f"{proto} endpoint {text!r} must be ADDRESS:PORT")
    try:
        port = parse_int(match.group(2), 0, 65535)
    except NumberError:
        raise PacketSpecError(f"port {match.group(2)} is out of range 0-65535") from None
    return _address(match.group(1)), port


def _address(text: str) -> int:
    if text.count(":") > 1:
        raise PacketSpecError(IPV6_NOT_TRACED)
    try:
        return parse_ipv4(text)
    except AddressError as exc:
        raise PacketSpecError(str(exc)) from None


def _tcp_flags(text: str) -> int:
    if not (text.startswith("[") and text.endswith("]")):
        raise PacketSpecError(f"TCP flags {text!r} must look like [S], [S.], [P.], [F.] or [R]")
    flags = 0
    if text == "[none]":
        return 0
    for letter in text[1:-1]:
        if letter not in _TCPDUMP_FLAGS:
            raise PacketSpecError(f"unknown TCP flag {letter!r} in {text} (use S F R P U E W .)")
        flags |= _TCPDUMP_FLAGS[letter]
    return flags


def parse_packet(spec: str) -> tuple[Packet, str | None]:
    """Parse the notation into a packet and the interface it arrives on (`iface=`, or None).

    Raises PacketSpecError with a one-line reason for anything malformed.
    """
    inner: Packet | None = None
    if "{" in spec:
        head, _, rest = spec.partition("{")
        inner_text, _, tail = rest.partition("}")
        if "{" in inner_text or "{" in tail:  # an ICMP error quotes one packet, which quotes none
            raise PacketSpecError("syntax error: only one inner packet {...} is allowed, and it holds no other")
        inner, _ = parse_packet(inner_text.strip())
        spec = head + " " + tail
    words = spec.split()
    if not words:
        raise PacketSpecError("empty packet; expected e.g. 'tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]'")
    proto = words[0].lower()
    if proto not in PROTO_NUMBERS:
        raise PacketSpecError(f"unknown protocol {words[0]!r}; expected tcp, udp or icmp")
    if len(words) < 4 or words[2] != ">":
        raise PacketSpecError(f"expected '{proto} SRC > DST ...', got {spec.strip()!r}")
    fields: dict[str, object] = {"proto": PROTO_NUMBERS[proto]}
    rest_words = words[4:]
    if proto == "icmp":
        fields["src"], fields["dst"] = _address(words[1]), _address(words[3])
        if not rest_words or "=" in rest_words[0]:
            raise PacketSpecError("icmp needs a type, e.g. echo-request or port-unreachable")
        name = rest_words.pop(0)
        if name not in ICMP_TYPES:
            raise PacketSpecError(f"unknown ICMP type {name!r}")
        icmp_type, code = ICMP_TYPES[name]
        fields["icmp_type"], fields["icmp_code"] = icmp_type, code or 0
    else:
        fields["src"], fields["sport"] = _endpoint(words[1], proto)
        fields["dst"], fields["dport"] = _endpoint(words[3], proto)
        if proto == "tcp":
            if not rest_words or not rest_words[0].startswith("["):
                raise PacketSpecError("tcp needs flags after the addresses, e.g. [S] or [.]")
            fields["flags"] = _tcp_flags(rest_words.pop(0))
    iface: str | None = None
    for word in rest_words:
        key, eq, value = word.partition("=")
        if not eq or key not in _OPTION_KEYS:
            raise PacketSpecError(f"unknown packet option {word!r}; known: {', '.join(k + '=' for k in _OPTION_KEYS)}")
        if key == "iface":
            iface = value
            continue
        if key == "csum":
            if value not in ("bad", "ok"):
                raise PacketSpecError(f"csum= takes bad or ok, got {value!r}")
            fields["bad_csum"] = value == "bad"
            continue
        if key in ("mac", "dmac"):
            try:
                fields["src_mac" if key == "mac" else "dst_mac"] = parse_mac(value)
            except AddressError as exc:
                raise PacketSpecError(str(exc)) from None
            continue
        try:
            number = parse_int(value, 0, None, base=0)
        except NumberError as exc:
            if exc.reason == "invalid":
                raise PacketSpecError(f"{key}= needs a number, got {value!r}") from None
            number = 2**32  # refused below as out of range
        limits = {"ttl": 255, "len": 65475, "tos": 255, "id": 65535, "code": 255}
        if number < 0 or number > limits.get(key, 0xFFFFFFFF):
            raise PacketSpecError(f"{key}={value} is out of range")
        target = {"len": "payload_len", "ack": "ack_seq", "id": "ip_id" if proto != "icmp" else "icmp_id",
                  "code": "icmp_code"}.get(key, key)
        fields[target] = number
    if inner is not None:
        fields["inner"] = inner
    return Packet(**fields), iface  # type: ignore[arg-type]
