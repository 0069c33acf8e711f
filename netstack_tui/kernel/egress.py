"""Forwarding and transmission: ip_forward, the qdisc and the driver's TX ring."""

from __future__ import annotations

from . import replies
from .hooks import run_hook
from .journey import ETH_HLEN, MAX_REPLY_DEPTH, Journey, Stop
from .netfilter.api import Hook
from .packet import (
    ICMP_TIME_EXCEEDED,
)
from .routes import answer_source
from .trace import (
    Change,
    Disposition,
    DropReason,
    QueueView,
    SkbView,
    Verdict,
)

# Tables in priority order at each hook (conntrack at -200 sits between raw and mangle).

# ---- forward and transmit ----------------------------------------------------------------------------


def forward(j: Journey) -> None:
    """ip_forward(): TTL check and decrement, then the FORWARD hook."""
    pkt = j.flow.pkt
    if pkt.ttl <= 1:
        j.step(
            "ip_forward", Verdict.DROP, "forward.ttl_exceeded", params={"ttl": pkt.ttl}, drop_reason=DropReason.IP_INHDR
        )
        j.emit(replies.icmp_error(j.host, pkt, ICMP_TIME_EXCEEDED, 0, answer_source(j, pkt)), None)
        raise j.stop(Disposition.DROPPED, DropReason.IP_INHDR)
    j.flow.pkt = pkt.replace(ttl=pkt.ttl - 1)
    j.step(
        "ip_forward",
        Verdict.PASS,
        "forward.ttl",
        changes=(Change("ttl", str(pkt.ttl), str(pkt.ttl - 1)),),
        params={"dev": pkt.oif},
    )
    run_hook(j, Hook.FORWARD)


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
    j.step(
        "qdisc",
        Verdict.PASS,
        "tx.qdisc",
        params={"dev": iface.name, "qdisc": iface.qdisc},
        view=QueueView(iface.name, iface.qdisc, 0, iface.txqueuelen),
    )
    iface.stats.tx_packets += 1
    iface.stats.tx_bytes += pkt.length + ETH_HLEN
    j.step("tx", Verdict.TRANSMIT, "tx.wire" if not iface.is_loopback else "tx.loopback", params={"dev": iface.name})
    if iface.is_loopback and j.depth < MAX_REPLY_DEPTH:
        # Loopback: the packet re-enters the receive path on `lo` within the same journey.
        from .stack import receive  # the receive path calls back here: import at use

        looped = receive(host, pkt.replace(oif=None), "lo", depth=j.depth + 1)
        j.steps.extend(looped.steps)
        j.looped_replies.extend(looped.replies)
        j.disposition, j.drop_reason, j.delivered_to = looped.disposition, looped.drop_reason, looped.delivered_to
        raise Stop()
    raise j.stop(disposition)
