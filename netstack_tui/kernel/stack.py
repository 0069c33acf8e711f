"""The engine: walks one packet through a host's stack, stage by stage, and returns its `Trace`.

`receive()` starts at the wire (netif_receive_skb and everything before it); `transmit()` starts
with a packet the host itself sends (an application's segment or the stack's own reply). Each stage
appends one `Step`; a stage that stops the packet ends the journey. Packets the host emits in
response are traced afterwards, each through the send path, and attached as the trace's replies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import cost, nat, replies
from .addr import format_ipv4
from .conntrack import CtEntry
from .netfilter.api import Hook, MatchContext, TableVerdict
from .packet import (ACK, FIN, ICMP_DEST_UNREACH, ICMP_ECHO_REQUEST, ICMP_TIME_EXCEEDED, IPPROTO_ICMP,
                     IPPROTO_TCP, IPPROTO_UDP, RST, SYN, Packet)
from .stages import STAGE_BY_ID
from .trace import (Change, ConntrackView, Disposition, DropReason, QueueView, RingView, RouteView, SkbView,
                    SocketRow, SocketView, StageView, Step, Trace, Verdict, XdpView)
from .host import Host
from .routing import table_name
from .sockets import Socket, SocketError

# Tables in priority order at each hook (conntrack at -200 sits between raw and mangle).
HOOK_TABLES: dict[Hook, tuple[str, ...]] = {
    Hook.PREROUTING: ("raw", "conntrack", "mangle", "nat"),
    Hook.INPUT: ("mangle", "filter", "security", "nat", "confirm"),
    Hook.FORWARD: ("mangle", "filter", "security"),
    Hook.OUTPUT: ("raw", "conntrack", "mangle", "nat", "filter", "security"),
    Hook.POSTROUTING: ("mangle", "nat", "confirm"),
}

# Illustrative sk_buff geometry: NET_SKB_PAD of headroom in a 2 KiB RX buffer, minus the
# skb_shared_info that sits at its end.
NET_SKB_PAD = 64
RX_BUFFER_END = 2048 - 320
ETH_HLEN = 14
TX_HEADROOM = 320
MAX_REPLY_DEPTH = 3


class _Stop(Exception):
    """Raised inside a journey when a stage ends it."""


@dataclass(slots=True)
class _Flow:
    """Per-journey mutable state: the packet now, its conntrack entry, its skb geometry."""

    pkt: Packet
    ct: CtEntry | None = None
    ct_state: str = "NEW"
    ct_dir: str = "ORIGINAL"
    ct_new: bool = False
    notrack: bool = False
    related_attached: bool = False
    skb: SkbView | None = None
    local_dest: bool = False
    owner: str | None = None


@dataclass(slots=True)
class _Journey:
    host: Host
    flow: _Flow
    depth: int
    steps: list[Step] = field(default_factory=list)
    emitted: list[tuple[Packet, _Flow | None]] = field(default_factory=list)
    disposition: Disposition | None = None
    drop_reason: DropReason | None = None
    delivered_to: str | None = None
    notes: list[str] = field(default_factory=list)
    looped_replies: list[Trace] = field(default_factory=list)

    def step(self, stage: str, verdict: Verdict, note: str, *, params: dict[str, object] | None = None,
             changes: tuple[Change, ...] = (), view: StageView = None, cost_ns: int | None = None,
             drop_reason: DropReason | None = None, **nf: object) -> Step:
        s = Step(stage=stage, host=self.host.name, function=STAGE_BY_ID[stage].function, verdict=verdict,
                 packet=self.flow.pkt, note=note,
                 params=tuple((k, str(v)) for k, v in (params or {}).items()),
                 changes=changes, view=view, drop_reason=drop_reason,
                 cost_ns=cost.stage_cost(stage) if cost_ns is None else cost_ns, skb=self.flow.skb,
                 **nf)  # type: ignore[arg-type]
        self.steps.append(s)
        return s

    def stop(self, disposition: Disposition, reason: DropReason | None = None) -> _Stop:
        self.disposition = disposition
        self.drop_reason = reason
        return _Stop()

    def emit(self, pkt: Packet | None, flow: _Flow | None = None) -> None:
        if pkt is not None:
            self.emitted.append((pkt, flow))


# ---- public entry points ---------------------------------------------------------------------------


def receive(host: Host, pkt: Packet, iface: str, *, depth: int = 0) -> Trace:
    """Trace a packet arriving from the wire on `iface`."""
    pkt = pkt.replace(iif=iface, oif=None)
    j = _Journey(host, _Flow(pkt), depth)
    try:
        if iface == "lo":
            _loopback_in(j)
        else:
            _driver_rx(j)
        _ip_rcv(j)
        _hook(j, Hook.PREROUTING)
        if _route_input(j):
            _hook(j, Hook.INPUT)
            _local_deliver(j)
        else:
            _forward(j)
            _hook(j, Hook.POSTROUTING)
            _dev_xmit(j, Disposition.FORWARDED)
    except _Stop:
        pass
    return _finish(j, pkt)


def transmit(host: Host, pkt: Packet, *, owner: str | None = None, depth: int = 0,
             flow: _Flow | None = None) -> Trace:
    """Trace a packet the host itself sends (an application's, or the stack's own reply)."""
    pkt = pkt.replace(iif=None)
    if flow is None:
        flow = _Flow(pkt, owner=owner)
    else:
        flow.pkt = pkt
    flow.skb = SkbView(0, TX_HEADROOM, TX_HEADROOM + pkt.length - pkt.l4_header_len - 20, RX_BUFFER_END,
                       "alloc_skb + skb_reserve", "payload")
    j = _Journey(host, flow, depth)
    try:
        j.step("send", Verdict.PASS, "send.app" if owner else "send.stack",
               params={"owner": owner or "kernel"}, view=None)
        _route_output(j)
        _hook(j, Hook.OUTPUT)
        _hook(j, Hook.POSTROUTING)
        _dev_xmit(j, Disposition.SENT)
    except _Stop:
        pass
    return _finish(j, pkt)


def _finish(j: _Journey, pkt: Packet) -> Trace:
    if j.disposition is None:
        j.disposition = Disposition.DROPPED
    reply_traces: list[Trace] = list(j.looped_replies)
    if j.depth < MAX_REPLY_DEPTH:
        for emitted, flow in j.emitted:
            reply_traces.append(transmit(j.host, emitted, depth=j.depth + 1, flow=flow))
    return Trace(packet=pkt, host=j.host.name, steps=tuple(j.steps), disposition=j.disposition,
                 drop_reason=j.drop_reason, replies=tuple(reply_traces), delivered_to=j.delivered_to,
                 notes=tuple(j.notes))


# ---- driver and early receive ----------------------------------------------------------------------


def _driver_rx(j: _Journey) -> None:
    host, pkt = j.host, j.flow.pkt
    iface = host.interfaces.get(pkt.iif or "")
    if iface is None:
        raise _unknown_iface(j, pkt.iif)
    dst_mac = pkt.dst_mac or iface.mac
    if not iface.up:
        j.step("nic", Verdict.DROP, "nic.down", params={"dev": iface.name}, drop_reason=DropReason.DEV_READY)
        raise j.stop(Disposition.DROPPED, DropReason.DEV_READY)
    if dst_mac not in (iface.mac, "ff:ff:ff:ff:ff:ff") and not iface.promisc and not _multicast_mac(dst_mac):
        j.step("nic", Verdict.DROP, "nic.mac_filter", params={"dev": iface.name, "mac": dst_mac,
               "own": iface.mac}, drop_reason=DropReason.OTHERHOST)
        raise j.stop(Disposition.DROPPED, DropReason.OTHERHOST)
    j.step("nic", Verdict.PASS, "nic.accept", params={"dev": iface.name, "mac": iface.mac,
           "driver": iface.driver})
    frame = pkt.length + ETH_HLEN
    if iface.rx_ring_used >= iface.rx_ring:
        iface.stats.rx_missed += 1
        j.step("dma", Verdict.DROP, "dma.ring_full", params={"dev": iface.name, "size": iface.rx_ring},
               view=RingView(iface.name, iface.rx_ring, iface.rx_ring_used, -1),
               drop_reason=DropReason.RX_RING_FULL)
        raise j.stop(Disposition.DROPPED, DropReason.RX_RING_FULL)
    slot = (iface.stats.rx_packets + iface.stats.rx_missed) % iface.rx_ring
    iface.stats.rx_packets += 1
    iface.stats.rx_bytes += frame
    j.step("dma", Verdict.PASS, "dma.slot", params={"dev": iface.name, "slot": slot, "bytes": frame},
           view=RingView(iface.name, iface.rx_ring, iface.rx_ring_used + 1, slot))
    j.step("napi", Verdict.PASS, "napi.poll", params={"dev": iface.name, "budget": 64},
           view=RingView(iface.name, iface.rx_ring, iface.rx_ring_used, slot))
    native = iface.xdp is not None and iface.xdp_mode in ("native", "offload")
    if native:
        _run_xdp(j, "xdp")
    else:
        j.step("xdp", Verdict.SKIP, "xdp.none" if iface.xdp is None else "xdp.not_native",
               params={"dev": iface.name}, cost_ns=0,
               view=XdpView(iface.name, iface.xdp.name if iface.xdp else None, iface.xdp_mode, "-"))
    j.flow.skb = SkbView(0, NET_SKB_PAD, NET_SKB_PAD + frame, RX_BUFFER_END, "napi_build_skb", "ethernet")
    j.step("skb", Verdict.PASS, "skb.alloc", params={"len": frame, "headroom": NET_SKB_PAD},
           view=j.flow.skb)
    j.flow.skb = _pull(j.flow.skb, ETH_HLEN, "eth_type_trans: skb_pull(14)", "ip")
    if iface.xdp is not None and iface.xdp_mode == "generic":
        _run_xdp(j, "xdp_generic")
    else:
        j.step("xdp_generic", Verdict.SKIP, "xdp.no_generic", cost_ns=0)
    j.step("gro", Verdict.PASS, "gro.single")
    j.step("tc_ingress", Verdict.SKIP, "tc.no_ingress_qdisc", params={"dev": iface.name})


def _loopback_in(j: _Journey) -> None:
    lo = j.host.interfaces["lo"]
    lo.stats.rx_packets += 1
    lo.stats.rx_bytes += j.flow.pkt.length + ETH_HLEN
    for stage in ("nic", "dma", "napi", "xdp"):
        j.step(stage, Verdict.SKIP, "lo.no_hardware", cost_ns=0)
    j.flow.skb = SkbView(0, TX_HEADROOM - 20 - j.flow.pkt.l4_header_len, RX_BUFFER_END // 2,
                         RX_BUFFER_END, "loopback_xmit: netif_rx", "ip")
    j.step("skb", Verdict.PASS, "skb.loopback", view=j.flow.skb)
    j.step("xdp_generic", Verdict.SKIP, "xdp.no_generic", cost_ns=0)
    j.step("gro", Verdict.SKIP, "gro.single", cost_ns=0)
    j.step("tc_ingress", Verdict.SKIP, "tc.no_ingress_qdisc", params={"dev": "lo"})


def _multicast_mac(mac: str) -> bool:
    return int(mac[:2], 16) & 1 == 1


def _unknown_iface(j: _Journey, name: str | None) -> _Stop:
    j.step("nic", Verdict.DROP, "nic.no_such_device", params={"dev": name}, drop_reason=DropReason.DEV_READY)
    return j.stop(Disposition.DROPPED, DropReason.DEV_READY)


def _pull(skb: SkbView, n: int, op: str, layer: str) -> SkbView:
    return SkbView(skb.head, skb.data + n, skb.tail, skb.end, op, layer)


def _run_xdp(j: _Journey, stage: str) -> None:
    """Run the attached declarative program (bpf_prog_run_xdp)."""
    iface = j.host.interfaces[j.flow.pkt.iif or ""]
    prog = iface.xdp
    assert prog is not None
    pkt = j.flow.pkt
    action = "XDP_PASS"
    if prog.kind == "drop":
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
    if action == "XDP_DROP":
        iface.stats.xdp_drop += 1
        j.step(stage, Verdict.DROP, f"{stage}.drop", params=params, view=view, drop_reason=DropReason.XDP)
        raise j.stop(Disposition.DROPPED, DropReason.XDP)
    iface.stats.xdp_pass += 1
    j.step(stage, Verdict.PASS, f"{stage}.pass", params=params, view=view)


# ---- IP receive, netfilter hooks ---------------------------------------------------------------------


def _ip_rcv(j: _Journey) -> None:
    pkt = j.flow.pkt
    if pkt.broken_checksum:
        j.step("ip_rcv", Verdict.DROP, "ip_rcv.bad_checksum", drop_reason=DropReason.IP_CSUM)
        raise j.stop(Disposition.DROPPED, DropReason.IP_CSUM)
    j.step("ip_rcv", Verdict.PASS, "ip_rcv.ok", params={"len": pkt.length, "ttl": pkt.ttl})


def _hook(j: _Journey, hook: Hook) -> None:
    for table in HOOK_TABLES[hook]:
        if table == "conntrack":
            _conntrack_in(j, hook)
        elif table == "confirm":
            _confirm(j, hook)
        elif table == "nat":
            _nat_table(j, hook)
        else:
            _filter_table(j, hook, table)


def _context(j: _Journey, hook: Hook) -> MatchContext:
    f = j.flow
    entry = f.ct
    return MatchContext(
        hook=hook, now=j.host.clock,
        ct_state="UNTRACKED" if f.notrack else f.ct_state,
        ct_status=frozenset(entry.status) if entry is not None else frozenset(),
        ct_dir=f.ct_dir,
        ct_orig=entry.orig if entry is not None else None,
        ct_reply=entry.reply if entry is not None else None,
        ct_mark=entry.mark if entry is not None else 0,
        ct_expire=entry.expires_in(j.host.clock) if entry is not None and entry.id else 0,
        addr_type=j.host.addr_type,
    )


def _table_active(j: _Journey, table: str) -> bool:
    active = getattr(j.host.iptables, "table_active", None)
    return True if active is None else bool(active(table))


def _traverse(j: _Journey, hook: Hook, table: str) -> TableVerdict:
    ruleset = j.host.iptables
    result: TableVerdict = ruleset.traverse(table, hook.value, j.flow.pkt, _context(j, hook))
    for line in result.logs:
        j.host.log(line)
    return result


def _nf_step(j: _Journey, hook: Hook, table: str, result: TableVerdict, verdict: Verdict, note: str,
             drop_reason: DropReason | None = None, params: dict[str, object] | None = None,
             changes: tuple[Change, ...] = ()) -> None:
    view = j.host.iptables.chain_view(table, hook.value, result.evaluations)
    j.step(f"{hook.value.lower()}.{table}", verdict, note, params=params, changes=changes, view=view,
           cost_ns=cost.netfilter_cost(len(result.evaluations)), drop_reason=drop_reason,
           table=table, chain=result.decided_chain, rule_index=result.decided_index, rule=result.decided_rule,
           tested=result.evaluations)


def _filter_table(j: _Journey, hook: Hook, table: str) -> None:
    stage = f"{hook.value.lower()}.{table}"
    if not _table_active(j, table):
        j.step(stage, Verdict.SKIP, "nf.table_unused", params={"table": table}, cost_ns=0)
        return
    before = j.flow.pkt
    result = _traverse(j, hook, table)
    j.flow.pkt = result.packet
    changes = _packet_changes(before, result.packet)
    if result.notrack:
        j.flow.notrack = True
        j.flow.ct, j.flow.ct_state = None, "UNTRACKED"
    if result.ct_mark is not None and j.flow.ct is not None:
        j.flow.ct.mark = result.ct_mark
    if result.verdict == "DROP":
        _nf_drop(j, hook, table, result, changes)
    where = "policy" if result.decided_index is None else f"rule {result.decided_index}"
    _nf_step(j, hook, table, result, Verdict.ACCEPT, "nf.accept", params={"where": where}, changes=changes)
    if hook == Hook.OUTPUT and (changes and any(c.what in ("mark", "dst") for c in changes)):
        _reroute(j)


def _nf_drop(j: _Journey, hook: Hook, table: str, result: TableVerdict, changes: tuple[Change, ...]) -> None:
    where = "policy" if result.decided_index is None else f"rule {result.decided_index}"
    if result.reject is not None:
        _nf_step(j, hook, table, result, Verdict.REJECT, "nf.reject",
                 params={"where": where, "with": result.reject}, changes=changes,
                 drop_reason=DropReason.NETFILTER_DROP)
        _send_reject(j, result.reject, hook)
        raise j.stop(Disposition.REJECTED, DropReason.NETFILTER_DROP)
    _nf_step(j, hook, table, result, Verdict.DROP, "nf.drop", params={"where": where}, changes=changes,
             drop_reason=DropReason.NETFILTER_DROP)
    raise j.stop(Disposition.DROPPED, DropReason.NETFILTER_DROP)


def _packet_changes(before: Packet, after: Packet) -> tuple[Change, ...]:
    out: list[Change] = []
    if before.mark != after.mark:
        out.append(Change("mark", f"{before.mark:#x}", f"{after.mark:#x}"))
    if before.dst != after.dst or before.dport != after.dport:
        out.append(Change("dst", f"{format_ipv4(before.dst)}:{before.dport}", f"{format_ipv4(after.dst)}:{after.dport}"))
    if before.src != after.src or before.sport != after.sport:
        out.append(Change("src", f"{format_ipv4(before.src)}:{before.sport}", f"{format_ipv4(after.src)}:{after.sport}"))
    if before.ttl != after.ttl:
        out.append(Change("ttl", str(before.ttl), str(after.ttl)))
    if before.tos != after.tos:
        out.append(Change("tos", f"{before.tos:#04x}", f"{after.tos:#04x}"))
    return tuple(out)


def _send_reject(j: _Journey, with_type: str, hook: Hook) -> None:
    """REJECT's answer: nf_send_reset() or nf_send_unreach(); the answer is RELATED to the entry."""
    pkt = j.flow.pkt
    if with_type == "tcp-reset":
        answer = replies.tcp_reset(pkt)
    else:
        src = pkt.dst if j.host.is_local(pkt.dst) else _answer_source(j, pkt)
        answer = replies.reject_icmp(j.host, pkt, with_type, src)
    if answer is None:
        return
    flow = _Flow(answer, ct=j.flow.ct, ct_state="RELATED", related_attached=j.flow.ct is not None,
                 ct_dir="REPLY" if j.flow.ct_dir == "ORIGINAL" else "ORIGINAL")
    if j.flow.ct is None:
        flow = None  # type: ignore[assignment]
    j.emit(answer, flow)


