"""The hexdump's frame encoder against scapy, the oracle: same bytes, valid checksums, and a TUI
that never imports scapy itself."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Packet as ScapyPacket
from scapy.packet import Raw

from netstack_tui.kernel import wire
from netstack_tui.kernel.addr import format_ipv4
from netstack_tui.kernel.packet import (
    ICMP_ERROR_MAX_QUOTE,
    ICMP_ERROR_TYPES,
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Packet,
    parse_packet,
)

REPO = Path(__file__).resolve().parents[2]

# ---- generated packets ------------------------------------------------------------------------

u8, u16, u32 = st.integers(0, 0xFF), st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF)
macs = st.binary(min_size=6, max_size=6).map(lambda raw: ":".join(f"{byte:02x}" for byte in raw))
# Up to a full Ethernet payload: long enough that an ICMP error has to truncate its quote.
payload_lens = st.integers(0, 1500)


def _ip_fields() -> dict[str, st.SearchStrategy[object]]:
    """The IPv4 header and sk_buff fields every protocol shares."""
    return {
        "src": u32,
        "dst": u32,
        "ttl": u8,
        "tos": u8,
        "ip_id": u16,
        "iif": st.sampled_from([None, "eth0"]),
        "src_mac": macs,
        "dst_mac": st.none() | macs,
    }


tcp_packets = st.builds(
    Packet,
    proto=st.just(IPPROTO_TCP),
    sport=u16,
    dport=u16,
    flags=u8,
    seq=u32,
    ack_seq=u32,
    opt_len=st.sampled_from([0, 4, 12, 20]),  # none, a SYN-ACK's MSS, a TS-less SYN or nop,nop,TS, a SYN's
    payload_len=payload_lens,
    **_ip_fields(),
)
udp_packets = st.builds(
    Packet, proto=st.just(IPPROTO_UDP), sport=u16, dport=u16, payload_len=payload_lens, **_ip_fields()
)
icmp_echoes = st.builds(
    Packet,
    proto=st.just(IPPROTO_ICMP),
    icmp_type=st.sampled_from([0, 8]),
    icmp_code=u8,
    icmp_id=u16,
    payload_len=payload_lens,
    **_ip_fields(),
)
# As icmp_send() makes them: the quoted packet has no quote of its own, the error no payload.
icmp_errors = st.builds(
    Packet,
    proto=st.just(IPPROTO_ICMP),
    icmp_type=st.sampled_from(sorted(ICMP_ERROR_TYPES)),
    icmp_code=u8,
    inner=tcp_packets | udp_packets | icmp_echoes,
    **_ip_fields(),
)
other_protocols = st.builds(Packet, proto=st.sampled_from([0, 47, 50, 132]), **_ip_fields())
packets = tcp_packets | udp_packets | icmp_echoes | icmp_errors | other_protocols


# ---- the scapy oracle -------------------------------------------------------------------------


def scapy_datagram(pkt: Packet) -> ScapyPacket:
    """The IPv4 datagram as scapy builds it from the record's fields."""
    ip = IP(src=format_ipv4(pkt.src), dst=format_ipv4(pkt.dst), ttl=pkt.ttl, tos=pkt.tos, id=pkt.ip_id,
            proto=pkt.proto, flags=0, frag=0)
    zeros = Raw(bytes(pkt.payload_len))
    if pkt.proto == IPPROTO_TCP:
        # Linux's layouts for the option lengths it uses; any other: MSS, then End of Option List.
        names = {"mss": ("MSS", 1460), "sackOK": ("SAckOK", b""), "TS": ("Timestamp", (0, 0)),
                 "nop": ("NOP", None), "wscale": ("WScale", 7), "eol": ("EOL", None)}
        options = [names[name] for name in wire.tcp_option_layout(pkt)]
        used = sum({"mss": 4, "sackOK": 2, "TS": 10, "nop": 1, "wscale": 3, "eol": 1}[n]
                   for n in wire.tcp_option_layout(pkt))
        options += [("EOL", None)] * (pkt.opt_len - used)
        tcp = TCP(sport=pkt.sport, dport=pkt.dport, seq=pkt.seq, ack=pkt.ack_seq, flags=pkt.flags,
                  window=wire.tcp_window(pkt), urgptr=0, options=options)
        return ip / tcp / zeros
    if pkt.proto == IPPROTO_UDP:
        return ip / UDP(sport=pkt.sport, dport=pkt.dport) / zeros
    if pkt.proto == IPPROTO_ICMP and pkt.inner is not None:
        # icmp_send(): as much of the original datagram as fits in 576 bytes.
        quote = bytes(scapy_datagram(pkt.inner))[:ICMP_ERROR_MAX_QUOTE]
        return ip / ICMP(type=pkt.icmp_type, code=pkt.icmp_code) / Raw(quote + bytes(pkt.payload_len))
    if pkt.proto == IPPROTO_ICMP:
        return ip / ICMP(type=pkt.icmp_type, code=pkt.icmp_code, id=pkt.icmp_id, seq=0) / zeros
    return ip


