"""The pipeline: the stages the journey takes, grouped as `Stage.group`, with the packet's position.

Rows come from `netstack_tui.kernel.stages.STAGES` (the table the engine walks), in the journey's
order. Passed, dropped, skipped, delivered and transmitted stages differ by symbol *and* by style
(so by colour); steps the packet has not reached yet are shown as pending, and stages after a drop
as never reached.

One widget draws every row through Textual's line API: a step repaints the two rows that changed
and costs no layout pass (a widget per row made each step restyle and lay out forty widgets).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...kernel.world import ROOT_NAME
from ..model import SYMBOLS, ViewState, outcome, stage_label, stage_of, unreached_stages


@dataclass(frozen=True, slots=True)
class PipelineRow:
    """One line of the pipeline: a group heading, a step of the journey, a stage never reached,
    or the blank line between groups."""

    kind: str
    """`host`, `group`, `step`, `unreached` or `gap`."""
    text: str
    style: str
    """Component class: `pipeline--passed`, `pipeline--group`, ..."""
    step: int | None = None
    """Position of the step in the trace (rows of kind `step` only)."""
    tooltip: str = ""
    current: bool = False
    """The step the packet is at (drawn over its outcome's style)."""


class PipelineView(ScrollView, can_focus=False):
    """The journey as a vertical list of stages, grouped, with the current one marked."""

    COMPONENT_CLASSES = {
        "pipeline--host",
        "pipeline--group",
        "pipeline--group-unreached",
        "pipeline--passed",
        "pipeline--dropped",
        "pipeline--skipped",
        "pipeline--delivered",
        "pipeline--transmitted",
        "pipeline--pending",
        "pipeline--unreached",
        "pipeline--current",
        "pipeline--hover",
    }

    @dataclass
    class StageSelected(Message):
        """The user clicked a stage: jump to step `index`."""

        index: int
        """Position of the clicked step in the trace."""

    state: var[ViewState | None] = var(None, always_update=True)
    """The whole view state; the rows are rebuilt when its trace changes, restyled on every step."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: list[PipelineRow] = []
        """What each line shows, top to bottom (read by tests and the tooltip)."""
        self._built_for: object = None
        self._built_lang = ""
        self._line_of_step: list[int] = []
        self._hover: int | None = None
        self._styles: dict[str, Style] = {}
        """The widget's and its components' Rich styles, resolved once until the CSS changes
        (resolving them for every line took half of a step's drawing)."""

    def watch_state(self, state: ViewState | None) -> None:
        """Rebuild the rows for a new journey or language; otherwise redraw the rows that changed."""
        if state is None or state.trace is None:
            return
        rebuilt = self._built_for is not state.trace or self._built_lang != state.lang
        if rebuilt:
            self._rebuild(state)
        else:
            self._restyle(state)
        if 0 <= state.index < len(self._line_of_step):
            line = self._line_of_step[state.index]
            top = round(self.scroll_offset.y)
            if not top < line < top + self.scrollable_content_region.height - 1:
                # A line of context each side keeps the group heading in view when stepping back.
                region, spacing = Region(0, line, 1, 1), Spacing(1, 0, 1, 0)
                if rebuilt:
                    # After the refresh: a rebuilt pipeline has its new height only then.
                    self.call_after_refresh(self.scroll_to_region, region, animate=False, spacing=spacing)
                else:
                    # Same rows, same height: scroll now, so the step's frame paints the pipeline
                    # once, scrolled (a deferred scroll repainted it whole in a second frame).
                    self.scroll_to_region(region, animate=False, spacing=spacing, immediate=True)

    def line_of_step(self, index: int) -> int:
        """The line that shows step `index` (for tests and clicks)."""
        return self._line_of_step[index]

    def _rebuild(self, state: ViewState) -> None:
        assert state.trace is not None
        self._built_for, self._built_lang = state.trace, state.lang
        rows: list[PipelineRow] = []
        self._line_of_step = []
        group = None
        # A journey through several namespaces gets a heading per namespace, in the order visited.
        crosses = len({step.host for step in state.trace.steps}) > 1
        host = None
        for i, step in enumerate(state.trace.steps):
            stage = stage_of(step)
            heading = stage.group if stage else "?"
            if crosses and step.host != host:
                if host is not None:
                    rows.append(PipelineRow("gap", "", "pipeline--group"))
                host, group = step.host, None
                rows.append(PipelineRow("host", f"⌂ {_host_label(host, state)}", "pipeline--host",
                                        tooltip=state.t("ui.pipeline.host_tip", host=_host_label(host, state))))
            if heading != group:
                if group is not None:
                    rows.append(PipelineRow("gap", "", "pipeline--group"))
                group = heading
                rows.append(PipelineRow("group", _heading(heading, state), "pipeline--group"))
            self._line_of_step.append(len(rows))
            rows.append(self._step_row(state, i))
        for missed in unreached_stages(state.trace):
            if missed.group != group:
                rows.append(PipelineRow("gap", "", "pipeline--group"))
                group = missed.group
                rows.append(PipelineRow("group", _heading(group, state), "pipeline--group-unreached"))
            rows.append(PipelineRow("unreached", f"{SYMBOLS['unreached']} {stage_label(missed, state.lang)}",
                                    "pipeline--unreached",
                                    tooltip=f"{missed.function} — {state.t('ui.outcome.unreached')}"))
        self.rows = rows
        self.virtual_size = Size(self.virtual_size.width, len(rows))
        self.refresh()

    def _step_row(self, state: ViewState, index: int) -> PipelineRow:
        assert state.trace is not None
        step = state.trace.steps[index]
        stage = stage_of(step)
        label = stage_label(stage, state.lang) if stage else step.stage
        kind = outcome(step) if index <= state.index else "pending"
        current = index == state.index
        return PipelineRow("step", f"{'▶' if current else ' '}{SYMBOLS[kind]} {label}", f"pipeline--{kind}", index,
                           f"{step.function} — {state.t('ui.outcome.' + kind)}", current)

    def _restyle(self, state: ViewState) -> None:
        """A step changes two or three rows (the old and new current one, and those passed over)."""
        for index, line in enumerate(self._line_of_step):
            row = self._step_row(state, index)
            if row != self.rows[line]:
                self.rows[line] = row
                self.refresh_line(line)

    # ---- drawing ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """One row, cut to the width with an ellipsis, in its outcome's style. The current step's
        text is drawn reversed in its outcome's colour on a bar across the pipeline."""
        line = round(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        base = self._style("")
        if not 0 <= line < len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[line]
        text = " " + row.text
        if len(text) > width:
            text = text[: max(width - 1, 0)] + "…"
        # Full component styles: colours with alpha ($text-muted, $primary 30%) are blended over
        # the pipeline's background only there. The bar and hover take just their background.
        style = self._style(row.style)
        rest = base
        if row.current:
            bar = Style(bgcolor=self._style("pipeline--current").bgcolor)
            style += bar + Style(bold=True, reverse=True)
            rest += bar
        elif line == self._hover and row.kind == "step":
            style += Style(bgcolor=self._style("pipeline--hover").bgcolor)
            rest = style
        lead = len(text) - len(text.lstrip(" "))
        return Strip(
            [Segment(text[:lead], rest), Segment(text[lead:], style), Segment(" " * (width - len(text)), rest)], width
        )

    def _style(self, component: str) -> Style:
        """The Rich style of a component class (`""`: the widget's own)."""
        style = self._styles.get(component)
        if style is None:
            style = self.rich_style if not component else self.get_component_rich_style(component)
            self._styles[component] = style
        return style

    def notify_style_update(self) -> None:
        """A theme change restyles every row."""
        super().notify_style_update()
        self._styles.clear()
        self.refresh()

    # ---- mouse -----------------------------------------------------------------------------

    def _row_at(self, y: int) -> int | None:
        line = round(self.scroll_offset.y) + y
        return line if 0 <= line < len(self.rows) else None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Highlight the row under the pointer and show what its kernel function did."""
        line = self._row_at(event.y)
        if line == self._hover:
            return
        for old in (self._hover, line):
            if old is not None:
                self.refresh_line(old)
        self._hover = line
        tip = self.rows[line].tooltip if line is not None else ""
        self.tooltip = Text(tip) if tip else None  # plain: it names namespaces, which a user names

    def on_leave(self, event: events.Leave) -> None:
        """No row is under the pointer any more."""
        if self._hover is not None:
            self.refresh_line(self._hover)
            self._hover = None

    def on_click(self, event: events.Click) -> None:
        """A click on a step selects it."""
        line = self._row_at(event.y)
        if line is not None and self.rows[line].step is not None:
            event.stop()
            self.post_message(self.StageSelected(self.rows[line].step))  # type: ignore[arg-type]


def _heading(group: str, state: ViewState) -> str:
    """A group's heading: kernel names (hooks, NIC, skb, IP) as they are, words in the reader's language."""
    key = f"ui.grouphead.{group}"
    text = state.t(key)
    return group if text == key else text


def _host_label(host: str, state: ViewState) -> str:
    """The namespace's name as the learner knows it (the root namespace is "host")."""
    return state.t("ui.pipeline.root") if host == ROOT_NAME else host
