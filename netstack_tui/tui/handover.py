"""The app's side of a start drawn from a recording (`first_screen`): choosing the recorded screen,
keeping what is typed over it, swapping the live explorer in unseen, and recording the explorer's
first screen when there was no recording.

`RecordedStart` is a base class of the app; the app calls `recorded_screen` when it picks its first
screen, `swap_in` when the live explorer is built, and `record_when_settled` after a start without
a recording.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App

from . import first_screen
from .first_screen import BootScreen

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.dom import DOMNode
    from textual.screen import Screen

LIVE_MODE = "explorer"
"""The screen mode the live explorer runs in after a start drawn from a recording."""
UNSEEN_AT_MOST = 0.5
"""Seconds the swapped-in explorer may spend filling in unseen before it is shown as it is."""
SETTLE_INTERVAL = 0.05
"""Seconds between two looks at the explorer's first screen before it is recorded."""
SETTLED_LOOKS = 3
"""Looks in a row (after the first) that must find the same picture for it to count as settled."""
MOST_LOOKS = 60
"""Looks after which an explorer that keeps changing is not recorded."""


class RecordedStart(App[int]):
    """An app whose first screen may be a recording, replaced by the live screen when it is ready."""

    def __init__(self) -> None:
        super().__init__()
        self._held: deque[events.Key | events.Paste] | None = None
        """Keys and pastes that arrived while the recording was shown (None: nothing is held)."""
        self._released: list[events.Event] = []
        """Held events being handed over now (they pass the hold)."""
        self._touched = False
        """Whether any input arrived since the start (then the screen shows more than the first step)."""
        self._unseen: tuple[Screen[Any], dict[str, Any]] | None = None
        """The live screen being swapped in and the recording it must match before it is shown."""
        self.live_shown = threading.Event()
        """Set once the screen on the terminal is live (at once when the start had no recording)."""
        self.live_shown.set()

    def screen_conditions(self) -> dict[str, object]:
        """Everything besides the code and the scenario that the first screen's picture depends on:
        the terminal's size, the theme and language, how colours reach the terminal (colour system,
        ANSI colours, the line filters NO_COLOR and TEXTUAL_FILTERS add) and the served mode."""
        from ..commands.base import served

        return {
            "size": [self.size.width, self.size.height],
            "theme": self.theme,
            "lang": getattr(self, "lang", "en"),
            "color_system": self.console.color_system,
            "ansi_color": self.ansi_color,
            "filters": [type(line_filter).__name__ for line_filter in self.get_line_filters()],
            "served": served(),
        }

    def recorded_screen(self, scenario_ref: str | None) -> BootScreen | None:
        """The recording of the explorer's first screen on `scenario_ref` under this start's
        conditions, or None (never recorded, or unreadable: then the start is the usual one)."""
        key = first_screen.screen_key(scenario_ref, self.screen_conditions())
        lines = first_screen.load(key) if key is not None else None
        if lines is None:
            return None
        self._held = deque()
        self.live_shown.clear()
        return BootScreen(lines)

    # ---- input over the recording -------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Note that input arrived, and hold keys and pastes while the recording is shown (the live
        screen takes them, in order, once it is in)."""
        if isinstance(event, (events.InputEvent, events.Paste)) and not event.is_forwarded:
            self._touched = True
            if self._held is not None and isinstance(event, (events.Key, events.Paste)):
                if not any(event is released for released in self._released):
                    self._held.append(event)
                    return
        await super().on_event(event)

    async def _deliver_held(self) -> None:
        """Deliver the held keys and pastes one at a time, each only after the last has been handled
        all the way up (a `:` must have focused the command line before the next letter arrives)."""
        held = self._held
        while held:
            event = held.popleft()
            again: events.Key | events.Paste = (
                events.Key(event.key, event.character) if isinstance(event, events.Key) else events.Paste(event.text)
            )
            self._released.append(again)
            target: DOMNode = self.focused or self.screen
            self.post_message(again)
            await _drained(self)  # the app has taken it (a priority binding, or passed it on)
            for node in target.ancestors_with_self:  # the target, its containers, the screen, the app
                await _drained(node)
            self._released.remove(again)
        self._held = None  # from here on input goes its usual way, after everything held

    # ---- the swap -------------------------------------------------------------------------------

    def swap_in(self, live: Screen[Any]) -> None:
        """Replace the recording with the live screen. The terminal keeps showing the recording
        until the live screen paints the same picture (its panes fill in over a few refreshes), or
        for `UNSEEN_AT_MOST` seconds; then what was typed meanwhile is handed over."""
        recording = self.screen
        if isinstance(recording, BootScreen):
            self._unseen = (live, first_screen.encode(recording.lines))
        # A screen started at the terminal's size gets its breakpoint classes (-narrow, -wide) with
        # its first Resize event; a screen swapped in later gets that event only after it has laid out
        # its panes for no class at all. Given now, they are there from its first layout on.
        width, height = self.size
        for dimension, breakpoints in ((width, self.HORIZONTAL_BREAKPOINTS), (height, self.VERTICAL_BREAKPOINTS)):
            reached = [name for threshold, name in breakpoints or [] if dimension >= threshold]
            if reached:
                live.add_class(reached[-1])
        # The recording is the default mode's base screen, which textual cannot switch away from;
        # the live screen gets a mode of its own (the recording stays behind it, suspended).
        self.add_mode(LIVE_MODE, lambda: live)
        self.switch_mode(LIVE_MODE)
        self.set_timer(UNSEEN_AT_MOST, partial(self._show_live, live, repaint=True))

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        """Textual's output of a screen update, held back while the swapped-in screen does not yet
        look like the recording the terminal shows."""
        unseen = self._unseen
        if unseen is not None and renderable is not None and screen is unseen[0]:
            if first_screen.encode(screen._compositor.render_strips()) != unseen[1]:
                return
            # The terminal already shows this picture: this update (and every later one) applies.
            self._show_live(screen, repaint=False)
        super()._display(screen, renderable)

    def _show_live(self, live: Screen[Any], *, repaint: bool) -> None:
        """Stop holding the live screen back (repainting it whole when the terminal may still show
        the recording) and hand it what was typed."""
        if self._unseen is None or self._unseen[0] is not live:
            return
        self._unseen = None
        self.live_shown.set()
        if repaint:
            live.refresh()
        self.run_worker(self._deliver_held(), group="held-input")

    # ---- recording ------------------------------------------------------------------------------

    def record_when_settled(
        self, screen: Screen[Any], scenario_ref: str | None, last: object = None, same: int = 0, looks: int = 0
    ) -> None:
        """Keep `screen`'s picture for the next start once it has settled: it shows the first step
        (`state.trace`) and has not changed for `SETTLED_LOOKS` looks in a row (its panes fill in over
        a few refreshes). Nothing is kept once input arrived or while a notice is up: the screen
        then shows more than the first step."""
        stack = self.screen_stack  # (empty while the app closes)
        if self._touched or self._notifications or stack[-1:] != [screen] or looks > MOST_LOOKS:
            return
        picture: object = None
        if getattr(getattr(screen, "state", None), "trace", None) is not None:
            picture = first_screen.encode(screen._compositor.render_strips())
            same = same + 1 if picture == last else 0
            if same >= SETTLED_LOOKS:
                key = first_screen.screen_key(scenario_ref, self.screen_conditions())
                if key is not None and isinstance(picture, dict):
                    first_screen.save_encoded(key, picture)
                return
        self.set_timer(
            SETTLE_INTERVAL, partial(self.record_when_settled, screen, scenario_ref, picture, same, looks + 1)
        )


async def _drained(node: DOMNode) -> None:
    """Wait until `node` has handled everything posted to it so far."""
    done = asyncio.Event()
    if node.call_later(done.set):
        await done.wait()
