"""What the screen shows, as one immutable value: `ViewState`, plus pure helpers that widgets share.

The main screen builds a `ViewState` from the session whenever anything changes (step, reply,
language, a re-run journey) and hands the whole value down to every widget. Widgets never reach
into the session, so they can be tested (and snapshotted) by feeding them a state directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..i18n import message
from ..i18n.journey import OUTCOME_BY_VERDICT as OUTCOME_BY_VERDICT
from ..i18n.journey import disposition_text as disposition_text
from ..i18n.journey import localise_params as localise_params
from ..i18n.journey import note_text as note_text
from ..i18n.journey import outcome as outcome
from ..i18n.journey import stage_label as stage_label
from ..i18n.journey import stage_of as stage_of
from ..i18n.journey import where as where
from ..kernel.stages import STAGE_BY_ID, STAGES, Path, Stage

if TYPE_CHECKING:
    from textual.content import Content

    from ..commands.session import StepChange
    from ..kernel.trace import SkbView, Step, Trace

# kernel.trace (dataclasses for every view) is imported where it is used, not here: the main
# screen's first frame needs this module but none of those classes.

SYMBOLS: dict[str, str] = {
    "passed": "✓",
    "dropped": "✗",
    "skipped": "·",
    "delivered": "●",
    "transmitted": "→",
    "pending": "○",
    "unreached": "⊘",
}
"""The pipeline's symbols by outcome; colour repeats them but never replaces them."""

@dataclass(frozen=True, slots=True)
class ViewState:
    """Everything the main screen's widgets draw, frozen: a journey, a position in it, a language."""

    trace: Trace | None = None
    """The journey being shown: the sent packet's, or one of its replies'."""
    index: int = 0
    """The current step in `trace.steps`."""
    lang: str = "en"
    """Interface language (`en` or `ru`)."""
    reply: int = 0
    """0 for the sent packet's journey, N for reply N (1-based) of `root`."""
    root: Trace | None = None
    """The sent packet's journey (the one replies hang off)."""
    change: StepChange | None = None
    """After a command re-ran the journey: the first step that differs from before."""
    previous: Trace | None = None
    """The journey before the command that re-ran it (None when nothing was re-run)."""
    packet_name: str | None = None
    """The scenario's name for the current packet."""
    macs: tuple[tuple[str, str], ...] = field(default=())
    """(interface, MAC) pairs of the host, so the packet view can fill in frames' addresses."""
    loading: bool = False
    """Whether the scenario is still being loaded (the first frame shows before the simulator starts)."""

    @property
    def step(self) -> Step | None:
        """The current step, or None when there is no journey."""
        if self.trace is None or not self.trace.steps:
            return None
        return self.trace.steps[min(self.index, len(self.trace.steps) - 1)]

    @property
    def at_end(self) -> bool:
        """Whether the current step is the journey's last."""
        return self.trace is None or self.index >= len(self.trace.steps) - 1

    def t(self, key: str, **params: object) -> str:
        """A UI string in this state's language."""
        return message(key, {k: str(v) for k, v in params.items()}, self.lang)

    def ct_state(self) -> str | None:
        """The packet's conntrack state as of the current step (from the last conntrack view so far)."""
        from ..kernel.trace import ConntrackView

        if self.trace is None:
            return None
        for step in reversed(self.trace.steps[: self.index + 1]):
            if isinstance(step.view, ConntrackView):
                return step.view.state
        return None

    def skb(self) -> SkbView | None:
        """The sk_buff geometry as of the current step."""
        step = self.step
        return step.skb if step is not None else None


_PATHS: dict[str, tuple[Path, ...]] = {
    "input": (Path.RX, Path.PREROUTING, Path.LOCAL_IN),
    "forward": (Path.RX, Path.PREROUTING, Path.FORWARD, Path.POSTROUTING, Path.TX),
    "output": (Path.LOCAL_OUT, Path.POSTROUTING, Path.TX),
    "unrouted": (Path.RX, Path.PREROUTING),
    "bridged": (Path.RX, Path.BRIDGE, Path.TX),
}
"""The parts of the stage table each kind of journey walks (`unrouted`: dropped before the routing
decision, so whether it was for this host or to be forwarded is not known)."""


def last_host_steps(trace: Trace) -> tuple[Step, ...]:
    """The journey's last stretch in one namespace (where it ended)."""
    steps = trace.steps
    start = len(steps)
    while start > 0 and steps[start - 1].host == steps[-1].host:
        start -= 1
    return steps[start:]


