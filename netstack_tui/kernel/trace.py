"""A packet's journey as data: `Trace` made of `Step`s, each with the state a viewer draws.

The engine writes traces; the TUI, the CLI and scenario checks only read them. Every step holds
an immutable snapshot of what its stage looked like (`view`), so stepping back is just looking at
the previous step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .addr import format_ipv4
from .packet import Packet, format_packet


class Disposition(StrEnum):
    """How a journey ended."""

    DELIVERED = "delivered"
    """Reached a local socket (or the stack itself, for ICMP echo and TCP control packets)."""
    FORWARDED = "forwarded"
    """Routed through this host and transmitted on another interface."""
    SENT = "sent"
    """A locally generated packet left on an interface."""
    DROPPED = "dropped"
    """Freed by the kernel; `drop_reason` says why."""
    REJECTED = "rejected"
    """Dropped by a REJECT rule, which answered with an error."""


class DropReason(StrEnum):
    """The kernel's own `enum skb_drop_reason` names (include/net/dropreason-core.h).

    Only drops of an sk_buff have one: a frame lost for want of an RX descriptor, or dropped by
    native XDP, never became an skb, so its step and trace carry no drop reason at all.
    """

    NOT_SPECIFIED = "NOT_SPECIFIED"
    NO_SOCKET = "NO_SOCKET"
    OTHERHOST = "OTHERHOST"
    NETFILTER_DROP = "NETFILTER_DROP"
    IP_CSUM = "IP_CSUM"
    TCP_CSUM = "TCP_CSUM"
    UDP_CSUM = "UDP_CSUM"
    ICMP_CSUM = "ICMP_CSUM"
    IP_INHDR = "IP_INHDR"
    IP_RPFILTER = "IP_RPFILTER"
    IP_INADDRERRORS = "IP_INADDRERRORS"
    IP_INNOROUTES = "IP_INNOROUTES"
    IP_OUTNOROUTES = "IP_OUTNOROUTES"
    XDP = "XDP"
    SOCKET_BACKLOG = "SOCKET_BACKLOG"
    TCP_LISTEN_OVERFLOW = "TCP_LISTEN_OVERFLOW"
    TCP_FLAGS = "TCP_FLAGS"
    QDISC_DROP = "QDISC_DROP"
    DEV_READY = "DEV_READY"
    TC_INGRESS = "TC_INGRESS"
    TC_EGRESS = "TC_EGRESS"
    PKT_TOO_BIG = "PKT_TOO_BIG"
    SOCKET_RCVBUFF = "SOCKET_RCVBUFF"
    TCP_ZEROWINDOW = "TCP_ZEROWINDOW"
    PROTO_MEM = "PROTO_MEM"
    NEIGH_FAILED = "NEIGH_FAILED"


class Verdict(StrEnum):
    """What a stage decided for the packet."""

    PASS = "pass"
    """The stage let the packet continue."""
    ACCEPT = "ACCEPT"
    """A netfilter base chain accepted."""
    DROP = "DROP"
    """The packet stops here."""
    REJECT = "REJECT"
    """Dropped with an error sent back."""
    SKIP = "skip"
    """The stage does not apply (no XDP program, nat table on a non-first packet, ...)."""
    DELIVER = "deliver"
    """Handed to a socket or to the stack."""
    TRANSMIT = "transmit"
    """Put on the wire."""


@dataclass(frozen=True, slots=True)
class RuleEval:
    """One rule tested while a chain was traversed."""

    chain: str
    index: int
    """1-based, as `iptables -L --line-numbers` prints it."""
    rule: str
    """The rule as `iptables -S` prints it (`-A CHAIN ...`)."""
    matched: bool
    failed_match: str | None = None
    """The first match that failed, e.g. `--dport 22` or `-s 10.0.0.0/8`."""
    target: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    """Something a stage changed: a packet field, an skb pointer, a table entry."""

    what: str
    before: str
    after: str


# ---- per-stage state snapshots (the "live state" a viewer draws) --------------------------------


@dataclass(frozen=True, slots=True)
class RingView:
    """The NIC's RX descriptor ring at this moment."""

    interface: str
    size: int
    used: int
    slot: int
    """The descriptor this packet landed in (-1 when the ring was full)."""
    napi_budget: int = 64


@dataclass(frozen=True, slots=True)
class SkbView:
    """sk_buff geometry: head <= data <= tail <= end (offsets in bytes from head)."""

    head: int
    data: int
    tail: int
    end: int
    op: str
    """The pointer operation that produced this state (`alloc`, `skb_pull(14)`, `skb_push(20)`)."""
    layer: str
    """Which header skb->data points at now (`ethernet`, `ip`, `tcp`, ...)."""


