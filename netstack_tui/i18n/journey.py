"""A journey told in words, in each language: a step's outcome, where it decided, what happened,
how the journey ended. The explorer, the summary and the exported text all say it the same way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..kernel.stages import STAGE_BY_ID, Stage
from . import message

if TYPE_CHECKING:
    from ..kernel.trace import Step, Trace

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
