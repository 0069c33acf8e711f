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

from ...i18n import message
from ...kernel.packet import format_packet
from ...kernel.trace import Trace, Verdict
from ..model import disposition_text, escape, escaped_translator, note_text, outcome, stage_of

_RESULT = {"passed": "ALLOW", "dropped": "DROP", "skipped": "SKIP", "delivered": "DELIVER", "transmitted": "TRANSMIT"}


def summary_text(trace: Trace, lang: str) -> str:
    """packet-tracer style markup for a journey."""
    t = escaped_translator(lang)
    sent = escape(format_packet(trace.packet, with_meta=True))
    lines = [f"[bold]{t('ui.sum.title')}[/]", f"[$text-muted]{sent}[/]", ""]
    phase = 0
    crosses = len({step.host for step in trace.steps}) > 1
    host = None
    for step in trace.steps:
        if crosses and step.host != host:
            # Host by host, in the order the packet visits them.
            host = step.host
            lines.append(f"[bold reverse $secondary] {escape(t('ui.sum.host', host=host))} [/]")
            lines.append("")
        if step.verdict == Verdict.SKIP:
            continue
        phase += 1
        stage = stage_of(step)
        kind = outcome(step)
        style = "$error" if kind == "dropped" else "$success"
        lines.append(f"[bold]Phase: {phase}[/]")
        lines.append(f"Type: {escape(stage.group if stage else step.stage)}")
        lines.append(f"Subtype: {escape(stage.label if stage else step.stage)}")
        lines.append(f"Result: [bold {style}]{_RESULT.get(kind, kind.upper())}[/]")
        if step.rule:
            lines.append(f"Config:\n  {escape(step.rule)}")
        elif step.table:
            lines.append(f"Config:\n  {t('ui.where.policy', table=step.table, chain=step.chain or '')}")
        info = note_text(step, lang)
        lines.append(f"Additional Information:\n  {escape(info)}")
        for change in step.changes:
            lines.append(f"  [$warning]{escape(change.what)}: {escape(change.before)} → {escape(change.after)}[/]")
        lines.append("")
    first, last = trace.packet, trace.final_packet
    moved = (first.src, first.dst, first.sport, first.dport) != (last.src, last.dst, last.sport, last.dport)
    nat = [f"{format_packet(first)} → {format_packet(last)}"] if moved else []
    lines.append(f"[bold]{t('ui.sum.result')}[/]")
    lines.append(f"input-interface: {escape(trace.packet.iif or '-')}")
    lines.append(f"output-interface: {escape(last.oif or '-')}")
    lines.append(f"NAT: {escape(nat[0]) if nat else t('ui.sum.no_nat')}")
    style = "$error" if trace.drop_reason else "$success"
    lines.append(f"Action: [bold {style}]{escape(str(trace.disposition))}[/]")
    if trace.drop_reason:
        lines.append(f"Drop-reason: [bold $error]{escape(str(trace.drop_reason))}[/]")
    lines.append(escape(disposition_text(trace, lang)))
    if trace.replies:
        lines.append("")
        lines.append(t("ui.sum.replies", n=len(trace.replies)))
        for reply in trace.replies:
            lines.append(f"  {escape(format_packet(reply.packet))} — {escape(reply.summary_line())}")
    return "\n".join(lines)


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
