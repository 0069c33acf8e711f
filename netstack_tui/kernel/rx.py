"""The driver and early receive: NIC, DMA into the RX ring, NAPI, native XDP, sk_buff, GRO, generic XDP, tc,
ip_rcv."""

from __future__ import annotations

from collections.abc import Mapping

from . import mib, offload, ring
from .bpf.xdp import RX_QUEUE, run_on_frame
from .bpf.xsk import XskSocket
from .interfaces import Interface
from .journey import ETH_HLEN, NET_SKB_PAD, RX_BUFFER_END, TX_HEADROOM, Journey, Stop, pull_header
from .tc import stage as tc_stage
from .trace import (
    Disposition,
    DropReason,
    RingView,
    SkbView,
    Verdict,
    XdpView,
)

# ---- driver and early receive ----------------------------------------------------------------------


def _receiving_device(j: Journey, stage: str) -> Interface:
    """The device the frame arrives on; a missing or down one ends the journey at `stage`."""
    iface = j.host.interfaces.get(j.flow.pkt.iif or "")
    if iface is None:
        raise _unknown_iface(j, j.flow.pkt.iif)
    if not iface.up:
        j.step(stage, Verdict.DROP, "nic.down", params={"dev": iface.name}, drop_reason=DropReason.DEV_READY)
        raise j.stop(Disposition.DROPPED, DropReason.DEV_READY)
    return iface


def driver_rx(j: Journey) -> None:
    pkt = j.flow.pkt
    iface = _receiving_device(j, "nic")
    dst_mac = pkt.dst_mac or iface.mac
    if dst_mac not in (iface.mac, "ff:ff:ff:ff:ff:ff") and not iface.promisc and not _multicast_mac(dst_mac):
        j.step(
            "nic",
            Verdict.DROP,
            "nic.mac_filter",
            params={"dev": iface.name, "mac": dst_mac, "own": iface.mac},
            drop_reason=DropReason.OTHERHOST,
        )
        raise j.stop(Disposition.DROPPED, DropReason.OTHERHOST)
    # Batch runs (`record` off) skip the passing steps below: each is followed by another step,
    # so none can be where a journey ends, and building their params and views is most of the cost.
    rec = j.record
    if rec:
        j.step("nic", Verdict.PASS, "nic.accept",
               params={"dev": iface.name, "mac": iface.mac, "driver": iface.driver})
    frame = pkt.length + ETH_HLEN
    burst = iface.burst
    if burst is not None:
        landed = ring.arrive(iface, burst, frame, ring.round_limit(j.host.sysctl))
    else:
        landed = iface.rx_ring_used < iface.rx_ring
    if not landed:
        iface.stats.rx_missed += 1
        j.step(
            "dma",
            Verdict.DROP,
            "dma.ring_full",
            params={"dev": iface.name, "size": iface.rx_ring},
            view=RingView(iface.name, iface.rx_ring, iface.rx_ring_used, -1) if rec else None,
        )
        # No sk_buff exists, so no kfree_skb and no drop reason: the driver counts the frame as
        # missed (`ip -s link` "missed", `ethtool -S` rx_missed_errors / rx_fifo_errors).
        raise j.stop(Disposition.DROPPED, None)
    # A burst keeps the frame's descriptor counted until NAPI polls it (ring.arrive); spaced-out frames
    # are polled before the next one lands, so the ring holds only this one.
    used = iface.rx_ring_used if burst is not None else iface.rx_ring_used + 1
    slot = (iface.stats.rx_packets + iface.stats.rx_missed) % iface.rx_ring
    iface.stats.rx_packets += pkt.segs  # a train GRO will merge took one descriptor per segment
    iface.stats.rx_bytes += offload.wire_bytes(pkt)
    if rec:
        j.step(
            "dma",
            Verdict.PASS,
            "dma.slot" if burst is None else "dma.slot_burst",
            params={"dev": iface.name, "slot": slot, "bytes": frame, "used": used, "size": iface.rx_ring},
            view=RingView(iface.name, iface.rx_ring, used, slot),
        )
        budget, by_time = ring.round_limit(j.host.sysctl)
        j.step(
            "napi",
            Verdict.PASS,
            "napi.poll" if burst is None else "napi.poll_burst",
            params={"dev": iface.name, "budget": ring.NAPI_WEIGHT, "netdev_budget": budget,
                    "by_time": by_time, "waiting": max(used - 1, 0)},
            view=RingView(iface.name, iface.rx_ring, max(used - 1, 0), slot),
        )
    native = iface.xdp is not None and iface.xdp_mode in ("native", "offload")
    if native:
        _run_xdp(j, "xdp")
    elif rec:
        j.step(
            "xdp",
            Verdict.SKIP,
            "xdp.none" if iface.xdp is None else "xdp.not_native",
            params={"dev": iface.name},
            cost_ns=0,
            view=XdpView(iface.name, iface.xdp.name if iface.xdp else None, iface.xdp_mode, "-"),
        )
    if rec:
        j.flow.skb = SkbView(0, NET_SKB_PAD, NET_SKB_PAD + frame, RX_BUFFER_END, "napi_build_skb", "ethernet")
        j.step("skb", Verdict.PASS, "skb.alloc", params={"len": frame, "headroom": NET_SKB_PAD}, view=j.flow.skb)
        j.flow.skb = pull_header(j.flow.skb, ETH_HLEN, "eth_type_trans: skb_pull(14)", "ip")
    if rec:
        note, params = offload.gro_note(iface, pkt)
        j.step("gro", Verdict.PASS, note, params=params)
    _receive_core(j, iface, pkt.src_mac, dst_mac)


