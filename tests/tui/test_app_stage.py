"""The application end in the explorer: a journey that reaches a program of socket calls ends at the
app's stage (its code, threads, fds), and → goes on into the calls the packet unblocked."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netstack_tui.commands.session import Session
from netstack_tui.kernel.trace import AppView
from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.screens.main import MainScreen

from .conftest import FakeScenario

SETUP = ["ip addr add 10.0.0.1/24 dev eth0"]
HANDSHAKE = [
    "app run accept-loop",
    "send tcp 10.0.0.2:40000 > 10.0.0.1:8080 [S] iface=eth0",
    "send tcp 10.0.0.2:40000 > 10.0.0.1:8080 [.] seq=1 ack=0 iface=eth0",
]
DATA = "send tcp 10.0.0.2:40000 > 10.0.0.1:8080 [P.] seq=1 len=120 iface=eth0"
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 50), id="160x50")]


def app_for(theme: str = "dark") -> NetstackApp:
    """The explorer over a bare host with nothing sent yet."""
    scenario = FakeScenario(setup=list(SETUP), packets=[], solution=[])
    return NetstackApp(lang="en", theme=theme, scenario_obj=scenario, session=Session(SETUP, []))


async def _type(pilot: object, line: str) -> None:
    screen = pilot.app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, MainScreen)
    screen.run_command(line)
    await pilot.pause()  # type: ignore[attr-defined]


def _first_app_step(screen: MainScreen) -> int:
    steps = screen.state.trace.steps  # type: ignore[union-attr]
    return next(i for i, s in enumerate(steps) if s.stage == "app")


async def test_handshake_ack_ends_at_the_program_blocked_in_accept() -> None:
    """The ACK that completes the handshake ends at the app stage: accept() on line 7 is highlighted,
    thread 0 is blocked in accept(3), the listener fd 3 is the one the packet is for; → then shows
    accept() returning the new fd as the runner logged it."""
    app = app_for()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for line in HANDSHAKE:
            await _type(pilot, line)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        at = _first_app_step(screen)
        screen.index = at
        screen.query_one("#stage").focus()
        await pilot.pause()
        step = screen.state.step
        assert step is not None and isinstance(step.view, AppView)
        view = step.view
        assert view.code[view.current - 1].strip() == "c = accept(fd)"
        assert view.threads[0].blocked == "accept(3)"
        assert [row.fd for row in view.fds if row.taking] == [3]
        body = str(screen.query_one("#stage-body").render())
        assert "blocked in accept(3)" in body and "socket:[" in body
        await pilot.press("right")
        step = screen.state.step
        assert step is not None and step.note == "app.call"
        assert step.param["call"] == "accept(3) = 4"
        assert "returned: accept(3) = 4" in str(screen.query_one("#stage-body").render())
        assert screen.state.at_end  # the app then blocks in read(): nothing more this packet caused
        assert isinstance(step.view, AppView) and step.view.threads[0].blocked.startswith("read(4")


async def test_data_steps_through_read_write_close() -> None:
    """Data for the accepted connection wakes read(4, ...); → walks read = 120, write, close, one call
    a step, exactly the lines `app show` lists."""
    app = app_for()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for line in [*HANDSHAKE, DATA]:
            await _type(pilot, line)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.index = _first_app_step(screen)
        screen.query_one("#stage").focus()
        await pilot.pause()
        step = screen.state.step
        assert step is not None and step.note == "app.program_wakes"
        assert step.param["call"] == "read(4, 4096)"
        seen = []
        while not screen.state.at_end:
            await pilot.press("right")
            seen.append(screen.state.step.param["call"])  # type: ignore[union-attr]
        assert seen == ["read(4, 4096) = 120", "write(4, 120) = 120", "close(4) = 0"]
        assert screen.session is not None
        shown = screen.session.shell.run("app show accept-loop").output
        assert all(call in shown for call in seen)
        await pilot.press("left")
        assert screen.state.step.param["call"] == "write(4, 120) = 120"  # type: ignore[union-attr]


async def test_a_journey_without_a_program_is_not_extended() -> None:
    """A listener started with `listen` (no program) keeps its journey as it was: no app calls."""
    app = app_for()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await _type(pilot, "listen tcp 0.0.0.0:80 --app nginx")
        await _type(pilot, "send tcp 10.0.0.2:40000 > 10.0.0.1:80 [S] iface=eth0")
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert all(s.note != "app.call" for s in screen.state.trace.steps)  # type: ignore[union-attr]


async def test_packet_tab_hidden_when_built_wide_before_its_first_resize() -> None:
    """A MainScreen pushed with its session at 160 columns offers no Packet tab (the packet column is
    on screen), even though its resize handler ran before Textual set the `-wide` class."""
    app = app_for()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert "packet-tab" in screen._tabs.hidden
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "packet-tab" not in screen._tabs.hidden


def _at_app_call(calls_in: int) -> Callable[..., object]:
    async def run_before(pilot: object) -> None:
        await pilot.pause()  # type: ignore[attr-defined]
        for line in [*HANDSHAKE, DATA]:
            await _type(pilot, line)
        screen = pilot.app.screen  # type: ignore[attr-defined]
        screen.index = _first_app_step(screen) + calls_in
        screen.show_tab("stage")
        pilot.app.clear_notifications()  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_app_stage_view(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """socket › application is current: accept-loop (pid 101) with thread 0 blocked in read(4, 4096),
    its code with line 8 `n = read(c, 4096)` highlighted ▶ and marked ◀ 0, the fd table with fd 4
    (ESTAB, 120 bytes unread, peer 10.0.0.2:40000) marked ● as the packet's, and the calls before
    ending in accept(3) = 4; the explanation says the kernel wakes the thread."""
    assert snap_compare(app_for(), terminal_size=size, run_before=_at_app_call(0))


@pytest.mark.parametrize("size", SIZES)
def test_app_call_step(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """One step on into the app's calls: 'returned: read(4, 4096) = 120' in the success colour, line 8
    highlighted, thread 0 now on line 9, fd 4's queue back to 0 unread."""
    assert snap_compare(app_for(), terminal_size=size, run_before=_at_app_call(1))
