"""NAT bindings on conntrack entries, and rewriting packets from them (nf_nat_core.c).

The nat table is consulted once per connection and manip type: the first packet's verdict binds
the entry (or leaves a null binding). Every later packet in either direction is rewritten from
the entry alone, at the hook that owns its manip type: destination at PREROUTING/OUTPUT,
source at POSTROUTING/INPUT. Replies get the inverse rewrite, which is how un-NAT happens.
"""

from __future__ import annotations

from .conntrack import Conntrack, CtEntry, invert
from .netfilter.api import CtTuple, Hook, NatAction
from .packet import IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Packet

DST_HOOKS = (Hook.PREROUTING, Hook.OUTPUT)
SRC_HOOKS = (Hook.POSTROUTING, Hook.INPUT)


def manip_type(hook: Hook) -> str:
    """`DST` for PREROUTING/OUTPUT, `SRC` for POSTROUTING/INPUT (HOOK2MANIP)."""
    return "DST" if hook in DST_HOOKS else "SRC"


def needs_table(entry: CtEntry | None, ct_state: str, hook: Hook) -> bool:
    """Whether the nat table must be traversed: a new connection not yet bound for this manip."""
    return entry is not None and ct_state == "NEW" and manip_type(hook) not in entry.nat_done


def bind(entry: CtEntry, action: NatAction | None, hook: Hook, *, new_addr: int | None,
         conntrack: Conntrack, now: float) -> str | None:
    """Bind the entry for this hook's manip type; return a description of the mapping, if any.

    `new_addr` is the address the target resolved to (MASQUERADE and REDIRECT depend on the
    interface, which the caller knows). Without an action this is a null binding.
    """
    manip = manip_type(hook)
    entry.set_nat_done(manip)
    if action is None or new_addr is None:
        if manip == "SRC":
            _avoid_clash(entry, conntrack, now)
        return None
    # The tuple the original direction will have after this manip: invert(reply) with the change.
    current = invert(entry.reply)
    if manip == "DST":
        port = _pick_port(current.dport, action)
        target = CtTuple(current.proto, current.src, new_addr, current.sport, port)
    else:
        port = _unique_source_port(current, new_addr, action, conntrack, now)
        target = CtTuple(current.proto, new_addr, current.dst, port, current.dport)
    if target != current:
        # nf_nat_setup_info(): the NAT status bit (and so the rewriting of this connection's packets
        # and ICMP errors) only when the mapping changes the tuple; a DNAT to the address the
        # packet already has is a binding that rewrites nothing.
        entry.set_status("DST_NAT" if manip == "DST" else "SRC_NAT")
        entry.reply = invert(target)
    return f"{action.kind} {manip.lower()} → {_endpoint(target, manip)}"


_NULL_SNAT = NatAction("SNAT")


def _avoid_clash(entry: CtEntry, conntrack: Conntrack, now: float) -> None:
    """nf_nat_alloc_null_binding() -> get_unique_tuple(): even without a NAT rule, a connection whose
    reply tuple another connection already holds (a mirror of it, say) gets a free source port in
    the port's range. The kernel picks that port at random; the model takes the first free one."""
    current = invert(entry.reply)
    hit = conntrack.find(entry.reply, now)
    if hit is None or hit[0] is entry or current.proto not in (IPPROTO_TCP, IPPROTO_UDP):
        return
    port = _unique_source_port(current, current.src, _NULL_SNAT, conntrack, now)
    if port != current.sport:
        entry.set_status("SRC_NAT")
        entry.reply = invert(CtTuple(current.proto, current.src, current.dst, port, current.dport))


def _endpoint(t: CtTuple, manip: str) -> str:
    from .addr import format_ipv4

    addr, port = (t.dst, t.dport) if manip == "DST" else (t.src, t.sport)
    if t.proto == IPPROTO_ICMP or not port:
        return format_ipv4(addr)
    return f"{format_ipv4(addr)}:{port}"


def _pick_port(port: int, action: NatAction) -> int:
    if action.port_min is None:
        return port
    if action.port_min <= port <= (action.port_max or action.port_min) and action.kind != "DNAT":
        return port
    return action.port_min


def _unique_source_port(target: CtTuple, new_addr: int, action: NatAction, conntrack: Conntrack,
                        now: float) -> int:
    """nf_nat_l4proto_unique_tuple(): keep the port when the new tuple is free, else search the range."""
    if target.proto == IPPROTO_ICMP:
        return target.sport
    low, high = action.port_min, action.port_max
    if low is None:
        port = target.sport
        if port < 512:
            low, high = 1, 511
        elif port < 1024:
            low, high = 600, 1023
        else:
            low, high = 1024, 65535
    high = high or low
    candidates = [target.sport] if low <= target.sport <= high else []
    candidates += [p for p in range(low, high + 1) if p != target.sport][:4096]
    for port in candidates:
        reply = invert(CtTuple(target.proto, new_addr, target.dst, port, target.dport))
        if conntrack.find(reply, now) is None:
            return port
    return candidates[0] if candidates else target.sport


def rewrite(pkt: Packet, entry: CtEntry, direction: str, hook: Hook) -> Packet:
    """Apply the entry's NAT to a packet at this hook (nf_nat_packet), or return it unchanged."""
    manip = manip_type(hook)
    if direction == "ORIGINAL":
        wanted = "DST_NAT" if manip == "DST" else "SRC_NAT"
    else:
        wanted = "SRC_NAT" if manip == "DST" else "DST_NAT"
    if wanted not in entry.status:
        return pkt
    goal = invert(entry.reply if direction == "ORIGINAL" else entry.orig)
    if pkt.is_icmp_error and pkt.inner is not None:
        # nf_nat_icmp_reply_translation(): the outer header and the quoted one both change.
        outer = pkt.replace(dst=goal.dst) if manip == "DST" else pkt.replace(src=goal.src)
        inner = pkt.inner
        if manip == "DST":
            inner = inner.replace(src=goal.dst, sport=goal.dport if inner.sport else inner.sport)
        else:
            inner = inner.replace(dst=goal.src, dport=goal.sport if inner.dport else inner.dport)
        return outer.replace(inner=inner)
    if pkt.proto == IPPROTO_ICMP:
        if manip == "DST":
            return pkt.replace(dst=goal.dst)
        return pkt.replace(src=goal.src, icmp_id=goal.sport)
    if manip == "DST":
        return pkt.replace(dst=goal.dst, dport=goal.dport)
    return pkt.replace(src=goal.src, sport=goal.sport)
