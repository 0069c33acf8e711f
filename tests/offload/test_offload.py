"""Offloads: the `ethtool -k/-K` answers, how a large send is cut, GRO, and bad checksums."""

from __future__ import annotations

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel import offload
from netstack_tui.kernel.interfaces import Interface
from netstack_tui.kernel.packet import PSH, parse_packet

VETH = (
    "ip netns add b",
    "ip link add va type veth peer name vb",
    "ip link set vb netns b",
    "ip addr add 10.9.0.1/24 dev va",
    "ip -n b addr add 10.9.0.2/24 dev vb",
    "ip link set va up",
    "ip -n b link set vb up",
    "ip netns exec b listen tcp 10.9.0.2:5000 --app sink",
    "connect tcp 10.9.0.2:5000 --from 10.9.0.1:40000 --app client",
)
BIG = "send 'tcp 10.9.0.1:40000 > 10.9.0.2:5000 [P.] seq=1 ack=1 len=5000'"


def _shell(*lines: str) -> Shell:
    shell = Shell()
    for line in lines:
        shell.run(line)
    return shell


def _lengths(shell: Shell, command: str) -> list[int]:
    out = shell.run(command).output
    return [int(line.rsplit("length ", 1)[1]) for line in out.splitlines() if "10.9.0.1.40000 >" in line
            and not line.endswith("length 0")]


def test_cut_follows_mss() -> None:
    """A 5,000-byte send at MTU 1500 becomes 1460+1460+1460+620, seq counting on, PSH only on the last."""
    pkt, _ = parse_packet("tcp 10.0.0.1:1 > 10.0.0.2:2 [P.] seq=100 len=5000")
    segs = offload.cut(pkt, offload.mss(Interface("eth0", 2, "02:00:00:00:00:01"), pkt))
    assert [s.payload_len for s in segs] == [1460, 1460, 1460, 620]
    assert [s.seq for s in segs] == [100, 1560, 3020, 4480]
    assert [bool(s.flags & PSH) for s in segs] == [False, False, False, True]


def test_mss_follows_mtu() -> None:
    """At MTU 9000 the same send leaves in one frame."""
    pkt, _ = parse_packet("tcp 10.0.0.1:1 > 10.0.0.2:2 [P.] len=5000")
    assert offload.mss(Interface("eth0", 2, "02:00:00:00:00:01", mtu=9000), pkt) == 8960


def test_veth_with_tso_passes_the_large_skb_whole() -> None:
    """Defaults (veth TSO on): tcpdump on both ends shows one 5,000-byte packet."""
    shell = _shell(*VETH, BIG)
    assert _lengths(shell, "tcpdump -n -i va") == [5000]
    assert _lengths(shell, "ip netns exec b tcpdump -n -i vb") == [5000]


def test_gso_cuts_before_the_tap_and_gro_off_keeps_segments() -> None:
    """TSO off on the sender: GSO's segments show on both ends while the receiving veth has GRO off."""
    shell = _shell(*VETH, "ethtool -K va tso off", BIG)
    assert _lengths(shell, "tcpdump -n -i va") == [1460, 1460, 1460, 620]
    assert _lengths(shell, "ip netns exec b tcpdump -n -i vb") == [1460, 1460, 1460, 620]


def test_gro_on_merges_the_segments_back() -> None:
    """With `gro on` at the receiver the four segments go up as one skb, and tcpdump there shows it."""
    shell = _shell(*VETH, "ethtool -K va tso off", "ip netns exec b ethtool -K vb gro on", BIG)
    assert _lengths(shell, "tcpdump -n -i va") == [1460, 1460, 1460, 620]
    assert _lengths(shell, "ip netns exec b tcpdump -n -i vb") == [5000]
    assert any(s.note == "gro.merged" for s in shell.last_traces[-1].steps)


