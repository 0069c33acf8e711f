"""The packet-tracer style summary of a journey (what the explorer's `s` shows), as styled lines.

The explorer turns the lines into markup; an export writes them as plain text. Both read the same
lines, so the file a teacher hands out says what the class saw on screen. Styles are roles, not
colours (`ok`, `bad`, `host`, ...): the explorer maps them to its theme's colours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..i18n import message
from ..i18n.journey import disposition_text, note_text, outcome, stage_of
from ..kernel.packet import format_packet
from ..kernel.trace import Trace, Verdict

Style = Literal["", "title", "muted", "host", "strong", "ok", "bad", "change"]


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of a line in one style."""

    text: str
    style: Style = ""


Line = tuple[Span, ...]

_RESULT = {"passed": "ALLOW", "dropped": "DROP", "skipped": "SKIP", "delivered": "DELIVER", "transmitted": "TRANSMIT"}


def summary_lines(trace: Trace, lang: str) -> list[Line]:
    """The summary: each phase with its result and the rule that decided (host by host when the
    journey crosses namespaces), NAT, the final disposition with the drop reason, and the replies."""

    def t(key: str, **params: object) -> str:
        return message(key, {k: str(v) for k, v in params.items()}, lang)

    def plain(text: str) -> Line:
        return (Span(text),)

    lines: list[Line] = [(Span(t("ui.sum.title"), "title"),),
                         (Span(format_packet(trace.packet, with_meta=True), "muted"),), ()]
    phase = 0
    crosses = len({step.host for step in trace.steps}) > 1
    host = None
    for step in trace.steps:
        if crosses and step.host != host:
            host = step.host
            lines += [(Span(f" {t('ui.sum.host', host=host)} ", "host"),), ()]
        if step.verdict == Verdict.SKIP:
            continue
        phase += 1
        stage = stage_of(step)
        kind = outcome(step)
        lines.append((Span(f"Phase: {phase}", "strong"),))
        lines.append(plain(f"Type: {stage.group if stage else step.stage}"))
        lines.append(plain(f"Subtype: {stage.label if stage else step.stage}"))
        lines.append((Span("Result: "), Span(_RESULT.get(kind, kind.upper()), "bad" if kind == "dropped" else "ok")))
        if step.rule:
            lines.append(plain(f"Config:\n  {step.rule}"))
        elif step.table:
            lines.append(plain(f"Config:\n  {t('ui.where.policy', table=step.table, chain=step.chain or '')}"))
        lines.append(plain(f"Additional Information:\n  {note_text(step, lang)}"))
        for change in step.changes:
            lines.append((Span("  "), Span(f"{change.what}: {change.before} → {change.after}", "change")))
        lines.append(())
    first, last = trace.packet, trace.final_packet
    moved = (first.src, first.dst, first.sport, first.dport) != (last.src, last.dst, last.sport, last.dport)
    lines.append((Span(t("ui.sum.result"), "strong"),))
    lines.append(plain(f"input-interface: {trace.packet.iif or '-'}"))
    lines.append(plain(f"output-interface: {last.oif or '-'}"))
    nat = f"{format_packet(first)} → {format_packet(last)}" if moved else t("ui.sum.no_nat")
    lines.append(plain(f"NAT: {nat}"))
    lines.append((Span("Action: "), Span(str(trace.disposition), "bad" if trace.drop_reason else "ok")))
    if trace.drop_reason:
        lines.append((Span("Drop-reason: "), Span(str(trace.drop_reason), "bad")))
    lines.append(plain(disposition_text(trace, lang)))
    if trace.replies:
        lines.append(())
        lines.append(plain(t("ui.sum.replies", n=len(trace.replies))))
        for reply in trace.replies:
            lines.append(plain(f"  {format_packet(reply.packet)} — {reply.summary_line()}"))
    return lines


def summary_plain(trace: Trace, lang: str) -> str:
    """The summary as plain text (a namespace's heading between `===`), ending in a newline."""
    out = []
    for line in summary_lines(trace, lang):
        if len(line) == 1 and line[0].style == "host":
            out.append(f"=== {line[0].text.strip()} ===")
        else:
            out.append("".join(span.text for span in line))
    return "\n".join(out) + "\n"