@dataclass(frozen=True, slots=True)
class XdpView:
    """The XDP program attached to the interface and what it returned."""

    interface: str
    program: str | None
    mode: str | None
    """`native` (xdpdrv), `generic` (xdpgeneric), `offload` (xdpoffload) or None."""
    action: str
    """`XDP_PASS`, `XDP_DROP`, ... or `-` when no program ran here."""


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One rule as `iptables -L -v -n --line-numbers` lists it, with counters at this step."""

    index: int
    rule: str
    target: str
    pkts: int
    bytes: int
    result: str
    """`match`, `no match` or `not reached` for this packet."""
    failed_match: str | None = None


class ChainView:
    """A netfilter chain as it stood after this packet traversed it.

    Immutable, like every view. The engine hands over a snapshot of the counters and a function
    that turns it into rows (`lazy`); the rows are built once, when a viewer first reads them, so a
    step through a 10,000-rule chain costs a copy of its counters, not 10,000 row objects.
    """

    __slots__ = ("table", "chain", "policy", "policy_pkts", "policy_bytes", "_rows", "_lazy")

    table: str
    chain: str
    policy: str | None
    policy_pkts: int
    policy_bytes: int
    _rows: tuple[tuple[RuleRow, ...], tuple[tuple[str, tuple[RuleRow, ...]], ...]] | None
    _lazy: Callable[[], tuple[tuple[RuleRow, ...], tuple[tuple[str, tuple[RuleRow, ...]], ...]]] | None

    def __init__(
        self,
        table: str,
        chain: str,
        policy: str | None,
        policy_pkts: int,
        policy_bytes: int,
        rules: tuple[RuleRow, ...] = (),
        extra_chains: tuple[tuple[str, tuple[RuleRow, ...]], ...] = (),
        *,
        lazy: Callable[[], tuple[tuple[RuleRow, ...], tuple[tuple[str, tuple[RuleRow, ...]], ...]]] | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "table", table)
        set_(self, "chain", chain)
        set_(self, "policy", policy)
        set_(self, "policy_pkts", policy_pkts)
        set_(self, "policy_bytes", policy_bytes)
        set_(self, "_rows", None if lazy is not None else (tuple(rules), tuple(extra_chains)))
        set_(self, "_lazy", lazy)

    def _built(self) -> tuple[tuple[RuleRow, ...], tuple[tuple[str, tuple[RuleRow, ...]], ...]]:
        rows = self._rows
        if rows is None:
            assert self._lazy is not None
            rows = self._lazy()
            object.__setattr__(self, "_rows", rows)
            object.__setattr__(self, "_lazy", None)
        return rows

    @property
    def rules(self) -> tuple[RuleRow, ...]:
        """The chain's rules with counters at this step and this packet's result for each."""
        return self._built()[0]

    @property
    def extra_chains(self) -> tuple[tuple[str, tuple[RuleRow, ...]], ...]:
        """User chains the packet jumped into, each with its rows."""
        return self._built()[1]

    def _key(self) -> tuple[object, ...]:
        return (self.table, self.chain, self.policy, self.policy_pkts, self.policy_bytes, *self._built())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChainView):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"ChainView(table={self.table!r}, chain={self.chain!r}, policy={self.policy!r}, "
                f"policy_pkts={self.policy_pkts!r}, policy_bytes={self.policy_bytes!r}, rules={self.rules!r}, "
                f"extra_chains={self.extra_chains!r})")


@dataclass(frozen=True, slots=True)
class RouteView:
    """The routing decision: the rules and table consulted and the route chosen."""

    rules: tuple[str, ...]
    """`ip rule` lines in priority order."""
    table: str
    routes: tuple[str, ...]
    """The consulted table's routes, as `ip route show table T` prints them."""
    chosen: int
    """Index into `routes` of the chosen route (-1: none)."""
    result: str
    """`local`, `unicast`, `unreachable`, `blackhole`, `prohibit` ..."""
    why: str
    """Plain words: longest prefix, rp_filter outcome, ip_forward."""


@dataclass(frozen=True, slots=True)
class ConntrackView:
    """The connection tracking entry found or created for the packet."""

    entry: str | None
    """As `conntrack -L` prints it (None: untracked or not yet created)."""
    state: str
    """ctstate: NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED."""
    created: bool
    table_used: int
    table_max: int


@dataclass(frozen=True, slots=True)
class SocketRow:
    """A socket as `ss -tan` lists it, with its queues."""

    state: str
    local: str
    peer: str
    recv_q: int
    send_q: int
    process: str
    syn_queue: int = 0
    backlog: int = 0


@dataclass(frozen=True, slots=True)
class SocketView:
    """Sockets relevant to the packet, and which one was chosen."""

    rows: tuple[SocketRow, ...]
    chosen: int
    """Index of the socket that took the packet (-1: none)."""
    fds_open: int = 0
    fd_limit: int = 0


