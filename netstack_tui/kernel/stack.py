"""The engine: walks one packet through a host's stack, stage by stage, and returns its `Trace`.

`receive()` starts at the wire (netif_receive_skb and everything before it); `transmit()` starts
with a packet the host itself sends (an application's segment or the stack's own reply). Each stage
appends one `Step`; a stage that stops the packet ends the journey. Packets the host emits in
response are traced afterwards, each through the send path, and attached as the trace's replies.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import offload
from .deliver import local_deliver
from .egress import dev_xmit, forward
from .hooks import run_hook
from .host import Host
from .journey import MAX_HOPS, MAX_REPLY_DEPTH, RX_BUFFER_END, TX_HEADROOM, Flow, Journey, Stop
from .link.bridge_rx import bridge_rx
from .netfilter.api import Hook
from .packet import ACK, IPPROTO_TCP, SYN, Packet
from .routes import route_input, route_output
from .rx import driver_rx, ip_rcv, loopback_in, veth_rx
from .steady import repeat, snapshot
from .trace import (
    Disposition,
    Ending,
    Outcome,
    SkbView,
    Trace,
    Verdict,
)

# ---- public entry points ---------------------------------------------------------------------------


def receive(host: Host, pkt: Packet, iface: str, *, depth: int = 0, sent: Flow | None = None) -> Trace:
    """Trace a packet arriving from the wire on `iface` (or looping back on lo: `sent` is its flow out)."""
    trace = _finish(*_receive(host, pkt, iface, depth, True, sent))
    assert isinstance(trace, Trace)
    return trace


def receive_batch(host: Host, pkt: Packet, iface: str, *, depth: int = 0, sent: Flow | None = None) -> Outcome:
    """`receive` with step recording off: the same effects on the host, only the outcome kept."""
    outcome = _finish(*_receive(host, pkt, iface, depth, False, sent))
    assert isinstance(outcome, Outcome)
    return outcome


def receive_repeated(host: Host, pkt: Packet, iface: str, times: int) -> Iterator[tuple[Outcome, int]]:
    """`receive_batch` the same packet `times` times; yield each outcome with how many packets it
    stands for. Once a packet is seen to change nothing but counters, the packets left take its
    outcome and its counter increments in one go (see `kernel.steady`: exact, not an estimate).

    Checking costs two walks of the host, so it is tried on the 1st, 2nd, 4th, 8th, ... packet: a
    flow that never settles (a LOG rule, a growing queue) pays for about log2(times) checks.
    """
    sent = 0
    while sent < times:
        left = times - sent
        if left > 1 and sent & (sent - 1) == 0:  # 0, 1, 2, 4, 8, ...
            before = snapshot(host)
            outcome = receive_batch(host, pkt, iface)
            if repeat(before, snapshot(host), left - 1):
                yield outcome, left
                return
        else:
            outcome = receive_batch(host, pkt, iface)
        sent += 1
        yield outcome, 1


def transmit(host: Host, pkt: Packet, *, owner: str | None = None, depth: int = 0, flow: Flow | None = None) -> Trace:
    """Trace a packet the host itself sends (an application's, or the stack's own reply)."""
    trace = _finish(*_transmit(host, pkt, owner, depth, flow, True))
    assert isinstance(trace, Trace)
    return trace


def transmit_batch(host: Host, pkt: Packet, *, owner: str | None = None, depth: int = 0,
                   flow: Flow | None = None) -> Outcome:
    """`transmit` with step recording off."""
    outcome = _finish(*_transmit(host, pkt, owner, depth, flow, False))
    assert isinstance(outcome, Outcome)
    return outcome


def _receive(host: Host, pkt: Packet, iface: str, depth: int, record: bool,
             sent: Flow | None = None, hops: int = 0) -> tuple[Journey, Packet]:
    if pkt.iif != iface or pkt.oif is not None:
        pkt = pkt.replace(iif=iface, oif=None)
    flow = Flow(pkt)
    if sent is not None:
        # Over loopback the skb keeps its conntrack entry: conntrack on the way in sees it already
        # attached and leaves it ("previously seen"), and raw PREROUTING already sees its state.
        flow.ct, flow.ct_state, flow.ct_dir = sent.ct, sent.ct_state, sent.ct_dir
        flow.notrack, flow.related_attached = sent.notrack, sent.related_attached
        flow.ct_looked_up = sent.ct_looked_up
        flow.loopback_ct = sent.ct_looked_up or sent.related_attached
    j = Journey(host, flow, depth, record, hops=hops)
    try:
        device = host.interfaces.get(iface)
        if iface == "lo":
            loopback_in(j)
        elif device is not None and device.kind == "veth":
            veth_rx(j)
        else:
            driver_rx(j)
        if device is not None and device.master is not None:
            bridge_rx(j)  # forwards out another port (a handoff), or hands the frame up on the bridge
        ip_rcv(j)
        run_hook(j, Hook.PREROUTING)
        if route_input(j):
            run_hook(j, Hook.INPUT)
            offload.verify_transport_checksum(j)  # a wrong TCP/UDP/ICMP checksum stops here
            local_deliver(j)
        else:
            forward(j)
            run_hook(j, Hook.POSTROUTING)
            dev_xmit(j, Disposition.FORWARDED)
    except Stop:
        pass
    if j.handoff is not None:
        _cross(j)
    return j, pkt


def _transmit(host: Host, pkt: Packet, owner: str | None, depth: int, flow: Flow | None,
              record: bool) -> tuple[Journey, Packet]:
    if pkt.iif is not None:
        pkt = pkt.replace(iif=None)
    if flow is None:
        flow = Flow(pkt, owner=owner)
    else:
        flow.pkt = pkt
    j = Journey(host, flow, depth, record)
    try:
        if record:  # batch runs: no skb geometry, and no step here (route_output always records one)
            flow.skb = SkbView(
                0,
                TX_HEADROOM,
                TX_HEADROOM + pkt.length - pkt.l4_header_len - 20,
                RX_BUFFER_END,
                "alloc_skb + skb_reserve",
                "payload",
            )
            j.step("send", Verdict.PASS, "send.app" if owner else "send.stack",
                   params={"owner": owner or "kernel"}, view=None)
        route_output(j)
        run_hook(j, Hook.OUTPUT)
        run_hook(j, Hook.POSTROUTING)
        dev_xmit(j, Disposition.SENT)
    except Stop:
        pass
    if j.handoff is not None:
        _cross(j)
    return j, pkt


def _cross(j: Journey) -> None:
    """The frame left for another receive path (the next namespace across a cable, or this one over
    lo): the journey goes on there, and takes its steps, its ending and the answers sent there."""
    handoff, j.handoff = j.handoff, None
    assert handoff is not None
    if j.hops >= MAX_HOPS:
        j.notes.append("link.too_many_hops")
        j.disposition = Disposition.DROPPED
        return
    looped = handoff.sent is not None
    j.left_host = j.left_host or not looped
    # Crossing lo is not an answer: only packets emitted in response count towards MAX_REPLY_DEPTH
    # (a handshake over lo needs SYN, SYN-ACK and ACK, each crossing it).
    hops = j.hops + (0 if looped else 1)
    # A train of segments (a large send cut by GSO/TSO) arrives merged by GRO, or segment by
    # segment: then each goes up on its own and the last one is the journey shown.
    landed = offload.arrivals(handoff.host.interfaces.get(handoff.dev), handoff.pkt)
    for early in landed[:-1]:
        _finish(*_receive(handoff.host, early, handoff.dev, j.depth, j.record, handoff.sent, hops))
    after = _finish(*_receive(handoff.host, landed[-1], handoff.dev, j.depth, j.record, handoff.sent, hops))
    if isinstance(after, Trace):
        j.steps.extend(after.steps)
        if not looped:
            j.notes.extend(after.notes)
    elif after.last is not None:
        end = after.last
        j.last = (end.stage, end.table, end.chain, end.rule_index)
        j.last_packet = after.final_packet
    j.looped_replies.extend(after.replies)  # type: ignore[arg-type]
    j.disposition, j.drop_reason, j.delivered_to = after.disposition, after.drop_reason, after.delivered_to


def _note_synack(host: Host, synack: Packet, *, sent: bool) -> None:
    """Remember on the pending request whether its SYN-ACK ever left (the peer can only ACK one that did)."""
    child = host.sockets.lookup_established("tcp", (synack.src, synack.sport), (synack.dst, synack.dport))
    if child is not None:
        child.synack_sent = child.synack_sent or sent


def _finish(j: Journey, pkt: Packet) -> Trace | Outcome:
    if j.disposition is None:
        j.disposition = Disposition.DROPPED
    replies: list[Trace | Outcome] = list(j.looped_replies)
    if j.depth < MAX_REPLY_DEPTH:
        for emitted, flow in j.emitted:
            answer, answered = _transmit(j.host, emitted, None, j.depth + 1, flow, j.record)
            reply = _finish(answer, answered)
            replies.append(reply)
            if emitted.proto == IPPROTO_TCP and emitted.flags & (SYN | ACK) == SYN | ACK:
                # Sent: on the wire, or across a cable on its way (wherever its journey ended).
                _note_synack(j.host, emitted, sent=answer.left_host or reply.disposition == Disposition.SENT)
    if not j.record:
        return Outcome(
            packet=pkt,
            host=j.host.name,
            disposition=j.disposition,
            drop_reason=j.drop_reason,
            delivered_to=j.delivered_to,
            final_packet=j.last_packet if j.last_packet is not None else pkt,
            last=Ending(*j.last) if j.last is not None else None,
            replies=tuple(replies),  # type: ignore[arg-type]
        )
    return Trace(
        packet=pkt,
        host=j.host.name,
        steps=tuple(j.steps),
        disposition=j.disposition,
        drop_reason=j.drop_reason,
        replies=tuple(replies),  # type: ignore[arg-type]
        delivered_to=j.delivered_to,
        notes=tuple(j.notes),
    )
