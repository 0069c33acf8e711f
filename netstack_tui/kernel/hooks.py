"""Netfilter hooks as the stack runs them: iptables tables, nft base chains, conntrack, NAT, confirmation.

At each hook the entries run in priority order, as nf_register_net_hook() sorts them: the iptables
tables at their fixed priorities (raw -300, mangle -150, filter 0, security 150 as iptables-nft has
it), conntrack at -200, the NAT core at -100/100 (which consults iptables nat and every nft nat
chain of the hook, in their own priority order, until one binds), confirmation last, and each nft
filter/route base chain at its own priority. Equal priorities run in registration order. An accept ends one entry only.
"""

from __future__ import annotations

import functools

from . import cost, nat, replies
from .addr import format_ipv4
from .conntrack import CtEntry
from .host import Host
from .journey import HOOK_TABLES, Journey
from .netfilter.api import Hook, MatchContext, TableVerdict
from .netfilter.connbytes import FORCE_ACCT
from .nftables import evaluate as nft_eval
from .nftables.model import Chain as NftChain
from .nftables.model import Table as NftTable
from .packet import IPPROTO_ICMP, Packet
from .routes import answer_source, reroute
from .stages import BRIDGED_PREFIX, STAGE_BY_ID, STAGES, Path
from .trace import (
    ChainView,
    Change,
    ConntrackView,
    Disposition,
    DropReason,
    Verdict,
)

FIXED_PRIORITY = {"conntrack": -200, "confirm": 2**31 - 1}

_STAGE_IDS: dict[tuple[Hook, str], str] = {}


def stage_id(hook: Hook, table: str) -> str:
    """`prerouting.nat` and the like (looked up, not formatted: every hook of every flood packet asks)."""
    found = _STAGE_IDS.get((hook, table))
    if found is None:
        found = _STAGE_IDS[(hook, table)] = f"{hook.value.lower()}.{table}"
    return found


def _sid(j: Journey, hook: Hook, table: str) -> str:
    """The stage a hook's entry is drawn at: br_netfilter's own (`bridge.forward.filter`) while it
    runs the IPv4 hooks for a bridged frame, the IP stack's otherwise."""
    nf_bridge = j.flow.nf_bridge
    if nf_bridge is not None and nf_bridge.hooking:
        return BRIDGED_PREFIX + stage_id(hook, table)
    return stage_id(hook, table)


def _entry_priority(hook: Hook, table: str) -> int:
    if table in FIXED_PRIORITY:
        return FIXED_PRIORITY[table]
    prio = STAGE_BY_ID[stage_id(hook, table)].priority
    assert prio is not None
    return prio


def hook_entries(host: Host, hook: Hook) -> list[tuple[str, NftTable | None, NftChain | None]]:
    """What runs at `hook`, in order: (`iptables table`, None, None) or (`nft`, table, chain).

    nft nat chains are not entries of their own: the NAT core's entry (`nat`) runs them.
    """
    stamp = host.nft.generation
    found = host.derived.get(hook)
    if found is not None and found[0] == stamp:
        return found[1]  # type: ignore[return-value]
    entries = _hook_entries(host, hook)
    host.derived[hook] = (stamp, entries)
    return entries


def _hook_entries(host: Host, hook: Hook) -> list[tuple[str, NftTable | None, NftChain | None]]:
    entries: list[tuple[int, int, str, NftTable | None, NftChain | None]] = [
        (_entry_priority(hook, name), index, name, None, None) for index, name in enumerate(HOOK_TABLES[hook])
    ]
    for table, chain in host.nft.base_chains(hook.value.lower()):
        assert chain.base is not None
        if chain.base.type != "nat":
            entries.append((chain.base.priority, chain.seq, "nft", table, chain))

    def order(a: tuple[int, int, str, NftTable | None, NftChain | None],
              b: tuple[int, int, str, NftTable | None, NftChain | None]) -> int:
        if a[0] != b[0]:
            return -1 if a[0] < b[0] else 1
        if a[4] is None and b[4] is None:
            return a[1] - b[1]
        if a[4] is not None and b[4] is not None:
            return b[1] - a[1]  # two nft chains at one priority: the newest hook runs first
        # An iptables table and an nft chain at one priority: whichever registered its hook first.
        ipt, chain, sign = (a, b[4], -1) if a[4] is None else (b, a[4], 1)
        assert chain is not None
        return sign if ipt[2] in chain.registered_after else -sign

    entries.sort(key=functools.cmp_to_key(order))
    return [(name, table, chain) for _, _, name, table, chain in entries]


