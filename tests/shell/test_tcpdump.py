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
    who = Ether(src="52:54:00:aa:bb:cc", dst="ff:ff:ff:ff:ff:ff") / ARP(pdst="10.0.0.1")
    who.time = 3723.5
    wrpcap(str(path), [syn, who])
    result = Shell().run(f"tcpdump -nn -r {path}")
    assert result.status == 0
    assert _lines(result.output) == [
        "01:02:03.250000 IP 192.0.2.7.51000 > 10.0.0.1.443: Flags [S], seq 1000, win 8192, options [mss 1460], length 0"
    ]
    assert "(1 frames that are not IPv4 TCP, UDP or ICMP were skipped)" in result.output