@dataclass(frozen=True, slots=True)
class QueueView:
    """A qdisc or device queue."""

    interface: str
    qdisc: str
    length: int
    """Packets waiting in the queue the packet went to (itself included), or that its drop found."""
    limit: int
    backlog_bytes: int = 0
    limit_bytes: bool = False
    """`limit` counts bytes (bfifo, tbf), not packets."""
    where: str = ""
    """The queue it waited in (`pfifo 10:`, `tbf 8001:`; empty for the default qdisc)."""
    wait_ms: float = 0.0
    """How long it waits there on the simulated clock."""
    sent: int = 0
    dropped: int = 0
    overlimits: int = 0
    """The root qdisc's `tc -s` counters after this packet."""
    modelled: str = ""
    """Message key saying what the queue model leaves out."""


@dataclass(frozen=True, slots=True)
class AppFd:
    """One entry of a program's fd table, as `ls -l /proc/PID/fd` and `ss -tn` would show it."""

    fd: int
    file: str
    """The link's target: `socket:[40003]`, `anon_inode:[eventpoll]`, `/dev/pts/0`."""
    state: str = ""
    """A socket's ss state (`LISTEN`, `ESTAB`, ...); empty for other files."""
    local: str = ""
    peer: str = ""
    recv_q: int = 0
    """Unread bytes, or for a listener the connections waiting in its accept queue."""
    send_q: int = 0
    """Bytes not yet acknowledged, or for a listener its backlog."""
    note: str = ""
    """`O_NONBLOCK`, or what an epoll fd watches (`3 5(ET)`)."""
    taking: bool = False
    """The packet of this journey is for this fd (its socket, or the listener its connection waits on)."""


@dataclass(frozen=True, slots=True)
class AppThread:
    """Where one of a program's threads is."""

    tid: int
    line: int
    """The source line (1-based) it is at; 0 once it has finished."""
    blocked: str = ""
    """The call it waits in, as strace shows it (`accept(3)`); empty when it is not blocked."""


@dataclass(frozen=True, slots=True)
class AppView:
    """A program of socket calls (`kernel.app`) at one moment: its code with one line highlighted,
    its threads, its fd table, what epoll last reported, and its latest calls."""

    app: str
    pid: int
    code: tuple[str, ...]
    current: int
    """The highlighted source line (1-based): the call that will take the packet's data, or the
    call this step is; 0 when no thread waits for it."""
    threads: tuple[AppThread, ...]
    fds: tuple[AppFd, ...]
    events: str = ""
    """What the last epoll_wait/poll/select reported (`epoll_wait: fd 3 EPOLLIN`)."""
    call: str = ""
    """For a step into the app's calls: the call that returned, as its strace line."""
    calls: tuple[str, ...] = ()
    """The calls logged before this moment (the latest few, oldest first)."""
    exited: int | None = None
    """The exit status once the program has ended."""
    follow: int = 0
    """Which delivery this is (the key of the calls the runner recorded after it; 0: none)."""


StageView = (
    RingView | SkbView | XdpView | ChainView | RouteView | ConntrackView | SocketView | QueueView | AppView | None
)


@dataclass(frozen=True, slots=True)
class Step:
    """One stage of the journey, with what it tested, changed and decided."""

    stage: str
    """Stage id from `netstack_tui.kernel.stages.STAGES`."""
    host: str
    function: str
    """The kernel function this stage models (`ip_rcv`, `nf_hook_slow`, ...)."""
    verdict: Verdict
    packet: Packet
    """The packet as it leaves this stage."""
    note: str
    """Message key in the i18n catalog explaining what happened (`nf.rule_accept`, ...)."""
    params: tuple[tuple[str, str], ...] = ()
    """Values the message needs, as text."""
    table: str | None = None
    chain: str | None = None
    rule_index: int | None = None
    """1-based index of the deciding rule in its chain; None when the policy decided."""
    rule: str | None = None
    """The deciding rule as `iptables -S` prints it."""
    tested: tuple[RuleEval, ...] = ()
    changes: tuple[Change, ...] = ()
    drop_reason: DropReason | None = None
    cost_ns: int = 0
    """Estimated CPU time of this stage (see `netstack_tui.kernel.cost`)."""
    view: StageView = None
    skb: SkbView | None = None
    """sk_buff geometry after this stage (None before the skb exists)."""

    @property
    def param(self) -> dict[str, str]:
        """`params` as a dict."""
        return dict(self.params)

    def to_json(self) -> dict[str, Any]:
        """Stable JSON form of the step."""
        data: dict[str, Any] = {
            "stage": self.stage,
            "host": self.host,
            "function": self.function,
            "verdict": str(self.verdict),
            "note": self.note,
            "packet": format_packet(self.packet, with_meta=True),
        }
        if self.table is not None:
            data.update(table=self.table, chain=self.chain, rule_index=self.rule_index, rule=self.rule)
            data["tested"] = [
                {"chain": e.chain, "index": e.index, "rule": e.rule, "matched": e.matched,
                 "failed_match": e.failed_match}
                for e in self.tested
            ]
        if self.params:
            data["params"] = dict(self.params)
        if self.changes:
            data["changes"] = [{"what": c.what, "before": c.before, "after": c.after} for c in self.changes]
        if self.drop_reason is not None:
            data["drop_reason"] = str(self.drop_reason)
        data["cost_ns"] = self.cost_ns
        return data