def registered_now(host: Host) -> frozenset[str]:
    """iptables tables (and `conntrack`) whose hooks exist now (a new nft chain registers after them)."""
    names = {name for name, table in host.iptables.tables.items() if table.touched}
    if conntrack_enabled(host):
        names.add("conntrack")
    return frozenset(names)


def run_hook(j: Journey, hook: Hook) -> None:
    """Every entry registered at `hook`, in priority order (nf_hook_slow)."""
    record = j.record
    nf_bridge = j.flow.nf_bridge
    if hook == Hook.PREROUTING and nf_bridge is not None and nf_bridge.prerouting_done and not nf_bridge.hooking:
        # ip_sabotage_in(): br_netfilter already ran PREROUTING for this frame on the bridge.
        j.step(stage_id(hook, HOOK_TABLES[hook][0]), Verdict.SKIP, "brnf.sabotage", cost_ns=0,
               params={"port": nf_bridge.physin})
        return
    tables = j.host.iptables.tables
    for name, table, chain in hook_entries(j.host, hook):
        if name == "conntrack":
            _conntrack_in(j, hook)
        elif name == "confirm":
            _confirm(j, hook)
        elif name == "nat":
            _nat_table(j, hook)
        elif name == "nft":
            assert table is not None and chain is not None
            _nft_chain(j, hook, table, chain)
        elif record or tables[name].touched:
            _filter_table(j, hook, name)
        # else: a batch run skips an unused table without a step (a later entry of this hook or
        # the next stage always records one, so it cannot be where the journey ends)


def _context(j: Journey, hook: Hook) -> MatchContext:
    f = j.flow
    entry = f.ct
    if f.notrack:
        state = "UNTRACKED"
    elif not f.ct_looked_up and not f.related_attached:
        # Before conntrack (-200) the skb has no entry, which state/conntrack matches read as INVALID.
        state, entry = "INVALID", None
    else:
        state = f.ct_state
    return MatchContext(
        hook=hook,
        now=j.host.clock,
        ct_state=state,
        ct_status=entry.status if entry is not None else frozenset(),
        ct_dir=f.ct_dir,
        ct_orig=entry.orig if entry is not None else None,
        ct_reply=entry.reply if entry is not None else None,
        ct_mark=entry.mark if entry is not None else 0,
        ct_expire=entry.expires_in(j.host.clock) if entry is not None and entry.id else 0,
        ct_acct=entry.acct if entry is not None else None,
        addr_type=j.host.addr_type,
        in_mac=_in_mac(j),
        physdev=(f.nf_bridge.physin, f.nf_bridge.physout) if f.nf_bridge is not None else None,
        rules=j.host.iptables.state,
        host=j.host,
    )


def _in_mac(j: Journey) -> str | None:
    """The receiving device's MAC, or None for a locally sent packet."""
    iface = j.host.interfaces.get(j.flow.pkt.iif or "")
    return iface.mac if iface is not None else None


def _table_active(j: Journey, table: str) -> bool:
    """iptables-nft registers a table's hooks only once the table is used."""
    return bool(j.host.iptables.tables[table].touched)


# Extensions whose checkentry calls nf_ct_netns_get(): conntrack runs in a namespace only while a
# rule like these exists (measured: a nat table with only counting rules never sees a packet).
CONNTRACK_MATCHES = frozenset({"state", "conntrack", "connmark", "connlimit", "connbytes", "helper", "cluster"})
CONNTRACK_TARGETS = frozenset({"DNAT", "SNAT", "MASQUERADE", "REDIRECT", "NETMAP", "CT", "CONNMARK", "CONNSECMARK"})
"""NOTRACK and `CT --notrack` are not among them: xt_ct_tg_check() returns before nf_ct_netns_get()."""


