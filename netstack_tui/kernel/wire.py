"""Real bytes for a packet record: the app's hexdump and the pcap files `tcpdump -w` writes.

An ARP frame is Ethernet II and the 28-byte ARP message. An IP frame is Ethernet II, a 20-byte IPv4
header, then TCP, UDP or ICMP, with every checksum computed; other protocols get the IP header only.
Bytes are built with `struct` from the record's fields alone: nothing consults this machine. What
the record does not model is fixed: the TCP window is what `tcp_window` says, TCP options are laid
out as Linux lays them out for their length (MSS 1460, window scale 7, timestamps with val and ecr 0),
payload bytes are zeros, the ICMP sequence number is 0. An ICMP error quotes the original datagram,
truncated as icmp_send() truncates it, so an IP frame is always 14 + `Packet.length` bytes.
The simulation itself never needs bytes. Frames are cached per packet record.
"""

from __future__ import annotations

import struct
from functools import lru_cache

from .capture import ArpFrame
from .packet import ACK, ICMP_ERROR_MAX_QUOTE, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, RST, SYN, Packet

DEFAULT_MAC = "02:00:00:00:00:01"
"""eth0's MAC on a fresh host; used when a frame's destination is 'this interface' and none is known."""
PEER_MAC = "02:00:00:00:00:02"
"""The next hop's MAC, the destination of every locally sent frame."""

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ARP_LEN = 28
"""An Ethernet/IPv4 ARP message: hardware and protocol types and sizes, opcode, two MAC/IP pairs."""
TCP_WINDOW = 64240
"""What Linux advertises in a SYN on Ethernet: 65535 rounded down to a multiple of the 1460-byte MSS."""
SYNACK_WINDOW = 65160
"""What a Linux listener on Ethernet advertises in its SYN-ACK (measured with tcpdump on 6.18)."""
_TCP_MSS_OPTION = struct.pack("!BBH", 2, 4, 1460)
_TCP_MAX_OPTIONS = 40
_ICMP_ID_SEQ_TYPES = frozenset({0, 8, 13, 14, 15, 16, 17, 18})
"""ICMP types whose header carries an identifier and a sequence number (RFC 792, RFC 950)."""


def internet_checksum(data: bytes) -> int:
    """RFC 1071: the ones' complement of the ones' complement sum of the 16-bit words."""
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _with_checksum(data: bytes, offset: int, covered_prefix: bytes = b"") -> bytes:
    """`data` with its checksum field at `offset` filled in (the field is zero in `data`)."""
    checksum = internet_checksum(covered_prefix + data)
    return data[:offset] + struct.pack("!H", checksum) + data[offset + 2 :]


def _pseudo_header(pkt: Packet, l4_len: int) -> bytes:
    """The IPv4 pseudo-header TCP and UDP checksums cover (RFC 793, RFC 768)."""
    return struct.pack("!IIBBH", pkt.src, pkt.dst, 0, pkt.proto, l4_len)


_NOP, _SACK_PERM, _WSCALE_7 = b"\x01", b"\x04\x02", b"\x03\x03\x07"
_TIMESTAMPS = struct.pack("!BBII", 8, 10, 0, 0)
"""The timestamps option with val and ecr 0: the model has no clock per connection to fill them."""


def tcp_option_layout(pkt: Packet) -> tuple[str, ...]:
    """The options Linux puts in a segment of this option length, in order, as tcpdump names them:
    a SYN's or SYN-ACK's 20 bytes (mss, sackOK, TS, nop, wscale), 12 without timestamps, an MSS
    alone (a SYN-ACK to a SYN without options), and a later segment's nop,nop,TS."""
    syn = bool(pkt.flags & SYN)
    if not pkt.opt_len:
        return ()
    if syn and pkt.opt_len == 20:
        return ("mss", "sackOK", "TS", "nop", "wscale")
    if syn and pkt.opt_len == 12:
        return ("mss", "nop", "nop", "sackOK", "nop", "wscale")
    if not syn and pkt.opt_len == 12:
        return ("nop", "nop", "TS")
    return ("mss",) + ("eol",) * (pkt.opt_len > 4)


_OPTION_BYTES = {"mss": _TCP_MSS_OPTION, "sackOK": _SACK_PERM, "TS": _TIMESTAMPS, "nop": _NOP,
                 "wscale": _WSCALE_7}


def _tcp_options(pkt: Packet) -> bytes:
    """`pkt.opt_len` bytes of options laid out as Linux lays them out (`tcp_option_layout`); another
    length is MSS then End of Option List and zero padding."""
    opt_len = pkt.opt_len
    if opt_len % 4 or not 0 <= opt_len <= _TCP_MAX_OPTIONS:
        raise ValueError(f"TCP options of {opt_len} bytes do not fit the data offset field")
    data = b"".join(_OPTION_BYTES.get(name, b"") for name in tcp_option_layout(pkt))
    return data + bytes(opt_len - len(data))


def tcp_window(pkt: Packet) -> int:
    """The window field: zero in a reset (tcp_v4_send_reset), a listener's in a SYN-ACK, else a
    SYN's. The simulator does not model windows; these are what a fresh Linux connection shows."""
    if pkt.flags & RST:
        return 0
    return SYNACK_WINDOW if pkt.flags & (SYN | ACK) == SYN | ACK else TCP_WINDOW


