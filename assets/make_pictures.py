"""Regenerate the README's pictures from the app itself: `python assets/make_pictures.py`.

Each picture opens a shipped scenario in the explorer (headless, through Textual's test driver), at a
fixed terminal size, in the dark theme and in English, moves to what it should show, and saves the
screen as SVG next to this script. Nothing here is drawn by hand: when the app changes, run this
again and look at the pictures before committing them. `tests/test_assets.py` checks that the
pictures in this directory are exactly the ones listed here.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
THEME, LANG = "dark", "en"


@dataclass(frozen=True)
class Picture:
    """One README picture: which scenario, at what size, and how to get to what it shows."""

    name: str
    """File name without `.svg`."""
    scenario: str
    """A library scenario id."""
    size: tuple[int, int]
    """Terminal columns and rows."""
    show: Callable[[Any], Awaitable[None]]
    """Given the Pilot, brings the screen to what the picture shows."""
    then: Callable[[Any], Awaitable[None]] | None = None
    """Optional: once the screen is there, adjust it (scroll)."""
    about: str = ""
    """What the picture shows (its alt text in the README)."""


def at_stage(stage: str) -> Callable[[Any], Awaitable[None]]:
    """Move the explorer to the first step of `stage` in the sent packet's journey."""

    async def show(pilot: Any) -> None:
        screen = pilot.app.screen
        screen.index = next(i for i, step in enumerate(screen.state.trace.steps) if step.stage == stage)
        await pilot.pause()

    return show


def then_press(first: Callable[[Any], Awaitable[None]], *keys: str) -> Callable[[Any], Awaitable[None]]:
    """`first`, then these keys."""

    async def show(pilot: Any) -> None:
        await first(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()

    return show


async def _nothing(pilot: Any) -> None:
    await pilot.pause()


async def scrolled_to_end(pilot: Any) -> None:
    """Scroll the open window (a modal's scrolling body) to its end: a summary's verdict is at the end."""
    from textual.containers import VerticalScroll

    pilot.app.screen.query_one(VerticalScroll).scroll_end(animate=False, immediate=True)
    await pilot.pause()


PICTURES: tuple[Picture, ...] = (
    Picture("walkthrough-chain", "tour-incoming", (139, 40), at_stage("input.filter"),
            about="The walkthrough at filter/INPUT: the pipeline on the left, the chain tested rule by rule with "
            "its counters, the packet and the explanation"),
    Picture("topology-container", "tour-container", (110, 24), then_press(at_stage("socket"), "w"),
            about="The topology of tour-container: the host, the container's namespace behind docker0, the "
            "Internet namespace, and the SYN's path across them"),
    Picture("summary", "rule-order", (110, 34), then_press(_nothing, "end", "s"), scrolled_to_end,
            about="The packet-tracer style summary of a journey a DROP rule ends: each phase with its result, "
            "the rule that decided, the drop reason"),
)
"""The pictures, in the order the README shows them."""


async def take(picture: Picture) -> str:
    """The SVG of one picture."""
    from netstack_tui.tui import library
    from netstack_tui.tui.app import NetstackApp

    scenario, error = library.load(picture.scenario)
    if error:
        raise SystemExit(f"make_pictures: {picture.scenario}: {error}")
    app = NetstackApp(lang=LANG, theme=THEME, scenario_obj=scenario, session=library.session_for(scenario))
    async with app.run_test(size=picture.size) as pilot:
        await pilot.pause()
        await picture.show(pilot)
        if picture.then is not None:
            await picture.then(pilot)
        app.clear_notifications()
        await pilot.pause()
        return app.export_screenshot(title="netstack-tui")


def main(argv: list[str]) -> int:
    """Write every picture (or those named on the command line) into this directory."""
    wanted = [p for p in PICTURES if not argv or p.name in argv]
    unknown = set(argv) - {p.name for p in PICTURES}
    if unknown:
        print(f"make_pictures: no picture named {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for picture in wanted:
        path = HERE / f"{picture.name}.svg"
        path.write_text(asyncio.run(take(picture)), encoding="utf-8")
        print(path.relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
