"""The packet taps: which frames a tcpdump on the host would see, and where along the path.

Measured with tcpdump 4.99 in network namespaces on Linux 6.18: a SYN that iptables drops in INPUT
is still captured (In); a connection refused on lo shows its SYN and RST once each (lo, In); a
frame XDP drops and a packet OUTPUT drops never reach the taps."""

from __future__ import annotations

import copy

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel import stack
from netstack_tui.kernel.host import Host


def _host(*setup: str) -> tuple[Shell, Host]:
    sh = Shell()
    for line in ("ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --app web", *setup):
        assert sh.run(line).status == 0, line
    return sh, sh.host


def _seen(host: Host) -> list[str]:
    return [f"{f.iface} {f.direction} {f.packet}" for f in host.capture.frames]


def test_a_handshake_shows_the_syn_in_and_the_syn_ack_out() -> None:
    sh, host = _host()
    sh.run("send tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]")
    assert [line.split(" [")[0] for line in _seen(host)] == [
        "eth0 In tcp 10.0.0.2:40000 > 10.0.0.1:80",
        "eth0 Out tcp 10.0.0.1:80 > 10.0.0.2:40000",
    ]
    syn, synack = host.capture.frames
    assert (syn.src_mac, syn.dst_mac) == ("02:00:00:00:00:02", host.interfaces["eth0"].mac)
    assert (synack.src_mac, synack.dst_mac) == (host.interfaces["eth0"].mac, "02:00:00:00:00:02")


@pytest.mark.parametrize(("setup", "seen"), [
    (("iptables -A INPUT -p tcp --dport 80 -j DROP",), ["eth0 In"]),
    (("iptables -t raw -A PREROUTING -p tcp -j DROP",), ["eth0 In"]),
    (("ip link set dev eth0 xdp obj xdp_drop",), []),
    (("nic eth0 driver r8169", "ip link set dev eth0 xdpgeneric obj xdp_drop"), []),
    (("iptables -A OUTPUT -p tcp --sport 80 -j DROP",), ["eth0 In"]),
])
def test_the_taps_sit_after_xdp_and_outside_netfilter(setup: tuple[str, ...], seen: list[str]) -> None:
    """tcpdump sees what netfilter drops on the way in, never what XDP drops, and nothing OUTPUT drops."""
    sh, host = _host(*setup)
    sh.run("send tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]")
    assert [" ".join(line.split()[:2]) for line in _seen(host)] == seen


def test_a_forwarded_packet_leaves_with_its_masqueraded_source() -> None:
    """The send-side tap is after POSTROUTING: the frame out carries the NATed address."""
    sh, host = _host("ip link add eth1 type dummy", "ip link set eth1 up", "ip addr add 192.168.1.1/24 dev eth1",
                     "sysctl -w net.ipv4.ip_forward=1", "iptables -t nat -A POSTROUTING -o eth1 -j MASQUERADE")
    sh.run("send udp 10.0.0.2:40007 > 192.168.1.2:123 len=15")
    assert _seen(host) == [
        "eth0 In udp 10.0.0.2:40007 > 192.168.1.2:123 len=15",
        "eth1 Out udp 192.168.1.1:40007 > 192.168.1.2:123 len=15 ttl=63",
    ]


def test_lo_shows_each_frame_once_on_the_way_back_in() -> None:
    sh, host = _host()
    sh.run("send tcp 127.0.0.1:40000 > 127.0.0.1:81 [S]")
    assert [" ".join(line.split()[:2]) for line in _seen(host)] == ["lo In", "lo In"]
    assert "[R.]" in _seen(host)[1]


def test_floods_are_counted_not_kept_and_still_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flood's frames are counted per interface; the ring keeps only traced journeys' frames, so
    the steady-state shortcut still applies (a few packets walked, the rest taken in one go)."""
    sh, host = _host("listen udp 0.0.0.0:53 --app dns")
    walked = 0
    real = stack.receive_batch

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal walked
        walked += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(stack, "receive_batch", counting)
    sh.run("flood udp 10.0.0.2:5000 > 10.0.0.1:53 len=20 --count 100000 --vary none")
    # The flood traces its last packet for display: that one is kept, the others counted.
    assert host.capture.kept == 1
    assert host.capture.unlisted == {"eth0": 99_999}
    assert walked < 10


def test_a_host_copy_shares_frames_but_not_the_ring() -> None:
    sh, host = _host()
    sh.run("send tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]")
    twin = copy.deepcopy(host)
    assert list(twin.capture.frames) == list(host.capture.frames)
    assert twin.capture.frames[0] is host.capture.frames[0]
    host.capture.tap(0.0, "eth0", "In", host.capture.frames[0].packet, keep=True)
    assert len(twin.capture.frames) == 2 and len(host.capture.frames) == 3


def test_the_ring_keeps_the_newest_frames() -> None:
    host = Host()
    sh = Shell()
    frame = None
    for i in range(1005):
        sh.run(f"send udp 10.0.0.2:{1000 + i} > 10.0.0.9:9 iface=eth0")
        frame = sh.host.capture.frames[-1]
    assert frame is not None and frame.packet.sport == 2004
    assert len(sh.host.capture.frames) == 1000 and sh.host.capture.pushed_out == sh.host.capture.kept - 1000
    assert host.capture.kept == 0
