"""pcap-filter expressions over packet records.

Which packets match and the error messages were checked with tcpdump 4.99.3 / libpcap 1.10.3
(`tcpdump -r` on a pcap file of these packets' frames, and `tcpdump -d EXPR` for the errors).
The last test repeats that comparison against the installed tcpdump when there is one.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from netstack_tui.commands.pcap_filter import FilterError, compile_filter
from netstack_tui.kernel.addr import parse_ipv4
from netstack_tui.kernel.packet import (
    ACK,
    CWR,
    ECE,
    FIN,
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    PSH,
    RST,
    SYN,
    URG,
    Packet,
)
from netstack_tui.kernel.wire import ethernet_frame

A, B, C, LOCAL = (parse_ipv4(a) for a in ("10.0.0.2", "10.0.0.1", "192.168.1.5", "127.0.0.1"))

PACKETS: dict[str, Packet] = {
    "syn": Packet(IPPROTO_TCP, A, B, 44296, 80, flags=SYN, seq=1),
    "synack": Packet(IPPROTO_TCP, B, A, 80, 44296, flags=SYN | ACK, seq=5, ack_seq=2, opt_len=4),
    "ack": Packet(IPPROTO_TCP, A, B, 44296, 80, flags=ACK, seq=2, ack_seq=6),
    "data": Packet(IPPROTO_TCP, A, B, 44296, 80, flags=ACK | PSH, seq=2, ack_seq=6, payload_len=100),
    "fin": Packet(IPPROTO_TCP, A, B, 44296, 80, flags=FIN | ACK, seq=102, ack_seq=6),
    "rst": Packet(IPPROTO_TCP, B, A, 80, 44296, flags=RST, seq=6),
    "https-syn": Packet(IPPROTO_TCP, A, B, 50000, 443, flags=SYN, seq=1, ttl=3, tos=0x10),
    "ssh-syn": Packet(IPPROTO_TCP, A, C, 50001, 22, flags=SYN | ECE | CWR, seq=1),
    "ssh-data": Packet(IPPROTO_TCP, C, A, 22, 50001, flags=ACK | URG | PSH, seq=1, ack_seq=9, payload_len=1400),
    "dns-query": Packet(IPPROTO_UDP, A, B, 40000, 53, payload_len=30),
    "dns-reply": Packet(IPPROTO_UDP, B, A, 53, 40000, payload_len=120),
    "echo": Packet(IPPROTO_ICMP, A, B, icmp_type=8, icmp_id=7, payload_len=56),
    "echo-reply": Packet(IPPROTO_ICMP, B, A, icmp_type=0, icmp_id=7, payload_len=56),
    "unreachable": Packet(IPPROTO_ICMP, B, A, icmp_type=3, icmp_code=3,
                          inner=Packet(IPPROTO_UDP, A, B, 40000, 53, payload_len=30)),
    "ttl-exceeded": Packet(IPPROTO_ICMP, C, A, icmp_type=11,
                           inner=Packet(IPPROTO_UDP, A, parse_ipv4("8.8.8.8"), 40000, 33434)),
    "lo-rst": Packet(IPPROTO_TCP, LOCAL, LOCAL, 81, 57096, flags=RST | ACK, ack_seq=5),
    "lo-echo": Packet(IPPROTO_ICMP, LOCAL, LOCAL, icmp_type=8, icmp_id=1),
    "alt-http": Packet(IPPROTO_TCP, parse_ipv4("10.1.2.3"), B, 8080, 8443, flags=ACK, seq=1, ack_seq=1),
}
ALL = set(PACKETS)
TCP = {name for name, p in PACKETS.items() if p.proto == IPPROTO_TCP}
UDP = {"dns-query", "dns-reply"}
ICMP = {"echo", "echo-reply", "unreachable", "ttl-exceeded", "lo-echo"}
HTTP = {"syn", "synack", "ack", "data", "fin", "rst"}


def matching(*words: str, **options: int) -> set[str]:
    wanted = compile_filter(list(words), **options)
    return {name for name, pkt in PACKETS.items() if wanted(pkt)}


def error(expression: str) -> str:
    with pytest.raises(FilterError) as caught:
        compile_filter([expression])
    return str(caught.value)


# ---- primitives -------------------------------------------------------------------------------------


def test_empty_matches_everything() -> None:
    assert matching() == ALL


@pytest.mark.parametrize(("expression", "expected"), [
    ("tcp", TCP), ("udp", UDP), ("icmp", ICMP), ("ip", ALL),
    ("ip6", set()), ("arp", set()), ("rarp", set()), ("sctp", set()),
    ("not tcp", UDP | ICMP), ("! udp", TCP | ICMP),
])
def test_protocols(expression: str, expected: set[str]) -> None:
    assert matching(expression) == expected


def test_hosts() -> None:
    with_b = HTTP | {"https-syn", "dns-query", "dns-reply", "echo", "echo-reply", "unreachable", "alt-http"}
    assert matching("host 10.0.0.1") == with_b
    assert matching("src host 10.0.0.1") == {"synack", "rst", "dns-reply", "echo-reply", "unreachable"}
    assert matching("dst 10.0.0.1") == with_b - matching("src host 10.0.0.1")  # `host` is implied
    assert matching("src or dst host 192.168.1.5") == {"ssh-syn", "ssh-data", "ttl-exceeded"}
    assert matching("src and dst host 127.0.0.1") == {"lo-rst", "lo-echo"}
    assert matching("host localhost") == {"lo-rst", "lo-echo"}  # /etc/hosts


def test_an_icmp_error_matches_by_its_outer_header_only() -> None:
    assert "ttl-exceeded" not in matching("host 8.8.8.8")
    assert "unreachable" not in matching("port 53")
    assert "unreachable" in matching("src 10.0.0.1 and icmp")


def test_networks() -> None:
    ten = ALL - {"lo-rst", "lo-echo"}
    assert matching("net 10.0.0.0/8") == ten
    assert matching("net 10") == ten  # a bare number is the network's leading bytes
    assert matching("net 10.1") == {"alt-http"}  # a short address is a /16
    assert matching("net 10.0.0.0 mask 255.255.255.0") == matching("net 10.0.0.0/24") == ten
    assert matching("src net 10.0.0.0/24") == ten - {"ssh-data", "ttl-exceeded", "alt-http"}
    assert matching("host 10.0.0") == matching("net 10.0.0.0/24")
    assert matching("src net 192.168.1.0/24") == {"ssh-data", "ttl-exceeded"}
    assert matching("dst net 10.0.0.0/31") == matching("dst 10.0.0.1")


def test_ports() -> None:
    assert matching("port 80") == HTTP
    assert matching("port 53") == UDP  # tcp and udp ports, never icmp
    assert matching("src port 53") == {"dns-reply"}
    assert matching("dst port 53") == {"dns-query"}
    assert matching("tcp port 53") == set()
    assert matching("udp dst port 53") == {"dns-query"}
    assert matching("port http") == matching("port www") == matching("port 0x50") == matching("port 0120") == HTTP
    assert matching("port domain") == UDP


def test_port_ranges() -> None:
    assert matching("portrange 20-22") == {"ssh-syn", "ssh-data"}
    assert matching("portrange 22-20") == {"ssh-syn", "ssh-data"}  # turned around
    assert matching("tcp src portrange 1-1024") == {"synack", "rst", "ssh-data", "lo-rst"}
    assert matching("udp dst portrange 1-1024") == {"dns-query"}
    assert matching("portrange 8000-9000") == {"alt-http"}
    assert matching("portrange ssh-http") == HTTP | {"ssh-syn", "ssh-data"}  # both names are TCP's: no DNS
    assert matching("portrange 22-80") == HTTP | {"ssh-syn", "ssh-data"} | UDP
    assert matching("portrange 53") == UDP


def test_service_names_carry_the_protocol_etc_services_lists_them_for() -> None:
    udp_80 = Packet(IPPROTO_UDP, A, B, 40000, 80)
    tcp_123 = Packet(IPPROTO_TCP, A, B, 40000, 123, flags=SYN)
    assert compile_filter(["port 80"])(udp_80)
    assert not compile_filter(["port http"])(udp_80)  # http is tcp only in /etc/services
    assert compile_filter(["port 123"])(tcp_123)
    assert not compile_filter(["port ntp"])(tcp_123)
    assert compile_filter(["udp port ntp"])(udp_80.replace(dport=123))


def test_ip_protocol_numbers() -> None:
    assert matching("proto 17") == matching("ip proto \\udp") == UDP
    assert matching("ip proto 1") == ICMP
    assert matching("ip6 proto 6") == set()


def test_lengths_count_whole_frames() -> None:
    # A 40-byte IP packet is a 54-byte Ethernet frame.
    assert "syn" in matching("less 54")
    assert "syn" not in matching("less 53")
    assert matching("greater 1000") == {"ssh-data"}
    assert matching("len > 200") == {"ssh-data"}
    assert matching("len - 14 = 40") == matching("ip[2:2] = 40")
    # `-i any` frames carry a 20-byte cooked header instead.
    assert "syn" not in matching("less 54", link_header_len=20)
    assert "syn" in matching("less 60", link_header_len=20)


# ---- header bytes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("expression", "expected"), [
    ("tcp[tcpflags] & tcp-syn != 0", {"syn", "synack", "https-syn", "ssh-syn"}),
    ("tcp[tcpflags] & (tcp-syn|tcp-ack) != 0", TCP - {"rst"}),
    ("tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", {"syn", "https-syn", "ssh-syn"}),
    ("tcp[tcpflags] == tcp-syn", {"syn", "https-syn"}),
    ("tcp[tcpflags] & tcp-syn = tcp-syn", {"syn", "synack", "https-syn", "ssh-syn"}),
    ("tcp[tcpflags] & tcp-rst != 0", {"rst", "lo-rst"}),
    ("tcp[tcpflags] & tcp-fin != 0", {"fin"}),
    ("tcp[tcpflags] & tcp-push != 0", {"data", "ssh-data"}),
    ("tcp[tcpflags] & tcp-urg != 0", {"ssh-data"}),
    ("tcp[tcpflags] & tcp-ece != 0", {"ssh-syn"}),
    ("tcp[tcpflags] & tcp-cwr != 0", {"ssh-syn"}),
    ("tcp[tcpflags] & tcp-ack > 0", TCP - {"syn", "https-syn", "ssh-syn", "rst"}),
    ("tcp[13] & 2 != 0 and tcp[13] & 16 = 0", {"syn", "https-syn", "ssh-syn"}),
    ("tcp[13] != 2", TCP - {"syn", "https-syn"}),  # the protocol check stays outside the negation
    ("not tcp[13] = 2", ALL - {"syn", "https-syn"}),
    ("tcp[14:2] = 65160", {"synack"}),  # the frame's fixed window
    ("tcp[12] >> 4 = 6", {"synack"}),  # data offset: 20 bytes of header + 4 of MSS option
    ("icmp[icmptype] = icmp-echo", {"echo", "lo-echo"}),
    ("icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply", {"unreachable", "ttl-exceeded"}),
    ("icmp[icmpcode] = 3", {"unreachable"}),
    ("icmp[4:2] = 7", {"echo", "echo-reply"}),
    ("udp[0:2] = 53", {"dns-reply"}),
    ("ip[8] < 5", {"https-syn"}),
    ("ip[1] = 0x10", {"https-syn"}),
    ("ip[9] = 17", UDP),
    ("(tcp[13] & 0x12) = 0x12", {"synack"}),
])
def test_header_bytes(expression: str, expected: set[str]) -> None:
    assert matching(expression) == expected


def test_a_load_past_the_frame_rejects_the_packet_whatever_surrounds_it() -> None:
    long_ones = {"data", "ssh-data"}
    assert matching("tcp[100] = 0") == long_ones  # payload bytes are zeros
    assert matching("not tcp[100] = 0") == UDP | ICMP  # short TCP segments: BPF stops and rejects
    assert matching("udp[100] = 0") == {"dns-reply"}


def test_arithmetic_follows_c_precedence() -> None:
    assert matching("2 | 1 & 0 = 2") == ALL
    assert matching("1 | 3 ^ 3 = 1") == ALL
    assert matching("8 >> 1 + 1 = 2") == ALL
    assert matching("-1 = 0xffffffff") == ALL
    assert matching("0x7fffffff * 2 = 0xfffffffe") == ALL
    assert matching("10 - 3 - 2 = 5") == ALL


# ---- combinations -----------------------------------------------------------------------------------


def test_words_are_joined_with_spaces() -> None:
    assert matching("tcp", "port", "443") == matching("tcp port 443") == {"https-syn"}
    assert matching("(port", "80", "or", "port", "443)") == matching("(port 80 or port 443)")
    assert matching("tcp&&port 80") == matching("tcp and port 80")
    assert matching("host 10.0.0.1&&!10.0.0.2") == matching("host 10.0.0.1 and not 10.0.0.2")


def test_and_and_or_have_equal_precedence_left_to_right() -> None:
    assert matching("tcp or udp and port 53") == UDP  # (tcp or udp) and port 53
    assert matching("port 53 and udp or tcp") == UDP | TCP
    assert matching("tcp && port 80 || udp") == HTTP | UDP


def test_parentheses_and_not() -> None:
    assert matching("(port 80 or port 443) and tcp") == HTTP | {"https-syn"}
    assert matching("not (tcp or udp)") == ICMP
    assert matching("not not tcp") == TCP
    assert matching("port 80 and not (443 or 22)") == HTTP


def test_operands_inherit_the_qualifiers_before_them() -> None:
    assert matching("port 80 or 443") == matching("port 80 or port 443")
    assert matching("tcp port 80 or 443 or 22") == matching("tcp port 80 or tcp port 443 or tcp port 22")
    assert matching("host 10.0.0.1 and not 10.0.0.2") == {"alt-http"}
    assert matching("src port 80 and dst 10.0.0.2 or 192.168.1.5") == matching(
        "src port 80 and dst host 10.0.0.2 or dst host 192.168.1.5")
    assert matching("host (10.0.0.2 or 192.168.1.5)") == matching("host 10.0.0.2 or host 192.168.1.5")
    assert matching("port (80 or 443)") == HTTP | {"https-syn"}
    assert matching("host not 10.0.0.1") == matching("not host 10.0.0.1")
    # A parenthesis passes on the qualifiers from before it, not those inside it.
    assert matching("host 1.2.3.4 and (port 80) or 192.168.1.5") == matching("host 192.168.1.5")


# ---- errors (real tcpdump's messages) ---------------------------------------------------------------


@pytest.mark.parametrize(("expression", "message"), [
    ("port", "can't parse filter expression: syntax error"),
    ("port 80 or", "can't parse filter expression: syntax error"),
    ("(port 80", "can't parse filter expression: syntax error"),
    ("port 80)", "can't parse filter expression: syntax error"),
    ("port 80 443", "can't parse filter expression: syntax error"),
    ("10.0.0.1", "can't parse filter expression: syntax error"),
    ("not 10.0.0.1", "can't parse filter expression: syntax error"),
    ("foo", "can't parse filter expression: syntax error"),
    ("TCP port 80", "can't parse filter expression: syntax error"),
    ("proto tcp", "can't parse filter expression: syntax error"),
    ("src proto 6", "can't parse filter expression: syntax error"),
    ("tcp[tcpflags]", "can't parse filter expression: syntax error"),
    ("tcp[tcpflags] & tcp-syn", "can't parse filter expression: syntax error"),
    ("tcp[tcpflags] & tcp-psh != 0", "can't parse filter expression: syntax error"),
    ("host 1.2.3.4 and (1.2.3.5 or port 80)", "can't parse filter expression: syntax error"),
    ("tcp or 80", "syntax error in filter expression"),
    ("tcp or 10.0.0.1", "syntax error in filter expression"),
    ("tcp and (80 or 443)", "syntax error in filter expression"),
    ("port 99999", "illegal port number 99999 > 65535"),
    ("portrange 1-70000", "illegal port number 70000 > 65535"),
    ("port 99999999999", "number 99999999999 overflows 32 bits"),
    ("port 080", "number 080 contains non-octal digit"),
    ("icmp port 80", "illegal qualifier of 'port'"),
    ("ip port 80", "illegal qualifier of 'port'"),
    ("icmp portrange 1-2", "illegal qualifier of 'portrange'"),
    ("port 10.0.0.1", "'port' modifier applied to ip host"),
    ("port 53 or 10.0.0.1", "'port' modifier applied to ip host"),
    ("tcp src 10.0.0.1", "'tcp' modifier applied to host"),
    ("udp host 10.0.0.1", "'udp' modifier applied to host"),
    ("tcp net 10.0.0.0/8", "'tcp' modifier applied to net"),
    ("ip6 host 10.0.0.1", "'ip6' modifier applied to ip host"),
    ("host foo", "unknown host 'foo'"),
    ("host 1.2.3.4.5", "unknown host '1.2.3.4.5'"),
    ("net foo", "unknown network 'foo'"),
    ("tcp port foo", "unknown port 'foo'"),
    ("port 80-90", "unknown port '80-90'"),
    ("portrange foo-bar", "unknown port in range 'foo-bar'"),
    ("portrange http-alt", "unknown port in range 'http-alt'"),
    ("proto foo", "unknown ip proto 'foo'"),
    ("port irc", "unknown port 'irc'"),
    ("udp port ssh", "port 'ssh' is tcp"),
    ("tcp port bootps", "port 'bootps' is udp"),
    ("sctp port http", "port 'http' is tcp"),
    ("udp portrange ssh-http", "port in range 'ssh-http' is tcp"),
    ("tcp proto 6", "'tcp proto' is bogus"),
    ("host 10.0.0.256", "invalid IPv4 address '10.0.0.256'"),
    ("net 10.0.0.0/33", "mask length must be <= 32"),
    ("net 10.0.0.1/24", 'non-network bits set in "10.0.0.1/24"'),
    ("net 10.0.0.1 mask 255.255.255.0", 'non-network bits set in "10.0.0.1 mask 255.255.255.0"'),
    ("host 10.0.0.0/24", "Mask syntax for networks only"),
    ("src 10.0.0.0/8", "Mask syntax for networks only"),
    ("gateway 10.0.0.1", "'gateway' requires a name"),
    ("tcp[13:3] = 1", "data size must be 1, 2, or 4"),
    ("tcp[13] / 0 = 0", "division by zero"),
    ("tcp[13] % 0 = 0", "modulus by zero"),
    ("1 << 33 = 2", "shift by more than 31 bits"),
    ("ah[0] = 1", "unsupported index operation"),
])
def test_errors_read_as_tcpdump_prints_them(expression: str, message: str) -> None:
    assert error(expression) == f"tcpdump: {message}"


def test_the_first_error_from_the_left_wins() -> None:
    assert error("port 99999 and (") == "tcpdump: illegal port number 99999 > 65535"


def test_filter_error_is_a_value_error() -> None:
    assert issubclass(FilterError, ValueError)


@pytest.mark.parametrize("expression", ["ether proto 0x800", "ether[0] = 1", "inbound", "vlan",
                                        "ip broadcast", "protochain 6", "gateway router"])
def test_what_the_simulator_does_not_model_is_refused_plainly(expression: str) -> None:
    assert "not supported by the simulator" in error(expression)


# ---- against the installed tcpdump ------------------------------------------------------------------

DIFFERENTIAL = [
    "tcp", "udp or icmp", "host 10.0.0.1", "src 10.0.0.2", "dst net 10.0.0.0/24", "net 10.1", "port 80 or 443",
    "tcp dst port 80", "udp src port 53", "portrange 20-80", "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
    "tcp[tcpflags] & tcp-rst != 0", "icmp[icmptype] = icmp-echo", "less 60", "greater 100", "len > 200",
    "host 10.0.0.1 and not 10.0.0.2", "port 80 and not (443 or 22)", "tcp or udp and port 53", "not tcp[100] = 0",
    "src or dst host 192.168.1.5", "ip[8] < 5", "proto 17", "(tcp[13] & 0x12) = 0x12", "port 53 or 10.0.0.1",
    "tcp or 80", "host foo", "net 10.0.0.1/24", "port 99999", "(port 80", "icmp port 80", "host localhost",
    "portrange ssh-http", "udp port ssh", "port domain",
]


def _tcpdump_499() -> bool:
    if shutil.which("tcpdump") is None:
        return False
    version = subprocess.run(["tcpdump", "--version"], capture_output=True, text=True, check=False).stdout
    return version.startswith("tcpdump version 4.99")


@pytest.mark.skipif(not _tcpdump_499(), reason="needs tcpdump 4.99 to compare with")
def test_matches_and_errors_agree_with_the_installed_tcpdump(tmp_path: Path) -> None:
    names = list(PACKETS)
    path = tmp_path / "frames.pcap"
    data = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
    for second, name in enumerate(names):
        frame = ethernet_frame(PACKETS[name], "02:00:00:00:00:02", "02:00:00:00:00:01")
        data += struct.pack("<IIII", second, 0, len(frame), len(frame)) + frame
    path.write_bytes(data)
    for expression in DIFFERENTIAL:
        run = subprocess.run(["tcpdump", "-tt", "-nr", str(path), "--", expression], capture_output=True, text=True,
                             check=False, env={**os.environ, "TZ": "UTC"})
        if run.returncode:
            assert error(expression) == run.stderr.strip().splitlines()[-1], expression
        else:
            real = {names[int(line.split(".")[0])] for line in run.stdout.splitlines()}
            assert matching(expression) == real, expression


def test_arp_frames_match_arp_host_and_ether_never_ip() -> None:
    """libpcap: `ip` checks the ethertype, `host`/`net` also test ARP's sender and target addresses."""
    from netstack_tui.kernel.capture import ArpFrame, Captured

    request = ArpFrame("request", "02:00:00:00:00:0a", A, "00:00:00:00:00:00", B)
    frame = Captured(0.0, "eth0", "Out", Packet(0, A, B), "02:00:00:00:00:0a", "ff:ff:ff:ff:ff:ff", arp=request)
    ip_frame = Captured(0.0, "eth0", "Out", PACKETS["syn"], "02:00:00:00:00:0a", "02:00:00:00:00:0b")
    cases = {"arp": (True, False), "ip": (False, True), "not arp": (False, True), "host 10.0.0.1": (True, True),
             "arp dst host 10.0.0.1": (True, False), "ip host 10.0.0.1": (False, True),
             "ether broadcast": (True, False), "ether src 2:0:0:0:0:a": (True, True),
             "ether dst host 02:00:00:00:00:0b": (False, True), "ip[0] = 0x45": (False, True),
             "not ip[0] = 1": (True, True), "tcp or len = 42": (True, True), "port 80": (False, True)}
    for expression, expected in cases.items():
        wanted = compile_filter([expression])
        assert (wanted(frame), wanted(ip_frame)) == expected, expression
