"""tcpdump's line format for captured frames.

Lines marked "real:" were printed by tcpdump 4.99.3 (libpcap 1.10.3) reading pcap files that hold
the frames `kernel.wire` builds for the same records (so window, options and zero payloads agree),
or, for the brief's samples, by a live capture, with the TCP options the simulator does not model
removed and the application decode (`: HTTP`) dropped, since payload bytes are not kept.
The last test repeats the comparison against the installed tcpdump when there is one.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import struct
import subprocess
from pathlib import Path

import pytest

from netstack_tui.commands.tcpdump_print import LinePrinter, clock, footer, header, tcp_flags, tcp_window
from netstack_tui.kernel.addr import parse_ipv4
from netstack_tui.kernel.capture import Captured
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
from netstack_tui.kernel.wire import ethernet_frame, ip_datagram

CLIENT, SERVER, LOCAL = parse_ipv4("10.0.0.2"), parse_ipv4("10.0.0.1"), parse_ipv4("127.0.0.1")
PEER_MAC, OWN_MAC = "02:00:00:00:00:02", "02:00:00:00:00:01"
T0 = 8 * 3600 + 12 * 60 + 1.155830  # 08:12:01.155830


def tcp(src: int, sport: int, dst: int, dport: int, flags: int, seq: int = 0, ack: int = 0, *,
        payload_len: int = 0, opt_len: int = 0) -> Packet:
    return Packet(IPPROTO_TCP, src, dst, sport, dport, flags=flags, seq=seq, ack_seq=ack, payload_len=payload_len,
                  opt_len=opt_len)


def frame(pkt: Packet, t: float = T0, iface: str = "eth0", direction: str = "In") -> Captured:
    if iface == "lo":
        return Captured(t, iface, direction, pkt)
    macs = (PEER_MAC, OWN_MAC) if direction == "In" else (OWN_MAC, PEER_MAC)
    return Captured(t, iface, direction, pkt, *macs)


def printer(numeric: bool = True, *, any_iface: bool = False, timestamps: bool = True, verbose: bool = False,
            link: bool = False) -> LinePrinter:
    return LinePrinter(numeric=numeric, any_iface=any_iface, timestamps=timestamps, verbose=verbose, link=link)


SYN_PKT = tcp(CLIENT, 44296, SERVER, 80, SYN, 4059134457)
SYNACK_PKT = tcp(SERVER, 80, CLIENT, 44296, SYN | ACK, 3333757894, 4059134458, opt_len=4)
HANDSHAKE_ACK = tcp(CLIENT, 44296, SERVER, 80, ACK, 4059134458, 3333757895)
DATA = tcp(CLIENT, 44296, SERVER, 80, PSH | ACK, 4059134458, 3333757895, payload_len=100)
SERVER_ACK = tcp(SERVER, 80, CLIENT, 44296, ACK, 3333757895, 4059134558)
CLIENT_FIN = tcp(CLIENT, 44296, SERVER, 80, FIN | ACK, 4059134558, 3333757895)
SERVER_FIN = tcp(SERVER, 80, CLIENT, 44296, FIN | ACK, 3333757895, 4059134559)
LAST_ACK = tcp(CLIENT, 44296, SERVER, 80, ACK, 4059134559, 3333757896)
UDP_53 = Packet(IPPROTO_UDP, CLIENT, SERVER, 5353, 53, payload_len=18)
PORT_UNREACHABLE = Packet(IPPROTO_ICMP, SERVER, CLIENT, icmp_type=3, icmp_code=3, inner=UDP_53)


# ---- the brief's samples ----------------------------------------------------------------------------


def test_a_connection_prints_as_the_real_capture_did() -> None:
    p = printer()
    lines = [p.line(frame(pkt, T0 + i * 0.00002)) for i, pkt in enumerate(
        [SYN_PKT, SYNACK_PKT, HANDSHAKE_ACK, DATA, SERVER_ACK, CLIENT_FIN, SERVER_FIN, LAST_ACK])]
    assert lines == [
        # real (options and `: HTTP` we do not model removed):
        "08:12:01.155830 IP 10.0.0.2.44296 > 10.0.0.1.80: Flags [S], seq 4059134457, win 64240, length 0",
        "08:12:01.155850 IP 10.0.0.1.80 > 10.0.0.2.44296: Flags [S.], seq 3333757894, ack 4059134458, win 65160, "
        "options [mss 1460], length 0",
        "08:12:01.155870 IP 10.0.0.2.44296 > 10.0.0.1.80: Flags [.], ack 1, win 64240, length 0",
        "08:12:01.155890 IP 10.0.0.2.44296 > 10.0.0.1.80: Flags [P.], seq 1:101, ack 1, win 64240, length 100",
        "08:12:01.155910 IP 10.0.0.1.80 > 10.0.0.2.44296: Flags [.], ack 101, win 64240, length 0",
        "08:12:01.155930 IP 10.0.0.2.44296 > 10.0.0.1.80: Flags [F.], seq 101, ack 1, win 64240, length 0",
        "08:12:01.155950 IP 10.0.0.1.80 > 10.0.0.2.44296: Flags [F.], seq 1, ack 102, win 64240, length 0",
        "08:12:01.155970 IP 10.0.0.2.44296 > 10.0.0.1.80: Flags [.], ack 2, win 64240, length 0",
    ]


def test_reset_icmp_and_echo_samples() -> None:
    p = printer()
    rst = tcp(LOCAL, 81, LOCAL, 57096, RST | ACK, 0, 4263191305)
    echo = Packet(IPPROTO_ICMP, LOCAL, LOCAL, icmp_type=8, icmp_id=1)
    t = 8 * 3600 + 12 * 60 + 25.152142
    assert p.line(frame(rst, t, "lo")) == (
        "08:12:25.152142 IP 127.0.0.1.81 > 127.0.0.1.57096: Flags [R.], seq 0, ack 4263191305, win 0, length 0")
    # The record keeps no ICMP sequence number; the frame carries 0 (the sample's ping sent 1).
    assert p.line(frame(echo, t + 0.00025, "lo")) == (
        "08:12:25.152392 IP 127.0.0.1 > 127.0.0.1: ICMP echo request, id 1, seq 0, length 8")
    assert p.line(frame(PORT_UNREACHABLE, T0)) == (
        "08:12:01.155830 IP 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.1 udp port 53 unreachable, length 54")


# ---- relative sequence numbers ----------------------------------------------------------------------


def test_a_reset_is_absolute_when_it_is_the_first_ack_of_its_conversation() -> None:
    p = printer(timestamps=False)
    assert p.line(frame(tcp(SERVER, 22, CLIENT, 5000, RST | ACK, 0, 77))) == (
        "IP 10.0.0.1.22 > 10.0.0.2.5000: Flags [R.], seq 0, ack 77, win 0, length 0")


def test_segments_without_ack_neither_use_nor_record_bases() -> None:
    p = printer(timestamps=False)
    assert p.line(frame(tcp(CLIENT, 1, SERVER, 2, SYN, 1000))).endswith("seq 1000, win 64240, length 0")
    assert p.line(frame(tcp(CLIENT, 1, SERVER, 2, RST, 1001))).endswith("seq 1001, win 0, length 0")
    # The first ACK still prints absolute numbers.
    assert p.line(frame(tcp(CLIENT, 1, SERVER, 2, ACK, 1001, 9))).endswith("ack 9, win 64240, length 0")


def test_a_new_syn_restarts_the_conversation() -> None:
    p = printer(timestamps=False)
    for pkt in (SYNACK_PKT, HANDSHAKE_ACK):
        p.line(frame(pkt))
    again = tcp(SERVER, 80, CLIENT, 44296, SYN | ACK, 500, 7000, opt_len=4)
    assert "seq 500, ack 7000" in p.line(frame(again))
    assert "Flags [.], ack 1," in p.line(frame(tcp(CLIENT, 44296, SERVER, 80, ACK, 7000, 501)))


def test_sequence_numbers_wrap_around_32_bits() -> None:
    p = printer(timestamps=False)
    p.line(frame(tcp(CLIENT, 5000, SERVER, 22, ACK | PSH, 0xFFFFFFF0, 5, payload_len=32)))
    assert "seq 32:64, ack 1" in p.line(frame(tcp(CLIENT, 5000, SERVER, 22, ACK | PSH, 0x10, 5, payload_len=32)))


def test_printers_keep_their_own_state() -> None:
    first, second = printer(), printer()
    first.line(frame(SYNACK_PKT))
    assert "ack 1," in first.line(frame(HANDSHAKE_ACK))
    assert "ack 3333757895," in second.line(frame(HANDSHAKE_ACK))


# ---- tcp details ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("flags", "text"), [
    (SYN, "S"), (SYN | ACK, "S."), (ACK, "."), (PSH | ACK, "P."), (FIN | ACK, "F."), (RST, "R"),
    (RST | ACK, "R."), (FIN | SYN, "FS"), (0xFF, "FSRP.UEW"), (ECE | CWR | SYN, "SEW"), (0, "none"),
])
def test_flag_letters_follow_tcpdump_order(flags: int, text: str) -> None:
    assert tcp_flags(flags) == text


def test_all_flags_and_none() -> None:
    p = printer(timestamps=False)
    # real: Flags [FSRP.UEW], seq 1, ack 2, win 8192, urg 0, length 0 (scapy's window; ours is 0 in a reset)
    assert p.line(frame(tcp(SERVER, 80, CLIENT, 443, 0xFF, 1, 2))) == (
        "IP 10.0.0.1.80 > 10.0.0.2.443: Flags [FSRP.UEW], seq 1, ack 2, win 0, urg 0, length 0")
    assert p.line(frame(tcp(SERVER, 80, CLIENT, 443, 0, 1, 2))) == (
        "IP 10.0.0.1.80 > 10.0.0.2.443: Flags [none], win 64240, length 0")


def test_longer_option_space_is_mss_then_end_of_list() -> None:
    # real: Flags [S], seq 5, win 64240, options [mss 1460,eol], length 0
    line = printer(timestamps=False).line(frame(tcp(SERVER, 22, CLIENT, 40000, SYN, 5, opt_len=8)))
    assert line.endswith("Flags [S], seq 5, win 64240, options [mss 1460,eol], length 0")


def test_a_frame_from_a_real_capture_keeps_its_window_and_options() -> None:
    syn = tcp(parse_ipv4("192.0.2.7"), 51000, SERVER, 443, SYN, 1000, opt_len=20)
    real = Captured(0, "eth0", "In", syn, PEER_MAC, OWN_MAC, window=8192,
                    tcp_options="mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7")
    assert printer(timestamps=False).line(real) == (
        "IP 192.0.2.7.51000 > 10.0.0.1.443: Flags [S], seq 1000, win 8192, "
        "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0")
    bare = Captured(0, "eth0", "In", syn.replace(opt_len=0), window=1024, tcp_options="")
    assert printer(timestamps=False).line(bare).endswith("seq 1000, win 1024, length 0")
    # Its checksum covered option bytes the record no longer has: -v shows none rather than a wrong one.
    assert "cksum" not in printer(verbose=True).line(real)


def test_the_window_is_fixed() -> None:
    assert tcp_window(SYN_PKT) == 64240
    assert tcp_window(SYNACK_PKT) == 65160
    assert tcp_window(DATA) == 64240
    assert tcp_window(tcp(SERVER, 1, CLIENT, 2, RST | ACK)) == 0


# ---- udp and icmp -----------------------------------------------------------------------------------


def test_udp_payload_is_not_decoded() -> None:
    line = printer(timestamps=False).line(frame(Packet(IPPROTO_UDP, CLIENT, SERVER, 40000, 9999, payload_len=12)))
    assert line == "IP 10.0.0.2.40000 > 10.0.0.1.9999: UDP, length 12"  # real


UNREACHABLE_CODES = [  # real, about a TCP SYN to 10.0.0.9:22
    (0, "net 10.0.0.9 unreachable"),
    (1, "host 10.0.0.9 unreachable"),
    (2, "10.0.0.9 protocol 6 unreachable"),
    (3, "10.0.0.9 tcp port 22 unreachable"),
    (4, "10.0.0.9 unreachable - need to frag"),
    (5, "10.0.0.9 unreachable - source route failed"),
    (6, "net 10.0.0.9 unreachable - unknown"),
    (7, "host 10.0.0.9 unreachable - unknown"),
    (8, "10.0.0.9 unreachable - source host isolated"),
    (9, "net 10.0.0.9 unreachable - admin prohibited"),
    (10, "host 10.0.0.9 unreachable - admin prohibited"),
    (11, "net 10.0.0.9 unreachable - tos prohibited"),
    (12, "host 10.0.0.9 unreachable - tos prohibited"),
    (13, "host 10.0.0.9 unreachable - admin prohibited filter"),
    (14, "host 10.0.0.9 unreachable - host precedence violation"),
    (15, "host 10.0.0.9 unreachable - precedence cutoff"),
    (77, "10.0.0.9 unreachable - #77"),
]


@pytest.mark.parametrize(("code", "text"), UNREACHABLE_CODES)
def test_unreachable_codes(code: int, text: str) -> None:
    syn = tcp(CLIENT, 40000, parse_ipv4("10.0.0.9"), 22, SYN)
    error = Packet(IPPROTO_ICMP, SERVER, CLIENT, icmp_type=3, icmp_code=code, inner=syn)
    assert printer(timestamps=False).line(frame(error)) == f"IP 10.0.0.1 > 10.0.0.2: ICMP {text}, length 48"


@pytest.mark.parametrize(("icmp_type", "code", "text"), [  # real
    (11, 0, "time exceeded in-transit"),
    (11, 1, "ip reassembly time exceeded"),
    (11, 5, "time exceeded-#5"),
    (5, 0, "redirect 8.8.8.8 to net 0.0.0.0"),
    (5, 1, "redirect 8.8.8.8 to host 0.0.0.0"),
    (5, 3, "redirect-tos 8.8.8.8 to host 0.0.0.0"),
    (5, 9, "redirect-#9 8.8.8.8 to 0.0.0.0"),
    (4, 0, "source quench"),
    (12, 0, "parameter problem - octet 0"),
    (12, 1, "parameter problem - code 1"),
])
def test_other_errors(icmp_type: int, code: int, text: str) -> None:
    probe = Packet(IPPROTO_ICMP, CLIENT, parse_ipv4("8.8.8.8"), icmp_type=8, icmp_id=5, ttl=1)
    error = Packet(IPPROTO_ICMP, SERVER, CLIENT, icmp_type=icmp_type, icmp_code=code, inner=probe)
    assert printer(timestamps=False).line(frame(error)) == f"IP 10.0.0.1 > 10.0.0.2: ICMP {text}, length 36"


@pytest.mark.parametrize(("icmp_type", "payload", "text"), [  # real
    (0, 56, "ICMP echo reply, id 7, seq 0, length 64"),
    (10, 0, "ICMP router solicitation, length 8"),
    (13, 12, "ICMP time stamp query id 7 seq 0, length 20"),
    (14, 12, "ICMP time stamp reply id 7 seq 0: org 00:00:00.000, recv 00:00:00.000, xmit 00:00:00.000, length 20"),
    (14, 0, " [|icmp]"),
    (17, 0, "ICMP address mask request, length 8"),
    (42, 0, "ICMP type-#42, length 8"),
])
def test_informational_messages(icmp_type: int, payload: int, text: str) -> None:
    msg = Packet(IPPROTO_ICMP, SERVER, CLIENT, icmp_type=icmp_type, icmp_id=7, payload_len=payload)
    assert printer(timestamps=False).line(frame(msg)) == f"IP 10.0.0.1 > 10.0.0.2: {text}"


# ---- options ----------------------------------------------------------------------------------------


def test_any_interface_prefix() -> None:
    p = printer(any_iface=True)
    assert p.line(frame(SYN_PKT, iface="lo")).startswith("08:12:01.155830 lo    In  IP 10.0.0.2.44296 > ")
    assert p.line(frame(SYNACK_PKT, iface="eth0", direction="Out")).startswith(
        "08:12:01.155830 eth0  Out IP 10.0.0.1.80 > ")
    assert p.line(frame(SYN_PKT, iface="vethlong0")).startswith("08:12:01.155830 vethlong0 In  IP ")


def test_no_timestamps() -> None:
    assert printer(timestamps=False, any_iface=True).line(frame(SYN_PKT, iface="lo")).startswith("lo    In  IP ")


def test_verbose_layout() -> None:
    p = printer(verbose=True, timestamps=False)
    assert p.line(frame(SYN_PKT)) == (  # real
        "IP (tos 0x0, ttl 64, id 0, offset 0, flags [none], proto TCP (6), length 40)\n"
        "    10.0.0.2.44296 > 10.0.0.1.80: Flags [S], cksum 0x87ab (correct), seq 4059134457, win 64240, length 0")
    assert p.line(frame(SYNACK_PKT)) == (  # real
        "IP (tos 0x0, ttl 64, id 0, offset 0, flags [none], proto TCP (6), length 44)\n"
        "    10.0.0.1.80 > 10.0.0.2.44296: Flags [S.], cksum 0x89ca (correct), seq 3333757894, ack 4059134458, "
        "win 65160, options [mss 1460], length 0")


def test_verbose_tos_and_udp() -> None:
    udp = Packet(IPPROTO_UDP, CLIENT, SERVER, 40000, 9999, payload_len=12, tos=0x12, ttl=3, ip_id=7)
    assert printer(verbose=True, timestamps=False).line(frame(udp)) == (
        "IP (tos 0x12,ECT(0), ttl 3, id 7, offset 0, flags [none], proto UDP (17), length 40)\n"
        "    10.0.0.2.40000 > 10.0.0.1.9999: UDP, length 12")
    assert "(tos 0x3,CE," in printer(verbose=True).line(frame(udp.replace(tos=3)))
    assert "(tos 0x1,ECT(1)," in printer(verbose=True).line(frame(udp.replace(tos=1)))


def test_verbose_icmp_error_shows_the_quoted_datagram() -> None:
    syn = tcp(CLIENT, 40000, SERVER, 22, SYN, 0)
    error = Packet(IPPROTO_ICMP, SERVER, CLIENT, icmp_type=3, icmp_code=3, inner=syn)
    assert printer(verbose=True, timestamps=False).line(frame(error)) == (  # real
        "IP (tos 0x0, ttl 64, id 0, offset 0, flags [none], proto ICMP (1), length 68)\n"
        "    10.0.0.1 > 10.0.0.2: ICMP 10.0.0.1 tcp port 22 unreachable, length 48\n"
        "\tIP (tos 0x0, ttl 64, id 0, offset 0, flags [none], proto TCP (6), length 40)\n"
        "    10.0.0.2.40000 > 10.0.0.1.22: Flags [S], cksum 0x0499 (correct), seq 0, win 64240, length 0")


def test_a_cut_quote_prints_no_checksum_and_joins_the_sequence_state() -> None:
    p = printer(verbose=True, timestamps=False)
    big = tcp(CLIENT, 40000, parse_ipv4("10.0.1.9"), 22, ACK | PSH, 100, 200, payload_len=1000)
    frag = Packet(IPPROTO_ICMP, SERVER, CLIENT, icmp_type=3, icmp_code=4, inner=big)
    assert p.line(frame(frag)).endswith(  # real
        "ICMP 10.0.1.9 unreachable - need to frag, length 556\n"
        "\tIP (tos 0x0, ttl 64, id 0, offset 0, flags [none], proto TCP (6), length 1040)\n"
        "    10.0.0.2.40000 > 10.0.1.9.22: Flags [P.], seq 100:1100, ack 200, win 64240, length 1000")
    small = Packet(IPPROTO_ICMP, SERVER, CLIENT, icmp_type=3, icmp_code=3, inner=big.replace(payload_len=10))
    assert p.line(frame(small)).endswith(  # real: tcpdump counts from the first quote's numbers
        "10.0.0.2.40000 > 10.0.1.9.22: Flags [P.], cksum 0x0245 (correct), seq 0:10, ack 1, win 64240, length 10")


def test_link_header() -> None:
    p = printer(link=True, timestamps=False)
    assert p.line(frame(SYN_PKT)) == (  # real
        "02:00:00:00:00:02 > 02:00:00:00:00:01, ethertype IPv4 (0x0800), length 54: "
        "10.0.0.2.44296 > 10.0.0.1.80: Flags [S], seq 4059134457, win 64240, length 0")
    assert p.line(frame(SYN_PKT, iface="lo")).startswith(
        "00:00:00:00:00:00 > 00:00:00:00:00:00, ethertype IPv4 (0x0800), length 54: 10.0.0.2.44296 >")
    verbose = printer(link=True, verbose=True, timestamps=False).line(frame(SYN_PKT))
    assert verbose.startswith("02:00:00:00:00:02 > 02:00:00:00:00:01, ethertype IPv4 (0x0800), length 54: "
                              "(tos 0x0, ttl 64, id 0, offset 0, flags [none], proto TCP (6), length 40)\n    10.0.0.2")


def test_link_header_on_any_is_the_cooked_header() -> None:
    p = LinePrinter(numeric=True, any_iface=True, link=True, timestamps=False, ifindexes={"lo": 1, "eth0": 4})
    assert p.line(frame(SYN_PKT, iface="eth0")) == (  # real (a cooked v2 header is 20 bytes)
        "eth0  In  ifindex 4 02:00:00:00:00:02 ethertype IPv4 (0x0800), length 60: "
        "10.0.0.2.44296 > 10.0.0.1.80: Flags [S], seq 4059134457, win 64240, length 0")
    assert p.line(frame(SYN_PKT, iface="lo")).startswith("lo    In  ifindex 1 00:00:00:00:00:00 ethertype IPv4")


def test_names_without_n() -> None:
    p = printer(numeric=False, timestamps=False)
    assert p.line(frame(SYN_PKT)).startswith("IP 10.0.0.2.44296 > 10.0.0.1.http: Flags [S]")  # real
    assert p.line(frame(PORT_UNREACHABLE)).startswith(  # real
        "IP 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.1 udp port domain unreachable")
    assert p.line(frame(tcp(LOCAL, 81, LOCAL, 57096, RST | ACK, 0, 4263191305), iface="lo")).startswith(
        "IP localhost.81 > localhost.57096: Flags [R.]")  # real: /etc/hosts names 127.0.0.1
    assert p.line(frame(tcp(CLIENT, 40000, SERVER, 3306, URG | ACK, 1, 1))).startswith(
        "IP 10.0.0.2.40000 > 10.0.0.1.mysql: Flags [.U]")


@pytest.mark.parametrize(("proto", "port", "shown"), [  # real: names are looked up per protocol
    (IPPROTO_TCP, 80, "http"), (IPPROTO_UDP, 80, "80"), (IPPROTO_UDP, 53, "domain"), (IPPROTO_TCP, 53, "domain"),
    (IPPROTO_UDP, 123, "ntp"), (IPPROTO_TCP, 123, "123"), (IPPROTO_TCP, 143, "imap2"), (IPPROTO_UDP, 21, "fsp"),
    (IPPROTO_TCP, 514, "shell"), (IPPROTO_UDP, 514, "syslog"), (IPPROTO_TCP, 194, "194"), (IPPROTO_UDP, 1, "1"),
])
def test_port_names_follow_etc_services(proto: int, port: int, shown: str) -> None:
    pkt = Packet(proto, CLIENT, SERVER, 40000, port, flags=SYN if proto == IPPROTO_TCP else 0)
    line = printer(numeric=False, timestamps=False).line(frame(pkt))
    assert line.startswith(f"IP 10.0.0.2.40000 > 10.0.0.1.{shown}:")


# ---- clock, header, footer --------------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "00:00:00.000000"), (1.155830, "00:00:01.155830"), (T0, "08:12:01.155830"),
    (86400 + 61.5, "00:01:01.500000"), (59.9999996, "00:01:00.000000"),
])
def test_clock(seconds: float, text: str) -> None:
    assert clock(seconds) == text


def test_header_lines() -> None:  # real
    assert header("eth0", False) == [
        "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode",
        "listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes"]
    assert header("any", True) == [
        "tcpdump: data link type LINUX_SLL2",
        "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode",
        "listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes"]
    assert header("lo", False, verbose=True) == [
        "tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes"]


def test_footer_lines() -> None:  # real
    assert footer(1, 4) == ["1 packet captured", "4 packets received by filter", "0 packets dropped by kernel"]
    assert footer(0, 1) == ["0 packets captured", "1 packet received by filter", "0 packets dropped by kernel"]


# ---- against the installed tcpdump ------------------------------------------------------------------


def _variety() -> list[Captured]:
    inner_big = tcp(CLIENT, 40000, parse_ipv4("10.0.0.9"), 443, ACK | PSH, 100, 200, payload_len=1000)
    packets = [SYN_PKT, SYNACK_PKT, HANDSHAKE_ACK, DATA, SERVER_ACK, CLIENT_FIN, SERVER_FIN, LAST_ACK,
               tcp(LOCAL, 81, LOCAL, 57096, RST | ACK, 0, 4263191305), tcp(CLIENT, 1, SERVER, 2, 0xFF, 1, 2),
               Packet(IPPROTO_UDP, CLIENT, SERVER, 40000, 9999, payload_len=12, tos=0x12),
               Packet(IPPROTO_ICMP, LOCAL, LOCAL, icmp_type=8, icmp_id=1),
               Packet(IPPROTO_ICMP, SERVER, CLIENT, icmp_type=3, icmp_code=4, inner=inner_big),
               Packet(IPPROTO_ICMP, SERVER, CLIENT, icmp_type=3, icmp_code=3, inner=inner_big.replace(payload_len=9)),
               Packet(IPPROTO_ICMP, SERVER, CLIENT, icmp_type=11,
                      inner=Packet(IPPROTO_UDP, CLIENT, SERVER, 40001, 33434))]
    return [frame(p, 3600 + i / 3, "lo" if p.src == LOCAL else "eth0", "Out" if p.src == SERVER else "In")
            for i, p in enumerate(packets)]


def _pcap(frames: list[Captured], cooked: bool, ifindexes: dict[str, int]) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 276 if cooked else 1)
    for f in frames:
        if cooked:
            mac = bytes.fromhex((f.src_mac or "00:00:00:00:00:00").replace(":", "")) + bytes(2)
            sll2 = struct.pack("!HHIHBB8s", 0x0800, 0, ifindexes[f.iface], 772 if f.iface == "lo" else 1,
                               4 if f.direction == "Out" else 0, 6, mac)
            data = sll2 + ip_datagram(f.packet)
        else:
            data = ethernet_frame(f.packet, f.src_mac or "00:00:00:00:00:00", f.dst_mac or "00:00:00:00:00:00")
        seconds = int(f.time)
        out += struct.pack("<IIII", seconds, round((f.time - seconds) * 1e6), len(data), len(data)) + data
    return out


def _tcpdump_499() -> bool:
    if shutil.which("tcpdump") is None:
        return False
    version = subprocess.run(["tcpdump", "--version"], capture_output=True, text=True, check=False).stdout
    return version.startswith("tcpdump version 4.99")


@pytest.mark.skipif(not _tcpdump_499(), reason="needs tcpdump 4.99 to compare with")
def test_lines_match_the_installed_tcpdump(tmp_path: Path) -> None:
    # tcpdump names a cooked frame's interface by this machine's ifindex: use this machine's names.
    names = dict(socket.if_nameindex())
    other = next((i for i, name in sorted(names.items()) if name != "lo"), 1)
    ifindexes = {"lo": 1, names[other]: other}
    frames = [Captured(f.time, f.iface if f.iface == "lo" else names[other], f.direction, f.packet, f.src_mac,
                       f.dst_mac) for f in _variety()]
    for cooked, flags in itertools.product((False, True), ("-n", "-nv", "-ne", "-nev", "-t", "-v")):
        path = tmp_path / f"{cooked}.pcap"
        path.write_bytes(_pcap(frames, cooked, ifindexes))
        run = subprocess.run(["tcpdump", flags, "-r", str(path)], capture_output=True, text=True, check=False,
                             env={**os.environ, "TZ": "UTC"})
        p = LinePrinter(numeric="n" in flags, any_iface=cooked, timestamps="t" not in flags, verbose="v" in flags,
                        link="e" in flags, ifindexes=ifindexes)
        expected = run.stdout.replace(": HTTP\n", "\n").rstrip("\n")  # payloads are not decoded
        assert "\n".join(p.line(f) for f in frames) == expected, flags