def _answer_source(j: _Journey, pkt: Packet) -> int | None:
    """The address an ICMP error about a non-local packet comes from: the route back's source."""
    back = j.host.routing.lookup(pkt.src)
    if back.route is not None and back.route.dev:
        return back.route.src or j.host.primary_address(back.route.dev, pkt.src)
    return j.host.primary_address(pkt.iif or "", pkt.src) if pkt.iif else None


# ---- conntrack ---------------------------------------------------------------------------------------


def _sysctl_ints(host: Host) -> dict[str, int]:
    snap = host.sysctl.snapshot()
    out: dict[str, int] = {}
    for key, value in snap.items():
        if key.startswith("net.netfilter."):
            try:
                out[key[len("net.netfilter."):]] = int(value)
            except ValueError:
                pass
    return out


def _conntrack_in(j: _Journey, hook: Hook) -> None:
    stage = f"{hook.value.lower()}.conntrack"
    f, host = j.flow, j.host
    ct_table = host.conntrack
    if f.notrack:
        j.step(stage, Verdict.SKIP, "ct.notrack", cost_ns=0,
               view=ConntrackView(None, "UNTRACKED", False, ct_table.count(host.clock), _ct_max(host)))
        return
    if f.related_attached:
        j.step(stage, Verdict.PASS, "ct.attached_related", cost_ns=0,
               view=ConntrackView(None, "RELATED", False, ct_table.count(host.clock), _ct_max(host)))
        return
    result = ct_table.classify(f.pkt, host.clock, _sysctl_ints(host))
    f.ct, f.ct_state, f.ct_dir, f.ct_new = result.entry, result.state, result.direction, result.new
    if result.new and result.entry is not None:
        if not _ct_reserve(j):
            j.step(stage, Verdict.DROP, "ct.table_full", params={"max": _ct_max(host)},
                   cost_ns=cost.CONNTRACK_CREATE_NS, drop_reason=DropReason.NF_CONNTRACK_FULL,
                   view=ConntrackView(None, "NEW", False, ct_table.count(host.clock), _ct_max(host)))
            raise j.stop(Disposition.DROPPED, DropReason.NF_CONNTRACK_FULL)
    entry = result.entry
    j.step(stage, Verdict.PASS, f"ct.{result.state.lower()}", params={"state": result.state,
           "dir": result.direction}, cost_ns=cost.CONNTRACK_CREATE_NS if result.new else cost.CONNTRACK_LOOKUP_NS,
           view=ConntrackView(entry.describe(host.clock) if entry is not None else None, result.state,
                              result.new, ct_table.count(host.clock), _ct_max(host)))
    if entry is not None and not result.new and f.ct_state != "RELATED":
        _nat_rewrite_only(j, hook)