def test_tso_on_a_nic_shows_the_large_skb_and_counts_segments() -> None:
    """Out of a NIC with TSO the tap sees one large skb, the driver counts four frames."""
    shell = _shell("ip addr add 10.0.0.1/24 dev eth0", "ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:09 dev eth0")
    before = shell.host.interfaces["eth0"].stats.tx_packets
    shell.run("send 'tcp 10.0.0.1:40000 > 10.0.0.2:80 [P.] len=5000'")
    assert shell.host.interfaces["eth0"].stats.tx_packets - before == 4
    assert [s.note for s in shell.last_traces[-1].steps if s.note.startswith("offload.")] == ["offload.tso"]


def test_no_tso_no_gso_the_stack_cuts() -> None:
    """With both off, TCP builds the segments itself."""
    shell = _shell("ip addr add 10.0.0.1/24 dev eth0", "ethtool -K eth0 tso off gso off",
                   "send 'tcp 10.0.0.1:40000 > 10.0.0.2:80 [P.] len=5000'")
    assert [s.note for s in shell.last_traces[-1].steps if s.note.startswith("offload.")] == ["offload.stack"]


def test_feature_listing_and_changes() -> None:
    """-K changes what -k shows; TSO without scatter-gather shows off [requested on]."""
    shell = _shell("ethtool -K eth0 gro off", "ethtool -K eth0 sg off")
    listing = shell.run("ethtool -k eth0").output
    assert "generic-receive-offload: off\n" in listing
    assert "\ttx-tcp-segmentation: off [requested on]" in listing
    assert "tcp-segmentation-offload: off" in listing


@pytest.mark.parametrize(("line", "status", "text"), [
    ("ethtool -K eth0 lro on", 1, "rx-lro: off [requested on]"),
    ("ethtool -K lo rx off", 1, "rx-checksum: on [requested off]"),
    ("ethtool -K eth0 bogus on", 92, "bit name not found"),
    ("ethtool -K eth0 gro maybe", 1, "is not followed by 'on' or 'off'"),
    ("ethtool -K nodev gro on", 92, "No such device"),
])
def test_refused_changes(line: str, status: int, text: str) -> None:
    """Fixed features, unknown names, bad values and missing devices answer as ethtool does."""
    result = Shell().run(line)
    assert result.status == status and text in result.output


def test_big_nic_lets_lro_change() -> None:
    """An ixgbe's LRO is not fixed."""
    shell = _shell("nic eth0 driver ixgbe", "ethtool -K eth0 lro on")
    assert "large-receive-offload: on\n" in shell.run("ethtool -k eth0").output


@pytest.mark.parametrize("rx", ["on", "off"])
@pytest.mark.parametrize(("spec", "reason", "counter"), [
    ("tcp 203.0.113.7:51000 > 10.0.0.1:80 [S] csum=bad iface=eth0", "TCP_CSUM", "TcpInCsumErrors"),
    ("udp 203.0.113.7:5353 > 10.0.0.1:53 csum=bad iface=eth0", "UDP_CSUM", "UdpInCsumErrors"),
])
def test_bad_checksum_dropped_by_the_transport(rx: str, spec: str, reason: str, counter: str) -> None:
    """A wrong checksum is dropped in tcp_v4_rcv/udp_rcv, counted, and unanswered, rx checksumming on or off."""
    shell = _shell("ip addr add 10.0.0.1/24 dev eth0", "nic eth0 driver ixgbe")
    assert shell.run(f"ethtool -K eth0 rx {rx}").status == 0  # ixgbe lets rx checksumming change
    out = shell.run(f"send {spec}").output
    assert out == f"dropped at socket ({reason})"
    assert shell.host.mib.get(counter) == 1
    note = shell.last_traces[-1].steps[-1].note
    assert note == ("csum.bad_hw" if rx == "on" else "csum.bad_sw")


def test_csum_notation_round_trips() -> None:
    """`csum=bad` parses and prints back."""
    pkt, _ = parse_packet("udp 10.0.0.2:1 > 10.0.0.1:2 csum=bad")
    assert pkt.bad_csum and str(pkt).endswith("csum=bad")
