"""br_netfilter: the IPv4 netfilter hooks a bridge runs for the frames it forwards.

With `net.bridge.bridge-nf-call-iptables` 1 (per namespace; 1 in every new one), a bridged IPv4
frame passes the bridge's namespace's PREROUTING (raw, conntrack, mangle, nat) before the bridge
learns and decides (br_nf_pre_routing), then FORWARD (br_nf_forward_ip) and POSTROUTING
(br_nf_post_routing) for the port it leaves by; never INPUT or OUTPUT. `-i`/`-o` see the bridge
device, `-m physdev` the ports. With 0, nothing in that namespace sees the frame.

A DNAT in that PREROUTING is handled as br_nf_pre_routing_finish() does: routed from the bridge
device, a new destination behind the same bridge keeps being bridged, to the MAC the neighbour
table has for it (asking by ARP from the bridge device if need be); any other result (a local
address, another device, no route, forwarding off) sends the frame up to the host with the
bridge's MAC, where routing decides and PREROUTING is not run again (ip_sabotage_in).

Measured on kernel 6.18 (iptables-nft 1.8.9): the counters per chain with 1 and 0, `-i br0 -o
br0` in FORWARD, physdev in/out/is-bridged per hook, bridged DNAT to a neighbour behind the bridge
(needs ip_forward on), to another device and to a local address.

Simplified on purpose: br_netfilter is built in (as on the kernel measured), so its sysctls exist
in every namespace; the per-bridge `nf_call_iptables` option and ip6tables/arptables are not
modelled; a frame for the host itself runs PREROUTING from ip_rcv (the same counters, since the
bridge's run makes ip_sabotage_in skip the second), and its source MAC is learned even when
PREROUTING drops it; a flooded frame's copies each pass FORWARD and POSTROUTING in the kernel,
here only the copy the journey follows.
"""

from __future__ import annotations

from .. import fib
from ..addr import format_ipv4
from ..egress import resolve_next_hop
from ..hooks import run_hook
from ..interfaces import Interface
from ..journey import Journey, NfBridge
from ..netfilter.api import Hook
from ..trace import Verdict


def calls_iptables(j: Journey) -> bool:
    """Whether this namespace's br_netfilter hands bridged IPv4 frames to iptables."""
    return j.host.sysctl.bridge_nf_call_iptables()


def pre_routing(j: Journey, br: Interface, port: Interface, dst_mac: str) -> str:
    """br_nf_pre_routing(): PREROUTING with `-i` the bridge, then br_nf_pre_routing_finish();
    the destination MAC the bridge decides on (the bridge's own when the frame must go up)."""
    f = j.flow
    if j.record:
        j.step("bridge", Verdict.PASS, "brnf.call", params={"bridge": br.name, "port": port.name})
    nf_bridge = f.nf_bridge = NfBridge(port.name, hooking=True)
    daddr = f.pkt.dst
    f.pkt = f.pkt.replace(iif=br.name, oif=None)
    run_hook(j, Hook.PREROUTING)
    nf_bridge.hooking = False
    if f.pkt.dst == daddr:
        return dst_mac
    return _after_dnat(j, br, daddr)


def _after_dnat(j: Journey, br: Interface, daddr: int) -> str:
    """br_nf_pre_routing_finish() after a DNAT: still bridged if the new destination is routed
    out of the bridge itself, else up to the host to be routed (or dropped) there."""
    f, host = j.flow, j.host
    assert f.nf_bridge is not None
    decision = fib.input_route(host, f.pkt.src, f.pkt.dst, br.name, f.pkt.mark)
    params = {"bridge": br.name, "from": format_ipv4(daddr), "to": format_ipv4(f.pkt.dst)}
    if decision.kind == "forward" and decision.route is not None and decision.route.dev == br.name:
        # br_nf_pre_routing_finish_bridge(): the new destination's MAC, from br0's neighbour table.
        f.pkt = f.pkt.replace(oif=br.name)
        mac = resolve_next_hop(j, br)
        f.pkt = f.pkt.replace(oif=None, dst_mac=mac)
        if j.record:
            j.step("bridge", Verdict.PASS, "brnf.dnat_bridged", params={**params, "mac": mac})
        return mac
    f.nf_bridge.prerouting_done = True
    f.pkt = f.pkt.replace(dst_mac=br.mac)
    if j.record:
        j.step("bridge", Verdict.PASS, "brnf.dnat_up", params=params)
    return br.mac


def forward(j: Journey, br: Interface, out: str) -> None:
    """br_nf_forward_ip() and br_nf_post_routing(): FORWARD with `-i`/`-o` the bridge, then
    POSTROUTING (NAT of a connection's first packet, the reply's un-DNAT, conntrack confirm)."""
    f = j.flow
    assert f.nf_bridge is not None
    f.nf_bridge.physout = out
    f.nf_bridge.hooking = True
    f.pkt = f.pkt.replace(iif=br.name, oif=br.name)
    run_hook(j, Hook.FORWARD)
    run_hook(j, Hook.POSTROUTING)
    f.nf_bridge.hooking = False


def note_off(j: Journey, br: Interface) -> None:
    """The one line a learner needs when bridge-nf-call-iptables is 0 and iptables stays blind."""
    if j.record:
        j.step("bridge", Verdict.SKIP, "brnf.off", params={"bridge": br.name})