def _receive_core(j: Journey, iface: Interface, src_mac: str, dst_mac: str) -> None:
    """__netif_receive_skb_core() (GRO or the backlog hands the skb here): generic XDP first, then the
    packet taps (tcpdump), then tc ingress."""
    host, rec = j.host, j.record
    if iface.xdp is not None and iface.xdp_mode == "generic":
        _run_xdp(j, "xdp_generic")
    elif rec:
        j.step("xdp_generic", Verdict.SKIP, "xdp.no_generic", cost_ns=0)
    host.capture.tap(host.clock, iface.name, "In", j.flow.pkt, (src_mac, dst_mac), keep=rec)
    tc_stage.ingress(j, iface)  # may drop (TC_INGRESS), or queue on an ifb (QDISC_DROP)


def veth_rx(j: Journey) -> None:
    """veth_xmit() on the peer → __netif_rx() here: the sender's own skb arrives (scrubbed of its
    namespace's marks and conntrack), without a NIC, a ring or an IRQ; the backlog's NAPI poll
    (process_backlog) hands it on. eth_type_trans() marks a frame for another MAC PACKET_OTHERHOST,
    which ip_rcv() drops, unless the device is a bridge port (ports are promiscuous)."""
    pkt = j.flow.pkt
    iface = _receiving_device(j, "veth")
    dst_mac = pkt.dst_mac or iface.mac
    frame = pkt.length + ETH_HLEN
    iface.stats.rx_packets += pkt.segs
    iface.stats.rx_bytes += offload.wire_bytes(pkt)
    peer = iface.cable.host.name if iface.cable is not None else "?"
    mine = dst_mac in (iface.mac, "ff:ff:ff:ff:ff:ff") or iface.promisc or iface.master is not None
    if not mine and not _multicast_mac(dst_mac):
        j.step("veth", Verdict.DROP, "veth.otherhost", params={"dev": iface.name, "mac": dst_mac, "own": iface.mac},
               drop_reason=DropReason.OTHERHOST)
        raise j.stop(Disposition.DROPPED, DropReason.OTHERHOST)
    if j.record:
        j.flow.skb = SkbView(0, NET_SKB_PAD, NET_SKB_PAD + frame, RX_BUFFER_END, "veth_xmit: skb_scrub_packet",
                             "ethernet")
        j.step("veth", Verdict.PASS, "veth.rx", params={"dev": iface.name, "peer": iface.peer or "?", "ns": peer},
               view=j.flow.skb)
        j.flow.skb = pull_header(j.flow.skb, ETH_HLEN, "eth_type_trans: skb_pull(14)", "ip")
        if pkt.segs > 1 or pkt.gso_size:  # a large send crossed whole, or GRO (`gro on`) merged a train
            note, params = offload.gro_note(iface, pkt)
            j.step("gro", Verdict.PASS, note, params=params)
    _receive_core(j, iface, pkt.src_mac, dst_mac)