def journey_path(trace: Trace) -> str:
    """Which path the journey was on in the namespace it ended in: `input`, `forward`, `output`,
    `bridged` or `unrouted` (see `_PATHS`)."""
    steps = last_host_steps(trace)
    seen = {stage.path for stage in map(stage_of, steps) if stage is not None}
    if Path.BRIDGE in seen and Path.LOCAL_IN not in seen and Path.FORWARD not in seen:
        return "bridged"
    if Path.FORWARD in seen or (Path.POSTROUTING in seen and Path.RX in seen):
        return "forward"
    if Path.LOCAL_IN in seen:
        return "input"
    if Path.LOCAL_OUT in seen:
        return "output"
    for step in steps:
        result = getattr(step.view, "result", None)
        if step.stage == "route_input" and result in ("local", "unicast"):
            return "input" if result == "local" else "forward"
    return "unrouted"


def unreached_stages(trace: Trace | None) -> tuple[Stage, ...]:
    """The stages of the journey's path after the point where it was dropped, in the kernel's order
    (empty unless the journey ended in a drop or a reject)."""
    if trace is None or not trace.steps or str(trace.disposition) not in ("dropped", "rejected"):
        return ()
    last = stage_of(trace.steps[-1])
    if last is None:
        return ()
    paths = _PATHS[journey_path(trace)]
    done = {step.stage for step in last_host_steps(trace)}
    start = STAGES.index(last) + 1
    return tuple(s for s in STAGES[start:] if s.path in paths and s.id not in done)


def escape(text: object) -> str:
    """Text made safe for content markup: every `[` is escaped (textual's own escape lets `[S]` through).

    A backslash that ends the text would escape the tag that follows it (and an unmatched `[/]`
    ends the app), so it is followed by a zero-width space, which shows nothing.
    """
    out = str(text).replace("[", "\\[")
    return out + "\u200b" if out.endswith("\\") else out


def change_text(state: ViewState) -> str | None:
    """What a re-run changed, in words: `The journey changed at step 16 (INPUT › filter): ACCEPT at
    filter/INPUT rule 5 → DROP at filter/INPUT rule 1`; None when nothing changed."""
    change, old, new = state.change, state.previous, state.root
    if change is None or new is None:
        return None

    def at(trace: Trace | None) -> str:
        """What `trace` did at the changed step."""
        if trace is None or not trace.steps:
            return "-"
        step = trace.steps[min(change.index, len(trace.steps) - 1)]
        if step.stage != change.stage:
            return disposition_text(trace, state.lang)
        return state.t("ui.verdict_at", verdict=step.verdict, where=where(step, state.lang))

    stage = STAGE_BY_ID.get(change.stage)
    name = f"{stage.group} › {stage_label(stage, state.lang)}" if stage else change.stage
    return state.t("ui.changed", n=change.index + 1, stage=name, before=at(old), after=at(new))


def escaped_translator(lang: str) -> Callable[..., str]:
    """`t(key, **params)`: a catalog text in `lang`, escaped for markup."""

    def t(key: str, **params: object) -> str:
        """The escaped text for `key`."""
        return escape(message(key, {k: str(v) for k, v in params.items()}, lang))

    return t


@lru_cache(maxsize=1024)
def parsed_markup(markup: str) -> Content:
    """`markup` parsed once: stepping back and forth shows the same texts again, and parsing
    Textual's markup costs more than the rest of a step's work (Content is immutable: one parse
    serves every widget and every repaint)."""
    from textual.content import Content

    return Content.from_markup(markup)


def set_markup(widget: Any, markup: str, min_height: int = 0) -> None:
    """`Static.update(markup)`, skipped when the widget already shows exactly that, and without a
    layout pass when the new text takes as many lines as the old.

    Most steps leave the packet and parts of the stage unchanged, and most changes keep their
    height; avoiding re-renders and full layouts keeps a step within one frame. `min_height` pads
    the text with blank lines to that many lines: a pane that fills its viewport keeps one height
    from step to step, so a shorter or longer picture costs no layout pass (a layout pass also
    changes the widget's virtual size, which asks for a second one in the next frame, and the
    next key press waits for it).
    """
    if getattr(widget, "_netstack_markup", None) == (markup, min_height):
        return
    widget._netstack_markup = (markup, min_height)
    region = widget.content_region
    if getattr(widget, "_render_markup", True):
        # Padded before the update, so the widget is updated (and repainted) once.
        content = parsed_markup(markup)
        if min_height and region.width > 0:
            height = content.get_height(widget.styles, region.width)
            if height < min_height:
                content = parsed_markup(markup + "\n" * (min_height - height))
        widget.update(content, layout=False)
    else:
        widget.update(markup, layout=False)
        height = widget.visual.get_height(widget.styles, region.width) if min_height and region.width > 0 else 0
        if height < min_height:
            widget.update(markup + "\n" * (min_height - height), layout=False)
    if region.width <= 0:
        widget.refresh(layout=True)
        return
    height = widget.visual.get_height(widget.styles, region.width)
    if height != region.height:
        widget.refresh(layout=True)
