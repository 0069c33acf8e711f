"""The state one journey carries from stage to stage, and how stages record steps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypedDict, Unpack

from . import cost
from .conntrack import CtEntry
from .host import Host
from .netfilter.api import Hook
from .packet import (
    Packet,
)
from .stages import STAGE_BY_ID
from .trace import (
    Change,
    Disposition,
    DropReason,
    RuleEval,
    SkbView,
    StageView,
    Step,
    Trace,
    Verdict,
)


class NfFields(TypedDict, total=False):
    """The netfilter fields a step may carry: where in which table it was decided, and what was tested."""

    table: str | None
    chain: str | None
    rule_index: int | None
    rule: str | None
    tested: tuple[RuleEval, ...]



# Tables in priority order at each hook: conntrack (-200) between raw and mangle, confirm last,
# and security at 150 as iptables-nft registers it (after nat INPUT).
HOOK_TABLES: dict[Hook, tuple[str, ...]] = {
    Hook.PREROUTING: ("raw", "conntrack", "mangle", "nat"),
    Hook.INPUT: ("mangle", "filter", "nat", "security", "confirm"),
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


MAX_HOPS = 64
"""Namespaces one journey may cross (a bridge loop would otherwise carry a frame forever)."""


class Stop(Exception):
    """Raised inside a journey when a stage ends it."""


@dataclass(frozen=True, slots=True)
class Handoff:
    """The frame leaves this namespace's stack: it is received next on `dev` of `host` (another
    namespace across a cable, or this one again over lo, carrying `sent`, its flow on the way out)."""

    host: Host
    dev: str
    pkt: Packet
    sent: Flow | None = None


@dataclass(slots=True)
class NfBridge:
    """br_netfilter's record on a frame that entered a bridge while bridge-nf-call-iptables was 1
    (struct nf_bridge_info): the ports `-m physdev` sees. See `kernel.link.brnf`."""

    physin: str
    """The bridge port the frame came in on."""
    physout: str | None = None
    """The port the bridge sends it out of, once br_nf_forward_ip() has run (None before, and for
    a frame that went up to the host)."""
    hooking: bool = False
    """While br_netfilter runs the IPv4 hooks from the bridge: steps go to the `bridge.*` stages."""
    prerouting_done: bool = False
    """PREROUTING already ran on the bridge: ip_sabotage_in() skips it when the frame goes up."""


@dataclass(slots=True)
class Flow:
    """Per-journey mutable state: the packet now, its conntrack entry, its skb geometry."""

    pkt: Packet
    ct: CtEntry | None = None
    ct_state: str = "NEW"
    ct_dir: str = "ORIGINAL"
    ct_new: bool = False
    notrack: bool = False
    related_attached: bool = False
    nfct_set: bool = False
    """The skb arrived holding a conntrack reference without an entry: REJECT's answer to an
    untracked packet (nf_conntrack_attach() copies "no entry, RELATED"). The CT/NOTRACK targets
    leave such a packet alone, and conntrack then classifies it afresh."""
    redirect: bool = False
    """Routing found the way out is the way in, toward an on-link source (IPSKB_DOREDIRECT)."""
    loopback_ct: bool = False
    """The packet came back over lo with the entry it had on the way out (nf_conntrack_in skips it)."""
    ct_looked_up: bool = False
    """Whether conntrack has run for this packet yet (the raw table runs before it)."""
    skb: SkbView | None = None
    local_dest: bool = False
    owner: str | None = None
    nf_bridge: NfBridge | None = None
    """Set when the frame came through a bridge port with br_netfilter calling iptables."""


@dataclass(slots=True)
class Journey:
    """One packet's way through one host: its flow state, the steps recorded so far, how it ended.

    With `record` off (batch runs) no `Step` is built: stages still do everything they do to the
    host, and only `last` remembers where the journey stopped.
    """

    host: Host
    flow: Flow
    depth: int
    record: bool = True
    """Whether stages record `Step`s (with views); off for floods and other batch runs."""
    last: tuple[str, str | None, str | None, int | None] | None = None
    """The last stage reached and its deciding rule (`Ending`'s fields), kept when steps are not
    recorded; a plain tuple, since every stage of every flood packet overwrites it."""
    last_packet: Packet | None = None
    """The packet as the last stage left it, kept when steps are not recorded."""
    steps: list[Step] = field(default_factory=list)
    emitted: list[tuple[Packet, Flow | None]] = field(default_factory=list)
    disposition: Disposition | None = None
    drop_reason: DropReason | None = None
    delivered_to: str | None = None
    notes: list[str] = field(default_factory=list)
    looped_replies: list[Trace] = field(default_factory=list)
    handoff: Handoff | None = None
    """Set when the frame has left for another receive path (see `kernel.stack`)."""
    hops: int = 0
    """Namespaces crossed so far."""
    left_host: bool = False
    """Whether the packet left this namespace on a cable (its journey then ends elsewhere)."""

    def step(
        self,
        stage: str,
        verdict: Verdict,
        note: str,
        *,
        params: Mapping[str, object] | None = None,
        changes: tuple[Change, ...] = (),
        view: StageView = None,
        cost_ns: int | None = None,
        drop_reason: DropReason | None = None,
        **nf: Unpack[NfFields],
    ) -> Step | None:
        if not self.record:
            self.last = (stage, nf.get("table"), nf.get("chain"), nf.get("rule_index"))
            self.last_packet = self.flow.pkt
            return None
        s = Step(
            stage=stage,
            host=self.host.name,
            function=STAGE_BY_ID[stage].function,
            verdict=verdict,
            packet=self.flow.pkt,
            note=note,
            params=tuple((k, str(v)) for k, v in (params or {}).items()),
            changes=changes,
            view=view,
            drop_reason=drop_reason,
            cost_ns=cost.stage_cost(stage) if cost_ns is None else cost_ns,
            skb=self.flow.skb,
            **nf,
        )
        self.steps.append(s)
        return s

    def stop(self, disposition: Disposition, reason: DropReason | None = None) -> Stop:
        self.disposition = disposition
        self.drop_reason = reason
        return Stop()

    def emit(self, pkt: Packet | None, flow: Flow | None = None) -> None:
        if pkt is not None:
            self.emitted.append((pkt, flow))

    def emit_related(self, pkt: Packet | None) -> None:
        """Emit an answer about the packet in flight that carries its conntrack entry, as RELATED in
        the other direction (nf_ct_attach(), from REJECT and from icmp_send() while the packet still
        holds its entry, as on the forward path), whether or not the entry is confirmed yet: an ICMP
        error about a packet dropped in ip_forward() is RELATED even in raw OUTPUT, although that
        packet's entry never reaches the table. A packet without an entry gives none."""
        f = self.flow
        if pkt is None or f.ct is None:
            # An untracked packet still holds a reference (IP_CT_UNTRACKED), which the answer
            # inherits without an entry; an INVALID one holds none (skb->_nfct == 0).
            self.emit(pkt, Flow(pkt, nfct_set=True) if pkt is not None and f.notrack else None)
            return
        self.emit(pkt, Flow(pkt, ct=f.ct, ct_state="RELATED", related_attached=True,
                            ct_dir="REPLY" if f.ct_dir == "ORIGINAL" else "ORIGINAL"))


def pull_header(skb: SkbView, n: int, op: str, layer: str) -> SkbView:
    return SkbView(skb.head, skb.data + n, skb.tail, skb.end, op, layer)