def _ct_max(host: Host) -> int:
    return host.sysctl.int("net.netfilter.nf_conntrack_max")


def _ct_reserve(j: _Journey) -> bool:
    """__nf_conntrack_alloc(): room for one more entry, after early_drop if the table is full."""
    host = j.host
    ct = host.conntrack
    limit = _ct_max(host)
    if limit and ct.count(host.clock) >= limit:
        victim = next((e for e in ct.entries(host.clock) if "ASSURED" not in e.status), None)
        if victim is None:
            ct.stats["drop"] += 1
            ct.dropped_full += 1
            host.log("nf_conntrack: nf_conntrack: table full, dropping packet")
            return False
        ct.remove(victim)
        ct.stats["early_drop"] += 1
    return True


def _nat_rewrite_only(j: _Journey, hook: Hook) -> None:
    """Nothing: NAT for known connections is applied at the nat stage of each hook."""


def _confirm(j: _Journey, hook: Hook) -> None:
    stage = f"{hook.value.lower()}.confirm"
    f, host = j.flow, j.host
    if f.ct is None or f.notrack or f.related_attached:
        j.step(stage, Verdict.SKIP, "ct.confirm_none", cost_ns=0)
        return
    if f.ct_new:
        host.conntrack.confirm(f.ct, host.clock, _sysctl_ints(host), 1 << 62)
        f.ct_new = False
    before = f.ct.tcp_state
    host.conntrack.update(f.ct, f.pkt, f.ct_dir, host.clock, _sysctl_ints(host))
    params: dict[str, object] = {"state": f.ct.tcp_state or f.ct_state}
    changes = (Change("tcp state", before or "NONE", f.ct.tcp_state or ""),) if before != f.ct.tcp_state else ()
    j.step(stage, Verdict.PASS, "ct.confirmed", params=params, changes=changes, cost_ns=40,
           view=ConntrackView(f.ct.describe(host.clock), f.ct_state, False, host.conntrack.count(host.clock),
                              _ct_max(host)))