def _tcp(pkt: Packet) -> bytes:
    options = _tcp_options(pkt)
    data_offset_words = (20 + len(options)) // 4
    header = struct.pack(
        "!HHIIBBHHH", pkt.sport, pkt.dport, pkt.seq, pkt.ack_seq, data_offset_words << 4, pkt.flags,
        tcp_window(pkt), 0, 0,
    )
    segment = header + options + bytes(pkt.payload_len)
    return _with_checksum(segment, 16, _pseudo_header(pkt, len(segment)))


def _udp(pkt: Packet) -> bytes:
    length = 8 + pkt.payload_len
    datagram = struct.pack("!HHHH", pkt.sport, pkt.dport, length, 0) + bytes(pkt.payload_len)
    checksum = internet_checksum(_pseudo_header(pkt, length) + datagram)
    # RFC 768: a computed zero goes out as all ones; zero on the wire means "no checksum".
    return datagram[:6] + struct.pack("!H", checksum or 0xFFFF) + datagram[8:]


def _icmp(pkt: Packet) -> bytes:
    if pkt.inner is not None:
        # An error: 4 unused bytes, then the original datagram as icmp_send() quotes it.
        rest_of_header, quote = bytes(4), ip_datagram(pkt.inner)[:ICMP_ERROR_MAX_QUOTE]
    elif pkt.icmp_type in _ICMP_ID_SEQ_TYPES:
        rest_of_header, quote = struct.pack("!HH", pkt.icmp_id, 0), b""
    else:
        rest_of_header, quote = bytes(4), b""
    message = struct.pack("!BBH", pkt.icmp_type, pkt.icmp_code, 0) + rest_of_header + quote + bytes(pkt.payload_len)
    return _with_checksum(message, 2)


def _l4(pkt: Packet) -> bytes:
    if pkt.proto == IPPROTO_TCP:
        return _tcp(pkt)
    if pkt.proto == IPPROTO_UDP:
        return _udp(pkt)
    if pkt.proto == IPPROTO_ICMP:
        return _icmp(pkt)
    return b""


def _ipv4_header(pkt: Packet, total_len: int) -> bytes:
    version_ihl = (4 << 4) | 5
    flags_fragment = 0  # DF clear, first and only fragment
    header = struct.pack(
        "!BBHHHBBHII",
        version_ihl, pkt.tos, total_len, pkt.ip_id, flags_fragment, pkt.ttl, pkt.proto, 0, pkt.src, pkt.dst,
    )
    return _with_checksum(header, 10)


def ip_datagram(pkt: Packet) -> bytes:
    """The IPv4 datagram: header, transport header, payload (and an ICMP error's quote)."""
    l4 = _l4(pkt)
    return _ipv4_header(pkt, 20 + len(l4)) + l4


def _mac_bytes(mac: str) -> bytes:
    raw = bytes.fromhex(mac.replace(":", ""))
    if len(raw) != 6:
        raise ValueError(f"invalid MAC address {mac!r}")
    return raw


def ethernet_frame(pkt: Packet, src_mac: str, dst_mac: str) -> bytes:
    """The frame with the given Ethernet addresses (a tap's captured frame)."""
    return _mac_bytes(dst_mac) + _mac_bytes(src_mac) + struct.pack("!H", ETH_P_IP) + ip_datagram(pkt)


def arp_message(arp: ArpFrame) -> bytes:
    """The 28-byte ARP message (RFC 826): Ethernet (1) / IPv4 (0x0800), opcode 1 request or 2 reply."""
    return (struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, 1 if arp.op == "request" else 2)
            + _mac_bytes(arp.sender_mac) + struct.pack("!I", arp.sender_ip)
            + _mac_bytes(arp.target_mac) + struct.pack("!I", arp.target_ip))


def arp_frame(arp: ArpFrame, src_mac: str, dst_mac: str) -> bytes:
    """The 42-byte Ethernet frame carrying an ARP message (a veth does not pad it to 60)."""
    return _mac_bytes(dst_mac) + _mac_bytes(src_mac) + struct.pack("!H", ETH_P_ARP) + arp_message(arp)


@lru_cache(maxsize=512)
def frame_bytes(pkt: Packet, own_mac: str = DEFAULT_MAC) -> bytes:
    """The Ethernet frame's bytes (14-byte header, then the IP datagram).

    Raises struct.error for a field out of its range and ValueError for a malformed MAC or
    TCP option length; the records the kernel makes have neither.
    """
    src = pkt.src_mac if pkt.iif else own_mac
    dst = (pkt.dst_mac or own_mac) if pkt.iif else PEER_MAC
    return ethernet_frame(pkt, src, dst)


def changed_offsets(before: bytes, after: bytes) -> frozenset[int]:
    """Byte offsets where two frames differ (the longer one's extra bytes count as changed)."""
    n = max(len(before), len(after))
    return frozenset(i for i in range(n) if i >= len(before) or i >= len(after) or before[i] != after[i])
