"""The contract between the netfilter tables and the rest of the stack.

The stack (`netstack_tui.kernel.stack`) owns hooks, conntrack and NAT bindings; it asks a table to
traverse one chain for one packet with a `MatchContext`, and gets a `TableVerdict` back: the
verdict, every rule tested, and the side effects (marks, NAT to set up, REJECT to send, LOG lines)
for the stack to carry out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from ..packet import Packet
from ..trace import RuleEval
from .state import RulesetState


class Hook(StrEnum):
    """Netfilter IPv4 hooks (NF_INET_*)."""

    PREROUTING = "PREROUTING"
    INPUT = "INPUT"
    FORWARD = "FORWARD"
    OUTPUT = "OUTPUT"
    POSTROUTING = "POSTROUTING"


class CtTuple(NamedTuple):
    """One direction of a conntrack entry: (src, dst, sport, dport) for the protocol.

    A named tuple rather than a frozen dataclass: a flood of new connections builds and hashes
    four of these per packet, and a million-entry table holds two per entry."""

    proto: int
    src: int
    dst: int
    sport: int = 0
    dport: int = 0


@dataclass(slots=True)
class MatchContext:
    """What matches may consult besides the packet itself."""

    hook: Hook
    now: float
    """Simulated clock, seconds since boot (limit and recent use it)."""
    ct_state: str = "NEW"
    """NEW, ESTABLISHED, RELATED, INVALID or UNTRACKED."""
    ct_status: frozenset[str] = frozenset()
    """Conntrack status bits: EXPECTED, SEEN_REPLY, ASSURED, CONFIRMED, SNAT, DNAT."""
    ct_dir: str = "ORIGINAL"
    """ORIGINAL or REPLY: the packet's direction within its connection."""
    ct_orig: CtTuple | None = None
    ct_reply: CtTuple | None = None
    ct_mark: int = 0
    ct_expire: int = 0
    """Seconds until the entry times out (--ctexpire)."""
    ct_acct: tuple[int, int, int, int] | None = None
    """The entry's packet and byte counters per direction (`CtEntry.acct`), read by connbytes."""
    addr_type: Callable[[int], str] = field(default=lambda addr: "UNICAST")
    """Type of an address on this host: LOCAL, UNICAST, BROADCAST, MULTICAST, BLACKHOLE, ..."""
    owner_uid: int | None = None
    """uid of the sending socket (OUTPUT and POSTROUTING only)."""
    owner_gid: int | None = None
    in_mac: str | None = None
    """MAC address of the device the packet came in on: the frame's destination when the packet
    names none (LOG's MAC= prints it)."""
    physdev: tuple[str | None, str | None] | None = None
    """br_netfilter's record of the bridge ports the frame passed, (in, out): `out` is known from
    the bridge's FORWARD hook on. None when the frame never entered a bridge that called iptables
    (then `-m physdev` matches only with every option negated)."""
    rules: RulesetState | None = None
    """The traversed ruleset's match state (recent lists, limit buckets); `Ruleset.traverse`
    fills it in."""
    host: Any = None
    """The host whose ruleset runs (a `kernel.host.Host`, not imported here: it imports us):
    connlimit counts its conntrack entries, rpfilter asks its FIB, statistic seeds from its name."""


@dataclass(frozen=True, slots=True)
class NatAction:
    """A NAT target's request; the stack binds it to the connection."""

    kind: str
    """DNAT, SNAT, MASQUERADE or REDIRECT."""
    addr_min: int | None = None
    addr_max: int | None = None
    port_min: int | None = None
    port_max: int | None = None
    random: bool = False
    persistent: bool = False


@dataclass(frozen=True, slots=True)
class TableVerdict:
    """The outcome of traversing one base chain of one table."""

    verdict: str
    """ACCEPT or DROP (REJECT reports DROP with `reject` set). NOTRACK, MARK... continue."""
    packet: Packet
    """The packet after the table's changes (MARK, TOS, TTL)."""
    evaluations: tuple[RuleEval, ...]
    """Every rule tested, in order, across jumps into user chains."""
    decided_chain: str
    decided_index: int | None
    """1-based index of the deciding rule in `decided_chain`; None when the policy decided."""
    decided_rule: str | None
    """The deciding rule as `iptables -S` prints it."""
    reject: str | None = None
    """--reject-with type when a REJECT rule decided (e.g. icmp-port-unreachable, tcp-reset)."""
    nat: NatAction | None = None
    notrack: bool = False
    ct_mark: int | None = None
    """New connection mark, when CONNMARK set one."""
    logs: tuple[str, ...] = ()
    """Kernel log lines written by LOG rules (without the timestamp)."""
    visited: tuple[str, ...] | None = None
    """User chains the traversal entered, in first-entry order (None: not reported; derive it from
    `evaluations`)."""
