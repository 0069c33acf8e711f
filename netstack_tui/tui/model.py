"""What the screen shows, as one immutable value: `ViewState`, plus pure helpers that widgets share.

The main screen builds a `ViewState` from the session whenever anything changes (step, reply,
language, a re-run journey) and hands the whole value down to every widget. Widgets never reach
into the session, so they can be tested (and snapshotted) by feeding them a state directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..i18n import message
from ..kernel.stages import STAGE_BY_ID, STAGES, Path, Stage

if TYPE_CHECKING:
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

OUTCOME_BY_VERDICT: dict[str, str] = {
    "pass": "passed",
    "ACCEPT": "passed",
    "DROP": "dropped",
    "REJECT": "dropped",
    "skip": "skipped",
    "deliver": "delivered",
    "transmit": "transmitted",
}
"""Which outcome (a key of `SYMBOLS`, and a CSS class `-<outcome>`) each verdict shows as, keyed by
the `Verdict` values (a `StrEnum`, so its members look up as these strings)."""


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


def stage_label(stage: Stage, lang: str = "en") -> str:
    """A stage's short label in `lang` (`stage.<id>` in the catalog; the kernel's label otherwise)."""
    key = f"stage.{stage.id}"
    text = message(key, None, lang)
    return stage.label if text == key else text


def where(step: Step, lang: str = "en") -> str:
    """Where a step decided, in iptables words: `filter/INPUT rule 1`, `filter/INPUT policy`, or the stage."""
    if step.table is not None and step.chain is not None:
        if step.rule_index:
            return message("ui.where.rule", {"table": step.table, "chain": step.chain, "n": str(step.rule_index)}, lang)
        return message("ui.where.policy", {"table": step.table, "chain": step.chain}, lang)
    stage = stage_of(step)
    return f"{stage.group} › {stage_label(stage, lang)}" if stage else step.stage


def disposition_text(trace: Trace, lang: str) -> str:
    """The journey's ending in words: `delivered to nginx`, `dropped at filter/INPUT rule 1 (NETFILTER_DROP)`."""
    from ..kernel.trace import Disposition

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


_RULE_N = re.compile(r"\brule (\d+)")
_HANDLE_N = re.compile(r"\bhandle (\d+)")
_IN_CHAIN = re.compile(r"\bin chain (\S+)")
_POLICY = re.compile(r"\bpolicy\b")


def localise_params(params: dict[str, str], lang: str) -> dict[str, str]:
    """The kernel's English words inside a step's `where` parameter (`rule 4`, `policy`,
    `rule 2, handle 7 in chain web`) in `lang`; other parameters are values and stay as they are."""
    where = params.get("where")
    if lang == "en" or not where:
        return params

    def sub(pattern: re.Pattern[str], key: str, text: str) -> str:
        return pattern.sub(lambda m: message(key, {"n": m.group(1)} if m.groups() else None, lang), text)

    where = sub(_RULE_N, "ui.param.rule", where)
    where = sub(_HANDLE_N, "ui.param.handle", where)
    where = _IN_CHAIN.sub(lambda m: message("ui.param.in_chain", {"chain": m.group(1)}, lang), where)
    where = sub(_POLICY, "ui.param.policy", where)
    return {**params, "where": where}


def note_text(step: Step, lang: str) -> str:
    """What happened at a step, in words: its note with its parameters, localised."""
    return message(step.note, localise_params(step.param, lang), lang)


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
    name = f"{stage.group} › {stage_label(stage, state.lang)}" if stage else change.stage
    return state.t("ui.changed", n=change.index + 1, stage=name, before=at(old), after=at(new))


def escaped_translator(lang: str) -> Callable[..., str]:
    """`t(key, **params)`: a catalog text in `lang`, escaped for markup."""

    def t(key: str, **params: object) -> str:
        """The escaped text for `key`."""
        return escape(message(key, {k: str(v) for k, v in params.items()}, lang))

    return t


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
    widget.update(markup, layout=False)
    region = widget.content_region
    if region.width <= 0:
        widget.refresh(layout=True)
        return
    height = widget.visual.get_height(widget.styles, region.width)
    if height < min_height:
        widget.update(markup + "\n" * (min_height - height), layout=False)
        height = min_height
    if height != region.height:
        widget.refresh(layout=True)