# ---- NAT ---------------------------------------------------------------------------------------------


def _nat_table(j: _Journey, hook: Hook) -> None:
    stage = f"{hook.value.lower()}.nat"
    f = j.flow
    if f.notrack or f.ct is None:
        j.step(stage, Verdict.SKIP, "nat.untracked", cost_ns=0)
        return
    if f.related_attached or f.ct_state == "RELATED":
        before = f.pkt
        f.pkt = nat.rewrite(f.pkt, f.ct, f.ct_dir, hook)
        j.step(stage, Verdict.SKIP, "nat.related", changes=_packet_changes(before, f.pkt), cost_ns=10)
        return
    if nat.needs_table(f.ct, f.ct_state, hook) and _table_active(j, "nat"):
        result = _traverse(j, hook, "nat")
        f.pkt = result.packet
        new_addr = _nat_address(j, hook, result) if result.nat is not None else None
        mapping = nat.bind(f.ct, result.nat, hook, new_addr=new_addr, conntrack=j.host.conntrack,
                           now=j.host.clock)
        before = f.pkt
        f.pkt = nat.rewrite(f.pkt, f.ct, f.ct_dir, hook)
        changes = _packet_changes(before, f.pkt)
        if result.verdict == "DROP":
            _nf_drop(j, hook, "nat", result, changes)
        where = "policy" if result.decided_index is None else f"rule {result.decided_index}"
        _nf_step(j, hook, "nat", result, Verdict.ACCEPT, "nat.bound" if mapping else "nat.null_binding",
                 params={"where": where, "mapping": mapping or "-"}, changes=changes)
        if hook == Hook.OUTPUT and changes:
            _reroute(j)
        return
    if nat.needs_table(f.ct, f.ct_state, hook):
        nat.bind(f.ct, None, hook, new_addr=None, conntrack=j.host.conntrack, now=j.host.clock)
    before = f.pkt
    f.pkt = nat.rewrite(f.pkt, f.ct, f.ct_dir, hook)
    changes = _packet_changes(before, f.pkt)
    j.step(stage, Verdict.SKIP, "nat.from_entry" if changes else "nat.not_first", changes=changes, cost_ns=10)
    if hook == Hook.OUTPUT and changes:
        _reroute(j)