def conntrack_enabled(host: Host) -> bool:
    """Whether any rule makes this namespace load connection tracking."""
    stamp = (host.iptables.generation, host.nft.generation)
    found = host.derived.get("conntrack_enabled")
    if found is not None and found[0] == stamp:
        return bool(found[1])
    enabled = _conntrack_enabled(host)
    host.derived["conntrack_enabled"] = (stamp, enabled)
    return enabled


def _conntrack_enabled(host: Host) -> bool:
    for table in host.iptables.tables.values():
        for chain in table.chains.values():
            for entry in chain.entries:
                rule = entry.rule
                if (rule.target is not None and rule.target.name in CONNTRACK_TARGETS
                        and not getattr(rule.target, "notrack", False)):
                    return True
                if any(m.name in CONNTRACK_MATCHES for m in rule.matches):
                    return True
    return host.nft.uses_conntrack()


def _traverse(j: Journey, hook: Hook, table: str) -> TableVerdict:
    ruleset = j.host.iptables
    result: TableVerdict = ruleset.traverse(table, hook.value, j.flow.pkt, _context(j, hook), record=j.record)
    for line in result.logs:
        j.host.log(line)
    return result


def _nf_step(
    j: Journey,
    hook: Hook,
    table: str,
    result: TableVerdict,
    verdict: Verdict,
    note: str,
    drop_reason: DropReason | None = None,
    params: dict[str, object] | None = None,
    changes: tuple[Change, ...] = (),
    nft: tuple[NftTable, NftChain] | None = None,
) -> None:
    if not j.record:
        j.last = (_sid(j, hook, table), nft_eval.label(nft[0]) if nft is not None else table,
                  result.decided_chain, result.decided_index)
        j.last_packet = j.flow.pkt
        return
    label = table
    view: ChainView
    if nft is not None:
        view = nft_eval.chain_view(nft[0], nft[1], result.evaluations)
        label = nft_eval.label(nft[0])
    else:
        view = j.host.iptables.chain_view(table, hook.value, result.evaluations, result.visited)
    j.step(
        _sid(j, hook, table),
        verdict,
        note,
        params=params,
        changes=changes,
        view=view,
        cost_ns=cost.netfilter_cost(len(result.evaluations)),
        drop_reason=drop_reason,
        table=label,
        chain=result.decided_chain,
        rule_index=result.decided_index,
        rule=result.decided_rule,
        tested=result.evaluations,
    )


def _filter_table(j: Journey, hook: Hook, table: str) -> None:
    stage = _sid(j, hook, table)
    if not _table_active(j, table):
        j.step(stage, Verdict.SKIP, "nf.table_unused", params={"table": table}, cost_ns=0)
        return
    before = j.flow.pkt
    result = _traverse(j, hook, table)
    j.flow.pkt = result.packet
    changes = _packet_changes(before, result.packet) if result.packet is not before else ()
    if result.notrack and not (j.flow.related_attached or j.flow.nfct_set):
        # xt_ct_target(): a packet that already holds a conntrack reference is left alone.
        j.flow.notrack = True
        j.flow.ct, j.flow.ct_state = None, "UNTRACKED"
    if result.ct_mark is not None and j.flow.ct is not None:
        j.flow.ct.mark = result.ct_mark
    if result.verdict == "DROP":
        _nf_drop(j, hook, table, result, changes)
    where = "policy" if result.decided_index is None else f"rule {result.decided_index}"
    _nf_step(j, hook, table, result, Verdict.ACCEPT, "nf.accept", params={"where": where}, changes=changes)
    if hook == Hook.OUTPUT and (changes and any(c.what in ("mark", "dst") for c in changes)):
        reroute(j)


def _nf_drop(j: Journey, hook: Hook, table: str, result: TableVerdict, changes: tuple[Change, ...],
             nft: tuple[NftTable, NftChain] | None = None, where: str | None = None) -> None:
    if where is None:
        where = "policy" if result.decided_index is None else f"rule {result.decided_index}"
    if result.reject is not None:
        _nf_step(
            j,
            hook,
            table,
            result,
            Verdict.REJECT,
            "nf.reject",
            params={"where": where, "with": result.reject},
            changes=changes,
            drop_reason=DropReason.NETFILTER_DROP,
            nft=nft,
        )
        _send_reject(j, result.reject, hook)
        raise j.stop(Disposition.REJECTED, DropReason.NETFILTER_DROP)
    _nf_step(
        j,
        hook,
        table,
        result,
        Verdict.DROP,
        "nf.drop",
        params={"where": where},
        changes=changes,
        drop_reason=DropReason.NETFILTER_DROP,
        nft=nft,
    )
    raise j.stop(Disposition.DROPPED, DropReason.NETFILTER_DROP)


