"""Plain-text rendering of a `Trace` for the shell and the headless CLI."""

from __future__ import annotations

from ..i18n import message
from ..kernel.packet import format_packet
from ..kernel.trace import Trace, Verdict

_MARKS = {
    Verdict.PASS: "✓", Verdict.ACCEPT: "✓", Verdict.DELIVER: "●", Verdict.TRANSMIT: "→",
    Verdict.SKIP: "·", Verdict.DROP: "✗", Verdict.REJECT: "✗",
}


def render_trace(trace: Trace, *, lang: str = "en", indent: str = "", skipped: bool = False) -> str:
    """The journey as numbered lines: mark, stage, verdict, explanation; then the replies."""
    iface = trace.packet.iif
    head = f"{indent}{format_packet(trace.packet)}" + (f" on {iface}" if iface else " (sent by this host)")
    lines = [head]
    here = trace.host
    for n, step in enumerate(trace.steps, 1):
        if step.host != here:
            # The journey crossed into another namespace: say where it is now.
            here = step.host
            lines.append(f"{indent}    ── in {here} ──")
        if step.verdict == Verdict.SKIP and not skipped:
            continue
        text = message(step.note, step.param, lang)
        lines.append(f"{indent}{n:3} {_MARKS.get(step.verdict, ' ')} {step.stage:<22} {text}")
        for tested in step.tested:
            if tested.chain == step.chain and tested.index == step.rule_index:
                continue  # the deciding rule is printed below
            if tested.matched:
                # A matched rule that did not decide: its target acted (TCPMSS, LOG, MARK, a user
                # chain that returned) and the traversal went on.
                why = f"  → {tested.target}, then the next rule" if tested.target else ""
            else:
                why = f"  ≠ {tested.failed_match}" if tested.failed_match else ""
            mark = "✓" if tested.matched else "✗"
            lines.append(f"{indent}{'':25} {mark} {tested.index:>2} {tested.rule}{why}")
        if step.rule:
            lines.append(f"{indent}{'':25} ▶ {step.rule_index or '':>2} {step.rule}")
        for change in step.changes:
            lines.append(f"{indent}{'':27} {change.what}: {change.before} → {change.after}")
    lines.append(f"{indent}=> {trace.summary_line()}")
    for reply in trace.replies:
        lines.append("")
        lines.append(render_trace(reply, lang=lang, indent=indent + "    ", skipped=skipped))
    return "\n".join(lines)