def _nat_address(j: _Journey, hook: Hook, result: TableVerdict) -> int | None:
    action = result.nat
    assert action is not None
    pkt = j.flow.pkt
    if action.kind == "MASQUERADE":
        return j.host.primary_address(pkt.oif or "", pkt.dst) if pkt.oif else None
    if action.kind == "REDIRECT":
        if hook == Hook.OUTPUT:
            return 0x7F000001
        return j.host.primary_address(pkt.iif or "")
    if action.addr_min is None:
        return pkt.dst if action.kind == "DNAT" else pkt.src
    if action.addr_max not in (None, action.addr_min):
        j.notes.append("nat.range_first_address")
    return action.addr_min


# ---- routing -----------------------------------------------------------------------------------------


def _route_view(j: _Journey, table: int, chosen_route: object, result: str, why: str) -> RouteView:
    routing = j.host.routing
    routes = routing.routes(table)
    chosen = routes.index(chosen_route) if chosen_route in routes else -1  # type: ignore[arg-type]
    return RouteView(tuple(r.describe() for r in routing.rules), table_name(table),
                     tuple(r.describe() for r in routes), chosen, result, why)


def _route_input(j: _Journey) -> bool:
    """ip_route_input_noref(): True for local delivery, False to forward; raises _Stop on a drop."""
    host, pkt = j.host, j.flow.pkt
    iif = pkt.iif or "lo"
    is_lo = iif == "lo"
    if (pkt.src >> 24 == 127 and not is_lo) or pkt.src >> 28 == 0xE or pkt.src == 0xFFFFFFFF:
        _route_drop(j, "route.martian_source", DropReason.IP_INADDRERRORS, {"src": format_ipv4(pkt.src)})
    if pkt.dst >> 24 == 127 and not is_lo:
        _route_drop(j, "route.martian_destination", DropReason.IP_INADDRERRORS, {"dst": format_ipv4(pkt.dst)})
    found = host.routing.lookup(pkt.dst, pkt.src, iif=iif, mark=pkt.mark)
    forwarding = host.sysctl.forwarding(iif)
    table = found.rule.table if found.rule is not None else 254
    if found.route is None or found.error is not None:
        # ip_error(): silent with forwarding off; otherwise an ICMP destination unreachable.
        view = _route_view(j, table, found.route, found.type, found.error or "")
        if not forwarding:
            reason = DropReason.IP_INNOROUTES if found.error == "ENETUNREACH" else DropReason.IP_INADDRERRORS
            j.step("route_input", Verdict.DROP, "route.no_route_no_forward", params={"error": found.error},
                   view=view, drop_reason=reason)
            raise j.stop(Disposition.DROPPED, reason)
        code = {"EHOSTUNREACH": 1, "ENETUNREACH": 0, "EACCES": 13}.get(found.error or "")
        reason = DropReason.IP_INNOROUTES if found.error == "ENETUNREACH" else DropReason.NOT_SPECIFIED
        j.step("route_input", Verdict.DROP, "route.unreachable", params={"error": found.error, "type": found.type},
               view=view, drop_reason=reason)
        if code is not None:
            j.emit(replies.icmp_error(host, pkt, ICMP_DEST_UNREACH, code, _answer_source(j, pkt)),
                   _error_flow(j))
        raise j.stop(Disposition.DROPPED, reason)
    route = found.route
    if route.type in ("local", "broadcast"):
        _validate_source(j, table, route, local=True)
        j.flow.local_dest = True
        j.step("route_input", Verdict.PASS, "route.local", params={"table": table_name(table), "dst":
               format_ipv4(pkt.dst), "type": route.type},
               view=_route_view(j, table, route, route.type, "local"))
        return True
    if not forwarding:
        view = _route_view(j, table, route, "unicast", "ip_forward=0")
        j.step("route_input", Verdict.DROP, "route.forwarding_off", params={"dev": iif}, view=view,
               drop_reason=DropReason.IP_INADDRERRORS)
        raise j.stop(Disposition.DROPPED, DropReason.IP_INADDRERRORS)
    _validate_source(j, table, route, local=False)
    j.flow.pkt = pkt.replace(oif=route.dev)
    j.step("route_input", Verdict.PASS, "route.forward", params={"table": table_name(table),
           "route": route.describe().strip(), "dev": route.dev},
           view=_route_view(j, table, route, "unicast", "longest prefix"))
    return False


def _route_drop(j: _Journey, note: str, reason: DropReason, params: dict[str, object]) -> None:
    j.step("route_input", Verdict.DROP, note, params=params, drop_reason=reason)
    raise j.stop(Disposition.DROPPED, reason)


