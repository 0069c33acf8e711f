"""Packets the stack itself emits: SYN-ACK, RST, ACK/FIN, ICMP echo replies and errors.

Each builder mirrors the kernel function named in its docstring, including the rules for when no
answer is sent at all (never an ICMP error about an ICMP error or to a broadcast, ICMP errors rate
limited per destination).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .packet import (
    ACK,
    FIN,
    ICMP_DEST_UNREACH,
    ICMP_ECHO_REPLY,
    IPPROTO_ICMP,
    IPPROTO_TCP,
    RST,
    SYN,
    TCPOLEN_MSS_ONLY,
    TCPOLEN_SYN_NO_TS,
    TCPOLEN_SYN_TS,
    Packet,
)

if TYPE_CHECKING:
    from .host import Host

# --reject-with names → ICMP destination-unreachable codes (nf_reject_ipv4 / ipt_REJECT.c).
REJECT_ICMP_CODES = {
    "icmp-net-unreachable": 0,
    "icmp-host-unreachable": 1,
    "icmp-proto-unreachable": 2,
    "icmp-port-unreachable": 3,
    "icmp-net-prohibited": 9,
    "icmp-host-prohibited": 10,
    "icmp-admin-prohibited": 13,
}

# icmp_ratemask default 6168: destination unreachable, source quench, time exceeded, parameter problem.
RATE_LIMITED_TYPES = frozenset({3, 4, 11, 12})
XRLIM_BURST_FACTOR = 6


def tcp_reset(pkt: Packet, ttl: int = 64) -> Packet | None:
    """tcp_v4_send_reset() / nf_send_reset(): the RST answering `pkt`, or None for a RST."""
    if pkt.flags & RST:
        return None
    base = Packet(IPPROTO_TCP, pkt.dst, pkt.src, pkt.dport, pkt.sport, ttl=ttl)
    if pkt.flags & ACK:
        return base.replace(flags=RST, seq=pkt.ack_seq)
    consumed = pkt.payload_len + (1 if pkt.flags & SYN else 0) + (1 if pkt.flags & FIN else 0)
    return base.replace(flags=RST | ACK, seq=0, ack_seq=(pkt.seq + consumed) & 0xFFFFFFFF)


def syn_ack(syn: Packet, isn: int, ttl: int = 64, *, timestamps: bool = True) -> Packet:
    """tcp_v4_send_synack(): options answer the SYN's (tcp_synack_options()): just MSS when it carried
    none, the timestamps too when it offered them and `timestamps` (net.ipv4.tcp_timestamps) is on."""
    if syn.opt_len == 0:
        opt_len = TCPOLEN_MSS_ONLY
    else:
        opt_len = TCPOLEN_SYN_TS if syn.offers_timestamps and timestamps else TCPOLEN_SYN_NO_TS
    return Packet(IPPROTO_TCP, syn.dst, syn.src, syn.dport, syn.sport, flags=SYN | ACK, seq=isn,
                  ack_seq=(syn.seq + 1) & 0xFFFFFFFF, ttl=ttl, opt_len=opt_len)


def tcp_ack(pkt: Packet, seq: int, flags: int = ACK, ttl: int = 64, *, opt_len: int = 0) -> Packet:
    """An ACK (or FIN-ACK) for a received segment; `opt_len` 12 on a connection with timestamps."""
    consumed = pkt.payload_len + (1 if pkt.flags & FIN else 0)
    return Packet(IPPROTO_TCP, pkt.dst, pkt.src, pkt.dport, pkt.sport, flags=flags, seq=seq,
                  ack_seq=(pkt.seq + consumed) & 0xFFFFFFFF, ttl=ttl, opt_len=opt_len)


def handshake_ack(synack: Packet, ttl: int = 64, *, opt_len: int = 0) -> Packet:
    """tcp_send_ack() after tcp_rcv_synsent_state_process(): the third packet of the handshake
    (`opt_len` 12 when both SYNs carried timestamps)."""
    return Packet(IPPROTO_TCP, synack.dst, synack.src, synack.dport, synack.sport, flags=ACK, seq=synack.ack_seq,
                  ack_seq=(synack.seq + 1) & 0xFFFFFFFF, ttl=ttl, opt_len=opt_len)


def echo_reply(pkt: Packet, ttl: int = 64) -> Packet:
    """icmp_echo(): same id, sequence and data, addresses swapped."""
    return Packet(IPPROTO_ICMP, pkt.dst, pkt.src, icmp_type=ICMP_ECHO_REPLY, icmp_id=pkt.icmp_id,
                  payload_len=pkt.payload_len, ttl=ttl)


def icmp_error(host: Host, pkt: Packet, icmp_type: int, code: int, src: int | None) -> Packet | None:
    """__icmp_send(): the error about `pkt`, or None when the kernel would stay silent.

    `src` is the address to answer from (the packet's local destination, or the address of the
    interface toward the sender for forwarded packets). The quoted packet is `pkt` as it is now.
    The error carries no conntrack entry: conntrack classifies it afresh in OUTPUT by its quote.
    """
    if pkt.is_icmp_error:
        return None
    if host.addr_type(pkt.dst) in ("BROADCAST", "MULTICAST"):
        return None
    if host.addr_type(pkt.src) in ("BROADCAST", "MULTICAST", "UNSPEC"):
        return None
    if src is None:
        return None
    # icmpv4_xrlim_allow(): no rate limit for errors that go back over loopback (to this host).
    if icmp_type in RATE_LIMITED_TYPES and not host.is_local(pkt.src) and not _rate_allow(host, pkt.src):
        return None
    quoted = pkt.replace(iif=None, oif=None, mark=0, inner=None)
    return Packet(IPPROTO_ICMP, src, pkt.src, icmp_type=icmp_type, icmp_code=code, inner=quoted,
                  ttl=host.sysctl.int("net.ipv4.ip_default_ttl"))


def reject_icmp(host: Host, pkt: Packet, with_type: str, src: int | None) -> Packet | None:
    """nf_send_unreach(): REJECT's ICMP destination-unreachable (rate-limited like any icmp_send)."""
    return icmp_error(host, pkt, ICMP_DEST_UNREACH, REJECT_ICMP_CODES[with_type], src)


def _rate_allow(host: Host, peer: int) -> bool:
    """inet_peer_xrlim_allow(): a token bucket per destination, icmp_ratelimit ms per token, burst 6."""
    interval = host.sysctl.int("net.ipv4.icmp_ratelimit") / 1000.0
    if interval <= 0:
        return True
    # A new peer starts with rate_last 60 s in the past: a full bucket.
    tokens, last = host.icmp_tokens.get(peer, (0.0, host.clock - 60.0))
    tokens = min(tokens + (host.clock - last), XRLIM_BURST_FACTOR * interval)
    allowed = tokens >= interval
    if allowed:
        tokens -= interval
    host.icmp_tokens[peer] = (tokens, host.clock)
    return allowed
