"""The pipeline: the stages the journey takes, grouped as `Stage.group`, with the packet's position.

Rows come from `netstack_tui.kernel.stages.STAGES` (the table the engine walks), in the journey's
order. Passed, dropped, skipped, delivered and transmitted stages differ by symbol *and* by CSS
class (so by colour); steps the packet has not reached yet are shown as pending.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import var
from textual.widgets import Static

from ...kernel.stages import Stage
from ..model import SYMBOLS, ViewState, outcome, stage_label, stage_of, unreached_stages


class StageRow(Static):
    """One step of the journey in the pipeline; clicking it selects the step."""

    def __init__(self, index: int, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.index = index
        """Position of the step in the trace."""

    def on_click(self, event: events.Click) -> None:
        """Tell the pipeline this row was clicked."""
        event.stop()
        self.post_message(PipelineView.StageSelected(self.index))


class UnreachedRow(Static):
    """A stage on the journey's path that the packet never got to (it was dropped before)."""


class GroupLabel(Static):
    """A group heading (`NIC`, `PREROUTING`, `INPUT`, ...)."""


class PipelineView(VerticalScroll, can_focus=False):
    """The journey as a vertical list of stages, grouped, with the current one marked."""

    @dataclass
    class StageSelected(Message):
        """The user clicked a stage: jump to step `index`."""

        index: int
        """Position of the clicked step in the trace."""

    state: var[ViewState | None] = var(None, always_update=True)
    """The whole view state; the rows are rebuilt when its trace changes, restyled on every step."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._built_for: object = None
        self._rows: list[StageRow] = []
        self._unreached: list[tuple[UnreachedRow, Stage]] = []
        self._drawn: dict[int, tuple[str, str, str]] = {}
        self._lang = ""
        self._target: StageRow | None = None

    def compose(self) -> ComposeResult:
        """Rows are mounted when the first state arrives."""
        yield from ()

    def watch_state(self, state: ViewState | None) -> None:
        """Rebuild rows for a new journey; otherwise only move the marker."""
        if state is None or state.trace is None:
            return
        if self._built_for is not state.trace:
            self._rebuild(state)
        self._restyle(state)

    def _rebuild(self, state: ViewState) -> None:
        assert state.trace is not None
        self._built_for = state.trace
        self.remove_children()
        widgets: list[Static] = []
        self._rows = []
        self._drawn = {}
        group = None
        for i, step in enumerate(state.trace.steps):
            stage = stage_of(step)
            heading = stage.group if stage else "?"
            if heading != group:
                group = heading
                widgets.append(GroupLabel(heading, classes="group-label"))
            row = StageRow(i, classes="stage-row")
            self._rows.append(row)
            widgets.append(row)
        self._unreached = []
        for missed in unreached_stages(state.trace):
            if missed.group != group:
                group = missed.group
                widgets.append(GroupLabel(group, classes="group-label -unreached"))
            unreached = UnreachedRow(f" {SYMBOLS['unreached']} {stage_label(missed, state.lang)}",
                                     classes="stage-row -unreached")
            self._unreached.append((unreached, missed))
            widgets.append(unreached)
        self._lang = ""
        self.mount_all(widgets)

    def _restyle(self, state: ViewState) -> None:
        assert state.trace is not None
        for row in self._rows:
            step = state.trace.steps[row.index]
            stage = stage_of(step)
            label = stage_label(stage, state.lang) if stage else step.stage
            seen = row.index <= state.index
            kind = outcome(step) if seen else "pending"
            current = row.index == state.index
            marker = "▶" if current else " "
            drawn = (
                f"{marker}{SYMBOLS[kind]} {label}",
                f"stage-row -{kind}" + (" -current" if current else ""),
                state.lang,
            )
            if self._drawn.get(row.index) == drawn:
                continue  # a step changes two or three rows; restyling all of them costs a frame
            self._drawn[row.index] = drawn
            row.update(drawn[0], layout=False)
            row.set_classes(drawn[1])
            row.tooltip = f"{step.function} — {state.t('ui.outcome.' + kind)}"
        if self._lang != state.lang:
            self._lang = state.lang
            for unreached, missed in self._unreached:
                unreached.update(f" {SYMBOLS['unreached']} {stage_label(missed, state.lang)}", layout=False)
                unreached.tooltip = f"{missed.function} — {state.t('ui.outcome.unreached')}"
        if 0 <= state.index < len(self._rows):
            row = self._rows[state.index]
            if not row.region or not self.scrollable_content_region.contains_region(row.region):
                if self._target is None:
                    self.call_after_refresh(self._show_target, 10)
                self._target = row

    def _show_target(self, tries: int) -> None:
        """Scroll the current row into view. Rows just mounted have no place yet: try again after the
        next refresh. Only the latest target counts (a re-run journey first shows step 0, then jumps)."""
        row = self._target
        if row is None:
            return
        if not row.region and tries > 0:
            self.call_after_refresh(self._show_target, tries - 1)
            return
        self._target = None
        self.scroll_to_widget(row, animate=False, immediate=True)
