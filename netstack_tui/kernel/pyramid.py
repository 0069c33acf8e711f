"""The speed pyramid: how many packets per second one core can drop (or deliver) at each layer.

Each layer's figure is 1 / (the CPU time a packet costs up to and including the stage where that
layer would stop it), summed from the traced journey's own steps (`kernel.cost`'s figures) and,
for stages that journey never reached, from the cost model's defaults. The NIC's row is the line
rate of the frame; DPDK and AF_XDP bypass the kernel, so their rows are published measurements,
not this model.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import cost
from .trace import Trace

LINE_RATE_BPS = 10_000_000_000
"""The NIC of `flood --burst`: 10 Gbit/s."""
WIRE_OVERHEAD = 4 + 8 + 12
"""FCS, preamble and inter-frame gap: bytes each frame costs on the wire beyond its Ethernet bytes."""

# The receive path in order, each stage with the cost the model gives it when the journey did not
# reach it (netfilter tables: entering a table that tests no rule).
_PATH = ("napi", "xdp", "skb", "gro", "xdp_generic", "tc_ingress", "ip_rcv", "prerouting.raw",
         "prerouting.conntrack", "prerouting.mangle", "prerouting.nat", "route_input", "input.mangle",
         "input.filter", "input.nat", "input.confirm", "socket", "app")
_DROPPING_HOOKS = ("xdp", "tc_ingress")
_DEFAULTS = {"prerouting.conntrack": cost.CONNTRACK_LOOKUP_NS, "xdp_generic": 0}


@dataclass(frozen=True, slots=True)
class Layer:
    """One row of the pyramid."""

    name: str
    stop: str | None
    """The stage where a drop at this layer happens (None: a row not computed from the model)."""
    source: str


LAYERS = (
    Layer("DPDK (kernel bypass, poll mode)", None,
          "published: ~43 Mpps drop on one core (Høiland-Jørgensen et al., XDP paper, CoNEXT 2018, fig. 3)"),
    Layer("AF_XDP socket (zero copy)", None,
          "published: ~25-39 Mpps rxdrop on one core (Karlsson & Töpel, LPC 2018, "
          "'The Path to DPDK Speeds for AF_XDP'); try it: redirect_map() to an xskmap, 'xsk open'"),
    Layer("XDP drop (native, in the driver)", "xdp", "cost model: NAPI poll + BPF program, no sk_buff"),
    Layer("tc ingress drop (clsact, tc-bpf)", "tc_ingress", "cost model: + sk_buff, GRO, generic XDP hook, tc"),
    Layer("iptables raw PREROUTING DROP", "prerouting.raw", "cost model: + ip_rcv, raw table"),
    Layer("iptables filter INPUT DROP", "input.filter", "cost model: + conntrack, mangle, nat, routing, filter"),
    Layer("socket (delivered, queued)", "socket", "cost model: + socket lookup and TCP/UDP state"),
    Layer("application (read by the app)", "app", "cost model: + wake-up and copy to user space"),
)


AF_XDP_ROW = "AF_XDP socket (zero copy)"


@dataclass(frozen=True, slots=True)
class Row:
    """A layer's figures: nanoseconds per packet (None for published rows) and packets per second."""

    layer: Layer
    ns: int | None
    pps: float


def line_rate(payload_bytes: int) -> float:
    """Frames per second a 10 Gbit/s link carries for IP packets of `payload_bytes` (64-byte minimum frame)."""
    frame = max(payload_bytes + 14 + 4, 64) - 4
    return LINE_RATE_BPS / ((frame + WIRE_OVERHEAD) * 8)


def stage_costs(trace: Trace) -> dict[str, int]:
    """Nanoseconds each stage of `trace` cost, summed over its steps; the model's default for the rest."""
    spent: dict[str, int] = {}
    for step in trace.steps:
        if step.host == trace.host:
            spent[step.stage] = spent.get(step.stage, 0) + step.cost_ns
    costs = {stage: spent.get(stage, _DEFAULTS.get(stage, _default(stage))) for stage in _PATH}
    for hook in _DROPPING_HOOKS:  # a layer that drops runs its program even where this journey skipped it
        costs[hook] = max(costs[hook], _default(hook))
    return costs


def _default(stage: str) -> int:
    return cost.netfilter_cost(0) if "." in stage else cost.stage_cost(stage)


def rows(trace: Trace) -> list[Row]:
    """The pyramid for the journey `trace` (a flood's traced packet), fastest layer first."""
    costs = stage_costs(trace)
    published = {"DPDK (kernel bypass, poll mode)": 43e6, AF_XDP_ROW: 30e6}
    out = []
    for layer in LAYERS:
        if layer.stop is None:
            out.append(Row(layer, None, published[layer.name]))
            continue
        upto = _PATH[: _PATH.index(layer.stop) + 1]
        ns = sum(costs[s] for s in upto)
        out.append(Row(layer, ns, 1e9 / ns if ns else float("inf")))
    return out


def stopped_layer(trace: Trace) -> str | None:
    """The layer whose stage ended the journey (where this flood's packets stopped), if any."""
    last = trace.steps[-1].stage if trace.steps else None
    if last is None:
        return None
    if trace.steps[-1].note == "xdp.redirect_xsk":  # handed to an AF_XDP socket: that row is where it went
        return AF_XDP_ROW
    best = None
    for layer in LAYERS:
        if layer.stop is not None and last in _PATH and _PATH.index(last) <= _PATH.index(layer.stop):
            best = best or layer.name
    return best