def _packet_changes(before: Packet, after: Packet) -> tuple[Change, ...]:
    out: list[Change] = []
    if before.mark != after.mark:
        out.append(Change("mark", f"{before.mark:#x}", f"{after.mark:#x}"))
    if before.dst != after.dst or before.dport != after.dport:
        out.append(
            Change("dst", f"{format_ipv4(before.dst)}:{before.dport}", f"{format_ipv4(after.dst)}:{after.dport}")
        )
    if before.src != after.src or before.sport != after.sport:
        out.append(
            Change("src", f"{format_ipv4(before.src)}:{before.sport}", f"{format_ipv4(after.src)}:{after.sport}")
        )
    if before.ttl != after.ttl:
        out.append(Change("ttl", str(before.ttl), str(after.ttl)))
    if before.tos != after.tos:
        out.append(Change("tos", f"{before.tos:#04x}", f"{after.tos:#04x}"))
    return tuple(out)


def _send_reject(j: Journey, with_type: str, hook: Hook) -> None:
    """REJECT's answer: nf_send_reset() or nf_send_unreach(); the answer is RELATED to the entry."""
    pkt = j.flow.pkt
    if with_type == "tcp-reset":
        answer = replies.tcp_reset(pkt)
    elif hook == Hook.OUTPUT and pkt.proto == IPPROTO_ICMP and j.flow.owner is None:
        # The stack sends its own ICMP (echo replies, errors) from the per-CPU ICMP socket and
        # holds that socket's lock while the packet runs through OUTPUT: icmp_send() cannot
        # take it (icmp_xmit_lock) and nothing is sent.
        return
    else:
        src = pkt.dst if j.host.is_local(pkt.dst) else answer_source(j, pkt)
        answer = replies.reject_icmp(j.host, pkt, with_type, src)
    j.emit_related(answer)


# ---- nftables base chains ---------------------------------------------------------------------------


def nft_stage(hook: Hook, priority: int) -> str:
    """The stage an nft chain is drawn at: the iptables table's of the nearest priority on this hook."""
    best: tuple[int, int, str] | None = None
    for stage in STAGES:
        if (stage.hook == hook.value and stage.table is not None and stage.priority is not None
                and stage.path != Path.BRIDGE):
            key = (abs(stage.priority - priority), stage.priority, stage.id)
            if best is None or key < best:
                best = key
    assert best is not None
    return best[2]


def _nft_where(chain: NftChain, table: NftTable, result: TableVerdict) -> str:
    label = f"{nft_eval.label(table)} {chain.name}"
    if result.decided_index is None:
        return f"{label}: policy {chain.base.policy if chain.base else 'accept'}"
    rules = table.chains[result.decided_chain].rules
    handle = rules[result.decided_index - 1].handle if result.decided_index <= len(rules) else 0
    where = f"{label}: rule {result.decided_index}, handle {handle}"
    if result.decided_chain != chain.name:
        where += f" in chain {result.decided_chain}"
    return where


def _nft_traverse(j: Journey, hook: Hook, table: NftTable, chain: NftChain) -> TableVerdict:
    result = nft_eval.traverse(table, chain, j.flow.pkt, _context(j, hook))
    for line in result.logs:
        j.host.log(line)
    return result


