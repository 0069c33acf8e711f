"""Connection tracking: tuples, entries, the TCP state machine, timeouts, table limits, NAT bindings.

Models nf_conntrack_in() / nf_conntrack_confirm(): a packet's entry is found by tuple in either
direction; a new entry stays unconfirmed (not in the table) until the packet survives to the
confirm hook, so a packet dropped on the way leaves no entry behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .addr import format_ipv4
from .netfilter.api import CtTuple
from .packet import (
    ACK,
    FIN,
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REQUEST,
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    RST,
    SYN,
    Packet,
)

# ICMP query types and their replies (nf_conntrack_proto_icmp.c invmap).
_ICMP_INVERSE = {ICMP_ECHO_REQUEST: ICMP_ECHO_REPLY, 13: 14, 15: 16, 17: 18}

TCP_TIMEOUT_KEYS = {
    "SYN_SENT": "syn_sent", "SYN_RECV": "syn_recv", "ESTABLISHED": "established", "FIN_WAIT": "fin_wait",
    "CLOSE_WAIT": "close_wait", "LAST_ACK": "last_ack", "TIME_WAIT": "time_wait", "CLOSE": "close",
}


def packet_tuple(pkt: Packet) -> CtTuple:
    """The conntrack tuple of a packet: ports for TCP/UDP, (id, type) for ICMP queries."""
    if pkt.proto == IPPROTO_ICMP:
        return CtTuple(IPPROTO_ICMP, pkt.src, pkt.dst, pkt.icmp_id, pkt.icmp_type)
    if pkt.proto in (IPPROTO_TCP, IPPROTO_UDP):
        return CtTuple(pkt.proto, pkt.src, pkt.dst, pkt.sport, pkt.dport)
    return CtTuple(pkt.proto, pkt.src, pkt.dst)


def invert(t: CtTuple) -> CtTuple:
    """The tuple a reply would have (nf_ct_invert_tuple)."""
    if t.proto == IPPROTO_ICMP:
        return CtTuple(IPPROTO_ICMP, t.dst, t.src, t.sport, _ICMP_INVERSE.get(t.dport, t.dport))
    return CtTuple(t.proto, t.dst, t.src, t.dport, t.sport)


@dataclass(slots=True, eq=False)
class CtEntry:
    """One tracked connection."""

    id: int
    orig: CtTuple
    """The tuple of the first packet, as it arrived (before any NAT)."""
    reply: CtTuple
    """The tuple replies will carry (after NAT, inverted)."""
    tcp_state: str | None = None
    status: set[str] = field(default_factory=set)
    """SEEN_REPLY, ASSURED, CONFIRMED, SRC_NAT, DST_NAT (ctstatus names)."""
    timeout_at: float = 0.0
    mark: int = 0
    nat_done: set[str] = field(default_factory=set)
    """Which NAT manips were decided: `SRC`, `DST` (nf_nat_initialized)."""
    created_at: float = 0.0

    @property
    def proto(self) -> int:
        """The IP protocol."""
        return self.orig.proto

    def expires_in(self, now: float) -> int:
        """Whole seconds left, as `conntrack -L` prints them."""
        return max(0, int(self.timeout_at - now))

    def describe(self, now: float) -> str:
        """The entry as `conntrack -L` prints it."""
        name = {IPPROTO_TCP: "tcp", IPPROTO_UDP: "udp", IPPROTO_ICMP: "icmp"}.get(self.proto, "unknown")
        parts = [f"{name:<8} {self.proto} {self.expires_in(now)}"]
        if self.tcp_state:
            parts.append(self.tcp_state)
        parts.append(_tuple_text(self.orig))
        if "SEEN_REPLY" not in self.status:
            parts.append("[UNREPLIED]")
        parts.append(_tuple_text(self.reply))
        if "ASSURED" in self.status:
            parts.append("[ASSURED]")
        parts.append(f"mark={self.mark} use=1")
        return " ".join(parts)


def _tuple_text(t: CtTuple) -> str:
    text = f"src={format_ipv4(t.src)} dst={format_ipv4(t.dst)}"
    if t.proto == IPPROTO_ICMP:
        return text + f" type={t.dport} code=0 id={t.sport}"
    if t.proto in (IPPROTO_TCP, IPPROTO_UDP):
        return text + f" sport={t.sport} dport={t.dport}"
    return text


@dataclass(slots=True)
class CtResult:
    """What nf_conntrack_in() decided for one packet."""

    state: str
    """NEW, ESTABLISHED, RELATED, INVALID or UNTRACKED (the ctstate a rule sees)."""
    entry: CtEntry | None
    direction: str = "ORIGINAL"
    new: bool = False
    """The entry was created for this packet and awaits confirmation."""
    table_full: bool = False
    """The table was full and nothing could be evicted: the packet must be dropped."""


class Conntrack:
    """The conntrack table of one host."""

    __slots__ = ("_by_tuple", "_entries", "_next_id", "dropped_full", "stats")

    def __init__(self) -> None:
        self._entries: dict[int, CtEntry] = {}
        self._by_tuple: dict[CtTuple, tuple[CtEntry, str]] = {}
        self._next_id = 1
        self.dropped_full = 0
        self.stats = {"found": 0, "invalid": 0, "insert": 0, "drop": 0, "early_drop": 0, "error": 0}

    # ---- table -------------------------------------------------------------------------------

    def entries(self, now: float) -> list[CtEntry]:
        """Live entries in creation order."""
        self.expire(now)
        return list(self._entries.values())

    def count(self, now: float) -> int:
        """nf_conntrack_count."""
        self.expire(now)
        return len(self._entries)

    def expire(self, now: float) -> None:
        """Remove entries whose timeout passed (the kernel's gc worker)."""
        dead = [e for e in self._entries.values() if e.timeout_at <= now]
        for entry in dead:
            self.remove(entry)

    def remove(self, entry: CtEntry) -> None:
        """Delete one entry."""
        self._entries.pop(entry.id, None)
        for t in (entry.orig, entry.reply):
            if self._by_tuple.get(t, (None,))[0] is entry:
                del self._by_tuple[t]

    def flush(self) -> int:
        """conntrack -F: delete everything; return how many."""
        n = len(self._entries)
        self._entries.clear()
        self._by_tuple.clear()
        return n

    def find(self, t: CtTuple, now: float) -> tuple[CtEntry, str] | None:
        """The confirmed entry holding tuple `t`, with the direction it matched."""
        hit = self._by_tuple.get(t)
        if hit is not None and hit[0].timeout_at <= now:
            self.remove(hit[0])
            return None
        return hit

    # ---- nf_conntrack_in ---------------------------------------------------------------------

    def classify(self, pkt: Packet, now: float, sysctl: dict[str, int]) -> CtResult:
        """Find or create the packet's entry and say what ctstate it has (nf_conntrack_in)."""
        if pkt.is_icmp_error:
            return self._classify_icmp_error(pkt, now)
        t = packet_tuple(pkt)
        hit = self.find(t, now)
        if hit is not None:
            entry, direction = hit
            if pkt.proto == IPPROTO_TCP and not self._tcp_valid(entry, pkt, direction):
                self.stats["invalid"] += 1
                return CtResult("INVALID", None)
            self.stats["found"] += 1
            state = "ESTABLISHED" if direction == "REPLY" or "SEEN_REPLY" in entry.status else "NEW"
            return CtResult(state, entry, direction)
        if pkt.proto == IPPROTO_TCP and not self._tcp_can_start(pkt, sysctl):
            self.stats["invalid"] += 1
            return CtResult("INVALID", None)
        if pkt.proto == IPPROTO_ICMP and pkt.icmp_type not in _ICMP_INVERSE:
            # ICMP replies and unknown types without a connection are not trackable.
            self.stats["invalid"] += 1
            return CtResult("INVALID", None)
        entry = CtEntry(id=0, orig=t, reply=invert(t), created_at=now)
        if pkt.proto == IPPROTO_TCP:
            entry.tcp_state = "SYN_SENT" if pkt.flags & SYN else "ESTABLISHED"
        return CtResult("NEW", entry, "ORIGINAL", new=True)

    def _classify_icmp_error(self, pkt: Packet, now: float) -> CtResult:
        # icmp_error_message(): the quoted header is inverted and looked up; a hit makes the error
        # RELATED, in the direction the inverted tuple matched. No hit: no entry (ctstate INVALID).
        if pkt.inner is None:
            return CtResult("INVALID", None)
        hit = self.find(invert(packet_tuple(pkt.inner)), now)
        if hit is None:
            self.stats["error"] += 1
            return CtResult("INVALID", None)
        entry, direction = hit
        return CtResult("RELATED", entry, direction)

    @staticmethod
    def _tcp_can_start(pkt: Packet, sysctl: dict[str, int]) -> bool:
        # tcp_new(): a SYN starts a connection; with nf_conntrack_tcp_loose=1 (the default) a bare
        # ACK is picked up mid-stream too. SYN-ACK, FIN and RST alone cannot start one.
        if pkt.flags & RST:
            return False
        if pkt.flags & SYN:
            return not pkt.flags & ACK
        if pkt.flags & FIN or not pkt.flags & ACK:
            return False
        return bool(sysctl.get("nf_conntrack_tcp_loose", 1))

    @staticmethod
    def _tcp_valid(entry: CtEntry, pkt: Packet, direction: str) -> bool:
        # The slice of tcp_conntracks[] that decides INVALID for the packets a learner sends.
        # A SYN-ACK is only valid as the answer to a SYN; other odd packets are ignored, not INVALID.
        if pkt.flags & SYN and pkt.flags & ACK:
            return direction == "REPLY" and entry.tcp_state in ("SYN_SENT", "SYN_RECV", "ESTABLISHED")
        return True

    # ---- after the verdict -------------------------------------------------------------------

    def confirm(self, entry: CtEntry, now: float, sysctl: dict[str, int], max_entries: int) -> bool:
        """Insert a new entry (nf_conntrack_confirm); False when the table is full.

        A full table first tries early_drop(): evicting an entry that is not ASSURED. The kernel
        scans only a few hash buckets for one; the model takes the oldest such entry.
        """
        if entry.id:
            return True
        self.expire(now)
        if len(self._entries) >= max_entries:
            victim = next((e for e in self._entries.values() if "ASSURED" not in e.status), None)
            if victim is None:
                self.stats["drop"] += 1
                self.dropped_full += 1
                return False
            self.remove(victim)
            self.stats["early_drop"] += 1
        entry.id = self._next_id
        self._next_id += 1
        entry.status.add("CONFIRMED")
        self._entries[entry.id] = entry
        self._by_tuple[entry.orig] = (entry, "ORIGINAL")
        self._by_tuple[entry.reply] = (entry, "REPLY")
        self.stats["insert"] += 1
        if entry.timeout_at <= now:
            entry.timeout_at = now + timeout_for(entry, sysctl)
        return True

    def rebind_reply(self, entry: CtEntry, reply: CtTuple) -> None:
        """Change the expected reply tuple after NAT (before confirmation)."""
        entry.reply = reply

    def update(self, entry: CtEntry, pkt: Packet, direction: str, now: float, sysctl: dict[str, int]) -> str | None:
        """Advance the entry's state for a packet that passed; return the new TCP state if changed."""
        before = entry.tcp_state
        if direction == "REPLY" and "SEEN_REPLY" not in entry.status:
            entry.status.add("SEEN_REPLY")
        if pkt.proto == IPPROTO_TCP:
            entry.tcp_state = _tcp_next(entry.tcp_state or "NONE", pkt.flags, direction)
            if before == "SYN_RECV" and entry.tcp_state == "ESTABLISHED":
                entry.status.add("ASSURED")
            if entry.tcp_state == "ESTABLISHED" and before == "ESTABLISHED" and "SEEN_REPLY" in entry.status:
                entry.status.add("ASSURED")
        elif pkt.proto == IPPROTO_UDP and "SEEN_REPLY" in entry.status and direction == "ORIGINAL":
            entry.status.add("ASSURED")
        entry.timeout_at = now + timeout_for(entry, sysctl)
        return entry.tcp_state if entry.tcp_state != before else None


def _tcp_next(state: str, flags: int, direction: str) -> str:
    """The TCP conntrack state after a packet (the common paths of tcp_conntracks[])."""
    if flags & RST:
        return "CLOSE"
    if flags & SYN and flags & ACK:
        return "SYN_RECV" if state in ("SYN_SENT", "SYN_RECV") else state
    if flags & SYN:
        return "SYN_SENT" if state in ("NONE", "SYN_SENT", "TIME_WAIT", "CLOSE") else state
    if flags & FIN:
        if state in ("ESTABLISHED", "SYN_RECV"):
            return "FIN_WAIT"
        if state in ("FIN_WAIT", "CLOSE_WAIT"):
            return "LAST_ACK"
        return state
    if flags & ACK:
        if state == "SYN_RECV" and direction == "ORIGINAL":
            return "ESTABLISHED"
        if state == "FIN_WAIT":
            return "CLOSE_WAIT"
        if state == "LAST_ACK":
            return "TIME_WAIT"
        if state == "NONE":
            return "ESTABLISHED"
    return state


def timeout_for(entry: CtEntry, sysctl: dict[str, int]) -> float:
    """The timeout the entry's protocol state gets (the nf_conntrack_*_timeout sysctls)."""
    if entry.proto == IPPROTO_TCP:
        key = TCP_TIMEOUT_KEYS.get(entry.tcp_state or "", "established")
        if key == "established" and "ASSURED" not in entry.status and entry.tcp_state == "ESTABLISHED":
            # An entry picked up mid-stream, not yet seen both ways: tcp_timeout_unacknowledged.
            return float(sysctl.get("nf_conntrack_tcp_timeout_unacknowledged", 300))
        return float(sysctl.get(f"nf_conntrack_tcp_timeout_{key}", 120))
    if entry.proto == IPPROTO_UDP:
        stream = "ASSURED" in entry.status
        return float(sysctl.get("nf_conntrack_udp_timeout_stream" if stream else "nf_conntrack_udp_timeout", 30))
    if entry.proto == IPPROTO_ICMP:
        return float(sysctl.get("nf_conntrack_icmp_timeout", 30))
    return float(sysctl.get("nf_conntrack_generic_timeout", 600))
