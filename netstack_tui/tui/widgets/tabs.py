"""A one-line tab strip for the centre pane (lighter than `TabbedContent`, which alone cost a
third of the first frame). It shows labels and posts `TabStrip.TabSelected` when one is clicked."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.reactive import var
from textual.widgets import Static

from ..model import escape


class TabStrip(Static):
    """Tab labels in a row; the active one is highlighted."""

    @dataclass
    class TabSelected(Message):
        """The user clicked the tab `tab` (the id of the pane it shows)."""

        tab: str

    labels: var[tuple[tuple[str, str], ...]] = var((), always_update=True)
    """(pane id, label) pairs in display order."""
    active: var[str] = var("")
    """Id of the pane shown."""
    hidden: var[frozenset[str]] = var(frozenset())
    """Pane ids not offered (the packet tab when the packet has its own column)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._spans: list[tuple[int, int, str]] = []

    def _redraw(self) -> None:
        parts, self._spans, x = [], [], 1
        for pane, label in self.labels:
            if pane in self.hidden:
                continue
            text = f" {label} "
            style = "reverse bold $accent" if pane == self.active else "$text-muted"
            parts.append(f"[{style}]{escape(text)}[/]")
            self._spans.append((x, x + len(text), pane))
            x += len(text) + 1
        self.update(" " + " ".join(parts), layout=False)

    def watch_labels(self) -> None:
        """Relabel."""
        self._redraw()

    def watch_active(self) -> None:
        """Move the highlight."""
        self._redraw()

    def watch_hidden(self) -> None:
        """Offer or withdraw tabs."""
        self._redraw()

    def on_click(self, event: events.Click) -> None:
        """Post TabSelected for the label under the pointer."""
        for start, end, pane in self._spans:
            if start <= event.x < end:
                self.post_message(self.TabSelected(pane))
                return