def _nft_chain(j: Journey, hook: Hook, table: NftTable, chain: NftChain) -> None:
    """One nft filter/route base chain (nft_do_chain_ipv4/inet); accept passes to the next entry."""
    assert chain.base is not None
    stage_table = nft_stage(hook, chain.base.priority).split(".", 1)[1]
    f = j.flow
    before = f.pkt
    result = _nft_traverse(j, hook, table, chain)
    f.pkt = result.packet
    changes = _packet_changes(before, f.pkt)
    if result.notrack and f.ct is None and not f.ct_looked_up and not f.nfct_set:
        # nft_notrack_eval(): only a packet without an entry yet can be marked untracked.
        f.notrack = True
        f.ct, f.ct_state = None, "UNTRACKED"
    if result.ct_mark is not None and f.ct is not None:
        f.ct.mark = result.ct_mark
    where = _nft_where(chain, table, result)
    nft = (table, chain)
    if result.verdict == "DROP":
        _nf_drop(j, hook, stage_table, result, changes, nft=nft, where=where)
    _nf_step(j, hook, stage_table, result, Verdict.ACCEPT, "nf.accept", params={"where": where}, changes=changes,
             nft=nft)
    if chain.base.type == "route" and hook == Hook.OUTPUT and any(c.what in ("mark", "dst", "src") for c in changes):
        reroute(j)


# ---- conntrack ---------------------------------------------------------------------------------------


def _sysctl_ints(host: Host) -> dict[str, int]:
    """The net.netfilter.* sysctls as ints, keyed without the prefix (cached until a sysctl changes)."""
    stamp = host.sysctl.generation
    found = host.derived.get("netfilter_sysctls")
    if found is not None and found[0] == stamp:
        return found[1]  # type: ignore[return-value]
    values = _read_sysctl_ints(host)
    host.derived["netfilter_sysctls"] = (stamp, values)
    return values


def _read_sysctl_ints(host: Host) -> dict[str, int]:
    snap = host.sysctl.snapshot()
    out: dict[str, int] = {}
    for key, value in snap.items():
        if key.startswith("net.netfilter."):
            try:
                out[key[len("net.netfilter.") :]] = int(value)
            except ValueError:
                pass
    return out


def _conntrack_in(j: Journey, hook: Hook) -> None:
    stage = _sid(j, hook, "conntrack")
    f, host = j.flow, j.host
    ct_table = host.conntrack
    if f.notrack:
        j.step(
            stage,
            Verdict.SKIP,
            "ct.notrack",
            cost_ns=0,
            view=(ConntrackView(None, "UNTRACKED", False, ct_table.count(host.clock), _ct_max(host))
                  if j.record else None),
        )
        return
    if not conntrack_enabled(host):
        f.ct, f.ct_state = None, "UNTRACKED"
        f.notrack = True
        j.step(stage, Verdict.SKIP, "ct.not_loaded", cost_ns=0)
        return
    if f.loopback_ct and hook == Hook.PREROUTING:
        j.step(stage, Verdict.SKIP, "ct.loopback_kept", cost_ns=0, params={"state": f.ct_state})
        return
    if f.related_attached:
        j.step(
            stage,
            Verdict.PASS,
            "ct.attached_related",
            cost_ns=0,
            view=ConntrackView(None, "RELATED", False, ct_table.count(host.clock), _ct_max(host)) if j.record else None,
        )
        return
    result = ct_table.classify(f.pkt, host.clock, _sysctl_ints(host))
    f.ct, f.ct_state, f.ct_dir, f.ct_new = result.entry, result.state, result.direction, result.new
    f.ct_looked_up = True
    if result.new and result.entry is not None:
        if not _ct_reserve(j):
            # nf_conntrack_in() returns NF_DROP when __nf_conntrack_alloc() fails, and nf_hook_slow()
            # frees the skb with NETFILTER_DROP; `conntrack -S` counts it under drop=.
            j.step(
                stage,
                Verdict.DROP,
                "ct.table_full",
                params={"max": _ct_max(host)},
                cost_ns=cost.CONNTRACK_CREATE_NS,
                drop_reason=DropReason.NETFILTER_DROP,
                view=ConntrackView(None, "NEW", False, ct_table.count(host.clock), _ct_max(host)) if j.record else None,
            )
            raise j.stop(Disposition.DROPPED, DropReason.NETFILTER_DROP)
    entry = result.entry
    if entry is not None and result.state != "RELATED":
        _account(host, entry, result.new, f.ct_dir, f.pkt.length)
    j.step(
        stage,
        Verdict.PASS,
        f"ct.{result.state.lower()}",
        params={"state": result.state, "dir": result.direction} if j.record else None,
        cost_ns=cost.CONNTRACK_CREATE_NS if result.new else cost.CONNTRACK_LOOKUP_NS,
        view=ConntrackView(
            entry.describe(host.clock) if entry is not None else None,
            result.state,
            result.new,
            ct_table.count(host.clock),
            _ct_max(host),
        ) if j.record else None,
    )


