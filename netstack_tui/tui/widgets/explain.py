"""The explanation pane: what happened at this step and why, an analogy, and the real command.

It also announces what changed when a command re-ran the journey ("verdict flipped at INPUT
rule 1"), and how the journey ended once the last step is reached.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import var
from textual.widgets import Static

from ...i18n import message
from ...kernel.trace import Disposition
from ..model import ViewState, change_text, disposition_text, escape, note_text, outcome, set_markup
from ..stage_info import analogy_key, real_commands
from .scrolling import SCROLL_BINDINGS


def explanation(state: ViewState) -> str:
    """The pane's markup for a state."""
    step = state.step
    if step is None or state.trace is None:
        return escape(state.t("ui.loading" if state.loading else "ui.no_journey"))
    lines: list[str] = []
    changed = change_text(state) if state.reply == 0 else None
    if changed:
        lines.append("[reverse bold $warning] " + escape(changed) + " [/]")
    if state.index == 0 and state.reply == 0 and state.change is None:
        lines.append("[reverse $primary] " + escape(state.t("ui.welcome")) + " [/]")
    kind = outcome(step)
    style = {"dropped": "$error", "passed": "$success", "skipped": "$text-muted"}.get(kind, "$accent")
    lines.append(f"[bold {style}]" + escape(note_text(step, state.lang)) + "[/]")
    if step.rule:
        lines.append("  [$text-muted]" + escape(state.t("ui.rule")) + "[/] " + escape(step.rule))
    if step.drop_reason is not None:
        lines.append("  [$error]" + escape(state.t("ui.drop_reason", reason=step.drop_reason)) + "[/]")
    cmds = real_commands(step, state.trace)
    if cmds:
        lines.append(
            "[$secondary]" + escape(state.t("ui.real")) + "[/] " + "  ".join(f"[bold]$ {escape(c)}[/]" for c in cmds)
        )
    key = analogy_key(step)
    if key:
        lines.append("[$secondary]" + escape(state.t("ui.analogy")) + "[/] " + escape(message(key, None, state.lang)))
    if state.at_end:
        ending = disposition_text(state.trace, state.lang)
        end_style = "$error" if state.trace.disposition in (Disposition.DROPPED, Disposition.REJECTED) else "$success"
        lines.append(
            f"[bold {end_style}]■ "
            + escape(ending)
            + "[/]  [$text-muted]"
            + escape(
                state.t("ui.end_hint_replies" if state.trace.replies else "ui.end_hint", n=len(state.trace.replies))
            )
            + "[/]"
        )
    return "\n".join(lines)


class ExplainPane(VerticalScroll, can_focus=True, inherit_bindings=False):
    """What happened, why, an analogy and the command that shows it on a real machine."""

    BINDINGS = SCROLL_BINDINGS

    state: var[ViewState | None] = var(None, always_update=True)
    """The whole view state; the pane explains its current step."""

    def compose(self) -> ComposeResult:
        """One block of text."""
        yield Static("", id="explain-text")

    def watch_state(self, state: ViewState | None) -> None:
        """Explain the current step."""
        if state is None or not self.is_mounted:
            return
        # Padded to the pane's height, so a shorter explanation costs no layout pass.
        height = self.scrollable_content_region.height
        set_markup(self.query_one("#explain-text", Static), explanation(state), height)
        self.scroll_home(animate=False)
