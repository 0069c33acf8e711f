"""Text a user controls is shown as written, never read as markup (issue 20: a scenario path holding
`[/]` ended the app with MarkupError).

Each test puts markup-looking text where a learner or a scenario author can put it — a scenario path
and its fields, a command typed, a namespace, an interface, an app name, a rule comment — walks the
screens that show it, and checks the app still runs and shows the text literally.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widget import Widget
from textual.widgets import DataTable, Log, Static

from netstack_tui.commands.session import NamedPacket, Session
from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.screens.main import MainScreen

from .conftest import PACKETS, SETUP, FakeScenario, Hint

HOSTILE = ["[/]", "[bold]", "[red]x[/red]", "[@click=app.quit]", "ends\\"]


def shown(app: NetstackApp) -> str:
    """Every visible text of the active screen and of the notices, as plain text."""
    texts: list[str] = []
    for widget in app.screen.walk_children(Widget):
        if isinstance(widget, Static) or type(widget).__name__ == "Toast":
            texts.append(_plain(widget.render()))
        elif isinstance(widget, Log):
            texts.extend(widget.lines)
        elif isinstance(widget, DataTable):
            for row in range(widget.row_count):
                texts.extend(_plain(cell) for cell in widget.get_row_at(row))
    return "\n".join(texts)


def _plain(value: Any) -> str:
    return str(getattr(value, "plain", value))


async def settle(pilot: Any, app: NetstackApp) -> None:
    """Wait for the scenario (at most 10 s) and for the notices it raised to be drawn."""
    for _ in range(200):
        screen = app.screen_stack[0]
        if isinstance(screen, MainScreen) and screen.session is not None:
            break
        await pilot.pause(0.05)
    for _ in range(20):
        await pilot.pause(0.05)
        if len(app.screen.query("Toast")) >= len(app._notifications):
            break


async def type_command(pilot: Any, app: NetstackApp, line: str) -> None:
    from netstack_tui.tui.widgets.command_line import CommandLine

    await pilot.press("colon")
    await pilot.pause()
    app.screen.query_one(CommandLine).value = line
    await pilot.press("enter")
    await pilot.pause()


@pytest.mark.parametrize("text", HOSTILE)
async def test_a_scenario_path_is_shown_as_written(tmp_path: Path, text: str) -> None:
    """The path of a scenario that does not load is named in the notice exactly, and the app runs on."""
    path = tmp_path / f"a{text}b.yaml"
    app = NetstackApp(scenario=str(path))
    async with app.run_test(size=(120, 40), notifications=True, tooltips=True) as pilot:
        await settle(pilot, app)
        assert app.is_running and app.return_code is None
        assert app.load_error is not None and str(path) in app.load_error
        assert str(path) in shown(app)


def hostile_scenario(text: str) -> FakeScenario:
    return FakeScenario(
        id=f"id{text}",
        title={"en": f"Title {text}", "ru": f"Заголовок {text}"},
        summary={"en": f"Summary {text}", "ru": text},
        lesson={"en": f"Lesson {text}", "ru": text},
        topics=[f"topic{text}"],
        goal_text={"en": f"Goal {text}", "ru": text},
        hints=[Hint({"en": f"Hint {text}", "ru": text})],
        solution=[f"echo '{text}'"],
    )


@pytest.mark.parametrize("text", HOSTILE)
async def test_scenario_fields_are_shown_as_written(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Title (status line, goal, picker), goal text, hints, solution, topics and id, and a packet's name."""
    from netstack_tui.tui import library

    scenario = hostile_scenario(text)
    packets = [NamedPacket(f"pkt{text}", PACKETS[0].spec), PACKETS[1]]
    session = Session(SETUP, packets)
    session.next_packet()
    monkeypatch.setattr(library, "list_all", lambda: ([scenario], f"broken {text} file"))
    app = NetstackApp(scenario_obj=scenario, session=session)
    async with app.run_test(size=(160, 50), notifications=True, tooltips=True) as pilot:
        await settle(pilot, app)
        assert f"Title {text}" in shown(app)
        await pilot.press("g", "h", "h")
        await pilot.pause()
        page = shown(app)
        for part in (f"Title {text}", f"Summary {text}", f"Goal {text}", f"Hint {text}", f"echo '{text}'"):
            assert part in page
        await pilot.press("escape", "o")
        await pilot.pause()
        listing = shown(app)
        assert f"Title {text}" in listing and f"topic{text}" in listing and f"id{text}" in listing
        assert f"broken {text} file" in listing
        await pilot.press("escape", "s")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and app.return_code is None


@pytest.mark.parametrize("text", HOSTILE)
async def test_typed_commands_names_and_output_are_shown_as_written(text: str) -> None:
    """Commands typed (with their errors), a namespace, an interface, an app name and a rule comment
    reach the stage views, the topology and the notices as plain text."""
    app = NetstackApp(scenario_obj=FakeScenario(), session=_session())
    name = text.replace("/", "")[:12] or "x"
    async with app.run_test(size=(160, 50), notifications=True, tooltips=True) as pilot:
        await settle(pilot, app)
        for line in (
            f"nosuchcommand '{text}'",
            f"ip netns add '{name}'",
            f"ip link add 'd{name}' type dummy",
            f"iptables -I INPUT -m comment --comment '{text}' -j LOG --log-prefix '{text}'",
            f"listen tcp 0.0.0.0:8080 --app '{name}'",
            "send tcp 203.0.113.7:51000 > 10.0.0.1:80 [S] iface=eth0",
        ):
            await type_command(pilot, app, line)
            assert app.is_running, line
        assert f"nosuchcommand '{text}'" in shown(app)  # the shell log echoes the line typed
        await pilot.press("escape", "dollar_sign", "home")  # back from the shell log to the stage
        seen = []
        for _ in range(40):
            await pilot.press("right")
            seen.append(shown(app))
        assert any(f"/* {text} */ log-prefix {text}" in page for page in seen)  # filter/INPUT as -L shows it
        await type_command(pilot, app, f"ip netns exec '{name}'")
        await pilot.pause(0.3)
        assert name in shown(app)
        await type_command(pilot, app, "ip netns exec")
        await pilot.press("escape")
        await pilot.press("w")
        await pilot.pause()
        for _ in range(4):
            await pilot.press("down", "right")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and app.return_code is None


def _session() -> Session:
    session = Session(SETUP, PACKETS)
    session.next_packet()
    return session