def _validate_source(j: _Journey, table: int, route: object, *, local: bool) -> None:
    """fib_validate_source(): own-address sources are martians; rp_filter checks the way back."""
    host, pkt = j.host, j.flow.pkt
    iif = pkt.iif or "lo"
    if iif == "lo":
        return
    mode = host.sysctl.rp_filter(iif)
    accept_local = host.sysctl.conf(iif, "accept_local")
    if mode == 0:
        if host.is_local(pkt.src) and not accept_local:
            _route_drop(j, "route.martian_local_source", DropReason.IP_INADDRERRORS, {"src": format_ipv4(pkt.src)})
        return
    back = host.routing.lookup(pkt.src, pkt.dst, iif="lo", mark=pkt.mark)
    ok: bool
    if back.route is None or back.error is not None:
        ok = False
    elif back.route.type not in ("unicast",) and not (back.route.type == "local" and accept_local):
        _route_drop(j, "route.martian_local_source", DropReason.IP_INADDRERRORS, {"src": format_ipv4(pkt.src)})
        return
    elif back.route.dev == iif:
        ok = True
    else:
        ok = mode == 2  # loose mode only asks that some route back exists
    if not ok:
        why = f"rp_filter={mode}: the route back to {format_ipv4(pkt.src)} " + (
            f"leaves via {back.route.dev}, not {iif}" if back.route is not None else "does not exist")
        j.step("route_input", Verdict.DROP, "route.rp_filter", params={"mode": mode, "src": format_ipv4(pkt.src),
               "dev": iif, "back": back.route.dev if back.route else "none"},
               view=_route_view(j, table, route, "unicast", why), drop_reason=DropReason.IP_RPFILTER)
        raise j.stop(Disposition.DROPPED, DropReason.IP_RPFILTER)


def _route_output(j: _Journey) -> None:
    """ip_route_output_key(): pick the device and, when unset, the source address."""
    host, pkt = j.host, j.flow.pkt
    found = host.routing.lookup(pkt.dst, pkt.src, oif=pkt.oif, mark=pkt.mark)
    table = found.rule.table if found.rule is not None else 254
    if found.route is None or found.error is not None:
        j.step("route_output", Verdict.DROP, "route.out_unreachable", params={"error": found.error},
               view=_route_view(j, table, found.route, found.type, found.error or ""),
               drop_reason=DropReason.IP_OUTNOROUTES)
        raise j.stop(Disposition.DROPPED, DropReason.IP_OUTNOROUTES)
    route = found.route
    dev = "lo" if route.type == "local" else route.dev
    src = pkt.src or route.src or host.primary_address(dev or "", pkt.dst) or 0
    j.flow.pkt = pkt.replace(oif=dev, src=src)
    j.step("route_output", Verdict.PASS, "route.output", params={"dev": dev, "route": route.describe().strip(),
           "table": table_name(table)}, view=_route_view(j, table, route, route.type, "longest prefix"))


def _reroute(j: _Journey) -> None:
    """ip_route_me_harder(): a mangle/nat change in OUTPUT sends the packet through routing again."""
    host, pkt = j.host, j.flow.pkt
    found = host.routing.lookup(pkt.dst, pkt.src, mark=pkt.mark)
    if found.route is None or found.error is not None:
        j.step("reroute", Verdict.DROP, "route.out_unreachable", params={"error": found.error},
               drop_reason=DropReason.IP_OUTNOROUTES)
        raise j.stop(Disposition.DROPPED, DropReason.IP_OUTNOROUTES)
    dev = "lo" if found.route.type == "local" else found.route.dev
    j.flow.pkt = pkt.replace(oif=dev)
    j.step("reroute", Verdict.PASS, "route.reroute", params={"dev": dev})


# ---- forward and transmit ----------------------------------------------------------------------------


def _forward(j: _Journey) -> None:
    """ip_forward(): TTL check and decrement, then the FORWARD hook."""
    pkt = j.flow.pkt
    if pkt.ttl <= 1:
        j.step("ip_forward", Verdict.DROP, "forward.ttl_exceeded", params={"ttl": pkt.ttl},
               drop_reason=DropReason.IP_INHDR)
        j.emit(replies.icmp_error(j.host, pkt, ICMP_TIME_EXCEEDED, 0, _answer_source(j, pkt)), _error_flow(j))
        raise j.stop(Disposition.DROPPED, DropReason.IP_INHDR)
    j.flow.pkt = pkt.replace(ttl=pkt.ttl - 1)
    j.step("ip_forward", Verdict.PASS, "forward.ttl", changes=(Change("ttl", str(pkt.ttl), str(pkt.ttl - 1)),),
           params={"dev": pkt.oif})
    _hook(j, Hook.FORWARD)


def _error_flow(j: _Journey) -> _Flow | None:
    # An ICMP error from icmp_send() carries no conntrack entry: conntrack classifies it afresh
    # in OUTPUT by the packet it quotes.
    return None


def _dev_xmit(j: _Journey, disposition: Disposition) -> None:
    host, pkt = j.host, j.flow.pkt
    iface = host.interfaces.get(pkt.oif or "")
    if iface is None or not iface.up:
        j.step("qdisc", Verdict.DROP, "tx.dev_down", params={"dev": pkt.oif}, drop_reason=DropReason.DEV_READY)
        raise j.stop(Disposition.DROPPED, DropReason.DEV_READY)
    if j.flow.skb is not None:
        j.flow.skb = SkbView(j.flow.skb.head, max(0, j.flow.skb.data - ETH_HLEN), j.flow.skb.tail,
                             j.flow.skb.end, "neigh_output: skb_push(14)", "ethernet")
    j.step("qdisc", Verdict.PASS, "tx.qdisc", params={"dev": iface.name, "qdisc": iface.qdisc},
           view=QueueView(iface.name, iface.qdisc, 0, iface.txqueuelen))
    iface.stats.tx_packets += 1
    iface.stats.tx_bytes += pkt.length + ETH_HLEN
    j.step("tx", Verdict.TRANSMIT, "tx.wire" if not iface.is_loopback else "tx.loopback",
           params={"dev": iface.name})
    if iface.is_loopback and j.depth < MAX_REPLY_DEPTH:
        # Loopback: the packet re-enters the receive path on `lo` within the same journey.
        looped = receive(host, pkt.replace(oif=None), "lo", depth=j.depth + 1)
        j.steps.extend(looped.steps)
        j.looped_replies.extend(looped.replies)
        j.disposition, j.drop_reason, j.delivered_to = looped.disposition, looped.drop_reason, looped.delivered_to
        raise _Stop()
    raise j.stop(disposition)


# ---- local delivery ----------------------------------------------------------------------------------


