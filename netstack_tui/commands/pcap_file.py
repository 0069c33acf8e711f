"""pcap files for `tcpdump -w` and `-r`: written from captured frames, read back with scapy.

`-w` keeps the file in the session's memory, as `>` does with text. `-r` reads such a file, or a
real capture from disk (pcap or pcapng, up to 16 MiB), so a sysadmin can look at real traffic in the
simulator's notation. scapy decodes it (imported only then); frames that are neither IPv4 TCP, UDP,
ICMP nor Ethernet/IPv4 ARP are counted and skipped, since the simulator models nothing else.
"""

from __future__ import annotations

import io
import logging
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..kernel.addr import parse_ipv4
from ..kernel.capture import ArpFrame, Captured
from ..kernel.packet import ICMP_ERROR_TYPES, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Packet
from ..kernel.wire import ETH_P_ARP, ETH_P_IP, arp_frame, arp_message, ethernet_frame, ip_datagram
from .base import CommandError, read_real_file
from .userland import MAX_FILE, read_capture, save_capture

if TYPE_CHECKING:
    from ..kernel.host import Host

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL2 = 276
SNAPLEN = 262144
_ARPHRD = {"lo": 772}  # ARPHRD_LOOPBACK; everything else here is Ethernet (ARPHRD_ETHER = 1)
_PACKET_HOST, _PACKET_OUTGOING = 0, 4
_SLL2_LEN = 20


@dataclass(slots=True)
class Capture:
    """What `-r` found in a file."""

    frames: list[Captured]
    cooked: bool
    """Captured on `any` (Linux cooked headers): lines name the interface and direction."""
    link: str
    skipped: int


def save(host: Host, path: str, frames: list[Captured], *, cooked: bool) -> None:
    """Write `frames` as a pcap file in the session's memory (tcpdump -w)."""
    out = io.BytesIO()
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN,
                          LINKTYPE_LINUX_SLL2 if cooked else LINKTYPE_ETHERNET))
    for frame in frames:
        data = _cooked(host, frame) if cooked else _ethernet(frame)
        seconds = int(frame.time)
        out.write(struct.pack("<IIII", seconds, int(round((frame.time - seconds) * 1e6)), len(data), len(data)))
        out.write(data)
    data = out.getvalue()
    if len(data) > MAX_FILE:
        raise CommandError(f"tcpdump: {path}: File too large", 1)
    save_capture(host, path, data)


def _ethernet(frame: Captured) -> bytes:
    """The Ethernet frame: an ARP message or an IP datagram."""
    if frame.arp is not None:
        return arp_frame(frame.arp, frame.src_mac, frame.dst_mac)
    return ethernet_frame(frame.packet, frame.src_mac, frame.dst_mac)


def _cooked(host: Host, frame: Captured) -> bytes:
    """A Linux cooked v2 header (what `-i any` captures carry) and the ARP message or IP datagram."""
    iface = host.interfaces.get(frame.iface)
    index = iface.index if iface is not None else 0
    mac = bytes.fromhex((frame.src_mac or "00:00:00:00:00:00").replace(":", ""))
    kind = _PACKET_OUTGOING if frame.direction == "Out" else _PACKET_HOST
    protocol = ETH_P_ARP if frame.arp is not None else ETH_P_IP
    header = struct.pack("!HHIHBB8s", protocol, 0, index, _ARPHRD.get(frame.iface, 1), kind, 6, mac)
    return header + (arp_message(frame.arp) if frame.arp is not None else ip_datagram(frame.packet))


def load(host: Host, path: str) -> Capture:
    """Read a pcap written by `-w` in this session, else a real file (tcpdump -r)."""
    data = read_capture(host, path)
    if data is None:
        data = read_real_file(path, "tcpdump", "read")
    from scapy.error import Scapy_Exception  # decoding needs scapy: imported only now

    try:
        packets = _decode(data)
    except (Scapy_Exception, struct.error, EOFError, ValueError) as exc:
        raise CommandError(f"tcpdump: {path}: not a pcap or pcapng file ({exc})", 1) from None
    return _frames(host, packets)


def _decode(data: bytes) -> list[Any]:
    """scapy's packets for the file's frames; Linux cooked v2 frames (what tcpdump -i any writes,
    a link type scapy reads only as raw bytes) are taken apart here."""
    from scapy.layers.inet import IP
    from scapy.layers.l2 import ARP
    from scapy.utils import rdpcap

    runtime_log = logging.getLogger("scapy.runtime")
    level = runtime_log.level
    runtime_log.setLevel(logging.ERROR)  # scapy warns about link types it does not decode
    try:
        packets = list(rdpcap(io.BytesIO(data)))
    finally:
        runtime_log.setLevel(level)
    if packets and _link_type(data) == LINKTYPE_LINUX_SLL2:
        decoded = []
        for raw in packets:
            frame = bytes(raw)
            sll2 = struct.unpack("!HHIHBB", frame[:12])  # protocol, reserved, ifindex, hatype, pkttype, addrlen
            layer = ARP(frame[_SLL2_LEN:]) if sll2[0] == ETH_P_ARP else IP(frame[_SLL2_LEN:])
            layer.time = raw.time
            layer.sll2 = sll2
            layer.sll2_mac = ":".join(f"{b:02x}" for b in frame[12:18])
            decoded.append(layer)
        return decoded
    return packets