def _account(host: Host, entry: CtEntry, new: bool, direction: str, length: int) -> None:
    """nf_ct_acct_update() in nf_conntrack_in(): counters exist on entries made while accounting was on
    (a connbytes rule turns it on for the namespace, as connbytes_mt_check() does)."""
    if new:
        if not _sysctl_ints(host).get("nf_conntrack_acct") and host.iptables.state.per_rule.get(FORCE_ACCT):
            host.sysctl.set("net.netfilter.nf_conntrack_acct", "1")
        if _sysctl_ints(host).get("nf_conntrack_acct"):
            entry.acct = (0, 0, 0, 0)
    entry.account(direction, length)


def _ct_max(host: Host) -> int:
    return host.sysctl.int("net.netfilter.nf_conntrack_max")


def _ct_reserve(j: Journey) -> bool:
    """__nf_conntrack_alloc(): room for one more entry, after early_drop if the table is full."""
    host = j.host
    ct = host.conntrack
    limit = _ct_max(host)
    if limit and ct.count(host.clock) >= limit:
        victim = ct.first_unassured(host.clock)
        if victim is None:
            ct.stats["drop"] += 1
            ct.dropped_full += 1
            host.log("nf_conntrack: nf_conntrack: table full, dropping packet")
            return False
        ct.remove(victim)
        ct.stats["early_drop"] += 1
    return True




def _confirm(j: Journey, hook: Hook) -> None:
    stage = _sid(j, hook, "confirm")
    f, host = j.flow, j.host
    if f.ct is None or f.notrack or f.related_attached:
        j.step(stage, Verdict.SKIP, "ct.confirm_none", cost_ns=0)
        return
    if not f.ct_new:
        j.step(stage, Verdict.SKIP, "ct.already_confirmed", cost_ns=0,
               params={"state": f.ct.tcp_state or f.ct_state} if j.record else None)
        return
    host.conntrack.confirm(f.ct, host.clock, _sysctl_ints(host))
    f.ct_new = False
    params: dict[str, object] = {"state": f.ct.tcp_state or f.ct_state}
    changes = ()
    j.step(
        stage,
        Verdict.PASS,
        "ct.confirmed",
        params=params,
        changes=changes,
        cost_ns=40,
        view=ConntrackView(
            f.ct.describe(host.clock), f.ct_state, False, host.conntrack.count(host.clock), _ct_max(host)
        ) if j.record else None,
    )


# ---- NAT ---------------------------------------------------------------------------------------------


def _nat_table(j: Journey, hook: Hook) -> None:
    stage = _sid(j, hook, "nat")
    f = j.flow
    if f.notrack or f.ct is None:
        j.step(stage, Verdict.SKIP, "nat.untracked", cost_ns=0)
        return
    if (f.related_attached or f.ct_state == "RELATED") and f.pkt.proto == IPPROTO_ICMP:
        before = f.pkt
        f.pkt = nat.rewrite(f.pkt, f.ct, f.ct_dir, hook)
        j.step(stage, Verdict.SKIP, "nat.related", changes=_packet_changes(before, f.pkt), cost_ns=10)
        if hook == Hook.OUTPUT and f.pkt.dst != before.dst:
            reroute(j)  # an error our own NAT sends back to this host goes out over lo
        return
    if f.related_attached or f.ct_state == "RELATED":
        # nf_nat_inet_fn(): a RELATED packet that is not ICMP (REJECT's RST) falls through to the
        # NEW case: the nat chain runs if its connection has no binding for this manip yet.
        first = nat.manip_type(hook) not in f.ct.nat_done
    else:
        first = nat.needs_table(f.ct, f.ct_state, hook)
    chains = _nat_chains(j, hook) if first else []
    if chains:
        _nat_lookup(j, hook, chains)
        return
    if first:
        nat.bind(f.ct, None, hook, new_addr=None, conntrack=j.host.conntrack, now=j.host.clock)
    before = f.pkt
    f.pkt = nat.rewrite(f.pkt, f.ct, f.ct_dir, hook)
    changes = _packet_changes(before, f.pkt) if f.pkt is not before else ()
    # A first packet with no nat chain registered gets a null binding; later ones follow the entry.
    note = "nat.no_chains" if first else "nat.from_entry" if changes else "nat.not_first"
    j.step(stage, Verdict.SKIP, note, changes=changes, cost_ns=10)
    if hook == Hook.OUTPUT and changes:
        reroute(j)


