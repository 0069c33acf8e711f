"""The first screen drawn from a recording: exactly the live explorer's first screen, keyed by
everything it depends on, with keys typed over it handed to the live screen in order."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.style import Style
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.strip import Strip

from netstack_tui import cache_files
from netstack_tui.scenarios.library import library_dir
from netstack_tui.tui import first_screen
from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.first_screen import BootScreen
from netstack_tui.tui.screens.main import MainScreen
from netstack_tui.tui.widgets.command_line import CommandLine

Picture = list[list[tuple[str, str]]]


def picture(screen: Screen[Any]) -> Picture:
    """What the terminal shows of `screen`: per row, each character with its style."""
    return [
        [(char, str(segment.style or Style())) for segment in strip for char in segment.text]
        for strip in screen._compositor.render_strips()
    ]


def cells(lines: list[Strip]) -> Picture:
    return [[(char, str(segment.style or Style())) for segment in strip for char in segment.text] for strip in lines]


def recordings() -> list[Path]:
    directory = first_screen.cache_dir()
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


async def until(pilot: Pilot[Any], condition: Any, what: str) -> None:
    """Pause until `condition()` holds (at most 400 short pauses), and once more; fail naming `what`
    otherwise."""
    for _ in range(400):
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.025)
    raise AssertionError(f"never happened: {what}")


def live_and_settled(app: NetstackApp) -> bool:
    """The live explorer is on the terminal with its panes built and the first step published."""
    screen = app.screen
    return (
        isinstance(screen, MainScreen)
        and screen.state.trace is not None
        and bool(screen.query("#stage-title"))
        and app.live_shown.is_set()
    )


async def cold_start(size: tuple[int, int], theme: str = "dark") -> Picture:
    """A start without a recording, until it has made one; the live screen's picture then."""
    app = NetstackApp(theme=theme)
    async with app.run_test(size=size) as pilot:
        assert isinstance(app.screen, MainScreen), "no recording yet: the live explorer starts"
        await until(pilot, lambda: recordings(), "the first screen recorded")
        live = picture(app.screen)
    assert len(recordings()) == 1
    return live


