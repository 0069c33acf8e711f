"""Forwarding and transmission: ip_forward, the qdisc and the driver's TX ring."""

from __future__ import annotations

from . import replies
from .capture import PEER_MAC
from .hooks import run_hook
from .journey import ETH_HLEN, MAX_REPLY_DEPTH, Journey, Stop
from .netfilter.api import Hook
from .packet import ICMP_TIME_EXCEEDED, Packet
from .routes import answer_source
from .trace import (
    Change,
    Disposition,
    DropReason,
    QueueView,
    SkbView,
    Verdict,
)

ICMP_REDIRECT, ICMP_REDIR_HOST = 5, 1
REDIRECT_LOAD = 0.02
"""ip_rt_redirect_load (HZ/50): the first gap between redirects to one peer; it doubles each time."""
REDIRECT_NUMBER = 9
"""ip_rt_redirect_number: after this many, the peer gets no more until it has been quiet a while."""
REDIRECT_SILENCE = REDIRECT_LOAD * 1024


def forward(j: Journey) -> None:
    """ip_forward(): TTL check and decrement, then the FORWARD hook."""
    pkt = j.flow.pkt
    if pkt.ttl <= 1:
        j.step(
            "ip_forward", Verdict.DROP, "forward.ttl_exceeded", params={"ttl": pkt.ttl}, drop_reason=DropReason.IP_INHDR
        )
        j.emit_related(replies.icmp_error(j.host, pkt, ICMP_TIME_EXCEEDED, 0, answer_source(j, pkt)))
        raise j.stop(Disposition.DROPPED, DropReason.IP_INHDR)
    j.flow.pkt = pkt.replace(ttl=pkt.ttl - 1)
    j.step(
        "ip_forward",
        Verdict.PASS,
        "forward.ttl",
        changes=(Change("ttl", str(pkt.ttl), str(pkt.ttl - 1)),),
        params={"dev": pkt.oif},
    )
    if j.flow.redirect and _redirect_allowed(j.host, pkt.src):
        j.emit_related(replies.icmp_error(j.host, j.flow.pkt, ICMP_REDIRECT, ICMP_REDIR_HOST, answer_source(j, pkt)))
        j.notes.append("forward.redirect_sent")
    run_hook(j, Hook.FORWARD)


def _redirect_allowed(host: object, peer: int) -> bool:
    """ip_rt_send_redirect()'s back-off: one now, then at doubling intervals, at most nine."""
    state = host.redirect_state  # type: ignore[attr-defined]
    count, last = state.get(peer, (0, -1e9))
    now = host.clock  # type: ignore[attr-defined]
    if now - last > REDIRECT_SILENCE:
        count = 0
    if count >= REDIRECT_NUMBER or (count and now < last + REDIRECT_LOAD * (1 << count)):
        return False
    state[peer] = (count + 1, now)
    return True


def dev_xmit(j: Journey, disposition: Disposition) -> None:
    host, pkt = j.host, j.flow.pkt
    iface = host.interfaces.get(pkt.oif or "")
    if iface is None or not iface.up:
        j.step("qdisc", Verdict.DROP, "tx.dev_down", params={"dev": pkt.oif}, drop_reason=DropReason.DEV_READY)
        raise j.stop(Disposition.DROPPED, DropReason.DEV_READY)
    if j.flow.skb is not None:
        j.flow.skb = SkbView(
            j.flow.skb.head,
            max(0, j.flow.skb.data - ETH_HLEN),
            j.flow.skb.tail,
            j.flow.skb.end,
            "neigh_output: skb_push(14)",
            "ethernet",
        )
    if j.record:  # batch runs: the tx step below always follows
        j.step(
            "qdisc",
            Verdict.PASS,
            "tx.qdisc",
            params={"dev": iface.name, "qdisc": iface.qdisc},
            view=QueueView(iface.name, iface.qdisc, 0, iface.txqueuelen),
        )
    iface.stats.tx_packets += 1
    iface.stats.tx_bytes += pkt.length + ETH_HLEN
    if not iface.is_loopback:  # dev_queue_xmit_nit(): after the qdisc, as the frame goes to the driver
        host.capture.tap(host.clock, iface.name, "Out", pkt, (iface.mac, _next_hop_mac(j, pkt)), keep=j.record)
    j.step("tx", Verdict.TRANSMIT, "tx.wire" if not iface.is_loopback else "tx.loopback", params={"dev": iface.name})
    if iface.is_loopback and j.depth < MAX_REPLY_DEPTH:
        # Loopback: the packet re-enters the receive path on `lo` within the same journey.
        from .stack import receive, receive_batch  # the receive path calls back here: import at use

        if j.record:
            looped = receive(host, pkt.replace(oif=None), "lo", depth=j.depth + 1, sent=j.flow)
            j.steps.extend(looped.steps)
        else:
            looped = receive_batch(host, pkt.replace(oif=None), "lo", depth=j.depth + 1,  # type: ignore[assignment]
                                   sent=j.flow)
            end = looped.last  # type: ignore[attr-defined]
            if end is not None:
                j.last = (end.stage, end.table, end.chain, end.rule_index)
                j.last_packet = looped.final_packet
        j.looped_replies.extend(looped.replies)
        j.disposition, j.drop_reason, j.delivered_to = looped.disposition, looped.drop_reason, looped.delivered_to
        raise Stop()
    raise j.stop(disposition)


def _next_hop_mac(j: Journey, pkt: Packet) -> str:
    """The destination MAC a sent frame carries: the neighbour entry of its next hop if the host
    has one, else the peer's address on the simulated link."""
    if not j.record:
        return ""
    lookup = j.host.routing.lookup(pkt.dst, pkt.src, oif=pkt.oif, mark=pkt.mark)
    hop = lookup.route.via if lookup.route is not None and lookup.route.via else pkt.dst
    return j.host.neighbours.get((hop, pkt.oif or ""), PEER_MAC)
