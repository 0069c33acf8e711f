"""A journey's frames as a pcapng file (the format Wireshark writes), one interface per namespace and
device.

pcapng rather than classic pcap because a journey crosses namespaces: the same SYN passes red's
eth0 and then the host's veth-red, and a classic file (one link type, no interfaces) would show it
twice with nothing saying where. Here each (namespace, device) pair has its own Interface Description
Block named `NAMESPACE/DEVICE`, so Wireshark shows which one saw each frame (frame.interface_name),
and each frame carries its direction (In/Out) in the Enhanced Packet Block's flags. All interfaces are
Ethernet (lo too, as Linux captures it), which is what lets libpcap — and so `tcpdump -r` — read the
file. Layout: the pcapng specification (IETF draft-ietf-opsawg-pcapng), little-endian, microsecond
timestamps (the default resolution, so no if_tsresol option).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from ..kernel.wire import arp_frame, ethernet_frame
from .frames import TapFrame

LINKTYPE_ETHERNET = 1
SNAPLEN = 262144
_SHB, _IDB, _EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
_BYTE_ORDER_MAGIC = 0x1A2B3C4D
_OPT_END, _OPT_COMMENT = 0, 1
_SHB_USERAPPL = 4
_IF_NAME, _IF_DESCRIPTION = 2, 3
_EPB_FLAGS = 2
_DIRECTION = {"In": 1, "Out": 2}
"""epb_flags bits 0-1: 01 inbound, 10 outbound."""
_NO_MAC = "00:00:00:00:00:00"


def _padded(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 4)


def _options(*options: tuple[int, bytes]) -> bytes:
    """Options, each code, length and value padded to 32 bits, then opt_endofopt."""
    out = b"".join(struct.pack("<HH", code, len(value)) + _padded(value) for code, value in options)
    return out + struct.pack("<HH", _OPT_END, 0) if options else b""


def _block(kind: int, body: bytes) -> bytes:
    """A block: type, total length, body, total length again."""
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def frame_bytes(tap: TapFrame) -> bytes:
    """The Ethernet frame a tap saw: an ARP message or an IP datagram behind its MAC addresses."""
    frame = tap.frame
    src, dst = frame.src_mac or _NO_MAC, frame.dst_mac or _NO_MAC
    if frame.arp is not None:
        return arp_frame(frame.arp, src, dst)
    return ethernet_frame(frame.packet, src, dst)


def interface_name(tap: TapFrame) -> str:
    """The capture interface a frame is filed under: `NAMESPACE/DEVICE`."""
    return f"{tap.host}/{tap.frame.iface}"


def pcapng(frames: Sequence[TapFrame], *, comment: str = "", application: str = "netstack-tui") -> bytes:
    """The file: a section header, an interface per namespace and device (in the order they first saw
    a frame), and the frames in the order they passed the taps."""
    header_options = [(_SHB_USERAPPL, application.encode())]
    if comment:
        header_options.insert(0, (_OPT_COMMENT, comment.encode()))
    out = [_block(_SHB, struct.pack("<IHHq", _BYTE_ORDER_MAGIC, 1, 0, -1) + _options(*header_options))]
    interfaces: dict[str, int] = {}
    for tap in frames:
        name = interface_name(tap)
        if name not in interfaces:
            interfaces[name] = len(interfaces)
            description = f"{tap.frame.iface} in network namespace {tap.host} (simulated)"
            out.append(_block(_IDB, struct.pack("<HHI", LINKTYPE_ETHERNET, 0, SNAPLEN)
                              + _options((_IF_NAME, name.encode()), (_IF_DESCRIPTION, description.encode()))))
        data = frame_bytes(tap)
        micros = int(round(tap.frame.time * 1_000_000))
        flags = _DIRECTION.get(tap.frame.direction, 0)
        header = struct.pack("<IIIII", interfaces[name], micros >> 32, micros & 0xFFFFFFFF, len(data), len(data))
        out.append(_block(_EPB, header + _padded(data) + _options((_EPB_FLAGS, struct.pack("<I", flags)))))
    return b"".join(out)
