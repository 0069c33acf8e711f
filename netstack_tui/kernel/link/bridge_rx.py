"""The bridge stage of a port's receive path (br_handle_frame → br_handle_frame_finish).

A frame that came in on a bridge port is the bridge's, not the port's: the bridge learns its source
MAC, then either passes it up to its own host on the bridge device (br_pass_frame_up: its MAC, or a
broadcast), or sends it out of the port its FDB names (br_forward), or of every other port when it
does not know the MAC (br_flood: the journey follows the copy that reaches the MAC's owner).

A frame it forwards meets br_netfilter first when `net.bridge.bridge-nf-call-iptables` is 1 (see
`brnf`): PREROUTING before the decision, FORWARD and POSTROUTING after it.

Not modelled: VLANs, STP port states.
"""

from __future__ import annotations

from ..host import far_host
from ..journey import Handoff, Journey, NfBridge
from ..trace import Disposition, DropReason, Verdict
from . import bridge, brnf
from .cable import reach


def bridge_rx(j: Journey) -> None:
    """The bridge's decision for the frame in flight; returns only when it goes up to the host."""
    host, pkt = j.host, j.flow.pkt
    port = host.interfaces[pkt.iif or ""]
    name = port.master
    assert name is not None
    br = host.interfaces.get(name)
    dst_mac = pkt.dst_mac or port.mac
    params = {"bridge": name, "port": port.name, "src": pkt.src_mac, "mac": dst_mac}
    if br is None or not br.up:
        j.step("bridge", Verdict.DROP, "bridge.down", params=params, drop_reason=DropReason.NOT_SPECIFIED)
        raise j.stop(Disposition.DROPPED, DropReason.NOT_SPECIFIED)
    call_iptables = brnf.calls_iptables(j)
    if not _goes_up(j, name, port.name, dst_mac):
        if call_iptables:
            dst_mac = brnf.pre_routing(j, br, port, dst_mac)
        else:
            brnf.note_off(j, br)
    elif call_iptables:
        j.flow.nf_bridge = NfBridge(port.name)  # the ports `-m physdev` sees in INPUT and FORWARD
    pkt = j.flow.pkt
    params["mac"] = dst_mac
    bridge.learn(host, name, pkt.src_mac, port.name)
    decision = bridge.decide(host, name, port.name, dst_mac)
    broadcast = dst_mac == bridge.BROADCAST
    if decision.local and (decision.how == "local" or broadcast):
        br.stats.rx_packets += 1
        br.stats.rx_bytes += pkt.length + 14
        j.flow.pkt = pkt.replace(iif=name, oif=None)
        host.capture.tap(host.clock, name, "In", j.flow.pkt, (pkt.src_mac, dst_mac), keep=j.record)
        if j.record:
            j.step("bridge", Verdict.PASS, "bridge.up", params=params)
        return
    if not decision.ports:
        j.step("bridge", Verdict.DROP, "bridge.filtered", params=params, drop_reason=DropReason.NOT_SPECIFIED)
        raise j.stop(Disposition.DROPPED, DropReason.NOT_SPECIFIED)
    chosen = decision.ports[0]
    if len(decision.ports) > 1:
        chosen = next(
            (
                p
                for p in decision.ports
                if any(landing.iface.mac == dst_mac for landing in reach(host, p, pkt.src_mac, dst_mac))
            ),
            chosen,
        )
    out = host.interfaces[chosen]
    if j.record:
        j.step(
            "bridge", Verdict.PASS, f"bridge.{decision.how}", params={**params, "out": chosen, "n": len(decision.ports)}
        )
    if j.flow.nf_bridge is not None:
        brnf.forward(j, br, chosen)
        pkt = j.flow.pkt
    out.stats.tx_packets += 1
    out.stats.tx_bytes += pkt.length + 14
    host.capture.tap(host.clock, out.name, "Out", pkt, (pkt.src_mac, dst_mac), keep=j.record)
    if out.cable is None:
        j.step("tx", Verdict.TRANSMIT, "tx.wire", params={"dev": out.name})
        raise j.stop(Disposition.FORWARDED)
    far = out.cable
    j.step("tx", Verdict.TRANSMIT, "tx.cable", params={"dev": out.name, "peer": far.dev, "ns": far.host.name})
    j.handoff = Handoff(far_host(far), far.dev, pkt.replace(iif=None, oif=None))
    raise j.stop(Disposition.FORWARDED)


def _goes_up(j: Journey, name: str, port: str, dst_mac: str) -> bool:
    """Whether the bridge would pass this frame up to its host rather than forward it (looked at
    before br_netfilter runs, since only forwarded frames take its hooks here)."""
    decision = bridge.decide(j.host, name, port, dst_mac)
    return decision.local and (decision.how == "local" or dst_mac == bridge.BROADCAST)