@dataclass(frozen=True, slots=True)
class Trace:
    """The whole journey of one packet through one host, and the packets it caused."""

    packet: Packet
    """The packet as it was sent."""
    host: str
    steps: tuple[Step, ...]
    disposition: Disposition
    drop_reason: DropReason | None = None
    replies: tuple[Trace, ...] = ()
    """Packets the host emitted in response (SYN-ACK, RST, ICMP errors), each with its journey."""
    delivered_to: str | None = None
    """The socket or process that received the packet, e.g. `nginx (pid 101) 10.0.0.1:443`."""
    notes: tuple[str, ...] = field(default=())
    """Simplifications that applied to this journey, as message keys."""

    @property
    def final_packet(self) -> Packet:
        """The packet as it was when the journey ended (after NAT, TTL decrement...)."""
        return self.steps[-1].packet if self.steps else self.packet

    @property
    def total_cost_ns(self) -> int:
        """Sum of the stages' estimated costs."""
        return sum(step.cost_ns for step in self.steps)

    def summary_line(self) -> str:
        """One line: the disposition, where, and why."""
        last = self.steps[-1] if self.steps else None
        return summary_line(self.disposition, self.drop_reason, self.delivered_to, self.packet, self.final_packet,
                            Ending.of(last) if last is not None else None)

    def to_json(self) -> dict[str, Any]:
        """Stable JSON form: packet, disposition, drop_reason, steps, replies."""
        return {
            "packet": format_packet(self.packet),
            "host": self.host,
            "disposition": str(self.disposition),
            "drop_reason": str(self.drop_reason) if self.drop_reason is not None else None,
            "delivered_to": self.delivered_to,
            "steps": [step.to_json() for step in self.steps],
            "replies": [reply.to_json() for reply in self.replies],
        }


@dataclass(frozen=True, slots=True)
class Ending:
    """Where a journey stopped: what a summary line names (its last step's stage and rule)."""

    stage: str
    table: str | None
    chain: str | None
    rule_index: int | None

    @staticmethod
    def of(step: Step) -> Ending:
        """The ending a trace's last step describes."""
        return Ending(step.stage, step.table, step.chain, step.rule_index)


def summary_line(disposition: Disposition, drop_reason: DropReason | None, delivered_to: str | None,
                 packet: Packet, final: Packet, last: Ending | None) -> str:
    """One line: the disposition, where, and why (shared by `Trace` and `Outcome`)."""
    text = str(disposition)
    if disposition in (Disposition.DROPPED, Disposition.REJECTED) and last is not None:
        where = last.stage
        if last.table is not None:
            where = f"{last.table}/{last.chain}"
            where += f" rule {last.rule_index}" if last.rule_index else " policy"
        text += f" at {where}"
        if drop_reason is not None:
            text += f" ({drop_reason})"
    elif disposition == Disposition.DELIVERED and delivered_to:
        text += f" to {delivered_to}"
    elif disposition in (Disposition.FORWARDED, Disposition.SENT):
        text += f" via {final.oif}" if final.oif else ""
        if final.dst != packet.dst or final.src != packet.src:
            text += f" as {format_ipv4(final.src)} > {format_ipv4(final.dst)}"
    return text


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one packet's journey ended, without its steps: what a batch run (a flood) keeps.

    The engine that produces it is the one that produces a `Trace`, with step recording off, so
    everything it changed on the host is the same; only the record of each stage is missing.
    """

    packet: Packet
    """The packet as it was sent."""
    host: str
    disposition: Disposition
    drop_reason: DropReason | None
    delivered_to: str | None
    final_packet: Packet
    """The packet as it was when the journey ended."""
    last: Ending | None
    """Where it stopped (None when no stage ran)."""
    replies: tuple[Outcome, ...] = ()
    """The packets the host emitted in response, each with its own outcome."""

    def summary_line(self) -> str:
        """The same line `Trace.summary_line` gives for the same journey."""
        return summary_line(self.disposition, self.drop_reason, self.delivered_to, self.packet, self.final_packet,
                            self.last)
