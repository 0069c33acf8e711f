"""What the screen shows, as one immutable value: `ViewState`, plus pure helpers that widgets share.

The main screen builds a `ViewState` from the session whenever anything changes (step, reply,
language, a re-run journey) and hands the whole value down to every widget. Widgets never reach
into the session, so they can be tested (and snapshotted) by feeding them a state directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..i18n import message
from ..kernel.stages import STAGE_BY_ID, Stage
from ..kernel.trace import ConntrackView, Disposition, SkbView, Step, Trace, Verdict

if TYPE_CHECKING:
    from ..commands.session import StepChange

SYMBOLS: dict[str, str] = {
    "passed": "✓",
    "dropped": "✗",
    "skipped": "·",
    "delivered": "●",
    "transmitted": "→",
    "pending": "○",
}
"""The pipeline's symbols by outcome; colour repeats them but never replaces them."""

OUTCOME_BY_VERDICT: dict[Verdict, str] = {
    Verdict.PASS: "passed",
    Verdict.ACCEPT: "passed",
    Verdict.DROP: "dropped",
    Verdict.REJECT: "dropped",
    Verdict.SKIP: "skipped",
    Verdict.DELIVER: "delivered",
    Verdict.TRANSMIT: "transmitted",
}
"""Which outcome (a key of `SYMBOLS`, and a CSS class `-<outcome>`) each verdict shows as."""


def outcome(step: Step) -> str:
    """The outcome name of a step (`passed`, `dropped`, ...)."""
    return OUTCOME_BY_VERDICT.get(step.verdict, "passed")


def stage_of(step: Step) -> Stage | None:
    """The declared stage a step ran, or None for an id the table does not know."""
    return STAGE_BY_ID.get(step.stage)


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


def where(step: Step, lang: str = "en") -> str:
    """Where a step decided, in iptables words: `filter/INPUT rule 1`, `filter/INPUT policy`, or the stage."""
    if step.table is not None and step.chain is not None:
        if step.rule_index:
            return message("ui.where.rule", {"table": step.table, "chain": step.chain, "n": str(step.rule_index)}, lang)
        return message("ui.where.policy", {"table": step.table, "chain": step.chain}, lang)
    stage = stage_of(step)
    return f"{stage.group} › {stage.label}" if stage else step.stage


def disposition_text(trace: Trace, lang: str) -> str:
    """The journey's ending in words: `delivered to nginx`, `dropped at filter/INPUT rule 1 (NETFILTER_DROP)`."""
    last = trace.steps[-1] if trace.steps else None
    key = f"ui.disp.{trace.disposition}"
    params = {
        "to": trace.delivered_to or "",
        "where": where(last, lang) if last else "",
        "reason": str(trace.drop_reason or ""),
        "via": trace.final_packet.oif or "?",
    }
    if trace.disposition in (Disposition.DROPPED, Disposition.REJECTED) and not trace.drop_reason:
        key += ".noreason"
    return message(key, params, lang)


def escape(text: object) -> str:
    """Text made safe for content markup: every `[` is escaped (textual's own escape lets `[S]` through)."""
    return str(text).replace("[", "\\[")


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
    name = f"{stage.group} › {stage.label}" if stage else change.stage
    return state.t("ui.changed", n=change.index + 1, stage=name, before=at(old), after=at(new))


def escaped_translator(lang: str) -> Callable[..., str]:
    """`t(key, **params)`: a catalog text in `lang`, escaped for markup."""

    def t(key: str, **params: object) -> str:
        """The escaped text for `key`."""
        return escape(message(key, {k: str(v) for k, v in params.items()}, lang))

    return t


def set_markup(widget: Any, markup: str) -> None:
    """`Static.update(markup)`, skipped when the widget already shows exactly that, and without a
    layout pass when the new text takes as many lines as the old.

    Most steps leave the packet and parts of the stage unchanged, and most changes keep their
    height; avoiding re-renders and full layouts keeps a step within one frame.
    """
    if getattr(widget, "_netstack_markup", None) == markup:
        return
    widget._netstack_markup = markup
    widget.update(markup, layout=False)
    region = widget.content_region
    if region.width <= 0 or widget.visual.get_height(widget.styles, region.width) != region.height:
        widget.refresh(layout=True)
