"""tc filters: the u32 classifier (32-bit words of the packet under a mask) and its actions.

u32 reads the packet as bytes; the model builds the same words from the parsed headers, with an IP
header of 20 bytes (the notation has no IP options), so `at 16` is the destination address and
`at 20` (or `nexthdr+0`) the ports.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..packet import IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Packet
from .model import Action, Bucket, DeviceTc, Filter, U32Key

IP_HLEN = 20


def word_at(pkt: Packet, offset: int) -> int:
    """The 32-bit big-endian word at `offset` bytes into the IP header (0 past what is modelled)."""
    if offset == 0:
        return 0x45 << 24 | (pkt.tos & 0xFF) << 16 | (pkt.length & 0xFFFF)
    if offset == 4:
        return (pkt.ip_id & 0xFFFF) << 16
    if offset == 8:
        return (pkt.ttl & 0xFF) << 24 | (pkt.proto & 0xFF) << 16
    if offset == 12:
        return pkt.src
    if offset == 16:
        return pkt.dst
    return _transport_word(pkt, offset - IP_HLEN)


def _transport_word(pkt: Packet, offset: int) -> int:
    if pkt.proto in (IPPROTO_TCP, IPPROTO_UDP):
        if offset == 0:
            return (pkt.sport & 0xFFFF) << 16 | (pkt.dport & 0xFFFF)
        if pkt.proto == IPPROTO_TCP and offset == 4:
            return pkt.seq & 0xFFFFFFFF
        if pkt.proto == IPPROTO_TCP and offset == 8:
            return pkt.ack_seq & 0xFFFFFFFF
        if pkt.proto == IPPROTO_TCP and offset == 12:
            return (5 + pkt.opt_len // 4) << 28 | (pkt.flags & 0xFF) << 16 | 64240
        return 0
    if pkt.proto == IPPROTO_ICMP and offset == 0:
        return (pkt.icmp_type & 0xFF) << 24 | (pkt.icmp_code & 0xFF) << 16
    return 0


def key_matches(key: U32Key, pkt: Packet) -> bool:
    """Whether one u32 key holds for the packet."""
    offset = key.offset + (IP_HLEN if key.nexthdr else 0)
    return word_at(pkt, offset) & key.mask == key.value & key.mask


def filter_matches(flt: Filter, pkt: Packet) -> bool:
    """All keys of a u32 filter hold (`protocol ip` and `all` both see IPv4)."""
    return all(key_matches(k, pkt) for k in flt.keys)


@dataclass(frozen=True, slots=True)
class Classified:
    """What the filters attached at one parent decided for a packet."""

    flowid: int | None = None
    verdict: str = "pass"
    """`pass` (go on), `drop` (gact drop or police exceed), `redirect` (mirred to `device`)."""
    device: str = ""
    pref: int = 0
    action: str = ""
    """The action that decided, as `tc filter show` names it (`gact`, `police`, `mirred`)."""


def classify(tc: DeviceTc, parent: int, pkt: Packet, now: float) -> Classified | None:
    """tcf_classify(): the filters at `parent` by preference; the first that matches decides
    (None: none matched)."""
    for flt in sorted((f for f in tc.filters if f.parent == parent), key=lambda f: f.pref):
        if not filter_matches(flt, pkt):
            continue
        flt.hits.packets += 1
        for action in flt.actions:
            result = _run_action(action, pkt, now)
            if result != "pass":
                return Classified(flt.flowid, result, action.device, flt.pref, action.kind)
        return Classified(flt.flowid, "pass", "", flt.pref)
    return None


def _run_action(action: Action, pkt: Packet, now: float) -> str:
    length = pkt.length + 14
    action.stats.packets += 1
    action.stats.bytes += length
    if action.kind == "gact":
        if action.verdict in ("drop", "shot"):
            action.stats.drops += 1
            return "drop"
        return "pass"
    if action.kind == "police":
        bucket = action.bucket
        if bucket is None:
            bucket = action.bucket = Bucket(action.rate, action.burst, float(action.burst), now)
        tokens = bucket.at(now)
        if tokens < length:
            action.stats.overlimits += 1
            bucket.tokens, bucket.stamp = tokens, now
            if action.verdict in ("drop", "shot"):
                action.stats.drops += 1
                return "drop"
            return "pass"
        bucket.tokens, bucket.stamp = tokens - length, now
        return "pass"
    if action.kind == "mirred" and not action.mirror:
        return "redirect"
    return "pass"