def _local_deliver(j: _Journey) -> None:
    """ip_local_deliver_finish(): hand the packet to its protocol handler."""
    if j.flow.skb is not None:
        j.flow.skb = _pull(j.flow.skb, 20, "ip_local_deliver: __skb_pull(20)", j.flow.pkt.proto_name)
    proto = j.flow.pkt.proto
    if proto == IPPROTO_TCP:
        _tcp_rcv(j)
    elif proto == IPPROTO_UDP:
        _udp_rcv(j)
    elif proto == IPPROTO_ICMP:
        _icmp_rcv(j)
    else:
        j.step("socket", Verdict.DROP, "sock.no_protocol", drop_reason=DropReason.NOT_SPECIFIED)
        raise j.stop(Disposition.DROPPED, DropReason.NOT_SPECIFIED)


def _socket_view(j: _Journey, chosen: Socket | None) -> SocketView:
    table = j.host.sockets
    rows: list[SocketRow] = []
    chosen_index = -1
    for sock in table.sockets:
        if sock.proto != j.flow.pkt.proto_name:
            continue
        if sock is chosen or (chosen is not None and chosen.parent is sock):
            chosen_index = len(rows)
        proc = table.processes.get(sock.pid) if sock.pid is not None else None
        rows.append(SocketRow(sock.state, sock.local_text(), sock.peer_text(),
                              len(sock.accept_queue) if sock.state == "LISTEN" else sock.recv_q,
                              sock.backlog if sock.state == "LISTEN" else sock.send_q,
                              f"{proc.name},pid={proc.pid},fd={sock.fd}" if proc else "",
                              len(sock.syn_queue), sock.backlog))
    proc = table.processes.get(chosen.pid) if chosen is not None and chosen.pid is not None else None
    return SocketView(tuple(rows), chosen_index, len(proc.fds) if proc else 0, proc.nofile if proc else 0)


def _owner(j: _Journey, sock: Socket) -> str:
    proc = j.host.sockets.processes.get(sock.pid) if sock.pid is not None else None
    name = f"{proc.name} (pid {proc.pid})" if proc else "kernel"
    return f"{name} {sock.local_text()}"


def _no_socket(j: _Journey, note: str, answer: Packet | None) -> None:
    j.step("socket", Verdict.DROP, note, params={"port": j.flow.pkt.dport}, view=_socket_view(j, None),
           drop_reason=DropReason.NO_SOCKET)
    j.emit(answer)
    raise j.stop(Disposition.DROPPED, DropReason.NO_SOCKET)


def _tcp_rcv(j: _Journey) -> None:
    """tcp_v4_rcv(): established socket, then listener, else RST."""
    host, pkt = j.host, j.flow.pkt
    table = host.sockets
    local, peer = (pkt.dst, pkt.dport), (pkt.src, pkt.sport)
    sock = table.lookup_established("tcp", local, peer)
    if sock is not None:
        _tcp_established(j, sock)
        return
    listener = table.lookup_listener("tcp", pkt.dst, pkt.dport)
    if listener is None:
        _no_socket(j, "sock.tcp_closed", replies.tcp_reset(pkt))
        return
    if not (pkt.flags & SYN) or pkt.flags & (ACK | RST):
        # A segment for a listener that is not a SYN and matches no pending request.
        answer = None if pkt.flags & RST else replies.tcp_reset(pkt)
        j.step("socket", Verdict.DROP, "sock.listener_bad_segment", view=_socket_view(j, listener),
               drop_reason=DropReason.TCP_FLAGS)
        j.emit(answer)
        raise j.stop(Disposition.DROPPED, DropReason.TCP_FLAGS)
    if len(listener.accept_queue) > listener.backlog:
        j.step("socket", Verdict.DROP, "sock.accept_queue_full", params={"backlog": listener.backlog,
               "queued": len(listener.accept_queue)}, view=_socket_view(j, listener),
               drop_reason=DropReason.TCP_LISTEN_OVERFLOW)
        raise j.stop(Disposition.DROPPED, DropReason.TCP_LISTEN_OVERFLOW)
    max_syn = host.sysctl.int("net.ipv4.tcp_max_syn_backlog")
    cookie = len(listener.syn_queue) >= max(listener.backlog, max_syn)
    if cookie and not host.sysctl.int("net.ipv4.tcp_syncookies"):
        j.step("socket", Verdict.DROP, "sock.syn_queue_full", view=_socket_view(j, listener),
               drop_reason=DropReason.TCP_LISTEN_OVERFLOW)
        raise j.stop(Disposition.DROPPED, DropReason.TCP_LISTEN_OVERFLOW)
    isn = _isn(host, pkt)
    if not cookie:
        child = Socket("tcp", local, peer, "SYN-RECV", pid=listener.pid, parent=listener,
                       reuseaddr=listener.reuseaddr, send_q=isn)
        listener.syn_queue.append(child)
    j.step("socket", Verdict.DELIVER, "sock.syn_queued" if not cookie else "sock.syncookie",
           params={"owner": _owner(j, listener), "queued": len(listener.syn_queue)},
           view=_socket_view(j, listener))
    j.delivered_to = _owner(j, listener)
    j.emit(replies.syn_ack(pkt, isn))
    raise j.stop(Disposition.DELIVERED)


def _isn(host: Host, pkt: Packet) -> int:
    """A deterministic initial sequence number (the kernel's is a keyed hash of the 4-tuple)."""
    return (pkt.src * 2654435761 + pkt.sport * 40503 + pkt.dport + int(host.clock * 1000)) & 0xFFFFFFFF


