"""The journey's traffic-control stages: tc ingress (`__netif_receive_skb_core` → `tcf_classify`
at the ingress/clsact qdisc, with `ifb` for shaping what arrives) and the egress qdisc
(`__dev_queue_xmit` → clsact egress, then the root qdisc's enqueue)."""

from __future__ import annotations

from ..interfaces import Interface
from ..journey import ETH_HLEN, Journey
from ..trace import Disposition, DropReason, QueueView, Verdict
from . import bpf as tc_bpf
from .classify import Classified, classify
from .model import INGRESS_HANDLE, TC_H_MIN_EGRESS, TC_H_MIN_INGRESS, DeviceTc
from .shaping import Enqueued, enqueue, handle_text

SHAPED_NOTE = "tc.note.shaped"
"""Journey note: the wait is computed on the simulated clock, the journey is not paused."""
UNTIMED_NOTE = "tc.note.no_nic_timing"
"""Journey note: without a shaper the modelled device sends at once, so the queue stays empty."""


def _filter_parent(tc: DeviceTc, direction: int) -> int | None:
    """Where filters hang for this direction: `ffff:` of an ingress qdisc, or clsact's pseudo-class."""
    q = tc.ingress
    if q is None:
        return None
    if q.kind == "ingress":
        return INGRESS_HANDLE if direction == TC_H_MIN_INGRESS else None
    return INGRESS_HANDLE | direction


def ingress(j: Journey, iface: Interface) -> None:
    """sch_handle_ingress(): the filters of the ingress/clsact qdisc; drop, go on, or be redirected
    to an ifb device, whose egress qdisc queues (and may drop) the packet before ifb hands it back
    to the receive path as if it had just arrived on this device."""
    tc = iface.tc
    parent = _filter_parent(tc, TC_H_MIN_INGRESS)
    if parent is None:
        if j.record:
            j.step("tc_ingress", Verdict.SKIP, "tc.no_ingress_qdisc", params={"dev": iface.name})
        return
    assert tc.ingress is not None
    pkt, now = j.flow.pkt, j.host.clock
    frame = pkt.length + ETH_HLEN
    got = tc_bpf.classify(tc, parent, pkt, now, lambda: tc_bpf.frame_of(pkt, pkt.src_mac, pkt.dst_mac or iface.mac))
    tc.ingress.stats.packets += 1
    tc.ingress.stats.bytes += frame
    params: dict[str, object] = {"dev": iface.name, "qdisc": tc.ingress.kind, "pref": got.pref if got else 0}
    if isinstance(got, tc_bpf.BpfVerdict):
        tc_bpf.act(j, iface, got, "tc_ingress", params)
        return
    if got is None or got.verdict == "pass":
        if j.record:
            j.step("tc_ingress", Verdict.PASS, "tc.ingress_pass" if got else "tc.ingress_no_match", params=params)
        return
    if got.verdict == "drop":
        tc.ingress.stats.drops += 1
        j.step("tc_ingress", Verdict.DROP, f"tc.ingress_{got.action or 'gact'}_drop", params=params,
               drop_reason=DropReason.TC_INGRESS)
        raise j.stop(Disposition.DROPPED, DropReason.TC_INGRESS)
    target = j.host.interfaces.get(got.device)
    params["ifb"] = got.device
    if target is None or not target.up:
        tc.ingress.stats.drops += 1
        j.step("tc_ingress", Verdict.DROP, "tc.redirect_dev_down", params=params, drop_reason=DropReason.TC_INGRESS)
        raise j.stop(Disposition.DROPPED, DropReason.TC_INGRESS)
    result = _enqueue_on(target, j, frame)
    target.stats.rx_packets += 1
    target.stats.rx_bytes += frame
    view = _view(target, result)
    params.update(_queue_params(result))
    if result.dropped:
        j.step("tc_ingress", Verdict.DROP, "tc.ifb_drop", params=params, view=view,
               drop_reason=DropReason.QDISC_DROP)
        raise j.stop(Disposition.DROPPED, DropReason.QDISC_DROP)
    target.stats.tx_packets += 1
    target.stats.tx_bytes += frame
    if j.record:
        j.step("tc_ingress", Verdict.PASS, "tc.ifb_queued", params=params, view=view)
        _note(j, result)


