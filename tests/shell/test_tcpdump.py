"""`tcpdump` in the shell: what the taps saw, its options, its errors, and pcap files.

The pcap files it writes are read back by the real tcpdump (when installed), which must print the
very lines ours prints: the frames, the link types and our line format are checked at once."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Ether
from scapy.utils import wrpcap

from netstack_tui.commands.shell import Shell
from netstack_tui.commands.userland import userland

TRAFFIC = [
    "send tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]",
    "send tcp 10.0.0.2:40000 > 10.0.0.1:80 [.] seq=1 ack=2264925555 len=100",
    "send tcp 10.0.0.2:40001 > 10.0.0.1:22 [S]",
    "send tcp 10.0.0.2:40002 > 10.0.0.1:81 [S]",
    "send udp 10.0.0.2:5000 > 10.0.0.1:9999 len=10",
    "send icmp 10.0.0.2 > 10.0.0.1 echo-request",
    "send tcp 127.0.0.1:40000 > 127.0.0.1:81 [S]",
]


def _shell(*extra: str, traffic: bool = True) -> Shell:
    sh = Shell()
    for line in ["ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --app web",
                 "iptables -A INPUT -p tcp --dport 22 -j DROP", *extra, *(TRAFFIC if traffic else [])]:
        assert sh.run(line).status == 0, line
    return sh


def _lines(text: str) -> list[str]:
    """The packet lines (each starts with its timestamp)."""
    return [line for line in text.splitlines() if re.match(r"\d\d:\d\d:\d\d\.\d{6} ", line)]


def test_default_interface_header_lines_and_counts() -> None:
    out = _shell().run("tcpdump -n").output.splitlines()
    assert out[:2] == ["tcpdump: verbose output suppressed, use -v[v]... for full protocol decode",
                       "listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes"]
    assert out[2] == "00:00:00.000000 IP 10.0.0.2.40000 > 10.0.0.1.80: Flags [S], seq 0, win 64240, length 0"
    assert out[-3:] == ["10 packets captured", "10 packets received by filter", "0 packets dropped by kernel"]


def test_it_sees_what_iptables_drops_but_not_what_xdp_drops() -> None:
    """The classic puzzle: tcpdump shows the SYN to port 22, yet nothing answers it."""
    sh = _shell()
    to_ssh = [line for line in _lines(sh.run("tcpdump -nn port 22").output)]
    assert to_ssh == ["00:00:00.000000 IP 10.0.0.2.40001 > 10.0.0.1.22: Flags [S], seq 0, win 64240, length 0"]
    xdp = _shell("ip link set dev eth0 xdp obj xdp_drop")
    assert _lines(xdp.run("tcpdump -nn").output) == []


def test_any_names_interface_and_direction_and_lo_shows_each_frame_once() -> None:
    lines = _lines(_shell().run("tcpdump -nn -i any tcp port 81").output)
    assert [line.split()[1:3] for line in lines] == [["eth0", "In"], ["eth0", "Out"], ["lo", "In"], ["lo", "In"]]
    assert "Flags [R.], seq 0, ack 1, win 0, length 0" in lines[1]


def test_filters_count_and_names() -> None:
    sh = _shell()
    syns = _lines(sh.run("tcpdump -nn 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn'").output)
    assert len(syns) == 3 and all("Flags [S]," in line for line in syns)
    assert len(_lines(sh.run("tcpdump -nn -c 2 icmp or udp").output)) == 2
    named = _lines(sh.run("tcpdump -c 1").output)[0]
    assert "10.0.0.1.http: Flags [S]" in named  # without -n, ports by their service names


def test_output_goes_through_a_pipe_while_the_banner_and_counts_stay_on_the_terminal() -> None:
    out = _shell().run("tcpdump -nn | grep -c ICMP").output.splitlines()
    assert out[0].startswith("tcpdump: verbose output suppressed")
    assert out[2] == "3"  # a port unreachable, an echo request and its reply
    assert out[-1] == "0 packets dropped by kernel"


def test_floods_are_noted_not_listed() -> None:
    sh = _shell("listen udp 0.0.0.0:9999 --app echo", traffic=False)
    sh.run("flood udp 10.0.0.2:5000 > 10.0.0.1:9999 --count 50 --vary sport")
    out = sh.run("tcpdump -nn").output
    assert len(_lines(out)) == 1  # the flood's last packet is traced, for display
    assert "(49 flood frames passed this tap too" in out


@pytest.mark.parametrize(("command", "message"), [
    ("tcpdump -i eth9", "tcpdump: eth9: No such device exists"),
    ("tcpdump port 99999", "tcpdump: illegal port number 99999 > 65535"),
    ("tcpdump -r /nonexistent/x.pcap", "tcpdump: /nonexistent/x.pcap: No such file or directory"),
    ("tcpdump -c", "tcpdump: option requires an argument -- 'c'"),
    ("tcpdump -c x", "tcpdump: invalid packet count x"),
    ("tcpdump -Z", "tcpdump: invalid option -- 'Z'"),
    ("tcpdump tcp port", "tcpdump: can't parse filter expression: syntax error"),
])
def test_bad_input_is_one_clear_error(command: str, message: str) -> None:
    result = _shell(traffic=False).run(command)
    assert result.status == 1
    assert result.output.splitlines()[0] == message


@pytest.mark.parametrize("iface", ["eth0", "any", "lo"])
def test_write_then_read_gives_the_same_lines(iface: str) -> None:
    sh = _shell()
    sh.run(f"tcpdump -nn -i {iface} -w cap.pcap")
    shown = _lines(sh.run(f"tcpdump -nn -i {iface}").output)
    read = sh.run("tcpdump -nn -r cap.pcap")
    assert read.status == 0 and _lines(read.output) == shown and shown


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="the real tcpdump is not installed")
@pytest.mark.parametrize("iface", ["eth0", "any", "lo"])
def test_the_real_tcpdump_reads_our_pcap_and_prints_our_lines(iface: str, tmp_path: Path) -> None:
    """Byte for byte, our frames are what tcpdump decodes into our lines. Two things differ by
    design: tcpdump decodes payloads (`: HTTP`; ours are zeros, not decoded) and names a cooked
    frame's interface by this machine's interface with that index."""
    sh = _shell()
    sh.run(f"tcpdump -nn -i {iface} -w cap.pcap")
    path = tmp_path / "cap.pcap"
    path.write_bytes(userland(sh.host).captures["/root/cap.pcap"])
    real = subprocess.run(["tcpdump", "-nn", "-r", str(path)], capture_output=True, text=True, timeout=30, check=True,
                          env={"TZ": "UTC", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    theirs = [line.removesuffix(": HTTP") for line in real.stdout.splitlines()]
    ours = _lines(sh.run("tcpdump -nn -r cap.pcap").output)
    if iface == "any":  # the interface column: compare everything but the name
        theirs = [line[:16] + line[22:] for line in theirs]
        ours = [line[:16] + line[22:] for line in ours]
    assert ours == theirs and len(ours) >= 2


def test_a_real_capture_from_disk_is_decoded_and_non_ipv4_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "real.pcap"
    syn = Ether(src="52:54:00:aa:bb:cc", dst="52:54:00:11:22:33") / IP(src="192.0.2.7", dst="10.0.0.1", ttl=57) / TCP(
        sport=51000, dport=443, flags="S", seq=1000, options=[("MSS", 1460)])
    syn.time = 3723.25
    who = Ether(src="52:54:00:aa:bb:cc", dst="ff:ff:ff:ff:ff:ff") / ARP(
        hwsrc="52:54:00:aa:bb:cc", psrc="192.0.2.7", hwdst="00:00:00:00:00:00", pdst="10.0.0.1")
    who.time = 3723.5
    v6 = Ether(src="52:54:00:aa:bb:cc", dst="33:33:00:00:00:01") / IPv6(src="fe80::1", dst="ff02::1")
    v6.time = 3723.75
    wrpcap(str(path), [syn, who, v6])
    result = Shell().run(f"tcpdump -nn -r {path}")
    assert result.status == 0
    assert _lines(result.output) == [
        "01:02:03.250000 IP 192.0.2.7.51000 > 10.0.0.1.443: Flags [S], seq 1000, win 8192, options [mss 1460], "
        "length 0",
        "01:02:03.500000 ARP, Request who-has 10.0.0.1 tell 192.0.2.7, length 28",
    ]
    assert "(1 frames that are not IPv4 TCP, UDP, ICMP or ARP were skipped)" in result.output


# ---- ARP --------------------------------------------------------------------------------------------

PAIR = ["ip netns add a", "ip netns add b", "ip link add va type veth peer name vb", "ip link set va netns a",
        "ip link set vb netns b", "ip -n a addr add 10.0.0.1/24 dev va", "ip -n b addr add 10.0.0.2/24 dev vb",
        "ip -n a link set va up", "ip -n b link set vb up", "ip -n a link set lo up",
        "ip netns exec b listen tcp 0.0.0.0:80 --app nginx"]


def _pair() -> Shell:
    """Two namespaces over a veth; a's first connection to b resolves b's MAC by ARP."""
    sh = Shell()
    for line in [*PAIR, "ip netns exec a nc -z 10.0.0.2 80"]:
        assert sh.run(line).status == 0, line
    return sh


def _mac(sh: Shell, ns: str, dev: str) -> str:
    return sh.world.namespace(ns).interface(dev).mac


def test_arp_frames_print_as_tcpdump_prints_them() -> None:
    sh = _pair()
    mac_b = _mac(sh, "b", "vb")
    assert _lines(sh.run("ip netns exec a tcpdump -nn arp").output) == [
        "00:00:00.000000 ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28",
        f"00:00:00.000000 ARP, Reply 10.0.0.2 is-at {mac_b}, length 28",
    ]
    mac_a = _mac(sh, "a", "va")
    assert _lines(sh.run("ip netns exec a tcpdump -nn -e -c 2").output) == [
        f"00:00:00.000000 {mac_a} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: "
        "Request who-has 10.0.0.2 tell 10.0.0.1, length 28",
        f"00:00:00.000000 {mac_b} > {mac_a}, ethertype ARP (0x0806), length 42: "
        f"Reply 10.0.0.2 is-at {mac_b}, length 28",
    ]
    # Without -n, MACs get their vendor (none for locally administered ones) and broadcast its name.
    assert _lines(sh.run("ip netns exec a tcpdump -e -c 1").output) == [
        f"00:00:00.000000 {mac_a} (oui Unknown) > Broadcast, ethertype ARP (0x0806), length 42: "
        "Request who-has 10.0.0.2 tell 10.0.0.1, length 28"]
    assert _lines(sh.run("ip netns exec a tcpdump -nn -v -c 1").output) == [
        "00:00:00.000000 ARP, Ethernet (len 6), IPv4 (len 4), Request who-has 10.0.0.2 tell 10.0.0.1, length 28"]
    index = sh.world.namespace("b").interface("vb").index
    assert _lines(sh.run("ip netns exec b tcpdump -nn -i any -e arp").output) == [
        f"00:00:00.000000 vb    In  ifindex {index} {mac_a} ethertype ARP (0x0806), length 48: "
        "Request who-has 10.0.0.2 tell 10.0.0.1, length 28",
        f"00:00:00.000000 vb    Out ifindex {index} {mac_b} ethertype ARP (0x0806), length 48: "
        f"Reply 10.0.0.2 is-at {mac_b}, length 28",
    ]


@pytest.mark.parametrize(("expression", "arp_lines", "ip_lines"), [
    ("arp", 2, 0), ("not arp", 0, None), ("ip", 0, None), ("not ip", 2, 0), ("host 10.0.0.2 and not tcp", 2, 0),
    ("ether broadcast", 1, 0), ("arp host 10.0.0.1", 2, 0), ("ip host 10.0.0.1", 0, None),
    ("src host 10.0.0.2 and arp", 1, 0), ("less 42 and arp", 2, 0), ("greater 43 and arp", 0, 0),
])
def test_filters_tell_arp_from_ip(expression: str, arp_lines: int, ip_lines: int | None) -> None:
    """libpcap's `ip` checks the ethertype; `host`/`net` also match ARP's sender and target addresses."""
    lines = _lines(_pair().run(f"ip netns exec a tcpdump -nn {expression}").output)
    assert sum(" ARP, " in line for line in lines) == arp_lines
    ip = sum(" IP " in line for line in lines)
    assert ip > 0 if ip_lines is None else ip == ip_lines


def test_ether_host_matches_the_frames_addresses() -> None:
    sh = _pair()
    mac_b = _mac(sh, "b", "vb")
    lines = _lines(sh.run(f"ip netns exec a tcpdump -nn ether src {mac_b}").output)
    assert lines and all("10.0.0.2" in line.split(">")[0] or "Reply" in line for line in lines)
    assert lines[0].endswith(f"ARP, Reply 10.0.0.2 is-at {mac_b}, length 28")


@pytest.mark.parametrize("iface", ["va", "any"])
def test_arp_written_and_read_back(iface: str) -> None:
    sh = _pair()
    sh.run(f"ip netns exec a tcpdump -nn -i {iface} -w arp.pcap")
    shown = _lines(sh.run(f"ip netns exec a tcpdump -nn -i {iface}").output)
    read = sh.run("ip netns exec a tcpdump -nn -r arp.pcap")
    assert read.status == 0 and _lines(read.output) == shown and any("ARP, Request" in line for line in shown)


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="the real tcpdump is not installed")
@pytest.mark.parametrize(("iface", "flags"), [("va", "-nn"), ("va", "-nn -e -v"), ("va", "-e"), ("any", "-nn"),
                                              ("any", "-nn -e")])
def test_the_real_tcpdump_reads_our_arp_frames(iface: str, flags: str, tmp_path: Path) -> None:
    """Our ARP frames are real Ethernet/ARP bytes: tcpdump decodes them into our lines."""
    sh = _pair()
    sh.run(f"ip netns exec a tcpdump -nn -i {iface} -w cap.pcap arp")
    path = tmp_path / "cap.pcap"
    path.write_bytes(userland(sh.world.namespace("a")).captures["/root/cap.pcap"])
    real = subprocess.run(["tcpdump", *flags.split(), "-r", str(path)], capture_output=True, text=True, timeout=30,
                          check=True, env={"TZ": "UTC", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    theirs = real.stdout.splitlines()
    ours = _lines(sh.run(f"ip netns exec a tcpdump {flags} -r cap.pcap").output)
    if iface == "any":  # the interface column: the real one cannot name our interface
        theirs = [line[:16] + line[22:] for line in theirs]
        ours = [line[:16] + line[22:] for line in ours]
    assert ours == theirs and len(ours) == 2