def scapy_frame(pkt: Packet, own_mac: str) -> bytes:
    """The frame as scapy builds it, MACs chosen as the TUI chooses them."""
    src = pkt.src_mac if pkt.iif else own_mac
    dst = (pkt.dst_mac or own_mac) if pkt.iif else wire.PEER_MAC
    return bytes(Ether(src=src, dst=dst, type=0x0800) / scapy_datagram(pkt))


_L4_HEADERS: dict[int, tuple[type[ScapyPacket], int]] = {IPPROTO_TCP: (TCP, 20), IPPROTO_UDP: (UDP, 8),
                                                         IPPROTO_ICMP: (ICMP, 8)}


def with_checksums_recomputed(raw: bytes) -> bytes:
    """Our frame parsed by scapy, its IP and transport checksums deleted, and rebuilt.

    The transport header's fixed part is dissected on its own and everything after it (TCP
    options, payload, an ICMP error's quote) stays raw bytes: scapy's dissector would otherwise
    guess payload layers by port and drop the padding after a TCP End of Option List.
    """
    frame = Ether(raw)
    ip = frame[IP]
    ip.remove_payload()
    del ip.chksum
    if ip.proto not in _L4_HEADERS:
        return bytes(frame)
    layer, fixed_len = _L4_HEADERS[ip.proto]
    start = 14 + ip.ihl * 4
    l4 = layer(raw[start : start + fixed_len])
    del l4.chksum
    return bytes(frame / l4 / Raw(raw[start + fixed_len :]))


# ---- properties -------------------------------------------------------------------------------


@given(pkt=packets, own_mac=macs)
def test_bytes_match_scapy(pkt: Packet, own_mac: str) -> None:
    """Every generated packet encodes to the bytes scapy builds for the same fields."""
    assert wire.frame_bytes(pkt, own_mac) == scapy_frame(pkt, own_mac)


@given(pkt=packets)
def test_frame_is_the_model_length(pkt: Packet) -> None:
    """14 bytes of Ethernet, then exactly the IP total length the model counts."""
    frame = wire.frame_bytes(pkt)
    assert len(frame) == 14 + pkt.length
    assert int.from_bytes(frame[16:18], "big") == pkt.length


@given(pkt=packets)
def test_checksums_verify(pkt: Packet) -> None:
    """scapy recomputes the same IP and transport checksums, for the packet and for its quote."""
    for each in (pkt, pkt.inner):
        if each is not None:
            raw = wire.frame_bytes(each)
            assert with_checksums_recomputed(raw) == raw


def test_udp_checksum_zero_goes_out_as_all_ones() -> None:
    """RFC 768: a computed checksum of 0 is sent as 0xffff (0 means 'no checksum')."""
    # The pseudo-header (protocol 17, length 8) and the header (length 8) sum to 0xffff with this port.
    pkt = Packet(IPPROTO_UDP, src=0, dst=0, sport=0, dport=0xFFFF - IPPROTO_UDP - 8 - 8)
    frame = wire.frame_bytes(pkt)
    udp_without_checksum = frame[14 + 20 : 14 + 20 + 6] + b"\x00\x00"
    assert wire.internet_checksum(struct.pack("!IIBBH", 0, 0, 0, IPPROTO_UDP, 8) + udp_without_checksum) == 0
    assert frame[14 + 20 + 6 : 14 + 20 + 8] == b"\xff\xff"
    assert frame == scapy_frame(pkt, wire.DEFAULT_MAC)


def test_icmp_error_quotes_the_original_truncated_to_576_bytes() -> None:
    """A long original is cut so the error fits in 576 bytes, as icmp_send() cuts it."""
    error, _ = parse_packet("icmp 10.0.0.1 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 10.0.0.1:53 len=700}")
    assert error.inner is not None
    frame = wire.frame_bytes(error)
    assert len(frame) == 14 + 576 == 14 + error.length
    assert frame[14 + 28 :] == wire.frame_bytes(error.inner)[14 : 14 + ICMP_ERROR_MAX_QUOTE]


def test_out_of_range_field_raises_struct_error() -> None:
    """What the packet pane catches: a field too wide for its header slot."""
    with pytest.raises(struct.error):
        wire.frame_bytes(Packet(IPPROTO_TCP, src=1, dst=2, sport=70000))


def test_tcp_options_that_do_not_fit_raise_value_error() -> None:
    """The data offset counts 32-bit words, up to 40 bytes of options."""
    for opt_len in (3, 44):
        with pytest.raises(ValueError):
            wire.frame_bytes(Packet(IPPROTO_TCP, src=1, dst=2, opt_len=opt_len))
