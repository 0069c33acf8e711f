"""The export keys, pressed in the explorer: P (screen, SVG), C (frames, pcapng), J (JSON trace),
S (summary, text). Each writes one new file in the export directory and says its path in one
notice; served, nothing reaches the server's disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netstack_tui.commands.session import Session
from netstack_tui.export.frames import journey_frames
from netstack_tui.export.pcapng import frame_bytes, interface_name
from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.screens.topology import TopologyScreen
from tests.export.bridge_world import BRIDGE_PACKETS, BRIDGE_SETUP

from .conftest import FakeScenario, make_session


def bridge_app(export_dir: Path | None) -> tuple[NetstackApp, Session]:
    """The explorer on the bridge world, on the packet sent from inside red."""
    session = Session(BRIDGE_SETUP, BRIDGE_PACKETS)
    session.go_to_packet(1)
    scenario = FakeScenario(id="bridge", setup=list(BRIDGE_SETUP), packets=list(BRIDGE_PACKETS))
    return NetstackApp(lang="en", scenario_obj=scenario, session=session, export_dir=export_dir), session


def notices(app: NetstackApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def press(pilot: Any, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await pilot.pause()


async def test_each_key_writes_its_file_and_says_where(tmp_path: Path) -> None:
    """P, C, J and S each leave one file named after the scenario and packet, and the notice gives
    its full path."""
    app, _ = bridge_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        written: list[str] = []
        for key in ("P", "C", "J", "S"):
            await press(pilot, key)
            await pilot.pause()
            [notice] = notices(app)
            path = Path(notice.rsplit(": ", 1)[1])
            assert path.parent == tmp_path.resolve() and path.exists(), notice
            written.append(path.name)
    assert written == ["bridge-red-to-blue-step1-1.svg", "bridge-red-to-blue-1.pcapng", "bridge-red-to-blue-1.json",
                       "bridge-red-to-blue-1.txt"]


async def test_the_pcap_holds_the_frames_of_the_journey_on_screen(tmp_path: Path) -> None:
    """The capture read back is the journey's frames, in order, each on the namespace's device that
    saw it: red's eth0 first, blue's last."""
    import scapy.layers.l2  # noqa: F401  (registers Ethernet, so frames are decoded)
    from scapy.utils import PcapNgReader

    app, session = bridge_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "C")
        [path] = tmp_path.glob("*.pcapng")
        saved = notices(app)
    with PcapNgReader(str(path)) as reader:
        read = [(p.sniffed_on, bytes(p)) for p in reader]
    replayed = journey_frames(session)
    assert replayed is not None
    assert read == [(interface_name(f), frame_bytes(f)) for f in replayed[1]]
    assert read[0][0].startswith("red/") and {"host/veth-red", "blue/eth0"} <= {name for name, _ in read}
    assert saved == [f"Saved the journey's {len(read)} frames (pcapng, for Wireshark): {path.resolve()}"]


async def test_json_and_summary_say_what_the_screen_shows(tmp_path: Path) -> None:
    """The JSON is the trace as `trace --json` prints it; the summary names red, host and blue in the
    order the SYN visits them."""
    app, session = bridge_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "J", "S")
    assert session.trace is not None
    [json_file] = tmp_path.glob("*.json")
    assert json.loads(json_file.read_text()) == [session.trace.to_json()]
    [text_file] = tmp_path.glob("*.txt")
    text = text_file.read_text()
    assert text.index("Namespace: red") < text.index("Namespace: host") < text.index("Namespace: blue")
    assert "[" + "/]" not in text and "[bold" not in text


async def test_the_picture_is_the_screen_without_the_last_notice(tmp_path: Path) -> None:
    """The SVG shows the explorer (its status line) but not the notice of the export before it."""
    app = NetstackApp(lang="en", scenario_obj=FakeScenario(), session=make_session(), export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "S", "P")
        await pilot.pause()
    [svg] = tmp_path.glob("*.svg")
    picture = svg.read_text()
    assert picture.startswith("<svg") and "netstack-tui" in picture
    assert "Saved" not in picture


async def test_exports_never_overwrite(tmp_path: Path) -> None:
    """Pressing C twice gives two files, numbered 1 and 2."""
    app, _ = bridge_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "C", "C")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bridge-red-to-blue-1.pcapng", "bridge-red-to-blue-2.pcapng"]


async def test_keys_work_over_the_topology(tmp_path: Path) -> None:
    """The keys are the app's: over the topology, P pictures the topology and C saves the capture."""
    app, _ = bridge_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "w")
        assert isinstance(app.screen, TopologyScreen)
        await press(pilot, "P", "C")
        await pilot.pause()
        assert isinstance(app.screen, TopologyScreen)
    assert len(list(tmp_path.glob("*.pcapng"))) == 1
    [svg] = tmp_path.glob("*.svg")
    assert "veth-red" in svg.read_text().replace("&#160;", " ")


async def test_typing_in_the_command_line_exports_nothing(tmp_path: Path) -> None:
    """Capital letters typed as a command are text, not export keys."""
    app, _ = bridge_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "colon", "P", "C", "J", "S")
    assert list(tmp_path.iterdir()) == []


async def test_an_unwritable_directory_is_one_error_line(tmp_path: Path) -> None:
    """A directory that went away: the notice names it and the reason; nothing is written."""
    gone = tmp_path / "gone"
    app, _ = bridge_app(gone)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "J")
        [notice] = notices(app)
    assert notice == f"Could not save the journey (JSON trace) in {gone}: No such file or directory"


async def test_served_never_writes_to_the_server_s_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Served, without a browser to send to, the keys refuse in one line and write nothing."""
    monkeypatch.setenv("NETSTACK_TUI_SERVED", "1")
    monkeypatch.chdir(tmp_path)
    app, _ = bridge_app(None)
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ("P", "C", "J", "S"):
            await press(pilot, key)
            await pilot.pause()
            [notice] = notices(app)
            assert notice.startswith("Not saved: a served explorer never writes to the server's disk")
    assert list(tmp_path.iterdir()) == []


async def test_in_a_browser_the_file_is_sent_to_the_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the web driver (textual-serve), the file goes to the browser as a download, numbered per
    session, and nothing is written on the server."""
    monkeypatch.setenv("NETSTACK_TUI_SERVED", "1")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(NetstackApp, "is_web", property(lambda self: True))
    sent: list[tuple[bytes, str, str]] = []

    def deliver_binary(self: NetstackApp, file: Any, *, save_filename: str, mime_type: str) -> str:
        sent.append((file.read(), save_filename, mime_type))
        return "key"

    monkeypatch.setattr(NetstackApp, "deliver_binary", deliver_binary)
    app, session = bridge_app(None)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "J", "C", "J")
        assert notices(app) == ["Sent the journey (JSON trace) to your browser: bridge-red-to-blue-2.json"]
    assert session.trace is not None
    assert [(name, mime) for _, name, mime in sent] == [("bridge-red-to-blue-1.json", "application/json"),
                                                        ("bridge-red-to-blue-1.pcapng", "application/x-pcapng"),
                                                        ("bridge-red-to-blue-2.json", "application/json")]
    assert json.loads(sent[0][0]) == json.loads(sent[2][0]) == [session.trace.to_json()]
    assert sent[1][0].startswith(b"\x0a\x0d\x0d\x0a"), "a pcapng section header"
    assert list(tmp_path.iterdir()) == []