def loopback_in(j: Journey) -> None:
    lo = j.host.interfaces["lo"]
    lo.stats.rx_packets += 1
    lo.stats.rx_bytes += j.flow.pkt.length + ETH_HLEN
    # On lo the taps see a frame once, as it comes back in.
    j.host.capture.tap(j.host.clock, "lo", "In", j.flow.pkt, (lo.mac, lo.mac), keep=j.record)
    if not j.record:
        return  # batch runs: only skipping steps follow, each followed by another step
    for stage in ("nic", "dma", "napi", "xdp"):
        j.step(stage, Verdict.SKIP, "lo.no_hardware", cost_ns=0)
    j.flow.skb = SkbView(
        0,
        TX_HEADROOM - 20 - j.flow.pkt.l4_header_len,
        RX_BUFFER_END // 2,
        RX_BUFFER_END,
        "loopback_xmit: netif_rx",
        "ip",
    )
    j.step("skb", Verdict.PASS, "skb.loopback", view=j.flow.skb)
    j.step("gro", Verdict.SKIP, "gro.single", cost_ns=0)
    j.step("xdp_generic", Verdict.SKIP, "xdp.no_generic", cost_ns=0)
    j.step("tc_ingress", Verdict.SKIP, "tc.no_ingress_qdisc", params={"dev": "lo"})


def _multicast_mac(mac: str) -> bool:
    return int(mac[:2], 16) & 1 == 1


def _unknown_iface(j: Journey, name: str | None) -> Stop:
    j.step("nic", Verdict.DROP, "nic.no_such_device", params={"dev": name}, drop_reason=DropReason.DEV_READY)
    return j.stop(Disposition.DROPPED, DropReason.DEV_READY)


def _run_xdp(j: Journey, stage: str) -> None:
    """Run the attached program (bpf_prog_run_xdp) and act on its verdict: a learner's program is
    interpreted (kernel.bpf), a built-in one is declarative."""
    iface = j.host.interfaces[j.flow.pkt.iif or ""]
    prog = iface.xdp
    assert prog is not None
    pkt = j.flow.pkt
    action: str = "XDP_PASS"
    target: str | int | XskSocket | None = None
    if prog.code is not None:
        action, target = run_on_frame(prog.code, pkt, pkt.src_mac, pkt.dst_mac or iface.mac)
    elif prog.kind == "drop":
        action = "XDP_DROP"
    elif prog.kind == "drop_src":
        from .addr import in_prefix

        if any(in_prefix(pkt.src, net, plen) for net, plen in prog.sources):
            action = "XDP_DROP"
    elif prog.kind == "ratelimit":
        window = int(j.host.clock)
        count = j.host.xdp_counts.get((iface.name, window), 0) + 1
        j.host.xdp_counts[(iface.name, window)] = count
        if count > prog.rate:
            action = "XDP_DROP"
    view = XdpView(iface.name, prog.name, iface.xdp_mode, action)
    params = {"prog": prog.name, "mode": iface.xdp_mode, "action": action, "dev": iface.name}
    if action in ("XDP_DROP", "XDP_ABORTED"):
        iface.stats.xdp_drop += 1
        # Native: the driver recycles the buffer; no sk_buff, so no kfree_skb and no drop reason
        # (the driver's XDP counters in `ethtool -S` count it). Generic: do_xdp_generic() frees the
        # skb with plain kfree_skb(), reason NOT_SPECIFIED (SKB_DROP_REASON_XDP is only for a
        # failed redirect; measured on 6.18 with the skb:kfree_skb tracepoint). ABORTED also fires
        # the xdp:xdp_exception tracepoint (trace_xdp_exception), which is how one finds a buggy program.
        reason = DropReason.NOT_SPECIFIED if stage == "xdp_generic" else None
        note = f"{stage}.drop" if action == "XDP_DROP" else "xdp.aborted"
        j.step(stage, Verdict.DROP, note, params=params, view=view, drop_reason=reason)
        raise j.stop(Disposition.DROPPED, reason)
    if isinstance(target, XskSocket):
        _xdp_to_socket(j, stage, iface, target, params, view)
    if action in ("XDP_TX", "XDP_REDIRECT"):
        assert not isinstance(target, XskSocket)
        _xdp_transmit(j, stage, iface, action, target, params, view)
    iface.stats.xdp_pass += 1
    j.step(stage, Verdict.PASS, f"{stage}.pass", params=params, view=view)