def _nat_chains(j: Journey, hook: Hook) -> list[tuple[NftTable, NftChain] | None]:
    """The nat chains the NAT core consults at this hook, in priority order (None: iptables nat);
    cached until nft changes or the iptables nat table comes into use."""
    host = j.host
    stamp = host.nft.generation
    key = ("nat_chains", hook, _table_active(j, "nat"))
    found = host.derived.get(key)
    if found is not None and found[0] == stamp:
        return found[1]  # type: ignore[return-value]
    chains = _find_nat_chains(j, hook)
    host.derived[key] = (stamp, chains)
    return chains


def _find_nat_chains(j: Journey, hook: Hook) -> list[tuple[NftTable, NftChain] | None]:
    items: list[tuple[int, int, tuple[NftTable, NftChain] | None]] = []
    if _table_active(j, "nat"):
        items.append((_entry_priority(hook, "nat"), 0, None))
    for table, chain in j.host.nft.base_chains(hook.value.lower()):
        assert chain.base is not None
        if chain.base.type == "nat":
            # At one priority, iptables nat runs first if it registered first.
            tie = -1 if "nat" in chain.registered_after else 1
            items.append((chain.base.priority, tie * chain.seq, (table, chain)))
    items.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in items]


def _nat_lookup(j: Journey, hook: Hook, chains: list[tuple[NftTable, NftChain] | None]) -> None:
    """nf_nat_inet_fn(): run the nat chains until one binds the entry; none binding: a null binding."""
    f = j.flow
    assert f.ct is not None
    for item in chains:
        if item is None:
            result = _traverse(j, hook, "nat")
            where = "policy" if result.decided_index is None else f"rule {result.decided_index}"
        else:
            result = _nft_traverse(j, hook, item[0], item[1])
            where = _nft_where(item[1], item[0], result)
        f.pkt = result.packet
        if result.verdict == "DROP":
            _nf_drop(j, hook, "nat", result, (), nft=item, where=where)
        if result.nat is None:
            _nf_step(j, hook, "nat", result, Verdict.ACCEPT, "nat.null_binding",
                     params={"where": where, "mapping": "-"}, nft=item)
            continue
        new_addr = _nat_address(j, hook, result)
        mapping = nat.bind(f.ct, result.nat, hook, new_addr=new_addr, conntrack=j.host.conntrack, now=j.host.clock)
        before = f.pkt
        f.pkt = nat.rewrite(f.pkt, f.ct, f.ct_dir, hook)
        changes = _packet_changes(before, f.pkt)
        _nf_step(j, hook, "nat", result, Verdict.ACCEPT, "nat.bound" if mapping else "nat.null_binding",
                 params={"where": where, "mapping": mapping or "-"}, changes=changes, nft=item)
        if hook == Hook.OUTPUT and changes:
            reroute(j)
        return
    nat.bind(f.ct, None, hook, new_addr=None, conntrack=j.host.conntrack, now=j.host.clock)
    # nf_nat_packet() still runs after a null binding: a packet going the reply way (REJECT's RST
    # for a DNATed connection) takes the connection's other binding back.
    before = f.pkt
    f.pkt = nat.rewrite(f.pkt, f.ct, f.ct_dir, hook)
    if f.pkt is not before:
        j.step(_sid(j, hook, "nat"), Verdict.SKIP, "nat.from_entry", changes=_packet_changes(before, f.pkt),
               cost_ns=10)
        if hook == Hook.OUTPUT:
            reroute(j)


def _nat_address(j: Journey, hook: Hook, result: TableVerdict) -> int | None:
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