def _link_type(data: bytes) -> int | None:
    """The link type of a classic pcap file (None for pcapng, which scapy decodes by itself)."""
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return int(struct.unpack("<I", data[20:24])[0])
    if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return int(struct.unpack(">I", data[20:24])[0])
    return None


def _frames(host: Host, packets: list[Any]) -> Capture:
    from scapy.layers.inet import IP
    from scapy.layers.l2 import ARP, Ether

    frames: list[Captured] = []
    skipped = 0
    cooked = bool(packets) and hasattr(packets[0], "sll2")
    names = {iface.index: name for name, iface in host.interfaces.items()}
    for raw in packets:
        ip = raw.getlayer(IP)
        arp = _arp(raw.getlayer(ARP)) if ip is None and raw.haslayer(ARP) else None
        packet = _packet(ip) if ip is not None else None
        if arp is not None:
            packet = Packet(0, arp.sender_ip, arp.target_ip)
        if packet is None:
            skipped += 1
            continue
        iface, direction, macs = "", "In", ("", "")
        if cooked:
            _, _, index, _, kind, _ = raw.sll2
            iface = names.get(index, f"if{index}")
            direction = "Out" if kind == _PACKET_OUTGOING else "In"
            macs = (raw.sll2_mac, "")
        elif raw.haslayer(Ether):
            macs = (raw[Ether].src, raw[Ether].dst)
        if arp is not None:
            frames.append(Captured(float(raw.time), iface, direction, packet, *macs, arp=arp))
            continue
        tcp = ip.payload if packet.proto == IPPROTO_TCP else None
        frames.append(Captured(float(raw.time), iface, direction, packet, *macs,
                               window=tcp.window if tcp is not None else None,
                               tcp_options=_options_text(tcp.options) if tcp is not None else None))
    link = "LINUX_SLL2 (Linux cooked v2)" if cooked else "EN10MB (Ethernet)"
    return Capture(frames, cooked, link, skipped)


def _arp(layer: Any) -> ArpFrame | None:
    """An Ethernet/IPv4 request or reply (other ARP messages are skipped)."""
    if layer.hwtype != 1 or layer.ptype != ETH_P_IP or layer.op not in (1, 2):
        return None
    return ArpFrame("request" if layer.op == 1 else "reply", layer.hwsrc, parse_ipv4(layer.psrc), layer.hwdst,
                    parse_ipv4(layer.pdst))


def _packet(ip: Any) -> Packet | None:
    """Our packet record for a decoded IPv4 packet (None for protocols the simulator does not model)."""
    base: dict[str, Any] = {"proto": ip.proto, "src": parse_ipv4(ip.src), "dst": parse_ipv4(ip.dst), "ttl": ip.ttl,
                            "tos": ip.tos, "ip_id": ip.id}
    l4 = ip.payload
    if ip.proto == IPPROTO_TCP:
        header = l4.dataofs * 4 if l4.dataofs else 20
        return Packet(**base, sport=l4.sport, dport=l4.dport, flags=int(l4.flags), seq=l4.seq, ack_seq=l4.ack,
                      opt_len=header - 20, payload_len=max(0, ip.len - ip.ihl * 4 - header))
    if ip.proto == IPPROTO_UDP:
        return Packet(**base, sport=l4.sport, dport=l4.dport, payload_len=max(0, l4.len - 8))
    if ip.proto == IPPROTO_ICMP:
        quoted = l4.payload if l4.type in ICMP_ERROR_TYPES and l4.payload.name == "IP in ICMP" else None
        inner = _packet(quoted) if quoted is not None else None
        if inner is not None:
            return Packet(**base, icmp_type=l4.type, icmp_code=l4.code, inner=inner)
        return Packet(**base, icmp_type=l4.type, icmp_code=l4.code, icmp_id=getattr(l4, "id", 0) or 0,
                      payload_len=max(0, ip.len - ip.ihl * 4 - 8))
    return None


_OPTION_NAMES = {"NOP": "nop", "EOL": "eol", "SAckOK": "sackOK"}


def _options_text(options: list[tuple[str, Any]]) -> str:
    """TCP options as tcpdump prints them inside `options [...]`."""
    parts = []
    for name, value in options:
        if name == "MSS":
            parts.append(f"mss {value}")
        elif name == "WScale":
            parts.append(f"wscale {value}")
        elif name == "Timestamp":
            parts.append(f"TS val {value[0]} ecr {value[1]}")
        elif name == "SAck":
            parts.append(f"sack {len(value) // 2} " + " ".join(
                f"{{{value[i]}:{value[i + 1]}}}" for i in range(0, len(value) - 1, 2)))
        else:
            parts.append(_OPTION_NAMES.get(name, f"opt-{name}"))
    return ",".join(parts)

