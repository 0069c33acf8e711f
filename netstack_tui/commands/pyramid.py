"""`pyramid`: the speed pyramid for the last flood (or packet) — which layer drops how many packets
per second on one core, by the cost model, beside the line rate and the kernel-bypass figures."""

from __future__ import annotations

from ..kernel import pyramid
from .base import CommandError, CommandResult, ShellContext


def _rate(pps: float) -> str:
    return f"{pps / 1e6:6.2f} Mpps" if pps >= 1e6 else f"{pps / 1e3:6.0f} kpps"


def show(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`pyramid`: one line per layer, fastest first; the layer where the last journey stopped is marked."""
    if len(argv) > 1:
        raise CommandError(f"pyramid: unexpected argument '{argv[1]}'; it takes none (run a flood first)", 2)
    if not ctx.last_traces:
        raise CommandError("pyramid: no flood or packet yet; run e.g. 'flood udp 198.51.100.9:5353 > "
                           "10.0.0.1:53 --count 1000' first", 1)
    trace = ctx.last_traces[-1]
    here = pyramid.stopped_layer(trace)
    pkt = trace.packet
    lines = [f"Speed pyramid for: {pkt}   (ended: {trace.summary_line()})",
             f"{'layer':<36}{'ns/pkt':>8}  {'one core':>11}  source"]
    lines.append(f"{'NIC at 10 Gbit/s (line rate)':<36}{'-':>8}  {_rate(pyramid.line_rate(pkt.length))}  "
                 f"wire: {pkt.length}-byte packet + Ethernet, FCS, preamble, gap")
    for row in pyramid.rows(trace):
        mark = "  ◀ this flood" if row.layer.name == here else ""
        ns = "-" if row.ns is None else str(row.ns)
        lines.append(f"{row.layer.name:<36}{ns:>8}  {_rate(row.pps)}  {row.layer.source}{mark}")
    lines.append("Model figures are orders of magnitude for one ~3 GHz core (kernel/cost.py names its sources).")
    return CommandResult("\n".join(lines))


COMMANDS = {"pyramid": show}
