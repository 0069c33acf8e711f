"""A journey's frames as pcapng: replayed exactly, every namespace's taps in the order they passed,
and a file that scapy, the real tcpdump and (where installed) tshark read back frame for frame."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from netstack_tui.export.frames import TapFrame, journey_frames
from netstack_tui.export.pcapng import frame_bytes, interface_name, pcapng
from netstack_tui.kernel.addr import format_ipv4

from .bridge_world import bridge_session


def _frames(packet: int = 0) -> list[TapFrame]:
    replayed = journey_frames(bridge_session(packet))
    assert replayed is not None
    return replayed[1]


def _write(tmp_path: Path, frames: list[TapFrame]) -> Path:
    path = tmp_path / "journey.pcapng"
    path.write_bytes(pcapng(frames, comment="a test journey"))
    return path


@pytest.mark.parametrize("packet", [0, 1])
def test_the_replay_is_the_journey_the_session_shows(packet: int) -> None:
    """Sending the current packet again on the world as it was before it gives the same trace,
    step for step (from the root namespace and from inside red)."""
    session = bridge_session(packet)
    replayed = journey_frames(session)
    assert replayed is not None and session.trace is not None
    assert replayed[0].to_json() == session.trace.to_json()


def test_the_replay_leaves_the_session_alone() -> None:
    """Exporting twice gives the same frames, and the session's own world keeps its capture rings."""
    session = bridge_session()
    kept = [host.capture.kept for host in session.shell.world.hosts()]
    first, second = journey_frames(session), journey_frames(session)
    assert first is not None and second is not None
    assert [frame_bytes(f) for f in first[1]] == [frame_bytes(f) for f in second[1]]
    assert [host.capture.kept for host in session.shell.world.hosts()] == kept


def test_frames_cross_every_namespace_the_journey_visits() -> None:
    """The SYN from the root namespace is seen leaving on the host's veth and arriving on blue's eth0,
    after the ARP exchange that resolved blue's MAC (broadcast to red too), then the SYN-ACK comes back."""
    frames = _frames()
    where = [(interface_name(f), f.frame.direction, "arp" if f.frame.arp else str(f.frame.packet)) for f in frames]
    assert where[0] == ("host/br0", "Out", "arp")
    assert ("red/eth0", "In", "arp") in where
    syn = "tcp 10.0.0.254:45000 > 10.0.0.2:80 [S]"
    synack = "tcp 10.0.0.2:80 > 10.0.0.254:45000 [S.]"
    assert where.index(("host/veth-blue", "Out", syn)) < where.index(("blue/eth0", "In", syn))
    assert where.index(("blue/eth0", "In", syn)) < where.index(("blue/eth0", "Out", synack))
    assert ("host/br0", "In", synack) in where


def test_scapy_reads_back_every_frame_with_its_interface_and_direction(tmp_path: Path) -> None:
    """Each frame comes back byte for byte, on the interface `NAMESPACE/DEVICE` that saw it, with
    the direction flag (1 in, 2 out)."""
    import scapy.layers.l2  # noqa: F401  (registers Ethernet, so frames are decoded)
    from scapy.utils import PcapNgReader

    frames = _frames(1)
    with PcapNgReader(str(_write(tmp_path, frames))) as reader:
        read = list(reader)
    assert [bytes(p) for p in read] == [frame_bytes(f) for f in frames]
    assert [p.sniffed_on for p in read] == [interface_name(f) for f in frames]
    assert [p.direction for p in read] == [1 if f.frame.direction == "In" else 2 for f in frames]


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="tcpdump is not installed")
def test_the_real_tcpdump_reads_the_file(tmp_path: Path) -> None:
    """`tcpdump -r` prints one line per frame, with the addresses of the frame in that place."""
    frames = _frames(1)
    out = subprocess.run(["tcpdump", "-r", str(_write(tmp_path, frames)), "-n", "-e"], capture_output=True, text=True,
                         check=True)
    lines = out.stdout.splitlines()
    assert len(lines) == len(frames)
    assert "link-type EN10MB" in out.stderr
    for line, tap in zip(lines, frames, strict=True):
        frame = tap.frame
        assert f"{frame.src_mac} > {frame.dst_mac}" in line
        if frame.arp is not None:
            assert "ARP" in line
        else:
            assert f"{format_ipv4(frame.packet.src)}.{frame.packet.sport} > " in line


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tshark_names_the_namespace_and_device_of_each_frame(tmp_path: Path) -> None:
    """Wireshark's reader shows which namespace's device saw each frame, and the file's comment."""
    frames = _frames()
    path = _write(tmp_path, frames)
    out = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", "frame.interface_name"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == [interface_name(f) for f in frames]
    info = subprocess.run(["capinfos", str(path)], capture_output=True, text=True, check=False)
    if info.returncode == 0:
        assert "a test journey" in info.stdout and "Number of packets:   " + str(len(frames)) in info.stdout


def test_an_empty_journey_is_still_a_valid_file(tmp_path: Path) -> None:
    """A packet no tap saw (dropped by XDP, say) gives a file with a header and no frames."""
    from scapy.utils import PcapNgReader

    with PcapNgReader(str(_write(tmp_path, []))) as reader:
        assert list(reader) == []