@pytest.mark.parametrize("size", [(120, 40), (160, 50)])
@pytest.mark.parametrize("theme", ["dark", "light", "contrast"])
async def test_the_recorded_first_screen_is_the_live_one_cell_for_cell(
    size: tuple[int, int], theme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a first start records the explorer's first screen, the next start draws that recording
    first; the recording, the live first screen of both starts, and every frame the terminal
    receives until a key is pressed are identical row by row, character and style."""
    cold = await cold_start(size, theme)
    recorded = cells(first_screen.load(recordings()[0].stem) or [])
    assert recorded == cold

    sent: list[tuple[str, Picture]] = []  # what reaches the terminal
    display = App._display

    def watched(app: App[Any], screen: Screen[Any], renderable: Any) -> None:
        if renderable is not None:
            sent.append((type(screen).__name__, picture(screen)))
        display(app, screen, renderable)

    monkeypatch.setattr(App, "_display", watched)
    app = NetstackApp(theme=theme)
    async with app.run_test(size=size) as pilot:
        assert isinstance(app.screen, BootScreen), "the recording is drawn first"
        assert picture(app.screen) == recorded
        await until(pilot, lambda: live_and_settled(app), "the live explorer shown")
        await pilot.pause()
        assert picture(app.screen) == recorded
        assert app.screen.state.index == 0  # type: ignore[attr-defined]
    assert [name for name, _ in sent][:1] == ["BootScreen"] and "MainScreen" in [name for name, _ in sent]
    assert all(frame == recorded for _, frame in sent), "a frame differed from the recording (a flicker)"


async def test_keys_pressed_over_the_recording_reach_the_live_screen_in_order() -> None:
    """→ → : i p pressed while the recording shows: the live explorer takes two steps, then the
    command line (focused by `:`) holds "ip", none of the letters taken as a hotkey."""
    await cold_start((120, 40))
    app = NetstackApp()
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, BootScreen)
        for key, char in [("right", None), ("right", None), ("colon", ":"), ("i", "i"), ("p", "p")]:
            app.post_message(events.Key(key, char))
        await until(pilot, lambda: app._held is None, "the held keys delivered")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.state.index == 2
        command = screen.query_one(CommandLine)
        assert command.has_focus and command.value == "ip"
        assert screen.active_tab == "stage", "p was typed, not taken as the packet tab's key"


async def test_a_live_screen_that_never_matches_is_shown_and_takes_the_keys(tmp_path: Path) -> None:
    """A recording that is not the explorer's picture (here: a blank one) is replaced by the live
    screen after `UNSEEN_AT_MOST` at the latest, which still gets the keys pressed over it."""
    app = NetstackApp()
    async with app.run_test(size=(100, 30)) as pilot:
        key = first_screen.screen_key(None, app.screen_conditions())
        assert key is not None
        await until(pilot, lambda: live_and_settled(app), "the explorer loaded")
    first_screen.save(key, [Strip.blank(100)] * 30)
    app = NetstackApp()
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, BootScreen)
        app.post_message(events.Key("right", None))
        await until(pilot, lambda: live_and_settled(app) and app._held is None, "the live explorer shown")
        assert app.screen.state.index == 1  # type: ignore[attr-defined]


def scenario_copy(directory: Path) -> Path:
    """The default walkthrough as a learner's own file."""
    path = directory / "tour-incoming.yaml"
    path.write_bytes((library_dir() / "tour-incoming.yaml").read_bytes())
    return path


def test_the_key_changes_with_everything_the_picture_depends_on(tmp_path: Path) -> None:
    """Same scenario bytes and conditions: same key; another byte in the scenario, another size,
    theme, language, colour system or served mode: another key; an unreadable scenario: no key."""
    path = scenario_copy(tmp_path)
    conditions: dict[str, object] = {
        "size": [120, 40],
        "theme": "netstack-dark",
        "lang": "en",
        "color_system": "truecolor",
        "served": False,
    }
    key = first_screen.screen_key(str(path), conditions)
    assert key is not None and key == first_screen.screen_key(str(path), dict(conditions))
    others = [
        {**conditions, "size": [121, 40]},
        {**conditions, "size": [120, 41]},
        {**conditions, "theme": "netstack-light"},
        {**conditions, "lang": "ru"},
        {**conditions, "color_system": "256"},
        {**conditions, "served": True},
    ]
    assert len({key, *(first_screen.screen_key(str(path), other) for other in others)}) == len(others) + 1
    assert first_screen.screen_key(None, conditions) != key, "the library's file is another file"
    path.write_bytes(path.read_bytes() + b"\n# edited\n")
    assert first_screen.screen_key(str(path), conditions) not in (key, None)
    assert first_screen.screen_key(str(tmp_path / "missing.yaml"), conditions) is None


async def test_a_changed_scenario_or_size_starts_the_live_explorer(tmp_path: Path) -> None:
    """A recording made for a scenario file at 120×40 is drawn for the same file and size only: the
    file edited, or the terminal another size, and the app starts on the live explorer."""
    path = scenario_copy(tmp_path)
    await _start(str(path), (120, 40), expect=MainScreen)  # records
    assert len(recordings()) == 1
    await _start(str(path), (120, 40), expect=BootScreen)
    await _start(str(path), (120, 41), expect=MainScreen)
    path.write_bytes(path.read_bytes() + b"\n# edited\n")
    await _start(str(path), (120, 40), expect=MainScreen)


async def _start(scenario: str, size: tuple[int, int], expect: type[Screen[Any]]) -> None:
    app = NetstackApp(scenario=scenario)
    async with app.run_test(size=size) as pilot:
        assert type(app.screen) is expect
        if expect is MainScreen:
            before = len(recordings())
            await until(pilot, lambda: len(recordings()) > before, "the first screen recorded")
        await until(pilot, lambda: live_and_settled(app), "the explorer loaded")


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\xff not json", json.dumps({"format": first_screen.FORMAT, "styles": ["bold"], "lines": [[["x", 7]]]})],
    ids=["not-json", "style-out-of-range"],
)
async def test_a_corrupt_recording_is_removed_and_the_start_is_the_usual_one(garbage: bytes | str) -> None:
    """A recording that is not JSON, or not a picture, is removed and the live explorer starts."""
    app = NetstackApp()
    async with app.run_test(size=(120, 40)) as pilot:
        key = first_screen.screen_key(None, app.screen_conditions())
        assert key is not None
        await until(pilot, lambda: live_and_settled(app), "the explorer loaded")
    first_screen.cache_dir().mkdir(parents=True, exist_ok=True)
    (first_screen.cache_dir() / f"{key}.json").write_bytes(garbage if isinstance(garbage, bytes) else garbage.encode())
    again = NetstackApp()
    async with again.run_test(size=(120, 40)) as pilot:
        assert isinstance(again.screen, MainScreen)
        assert not (first_screen.cache_dir() / f"{key}.json").exists(), "the corrupt file is removed"
        await until(pilot, lambda: live_and_settled(again), "the explorer loaded")


def test_the_cache_keeps_the_newest_recordings_and_drops_a_writers_leftovers() -> None:
    """At most `KEEP` recordings stay; a temporary file older than `cache_files.STALE_TEMPORARY` goes."""
    import os
    import time

    directory = first_screen.cache_dir()
    directory.mkdir(parents=True)
    leftover = directory / ".tmp-dead.json"
    leftover.write_text("{")
    old = time.time() - cache_files.STALE_TEMPORARY - 5
    os.utime(leftover, (old, old))
    for n in range(first_screen.KEEP + 3):
        first_screen.save(f"{n:064x}", [Strip.blank(4)])
    assert len(recordings()) == first_screen.KEEP
    assert not leftover.exists()
    assert cells(first_screen.load(f"{first_screen.KEEP + 2:064x}") or []) == cells([Strip.blank(4)])


def test_the_app_module_loads_neither_the_explorer_nor_the_simulator() -> None:
    """Importing the app (what a start from a recording needs before its first frame) imports neither
    the explorer screen nor the kernel nor the shell."""
    probe = (
        "import sys, netstack_tui.tui.app; print(sorted(m for m in sys.modules if m.startswith("
        "('netstack_tui.kernel', 'netstack_tui.commands', 'netstack_tui.tui.screens', 'netstack_tui.tui.widgets'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