def _tcp_established(j: _Journey, sock: Socket) -> None:
    host, pkt = j.host, j.flow.pkt
    table = host.sockets
    listener = sock.parent
    if pkt.flags & RST:
        _drop_child(j, sock)
        j.step("socket", Verdict.DELIVER, "sock.rst_received", params={"owner": _owner(j, sock)},
               view=_socket_view(j, sock))
        j.delivered_to = _owner(j, sock)
        raise j.stop(Disposition.DELIVERED)
    if sock.state == "SYN-RECV" and listener is not None:
        if not pkt.flags & ACK:
            j.step("socket", Verdict.DROP, "sock.listener_bad_segment", view=_socket_view(j, listener),
                   drop_reason=DropReason.TCP_FLAGS)
            raise j.stop(Disposition.DROPPED, DropReason.TCP_FLAGS)
        if len(listener.accept_queue) > listener.backlog:
            # tcp_check_req() with a full accept queue: the ACK is dropped, the request stays.
            j.step("socket", Verdict.DROP, "sock.accept_queue_full_ack", params={"backlog": listener.backlog},
                   view=_socket_view(j, listener), drop_reason=DropReason.TCP_LISTEN_OVERFLOW)
            raise j.stop(Disposition.DROPPED, DropReason.TCP_LISTEN_OVERFLOW)
        listener.syn_queue.remove(sock)
        sock.state, sock.send_q = "ESTAB", 0
        sock.recv_q += pkt.payload_len
        listener.accept_queue.append(sock)
        j.step("socket", Verdict.DELIVER, "sock.handshake_done", params={"owner": _owner(j, listener),
               "queued": len(listener.accept_queue), "backlog": listener.backlog},
               view=_socket_view(j, listener))
        j.delivered_to = _owner(j, listener)
        _app_accept(j, listener)
        raise j.stop(Disposition.DELIVERED)
    sock.recv_q += pkt.payload_len
    j.step("socket", Verdict.DELIVER, "sock.segment", params={"owner": _owner(j, sock), "bytes": pkt.payload_len},
           view=_socket_view(j, sock))
    j.delivered_to = _owner(j, sock)
    if pkt.flags & FIN:
        sock.state = "CLOSE-WAIT" if sock.state == "ESTAB" else sock.state
        j.emit(replies.tcp_ack(pkt, seq=pkt.ack_seq))
        proc = table.processes.get(sock.pid) if sock.pid is not None else None
        if proc is not None and not proc.leaks and proc.alive:
            j.step("app", Verdict.DELIVER, "app.close", params={"app": proc.name})
            table.close(sock, host.clock, active=True)
            j.emit(replies.tcp_ack(pkt, seq=pkt.ack_seq, flags=FIN | ACK))
        elif proc is not None:
            j.step("app", Verdict.DELIVER, "app.leak_close_wait", params={"app": proc.name, "fd": sock.fd})
    elif pkt.payload_len:
        j.emit(replies.tcp_ack(pkt, seq=pkt.ack_seq))
        proc = table.processes.get(sock.pid) if sock.pid is not None else None
        if proc is not None:
            j.step("app", Verdict.DELIVER, "app.recv", params={"app": proc.name, "bytes": sock.recv_q})
            sock.recv_q = 0
    raise j.stop(Disposition.DELIVERED)


def _drop_child(j: _Journey, sock: Socket) -> None:
    table = j.host.sockets
    listener = sock.parent
    if listener is not None:
        for queue in (listener.syn_queue, listener.accept_queue):
            if sock in queue:
                queue.remove(sock)
    if sock in table.sockets:
        table.close(sock, j.host.clock, active=False)


def _app_accept(j: _Journey, listener: Socket) -> None:
    """The application's accept(): a new fd, or EMFILE at RLIMIT_NOFILE (the connection waits)."""
    table = j.host.sockets
    proc = table.processes.get(listener.pid) if listener.pid is not None else None
    if proc is None or not proc.alive or not proc.auto_accept:
        j.step("app", Verdict.SKIP, "app.not_accepting", params={"app": proc.name if proc else "-"})
        return
    _accept_pending(j.host, listener)
    if listener.accept_queue:
        j.step("app", Verdict.DROP, "app.emfile", params={"app": proc.name, "limit": proc.nofile,
               "queued": len(listener.accept_queue)}, view=_socket_view(j, listener))
        return
    j.step("app", Verdict.DELIVER, "app.accept", params={"app": proc.name}, view=_socket_view(j, listener))


def _accept_pending(host: Host, listener: Socket) -> int:
    """accept() everything queued that the process has fds for; return how many."""
    table = host.sockets
    proc = table.processes.get(listener.pid) if listener.pid is not None else None
    if proc is None:
        return 0
    accepted = 0
    while listener.accept_queue:
        child = listener.accept_queue[0]
        try:
            child.fd = proc.alloc_fd(child)
        except SocketError:
            break
        listener.accept_queue.pop(0)
        child.parent = None
        child.pid = proc.pid
        table.sockets.append(child)
        accepted += 1
    return accepted


def _udp_rcv(j: _Journey) -> None:
    """__udp4_lib_rcv(): a bound socket gets the datagram; else ICMP port unreachable."""
    host, pkt = j.host, j.flow.pkt
    sock = host.sockets.lookup_listener("udp", pkt.dst, pkt.dport)
    if sock is None:
        answer = None
        if host.addr_type(pkt.dst) not in ("BROADCAST", "MULTICAST"):
            answer = replies.icmp_error(host, pkt, ICMP_DEST_UNREACH, 3, pkt.dst)
        _no_socket(j, "sock.udp_closed", answer)
        return
    sock.recv_q += pkt.payload_len
    j.step("socket", Verdict.DELIVER, "sock.udp_queued", params={"owner": _owner(j, sock)},
           view=_socket_view(j, sock))
    j.delivered_to = _owner(j, sock)
    proc = host.sockets.processes.get(sock.pid) if sock.pid is not None else None
    if proc is not None and proc.auto_accept:
        j.step("app", Verdict.DELIVER, "app.recvfrom", params={"app": proc.name, "bytes": pkt.payload_len})
        sock.recv_q = 0
    raise j.stop(Disposition.DELIVERED)


def _icmp_rcv(j: _Journey) -> None:
    """icmp_rcv(): echo requests are answered by the kernel; errors go to the socket they concern."""
    host, pkt = j.host, j.flow.pkt
    j.delivered_to = "kernel (icmp_rcv)"
    if pkt.icmp_type == ICMP_ECHO_REQUEST:
        ignore = host.sysctl.int("net.ipv4.icmp_echo_ignore_all")
        if ignore:
            j.step("socket", Verdict.DROP, "icmp.echo_ignored", drop_reason=DropReason.NOT_SPECIFIED)
            raise j.stop(Disposition.DROPPED, DropReason.NOT_SPECIFIED)
        j.step("socket", Verdict.DELIVER, "icmp.echo")
        j.emit(replies.echo_reply(pkt))
        raise j.stop(Disposition.DELIVERED)
    j.step("socket", Verdict.DELIVER, "icmp.error_to_socket" if pkt.is_icmp_error else "icmp.other",
           params={"type": pkt.icmp_type, "code": pkt.icmp_code})
    raise j.stop(Disposition.DELIVERED)
