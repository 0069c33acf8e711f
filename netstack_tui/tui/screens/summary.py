"""The end-of-journey summary, in the style of Cisco ASA's `packet-tracer`.

Each phase with its result and the rule that decided, NAT applied, and the final disposition with
the drop reason.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...export.summary import summary_lines
from ...i18n import message
from ...kernel.trace import Trace
from ..model import escape

_MARKUP = {
    "title": "bold",
    "muted": "$text-muted",
    "host": "bold reverse $secondary",
    "strong": "bold",
    "ok": "bold $success",
    "bad": "bold $error",
    "change": "$warning",
}
"""The theme's look of each role a summary line uses (see `export.summary`)."""


def summary_text(trace: Trace, lang: str) -> str:
    """packet-tracer style markup for a journey (the lines an export writes as plain text)."""
    return "\n".join(
        "".join(f"[{_MARKUP[span.style]}]{escape(span.text)}[/]" if span.style else escape(span.text) for span in line)
        for line in summary_lines(trace, lang)
    )


class SummaryScreen(ModalScreen[None]):
    """The journey's packet-tracer summary; Esc closes it."""

    BINDINGS = [Binding("escape,q,s", "dismiss", "Close")]

    def __init__(self, trace: Trace, lang: str) -> None:
        super().__init__()
        self.trace = trace
        """The journey summarised."""
        self.lang = lang
        """Language of the texts."""

    def compose(self) -> ComposeResult:
        """One scrolling page."""
        with VerticalScroll(id="summary-body", classes="modal-body"):
            yield Static(summary_text(self.trace, self.lang), id="summary-text")
            yield Static(message("ui.summary.close", None, self.lang), classes="modal-hint")

    def action_dismiss(self) -> None:  # type: ignore[override]
        """Close the summary."""
        self.dismiss(None)
