"""Forwarding and transmission: ip_forward, the qdisc and the driver's TX ring."""

from __future__ import annotations

from . import mib, offload, replies
from .addr import format_ipv4
from .capture import PEER_MAC
from .hooks import run_hook
from .host import Host, far_host
from .interfaces import Interface
from .journey import ETH_HLEN, MAX_REPLY_DEPTH, Handoff, Journey, Stop
from .link import bridge, neigh
from .link.cable import reach
from .netfilter.api import Hook
from .packet import ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, Packet
from .routes import answer_source
from .tc import stage as tc_stage
from .trace import (
    Change,
    Disposition,
    DropReason,
    SkbView,
    Verdict,
)

ICMP_REDIRECT, ICMP_REDIR_HOST = 5, 1
ICMP_HOST_UNREACH = 1
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
    mib.count(j.host, "IpForwDatagrams")  # ip_forward_finish(): FORWARD let it through


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
    """ip_finish_output2() onwards: the next hop's MAC, the qdisc, the driver; then the frame is on
    the wire, or on its way into the next namespace (`j.handoff`), or back in over lo."""
    host, pkt = j.host, j.flow.pkt
    iface = host.interfaces.get(pkt.oif or "")
    if iface is None or not iface.up:
        j.step("qdisc", Verdict.DROP, "tx.dev_down", params={"dev": pkt.oif}, drop_reason=DropReason.DEV_READY)
        raise j.stop(Disposition.DROPPED, DropReason.DEV_READY)
    mib.count(host, "IpOutTransmits")  # ip_finish_output2(), before the neighbour and the qdisc
    linked = iface.cable is not None or iface.kind == "bridge"
    dst_mac = resolve_next_hop(j, iface) if linked else _next_hop_mac(j, pkt)
    if j.flow.skb is not None:
        j.flow.skb = SkbView(
            j.flow.skb.head,
            max(0, j.flow.skb.data - ETH_HLEN),
            j.flow.skb.tail,
            j.flow.skb.end,
            "neigh_output: skb_push(14)",
            "ethernet",
        )
    tc_stage.egress(j, iface)  # may drop (QDISC_DROP); batch runs queue too, unrecorded
    out = iface
    if iface.kind == "bridge":
        out = bridge_egress_port(j, iface, dst_mac)
    sent = offload.transmit_cut(j, out)  # a large TCP send: cut by GSO, by the NIC (TSO), or left whole
    if sent is None:
        count_tx(host, out, pkt, dst_mac, keep=j.record)
    else:
        count_cut(host, out, sent, dst_mac, keep=j.record)
        pkt = sent.onward
    if iface.is_loopback:
        j.step("tx", Verdict.TRANSMIT, "tx.loopback", params={"dev": iface.name})
        if j.depth < MAX_REPLY_DEPTH:
            # Loopback: the packet comes back in on `lo`, within the same journey.
            j.handoff = Handoff(host, "lo", pkt.replace(oif=None), sent=j.flow)
            raise Stop()
        raise j.stop(disposition)
    if out.cable is None:
        j.step("tx", Verdict.TRANSMIT, "tx.wire", params={"dev": out.name})
        raise j.stop(disposition)
    far = out.cable
    j.step("tx", Verdict.TRANSMIT, "tx.cable", params={"dev": out.name, "peer": far.dev, "ns": far.host.name})
    j.handoff = Handoff(far_host(far), far.dev, pkt.replace(oif=None, iif=None, src_mac=out.mac, dst_mac=dst_mac))
    raise j.stop(disposition)


def count_tx(host: Host, iface: Interface, pkt: Packet, dst_mac: str, *, keep: bool) -> None:
    """The driver takes the frame: counters, and the packet taps (dev_queue_xmit_nit(), after the
    qdisc: tcpdump sees what leaves, NAT applied). On lo the taps see it once, coming back in."""
    iface.stats.tx_packets += 1
    iface.stats.tx_bytes += pkt.length + ETH_HLEN
    if not iface.is_loopback:
        host.capture.tap(host.clock, iface.name, "Out", pkt, (iface.mac, dst_mac), keep=keep)


