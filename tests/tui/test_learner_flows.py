"""Pilot tests of what learners hit when they play: the picker, typing commands in a row, quitting
with work typed, resetting, cancelling a flood, and the reason a rule did not match."""

from __future__ import annotations

import pytest

from netstack_tui.scenarios.library import list_scenarios
from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.model import ViewState
from netstack_tui.tui.screens.main import MainScreen
from netstack_tui.tui.screens.picker import PickerScreen
from netstack_tui.tui.widgets.command_line import CommandLine
from netstack_tui.tui.widgets.stage_views import render_chain

from .conftest import make_session
from .test_flows import main_screen, notices, wait_loaded


async def type_line(pilot: object, line: str) -> None:
    """Type a line key by key, as a learner does (letters that are hotkeys included), then Enter."""
    for char in line:
        key = {" ": "space", "-": "minus", ":": "colon", "/": "slash", ".": "full_stop"}.get(char, char)
        await pilot.press(key)  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


def shell_lines(screen: MainScreen) -> list[str]:
    return list(screen.query_one("#shell-log").lines)  # type: ignore[attr-defined]


async def test_every_scenario_opens_from_the_picker() -> None:
    """`o`, the id typed into the (focused) filter, Enter: each library scenario opens in the explorer
    at its first step, and the app keeps running."""
    app = NetstackApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        for scenario in list_scenarios():
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, PickerScreen)
            for char in scenario.id:
                await pilot.press("minus" if char == "-" else char)
            await pilot.press("enter")
            await pilot.pause()
            screen = main_screen(app)
            assert screen.scenario is not None and screen.scenario.id == scenario.id
            assert screen.state.trace is not None and screen.state.index == 0
            assert app.is_running


async def test_the_picker_shows_ids_and_moves_with_the_arrows_while_filtering() -> None:
    """The picker opens with the filter focused; ↓ moves the highlighted row; the id column is shown."""
    app = NetstackApp()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("o")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert picker.focused is not None and picker.focused.id == "picker-filter"
        table = picker.query_one("#picker-table")
        ids = [str(key.value) for key in table.rows]  # type: ignore[attr-defined]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert main_screen(app).scenario.id == ids[1]  # type: ignore[union-attr]


async def test_commands_typed_one_after_another_stay_in_the_command_line(make_app: object) -> None:
    """After a command that changes the journey the command line keeps the focus, so the next
    command's letters (l, t, a, o, q are hotkeys) are typed, not obeyed."""
    app = make_app()  # type: ignore[operator]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("colon")
        await type_line(pilot, "iptables -I INPUT 1 -p tcp --dport 80 -j DROP")
        assert screen.state.trace.disposition.value == "dropped"
        assert screen.query_one(CommandLine).has_focus
        await type_line(pilot, "iptables -L INPUT -n --line-numbers")
        await type_line(pilot, "iptables -D INPUT 1")
        assert app.is_running and app.lang == "en" and isinstance(app.screen, MainScreen)
        assert screen.state.trace.disposition.value == "delivered"
        log = shell_lines(screen)
        assert "$ iptables -L INPUT -n --line-numbers" in log and "$ iptables -D INPUT 1" in log
        assert screen.session.commands[-1] == "iptables -D INPUT 1"


async def test_a_change_that_leaves_the_journey_keeps_the_step_being_studied(make_app: object) -> None:
    """A host change that does not change this journey keeps the view on the step the learner was on,
    and says which other packet's fate it changed."""
    app = make_app()  # type: ignore[operator]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("right", "right", "right")
        studied = screen.state.index
        await pilot.press("colon")
        await type_line(pilot, "iptables -A INPUT -p tcp --dport 8080 -j ACCEPT")
        assert screen.state.index == studied
        assert "closed" in notices(app)[-1]


async def test_quitting_with_typed_commands_asks_first(make_app: object) -> None:
    """`q` with commands typed only warns; a second `q` quits."""
    app = make_app()  # type: ignore[operator]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        screen.run_command("iptables -A INPUT -p udp -j DROP")
        await pilot.pause()
        screen.focus_next()  # away from the command line, as after Esc
        await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and "q again" in notices(app)[-1]
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_reset_returns_to_the_broken_state(make_app: object) -> None:
    """`R` forgets the typed commands and rebuilds the scenario's host; `r` would have replayed them."""
    app = make_app()  # type: ignore[operator]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        screen.run_command("iptables -I INPUT 1 -j DROP")
        await pilot.pause()
        assert screen.state.trace.disposition.value == "dropped"
        await pilot.press("escape", "r")
        assert screen.state.trace.disposition.value == "dropped"
        await pilot.press("R")
        await pilot.pause()
        assert screen.session.commands == [] and screen.state.trace.disposition.value == "delivered"


async def test_escape_cancels_a_flood_and_leaves_a_consistent_host(make_app: object) -> None:
    """Esc during a flood stops it between two packets; the tally says how many went, and the
    conntrack table holds exactly that many entries."""
    app = make_app()  # type: ignore[operator]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        screen.run_command("flood tcp 10.0.0.9:1024 > 10.0.0.1:80 [S] --count 400000 --vary sport")
        for _ in range(100):
            await pilot.pause(0.05)
            if screen.query("#flood-progress") and screen.check_action("cancel_flood", ()):
                break
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        log = "\n".join(shell_lines(screen))
        assert "interrupted after" in log
        done = int(log.split("interrupted after ")[1].split()[0])
        assert 0 < done < 400000
        assert not screen.query_one(CommandLine).disabled


@pytest.mark.parametrize("width", [30, 40, 60, 88, 140])
def test_every_failed_rule_shows_the_test_that_failed(width: int) -> None:
    """In the chain view each ✗ comes with its `≠ test`, beside the rule or on its own line, at
    every pane width."""
    session = make_session()
    session.run_command("iptables -I INPUT 1 -s 192.0.2.0/24 -p tcp -m multiport --dports 22,443,8443 -j ACCEPT")
    session.run_command("iptables -I INPUT 2 -m conntrack --ctstate INVALID -m comment --comment 'drop junk' -j DROP")
    trace = session.trace
    assert trace is not None
    step = next(s for s in trace.steps if s.stage == "input.filter")
    text = render_chain(step.view, step, ViewState(trace=trace, index=trace.steps.index(step)), width)  # type: ignore[arg-type]
    rows = [line for line in text.splitlines() if "✗" in line]
    assert len(rows) >= 4
    assert text.count("≠") == len(rows)
