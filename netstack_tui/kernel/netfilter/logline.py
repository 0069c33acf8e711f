"""The kernel log line a LOG rule writes, formatted as nf_log_ipv4's dump_ipv4_packet() does.

Example (no timestamp; the kernel's trailing space is dropped)::

    SSH: IN=eth0 OUT= MAC=02:00:00:00:00:01:02:00:00:00:00:02:08:00 SRC=10.0.0.2 DST=10.0.0.1
    LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=0 PROTO=TCP SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0
"""

from __future__ import annotations

from ..addr import format_ipv4
from ..packet import ACK, CWR, ECE, FIN, PSH, RST, SYN, URG, Packet

LOG_TCPSEQ, LOG_TCPOPT, LOG_IPOPT, LOG_UID, LOG_MACDECODE = 0x01, 0x02, 0x04, 0x08, 0x20
"""XT_LOG_* flag bits, as `--log-tcp-sequence` etc. set them."""

DEFAULT_WINDOW = 64240
"""Window printed for packets whose record has none (Linux's initial window for a 1460 MSS)."""


def _l4(pkt: Packet, flags: int) -> str:
    if pkt.proto == 6:
        text = f"PROTO=TCP SPT={pkt.sport} DPT={pkt.dport} "
        if flags & LOG_TCPSEQ:
            text += f"SEQ={pkt.seq} ACK={pkt.ack_seq} "
        text += f"WINDOW={getattr(pkt, 'window', DEFAULT_WINDOW)} RES=0x00 "
        for bit, name in (
            (CWR, "CWR"),
            (ECE, "ECE"),
            (URG, "URG"),
            (ACK, "ACK"),
            (PSH, "PSH"),
            (RST, "RST"),
            (SYN, "SYN"),
            (FIN, "FIN"),
        ):
            if pkt.flags & bit:
                text += name + " "
        return text + "URGP=0 "
    if pkt.proto == 17:
        return f"PROTO=UDP SPT={pkt.sport} DPT={pkt.dport} LEN={8 + pkt.payload_len} "
    if pkt.proto == 1:
        text = f"PROTO=ICMP TYPE={pkt.icmp_type} CODE={pkt.icmp_code} "
        if pkt.icmp_type in (0, 8):
            text += f"ID={pkt.icmp_id} SEQ=0 "
        elif pkt.inner is not None:
            text += "[" + _ip(pkt.inner, 0).rstrip() + "] "
        return text
    return f"PROTO={pkt.proto} "


def _ip(pkt: Packet, flags: int) -> str:
    text = f"SRC={format_ipv4(pkt.src)} DST={format_ipv4(pkt.dst)} "
    text += f"LEN={pkt.length} TOS=0x{pkt.tos & 0x1E:02X} PREC=0x{pkt.tos & 0xE0:02X} TTL={pkt.ttl} ID={pkt.ip_id} "
    if getattr(pkt, "df", False):
        text += "DF "
    return text + _l4(pkt, flags)


def log_line(
    pkt: Packet,
    prefix: str,
    flags: int,
    in_dev: str | None,
    out_dev: str | None,
    own_mac: str | None = None,
    uid: int | None = None,
) -> str:
    """nf_log_ip_packet(): `PREFIX IN=.. OUT=.. MAC=.. SRC=.. ... [UID=..] [MARK=0x..]`.

    `own_mac` is the receiving interface's address, used when the frame's destination is unset.
    """
    text = f"{prefix}IN={in_dev or ''} OUT={out_dev or ''} "
    if in_dev is not None:
        dst_mac = pkt.dst_mac or own_mac or "00:00:00:00:00:00"
        text += f"MAC={dst_mac}:{pkt.src_mac}:08:00 "
    text += _ip(pkt, flags)
    if flags & LOG_UID and uid is not None:
        text += f"UID={uid} GID={uid} "
    if pkt.mark:
        text += f"MARK=0x{pkt.mark:x} "
    return text.rstrip()
