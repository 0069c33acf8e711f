"""tc-BPF (cls_bpf): a learner's sched_cls program run as a filter of the clsact qdisc.

`tc filter add dev eth0 ingress bpf da obj prog.c sec tc` attaches it; at tc ingress (after GRO,
before netfilter) and tc egress (after POSTROUTING, before the root qdisc) the program sees the
whole frame (cls_bpf pushes the MAC header back at ingress, so `data` is the Ethernet header in
both directions) and returns:

- with `da` (direct-action, what everyone uses), the verdict itself: TC_ACT_OK lets the packet go
  on, TC_ACT_SHOT drops it (drop reason TC_INGRESS or TC_EGRESS), TC_ACT_REDIRECT (from
  bpf_redirect) sends it out of another device, TC_ACT_PIPE ends the filter walk and the packet
  goes on (there are no actions after a da program to pipe to), and TC_ACT_UNSPEC asks for the
  next filter (cls_bpf_exec_opcode);
- without `da`, a classid: 0 means "no match, next filter", -1 the filter's own flowid, anything
  else is taken as the classid and the packet goes on. So TC_ACT_SHOT (2) without `da` does not
  drop: it reads as classid 0:2, the learner's classic mistake.

Modelled: a redirected packet goes straight to the target's driver (the kernel would pass it
through the target's egress qdisc); a redirect to a device that is missing or down is freed with
kfree_skb(), so its drop reason is NOT_SPECIFIED (skb_do_redirect / __bpf_redirect_common).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..interfaces import Interface
from ..journey import ETH_HLEN, Journey
from ..packet import Packet
from ..trace import Disposition, DropReason, Verdict
from ..wire import ethernet_frame
from .classify import Classified
from .classify import classify as classify_u32
from .model import DeviceTc, Filter

NO_MAC = "00:00:00:00:00:00"


@dataclass(frozen=True, slots=True)
class BpfVerdict:
    """What a bpf filter decided for a packet."""

    pref: int
    prog: str
    """The program's name (its function's name)."""
    action: str
    """What the kernel does: `TC_ACT_OK`, `TC_ACT_SHOT`, `TC_ACT_PIPE` or `TC_ACT_REDIRECT`."""
    returned: int
    """The program's own return value (without `da`, a classid)."""
    direct_action: bool
    target: str | int | None = None
    """For TC_ACT_REDIRECT: the device bpf_redirect() named."""


def frame_of(pkt: Packet, src_mac: str | None, dst_mac: str | None) -> bytes:
    """The bytes the program reads (data .. data_end)."""
    return ethernet_frame(pkt, src_mac or NO_MAC, dst_mac or NO_MAC)


def classify(tc: DeviceTc, parent: int, pkt: Packet, now: float,
             make_frame: Callable[[], bytes]) -> Classified | BpfVerdict | None:
    """tcf_classify() over every filter at `parent`, u32 and bpf alike, by preference; the first
    that decides wins (None: none did). `make_frame` builds the frame only if a program runs."""
    if not any(f.bpf is not None and f.parent == parent for f in tc.filters):
        return classify_u32(tc, parent, pkt, now)
    frame = make_frame()
    for flt in sorted((f for f in tc.filters if f.parent == parent), key=lambda f: (f.pref, f.handle)):
        if flt.bpf is None:
            # One u32 filter on its own, so u32 and bpf filters interleave by pref as in the kernel.
            got = classify_u32(DeviceTc(filters=[flt]), parent, pkt, now)
            if got is not None:
                return got
            continue
        verdict = _run(flt, pkt, frame)
        if verdict is not None:
            return verdict
    return None


def _run(flt: Filter, pkt: Packet, frame: bytes) -> BpfVerdict | None:
    # The interpreter is imported with the first program run: a device without one never needs it.
    from ..bpf.interpreter import run
    from ..bpf.nodes import TC_ACTION_NAMES, TC_ACTIONS

    cls = flt.bpf
    assert cls is not None
    flt.hits.packets += 1
    flt.hits.bytes += len(frame)
    outcome = run(cls.code.program, cls.code.maps, frame)
    value, name = outcome.action, cls.code.program.name
    if cls.direct_action:
        if value == TC_ACTIONS["TC_ACT_UNSPEC"]:
            return None
        return BpfVerdict(flt.pref, name, TC_ACTION_NAMES[value], value, True, outcome.target)
    if value == 0:
        return None
    return BpfVerdict(flt.pref, name, "TC_ACT_OK", value, False)


def params_of(verdict: BpfVerdict) -> dict[str, object]:
    """The note parameters every bpf step shows."""
    from ..bpf.nodes import TC_ACTION_NAMES

    classid = verdict.returned & 0xFFFFFFFF
    return {"pref": verdict.pref, "prog": verdict.prog, "action": verdict.action,
            "returned": TC_ACTION_NAMES.get(verdict.returned, str(verdict.returned)),
            "classid": f"{classid >> 16:x}:{classid & 0xFFFF:x}", "target": verdict.target}


def act(j: Journey, iface: Interface, verdict: BpfVerdict, stage: str, params: dict[str, object]) -> None:
    """Carry out a bpf filter's verdict at `stage` (`tc_ingress` or `qdisc` for egress): return to go
    on, or raise the journey's stop for a drop or a redirect."""
    params = {**params, **params_of(verdict)}
    ingress = stage == "tc_ingress"
    clsact = iface.tc.ingress
    if verdict.action == "TC_ACT_SHOT":
        if clsact is not None:
            clsact.stats.drops += 1
        reason = DropReason.TC_INGRESS if ingress else DropReason.TC_EGRESS
        j.step(stage, Verdict.DROP, "tc.bpf_shot", params=params, drop_reason=reason)
        raise j.stop(Disposition.DROPPED, reason)
    if verdict.action == "TC_ACT_REDIRECT":
        _redirect(j, verdict, stage, params)
    if j.record:
        note = "tc.bpf_ok" if verdict.direct_action else "tc.bpf_classid"
        j.step(stage, Verdict.PASS, note, params=params)


def _redirect(j: Journey, verdict: BpfVerdict, stage: str, params: dict[str, object]) -> None:
    """skb_do_redirect(): out of the device bpf_redirect() named (flags 0: its egress)."""
    out = next((d for d in j.host.interfaces.values() if verdict.target in (d.name, d.index)), None)
    if out is None or not out.up:
        j.step(stage, Verdict.DROP, "tc.bpf_redirect_err", params=params, drop_reason=DropReason.NOT_SPECIFIED)
        raise j.stop(Disposition.DROPPED, DropReason.NOT_SPECIFIED)
    pkt = j.flow.pkt
    out.stats.tx_packets += 1
    out.stats.tx_bytes += pkt.length + ETH_HLEN
    local = pkt.iif is None
    j.flow.pkt = pkt.replace(oif=out.name)
    j.step(stage, Verdict.TRANSMIT, "tc.bpf_redirect", params={**params, "out": out.name})
    raise j.stop(Disposition.SENT if local else Disposition.FORWARDED)