def egress(j: Journey, iface: Interface) -> None:
    """__dev_queue_xmit(): clsact's egress filters (sch_handle_egress), then the root qdisc's
    enqueue; a packet the qdisc refuses is dropped with QDISC_DROP."""
    tc, pkt, now = iface.tc, j.flow.pkt, j.host.clock
    frame = pkt.length + ETH_HLEN
    parent = _filter_parent(tc, TC_H_MIN_EGRESS)
    if parent is not None:
        got = tc_bpf.classify(tc, parent, pkt, now, lambda: tc_bpf.frame_of(pkt, iface.mac, pkt.dst_mac))
        if isinstance(got, tc_bpf.BpfVerdict):
            assert tc.ingress is not None
            tc.ingress.stats.packets += 1  # sch_handle_egress counts on the clsact qdisc, as ingress does
            tc.ingress.stats.bytes += frame
            tc_bpf.act(j, iface, got, "qdisc", {"dev": iface.name, "qdisc": "clsact"})
        elif got is not None and got.verdict == "drop":
            j.step("qdisc", Verdict.DROP, "tc.egress_drop", params={"dev": iface.name, "pref": got.pref},
                   drop_reason=DropReason.TC_EGRESS)
            raise j.stop(Disposition.DROPPED, DropReason.TC_EGRESS)
    result = _enqueue_on(iface, j, frame)
    params: dict[str, object] = {"dev": iface.name, "qdisc": iface.qdisc, **_queue_params(result)}
    view = _view(iface, result)
    if result.dropped:
        j.step("qdisc", Verdict.DROP, f"tc.drop_{result.why}", params=params, view=view,
               drop_reason=DropReason.QDISC_DROP)
        raise j.stop(Disposition.DROPPED, DropReason.QDISC_DROP)
    if not j.record:
        return
    if tc.root is None and iface.qdisc == "noqueue":
        note = "tc.noqueue"
    elif result.direct:
        note = "tc.htb_direct"
    elif result.wait > 0:
        note = "tc.queued_wait"
    else:
        note = "tx.qdisc"
    j.step("qdisc", Verdict.PASS, note, params=params, view=view)
    _note(j, result)


def _enqueue_on(iface: Interface, j: Journey, frame: int) -> Enqueued:
    tc = iface.tc
    classid = None
    if tc.root is not None and tc.root.kind == "htb":
        got: Classified | None = classify(tc, tc.root.handle, j.flow.pkt, j.host.clock)
        classid = got.flowid if got is not None else None
    return enqueue(tc, iface.qdisc, frame, classid, j.host.clock, iface.txqueuelen)


def _queue_params(result: Enqueued) -> dict[str, object]:
    return {"where": result.where, "n": result.backlog, "limit": result.limit,
            "unit": "b" if result.limit_bytes else "p", "wait_ms": f"{result.wait * 1000:.1f}",
            "class_text": f" (htb {handle_text(result.classid)})" if result.classid is not None else ""}


def _view(iface: Interface, result: Enqueued) -> QueueView:
    stats = result.stats
    return QueueView(
        iface.name, iface.qdisc, result.backlog, result.limit,
        backlog_bytes=result.backlog_bytes, limit_bytes=result.limit_bytes, where=result.where,
        wait_ms=round(result.wait * 1000, 3), sent=stats.packets if stats else 0,
        dropped=stats.drops if stats else 0, overlimits=stats.overlimits if stats else 0,
        modelled=SHAPED_NOTE if iface.tc.root is not None and iface.tc.root.kind in ("htb", "tbf", "netem")
        else UNTIMED_NOTE,
    )


def _note(j: Journey, result: Enqueued) -> None:
    note = SHAPED_NOTE if result.wait > 0 else None
    if note is not None and note not in j.notes:
        j.notes.append(note)
