"""Real bytes for a packet record, built with scapy for display only (hexdumps, changed bytes).

scapy is imported lazily (`scapy.layers.*`, never `scapy.all`) and every MAC and IP is set
explicitly, so nothing consults this machine's routes. Results are cached per packet record.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any

from ..kernel.addr import format_ipv4
from ..kernel.packet import IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Packet

DEFAULT_MAC = "02:00:00:00:00:01"
"""eth0's MAC on a fresh host; used when a frame's destination is 'this interface' and none is known."""


def scapy_ready() -> bool:
    """Whether scapy's layers are already imported (so building bytes costs no import time)."""
    return "scapy.layers.inet" in sys.modules


def _l3(pkt: Packet) -> Any:
    from scapy.layers.inet import ICMP, IP, TCP, UDP, IPerror, TCPerror, UDPerror
    from scapy.packet import Raw

    ip = IP(
        src=format_ipv4(pkt.src),
        dst=format_ipv4(pkt.dst),
        ttl=pkt.ttl,
        tos=pkt.tos,
        id=pkt.ip_id,
        proto=pkt.proto,
        flags=0,
    )
    payload = Raw(b"\x00" * pkt.payload_len) if pkt.payload_len else None
    l4: Any
    if pkt.proto == IPPROTO_TCP:
        options = [("MSS", 1460)] if pkt.opt_len == 4 else []
        l4 = TCP(
            sport=pkt.sport,
            dport=pkt.dport,
            flags=pkt.flags,
            seq=pkt.seq,
            ack=pkt.ack_seq,
            window=64240,
            options=options,
        )
    elif pkt.proto == IPPROTO_UDP:
        l4 = UDP(sport=pkt.sport, dport=pkt.dport)
    elif pkt.proto == IPPROTO_ICMP:
        l4 = ICMP(type=pkt.icmp_type, code=pkt.icmp_code, id=pkt.icmp_id)
        if pkt.inner is not None:
            inner = pkt.inner
            quoted = IPerror(
                src=format_ipv4(inner.src), dst=format_ipv4(inner.dst), ttl=inner.ttl, proto=inner.proto, id=inner.ip_id
            )
            if inner.proto == IPPROTO_TCP:
                quoted = quoted / TCPerror(sport=inner.sport, dport=inner.dport, seq=inner.seq, flags=inner.flags)
            elif inner.proto == IPPROTO_UDP:
                quoted = quoted / UDPerror(sport=inner.sport, dport=inner.dport)
            l4 = l4 / quoted
    else:
        l4 = Raw(b"")
    frame = ip / l4
    if payload is not None:
        frame = frame / payload
    return frame


@lru_cache(maxsize=512)
def frame_bytes(pkt: Packet, own_mac: str = DEFAULT_MAC) -> bytes:
    """The Ethernet frame's bytes (14-byte header, then the IP packet)."""
    from scapy.layers.l2 import Ether

    src = pkt.src_mac if pkt.iif else own_mac
    dst = (pkt.dst_mac or own_mac) if pkt.iif else "02:00:00:00:00:02"
    frame = Ether(src=src, dst=dst, type=0x0800) / _l3(pkt)
    return bytes(frame)


def changed_offsets(before: bytes, after: bytes) -> frozenset[int]:
    """Byte offsets where two frames differ (the longer one's extra bytes count as changed)."""
    n = max(len(before), len(after))
    return frozenset(i for i in range(n) if i >= len(before) or i >= len(after) or before[i] != after[i])