def count_cut(host: Host, iface: Interface, sent: offload.Cut, dst_mac: str, *, keep: bool) -> None:
    """`count_tx` for a large send: the taps see what `sent.tapped` holds (the segments GSO made, or
    the one large skb TSO or a veth takes), the driver counts the frames that reach the link."""
    iface.stats.tx_packets += sent.frames
    iface.stats.tx_bytes += offload.wire_bytes(sent.onward)
    for frame in sent.tapped:
        host.capture.tap(host.clock, iface.name, "Out", frame, (iface.mac, dst_mac), keep=keep)


def resolve_next_hop(j: Journey, iface: Interface) -> str:
    """neigh_resolve_output(): the next hop's MAC from the neighbour table, or by ARP; an unanswered
    ARP drops the packet and reports "host unreachable" to its sender (arp_error_report)."""
    host, pkt = j.host, j.flow.pkt
    lookup = host.routing.lookup(pkt.dst, pkt.src, oif=pkt.oif, mark=pkt.mark)
    hop = lookup.route.via if lookup.route is not None and lookup.route.via else pkt.dst
    if hop == 0xFFFFFFFF or _is_broadcast(host, iface, hop):
        return "ff:ff:ff:ff:ff:ff"
    found = neigh.resolve(host, iface, hop)
    params = {"hop": format_ipv4(hop), "dev": iface.name, "mac": found.mac or "", "owner": found.answered_by,
              "before": found.state_before}
    if found.mac is None:
        j.step("neigh", Verdict.DROP, "neigh.failed", params=params, drop_reason=DropReason.NEIGH_FAILED)
        j.emit_related(replies.icmp_error(host, pkt, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, answer_source(j, pkt)))
        raise j.stop(Disposition.DROPPED, DropReason.NEIGH_FAILED)
    if j.record:
        j.step("neigh", Verdict.PASS, f"neigh.{found.how}", params=params)
    return found.mac


def _is_broadcast(host: Host, iface: Interface, addr: int) -> bool:
    return any(a.broadcast == addr for a in iface.addresses)


def bridge_egress_port(j: Journey, br: Interface, dst_mac: str) -> Interface:
    """br_dev_xmit(): a frame the host sends through its bridge leaves by the port the FDB names,
    or, for a MAC the bridge has not learned, by every port (the journey follows the one that
    leads to the MAC's owner, else the first)."""
    host = j.host
    decision = bridge.decide(host, br.name, None, dst_mac)
    ports = decision.ports
    if not ports:
        j.step("bridge", Verdict.DROP, "bridge.no_port", params={"bridge": br.name, "mac": dst_mac})
        raise j.stop(Disposition.DROPPED, DropReason.NOT_SPECIFIED)
    chosen = ports[0]
    if len(ports) > 1:
        for port in ports:
            if any(landing.iface.mac == dst_mac for landing in reach(host, port, br.mac, dst_mac)):
                chosen = port
                break
    if j.record:
        j.step("bridge", Verdict.PASS, f"bridge.out_{decision.how}",
               params={"bridge": br.name, "port": chosen, "mac": dst_mac, "n": len(ports)})
    return host.interfaces[chosen]


def _next_hop_mac(j: Journey, pkt: Packet) -> str:
    """The destination MAC of a frame sent onto the unsimulated wire: the neighbour entry of its
    next hop if the host has one, else the peer's address on the simulated link."""
    if not j.record:
        return ""
    lookup = j.host.routing.lookup(pkt.dst, pkt.src, oif=pkt.oif, mark=pkt.mark)
    hop = lookup.route.via if lookup.route is not None and lookup.route.via else pkt.dst
    found = j.host.neighbours.get((hop, pkt.oif or ""))
    return found.mac if found is not None and found.mac else PEER_MAC