def _xdp_to_socket(
    j: Journey, stage: str, iface: Interface, sock: XskSocket, params: Mapping[str, object], view: XdpView,
) -> None:
    """XDP_REDIRECT into an xskmap: xsk_rcv() hands the frame to the AF_XDP socket; no sk_buff is built,
    and netfilter, the routing decision and the socket layer never see it. The socket must be bound to
    the queue the frame came in on (else -EINVAL, a failed redirect)."""
    where = {**params, "out": sock.dev, "queue": sock.queue, "ino": sock.ino}
    if (sock.dev, sock.queue) != (iface.name, RX_QUEUE):
        reason = DropReason.XDP if stage == "xdp_generic" else None
        j.step(stage, Verdict.DROP, "xdp.xsk_wrong_queue", params={**where, "dev": iface.name, "rxq": RX_QUEUE},
               view=view, drop_reason=reason)
        raise j.stop(Disposition.DROPPED, reason)
    sock.receive(j.flow.pkt, j.flow.pkt.length + ETH_HLEN)
    j.step(stage, Verdict.PASS, "xdp.redirect_xsk", params=where, view=view)
    raise j.stop(Disposition.DELIVERED)


def _xdp_transmit(
    j: Journey, stage: str, iface: Interface, action: str, target: str | int | None,
    params: Mapping[str, object], view: XdpView,
) -> None:
    """XDP_TX (back out of the NIC it came in on) and XDP_REDIRECT (xdp_do_redirect() to another
    device): the frame skips the stack, netfilter and the qdisc and goes straight to the driver."""
    out: Interface | None = iface
    if action == "XDP_REDIRECT":
        out = next((d for d in j.host.interfaces.values() if target in (d.name, d.index)), None)
        if out is None or not out.up:
            # xdp_do_redirect() fails: the xdp:xdp_redirect_err tracepoint fires and the frame is freed
            # (generic mode: kfree_skb with SKB_DROP_REASON_XDP).
            reason = DropReason.XDP if stage == "xdp_generic" else None
            j.step(stage, Verdict.DROP, "xdp.redirect_err", params={**params, "target": target},
                   view=view, drop_reason=reason)
            raise j.stop(Disposition.DROPPED, reason)
    assert out is not None
    out.stats.tx_packets += 1
    out.stats.tx_bytes += j.flow.pkt.length + ETH_HLEN
    j.flow.pkt = j.flow.pkt.replace(oif=out.name)
    note = "xdp.tx" if action == "XDP_TX" else "xdp.redirect"
    j.step(stage, Verdict.TRANSMIT, note, params={**params, "out": out.name}, view=view)
    raise j.stop(Disposition.FORWARDED)


# ---- IP receive ------------------------------------------------------------------------------------


def ip_rcv(j: Journey) -> None:
    pkt = j.flow.pkt
    mib.count(j.host, "IpInReceives")  # ip_rcv_core(), before the header checks
    if pkt.broken_checksum:
        j.step("ip_rcv", Verdict.DROP, "ip_rcv.bad_checksum", drop_reason=DropReason.IP_CSUM)
        raise j.stop(Disposition.DROPPED, DropReason.IP_CSUM)
    if j.record:
        j.step("ip_rcv", Verdict.PASS, "ip_rcv.ok", params={"len": pkt.length, "ttl": pkt.ttl})
