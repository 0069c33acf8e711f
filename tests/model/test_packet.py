"""The packet notation: parsing, printing, lengths, and the errors a learner sees."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netstack_tui.kernel.addr import format_ipv4, parse_ipv4
from netstack_tui.kernel.packet import ACK, ICMP_TYPES, SYN, Packet, PacketSpecError, format_packet, parse_packet


@pytest.mark.parametrize(
    ("spec", "proto", "length", "iface"),
    [
        ("tcp 203.0.113.7:51000 > 10.0.0.1:443 [S] iface=eth0", 6, 40, "eth0"),
        ("udp 10.0.0.2:5353 > 10.0.0.1:53 len=40", 17, 68, None),
        ("icmp 10.0.0.2 > 10.0.0.1 echo-request ttl=1", 1, 28, None),
        ("tcp 10.0.0.2:1 > 10.0.0.1:2 [P.] len=100", 6, 140, None),
    ],
)
def test_parse_reads_protocol_length_and_interface(spec: str, proto: int, length: int, iface: str | None) -> None:
    """The notation's fields land in the packet; length is the IP total length iptables counts."""
    pkt, got_iface = parse_packet(spec)
    assert (pkt.proto, pkt.length, got_iface) == (proto, length, iface)


def test_tcp_flags_follow_tcpdump_letters() -> None:
    """[S.] is SYN+ACK, as tcpdump prints it."""
    pkt, _ = parse_packet("tcp 10.0.0.1:80 > 10.0.0.2:4000 [S.]")
    assert pkt.flags == SYN | ACK
    assert format_packet(pkt) == "tcp 10.0.0.1:80 > 10.0.0.2:4000 [S.]"


def test_icmp_error_quotes_the_original_packet() -> None:
    """An ICMP error carries the offending packet; its length includes the quote."""
    pkt, _ = parse_packet("icmp 10.0.0.1 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 10.0.0.1:53 len=40}")
    assert pkt.inner is not None and pkt.inner.dport == 53
    assert pkt.length == 20 + 8 + 68
    assert pkt.is_icmp_error


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("", "empty packet"),
        ("sctp 1.2.3.4:1 > 5.6.7.8:2", "unknown protocol"),
        ("tcp 10.0.0.2:40000 > 10.0.0.1:80", "needs flags"),
        ("tcp 10.0.0.2 > 10.0.0.1:80 [S]", "ADDRESS:PORT"),
        ("tcp 10.0.0.2:70000 > 10.0.0.1:80 [S]", "out of range"),
        ("tcp 10.0.0.256:1 > 10.0.0.1:80 [S]", "invalid IPv4"),
        ("tcp 10.0.0.2:1 > 10.0.0.1:80 [Q]", "unknown TCP flag"),
        ("udp 10.0.0.2:1 > 10.0.0.1:80 colour=red", "unknown packet option"),
        ("icmp 10.0.0.2 > 10.0.0.1 echo-please", "unknown ICMP type"),
        ("udp 10.0.0.2:1 > 10.0.0.1:80 ttl=300", "out of range"),
    ],
)
def test_malformed_specs_get_one_line_reasons(spec: str, fragment: str) -> None:
    """Every malformed spec raises PacketSpecError with a single line naming the problem."""
    with pytest.raises(PacketSpecError) as info:
        parse_packet(spec)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


addresses = st.integers(min_value=0, max_value=2**32 - 1)
ports = st.integers(min_value=0, max_value=65535)


@given(addresses)
def test_address_text_round_trips(addr: int) -> None:
    """parse_ipv4 ∘ format_ipv4 is the identity."""
    assert parse_ipv4(format_ipv4(addr)) == addr


@given(
    st.sampled_from([6, 17]), addresses, addresses, ports, ports,
    st.integers(min_value=0, max_value=255), st.integers(min_value=0, max_value=1400),
    st.integers(min_value=1, max_value=255),
)
def test_format_then_parse_is_identity(proto: int, src: int, dst: int, sport: int, dport: int, flags: int,
                                       payload: int, ttl: int) -> None:
    """Printing a packet and parsing the text gives the same header fields back."""
    pkt = Packet(proto, src, dst, sport, dport, flags=flags if proto == 6 else 0, payload_len=payload, ttl=ttl)
    again, _ = parse_packet(format_packet(pkt))
    assert again == pkt


@given(st.sampled_from(sorted(n for n, (t, c) in ICMP_TYPES.items() if c is not None or t in (0, 8))))
def test_icmp_names_round_trip(name: str) -> None:
    """Every ICMP name the notation accepts prints back as a name meaning the same type and code."""
    pkt, _ = parse_packet(f"icmp 10.0.0.1 > 10.0.0.2 {name}")
    again, _ = parse_packet(format_packet(pkt))
    assert (again.icmp_type, again.icmp_code) == (pkt.icmp_type, pkt.icmp_code)
