"""The explanation pane: what happened at this step and why, an analogy, and the real command.

It also announces what changed when a command re-ran the journey ("verdict flipped at INPUT
rule 1"), and how the journey ended once the last step is reached.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.visual import Visual

from ...i18n import message
from ...kernel.trace import Disposition
from ..model import ViewState, change_text, disposition_text, escape, note_text, outcome, parsed_markup
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
    # The end of the journey comes right after what happened, above the details: the pane is only a
    # few lines high and the ending is what the learner stepped here for.
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
    return "\n".join(lines)


class ExplainPane(ScrollView, can_focus=True, inherit_bindings=False):
    """What happened, why, an analogy and the command that shows it on a real machine.

    The text is wrapped to the pane's width once per step and drawn through the line API: a longer
    or shorter explanation changes only the scrollable height, never the screen's layout (which
    would cost a full layout pass on the step)."""

    BINDINGS = SCROLL_BINDINGS

    state: var[ViewState | None] = var(None, always_update=True)
    """The whole view state; the pane explains its current step."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.markup = ""
        """What the pane shows (content markup)."""
        self._lines: list[Strip] = []
        self._wrapped_at = (-1, "")
        self._wrapped: dict[tuple[int, str], list[Strip]] = {}
        """Recent wrappings by (width, markup): stepping back and forth shows the same texts again."""

    @property
    def text(self) -> str:
        """The explanation as plain text, one line per wrapped line."""
        return "\n".join(strip.text.rstrip() for strip in self._lines)

    def watch_state(self, state: ViewState | None) -> None:
        """Explain the current step, from its first line."""
        if state is None or not self.is_mounted:
            return
        self.markup = explanation(state)
        self._wrap()
        self.scroll_home(animate=False, immediate=True)

    def on_resize(self) -> None:
        """A new width: wrap again."""
        self._wrap()

    def _wrap(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or self._wrapped_at == (width, self.markup):
            return
        self._wrapped_at = (width, self.markup)
        lines = self._wrapped.get(self._wrapped_at)
        if lines is None:
            if len(self._wrapped) >= 128:
                self._wrapped.clear()
            lines = Visual.to_strips(self, parsed_markup(self.markup), width, None, self.visual_style)
            self._wrapped[self._wrapped_at] = lines
        self._lines = lines
        # `virtual_size` is a layout reactive: assigning it would lay out the whole screen. Only the
        # scrollbars depend on it (they ask for a layout themselves if they appear or go).
        size = Size(width, len(self._lines))
        if size != self.virtual_size:
            # Most steps' texts take as many lines as the last: then the scrollbar stays as drawn
            # (repainting it costs as much as the text).
            self.set_reactive(ExplainPane.virtual_size, size)
            self._scroll_update(size)
        self.refresh()

    def notify_style_update(self) -> None:
        """A theme change recolours the text."""
        super().notify_style_update()
        self._wrapped_at = (-1, "")
        self._wrapped.clear()  # the strips carry the old theme's colours
        self._wrap()

    def render_line(self, y: int) -> Strip:
        """One wrapped line of the explanation."""
        line = round(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        if 0 <= line < len(self._lines):
            return self._lines[line].extend_cell_length(width, self.rich_style).crop(0, width)
        return Strip.blank(width, self.rich_style)
