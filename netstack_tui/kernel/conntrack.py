"""Connection tracking: tuples, entries, the TCP state machine, timeouts, table limits, NAT bindings.

Models nf_conntrack_in() / nf_conntrack_confirm(): a packet's entry is found by tuple in either
direction; a new entry stays unconfirmed (not in the table) until the packet survives to the
confirm hook, so a packet dropped on the way leaves no entry behind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
_ICMP_NEW = {ICMP_ECHO_REQUEST: ICMP_ECHO_REPLY, 13: 14, 15: 16, 17: 18}
"""ICMP queries that can start a connection (icmp_new's valid_new), with their reply types."""
_ICMP_INVERSE = {**_ICMP_NEW, **{reply: query for query, reply in _ICMP_NEW.items()}}
"""nf_conntrack_proto_icmp's invmap: a query's reply type and a reply's query type."""

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


_SETS: dict[frozenset[str], frozenset[str]] = {}


def _interned(bits: frozenset[str]) -> frozenset[str]:
    """One shared object per distinct set of bits (a million entries share a handful of sets)."""
    return _SETS.setdefault(bits, bits)


@dataclass(slots=True, eq=False)
class CtEntry:
    """One tracked connection."""

    id: int
    orig: CtTuple
    """The tuple of the first packet, as it arrived (before any NAT)."""
    reply: CtTuple
    """The tuple replies will carry (after NAT, inverted)."""
    tcp_state: str | None = None
    status: frozenset[str] = frozenset()
    """SEEN_REPLY, ASSURED, CONFIRMED, SRC_NAT, DST_NAT (ctstatus names). Interned: entries with
    the same bits share one set (change it with `set_status`)."""
    timeout_at: float = 0.0
    mark: int = 0
    nat_done: frozenset[str] = frozenset()
    """Which NAT manips were decided: `SRC`, `DST` (nf_nat_initialized); interned like `status`."""
    created_at: float = 0.0
    acct: tuple[int, int, int, int] | None = None
    """nf_conn_acct: (original packets, original bytes, reply packets, reply bytes), or None when the
    entry was made while net.netfilter.nf_conntrack_acct was 0 (the extension is added at creation).
    A tuple, not a list: entries copied field by field (`kernel.varied`) must not share it."""

    def account(self, direction: str, length: int) -> None:
        """nf_ct_acct_update(): one more packet of `length` bytes in `direction`."""
        if self.acct is not None:
            op, ob, rp, rb = self.acct
            self.acct = (op + 1, ob + length, rp, rb) if direction == "ORIGINAL" else (op, ob, rp + 1, rb + length)

    def set_status(self, bit: str) -> None:
        """Add a status bit (set_bit(IPS_*, &ct->status))."""
        if bit not in self.status:
            self.status = _interned(self.status | {bit})

    def set_nat_done(self, manip: str) -> None:
        """Mark a NAT manip as decided."""
        if manip not in self.nat_done:
            self.nat_done = _interned(self.nat_done | {manip})

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
        counts = self.acct
        parts.append(_tuple_text(self.orig) + (f" packets={counts[0]} bytes={counts[1]}" if counts else ""))
        if "SEEN_REPLY" not in self.status:
            parts.append("[UNREPLIED]")
        parts.append(_tuple_text(self.reply) + (f" packets={counts[2]} bytes={counts[3]}" if counts else ""))
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

    __slots__ = ("_by_tuple", "_entries", "_next_id", "_next_expiry", "dropped_full", "stats")
    ACCUMULATORS = ("dropped_full", "stats", "_next_id")
    """`conntrack -S` counters, and the id counter, which only numbers new entries (nothing on the
    packet path reads any of them to decide; see `kernel.steady`)."""

    def __init__(self) -> None:
        self._entries: dict[int, CtEntry] = {}
        self._by_tuple: dict[CtTuple, tuple[CtEntry, str]] = {}
        self._next_id = 1
        self._next_expiry = math.inf
        """No entry in the table times out before this (a lower bound), so `expire` is free until then."""
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
        if now < self._next_expiry:
            return
        dead = [e for e in self._entries.values() if e.timeout_at <= now]
        for entry in dead:
            self.remove(entry)
        self._next_expiry = min((e.timeout_at for e in self._entries.values()), default=math.inf)

    def _timeout(self, entry: CtEntry, at: float) -> None:
        entry.timeout_at = at
        if at < self._next_expiry and entry.id:
            self._next_expiry = at

    def first_unassured(self, now: float) -> CtEntry | None:
        """The oldest live entry without ASSURED (what early_drop evicts), or None."""
        self.expire(now)
        return next((e for e in self._entries.values() if "ASSURED" not in e.status), None)

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
        """Find or create the packet's entry, advance it, and say what ctstate it has (nf_conntrack_in).

        As in the kernel, a known connection's state, SEEN_REPLY and timeout change here, at
        conntrack's hook, whatever later chains decide about the packet.
        """
        if pkt.is_icmp_error:
            return self._classify_icmp_error(pkt, now)
        t = packet_tuple(pkt)
        hit = self.find(t, now)
        if hit is not None:
            entry, direction = hit
            if pkt.proto == IPPROTO_TCP:
                new_state = tcp_transition(entry.tcp_state or "NONE", pkt.flags, direction)
                if new_state == "SYN_SENT" and entry.tcp_state in ("TIME_WAIT", "CLOSE") and direction == "ORIGINAL":
                    # A SYN reopening a finished connection: the old entry goes, a new one starts.
                    self.remove(entry)
                    return self._new_entry(pkt, t, now)
                if new_state == "INVALID":
                    # -NF_ACCEPT: the packet goes on without its connection (ctstate INVALID, no NAT).
                    self.stats["invalid"] += 1
                    return CtResult("INVALID", None)
            self.stats["found"] += 1
            state = "ESTABLISHED" if direction == "REPLY" or "SEEN_REPLY" in entry.status else "NEW"
            self._advance(entry, pkt, direction, now, sysctl)
            return CtResult(state, entry, direction)
        if pkt.proto == IPPROTO_TCP and not self._tcp_can_start(pkt, sysctl):
            self.stats["invalid"] += 1
            return CtResult("INVALID", None)
        if pkt.proto == IPPROTO_ICMP and pkt.icmp_type not in _ICMP_NEW:
            # ICMP replies and unknown types without a connection are not trackable.
            self.stats["invalid"] += 1
            return CtResult("INVALID", None)
        return self._new_entry(pkt, t, now)

    @staticmethod
    def _new_entry(pkt: Packet, t: CtTuple, now: float) -> CtResult:
        entry = CtEntry(id=0, orig=t, reply=invert(t), created_at=now)
        if pkt.proto == IPPROTO_TCP:
            # tcp_new(): a SYN starts SYN_SENT; a mid-stream ACK (tcp_loose) is picked up ESTABLISHED.
            entry.tcp_state = "SYN_SENT" if pkt.flags & SYN else "ESTABLISHED"
        return CtResult("NEW", entry, "ORIGINAL", new=True)

    def _advance(self, entry: CtEntry, pkt: Packet, direction: str, now: float, sysctl: dict[str, int]) -> None:
        """The protocol handler, then SEEN_REPLY (nf_conntrack_handle_packet and what follows it)."""
        if pkt.proto == IPPROTO_TCP:
            old = entry.tcp_state or "NONE"
            new = tcp_transition(old, pkt.flags, direction)
            if new != "IGNORE":
                entry.tcp_state = new
            if pkt.flags & RST and "SEEN_REPLY" not in entry.status:
                # nf_conntrack_tcp_packet(): a RST as the only answer means there never was a
                # connection: the entry is deleted at once (nf_ct_kill_acct).
                self.remove(entry)
            if old in ("SYN_RECV", "ESTABLISHED") and entry.tcp_state == "ESTABLISHED":
                entry.set_status("ASSURED")
        elif pkt.proto == IPPROTO_UDP and "SEEN_REPLY" in entry.status and now > entry.created_at + 2:
            # udp_packet(): traffic both ways and still alive after 2 s makes a stream.
            entry.set_status("ASSURED")
        if direction == "REPLY":
            entry.set_status("SEEN_REPLY")
        self._timeout(entry, now + timeout_for(entry, sysctl))

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

    # ---- after the verdict -------------------------------------------------------------------

    def confirm(self, entry: CtEntry, now: float, sysctl: dict[str, int]) -> None:
        """Insert a new entry into the table (nf_conntrack_confirm); room was reserved at creation."""
        if entry.id:
            return
        entry.id = self._next_id
        self._next_id += 1
        entry.set_status("CONFIRMED")
        self._entries[entry.id] = entry
        self._by_tuple[entry.orig] = (entry, "ORIGINAL")
        self._by_tuple[entry.reply] = (entry, "REPLY")
        self.stats["insert"] += 1
        self._timeout(entry, now + timeout_for(entry, sysctl))


# tcp_conntracks[dir][flag][state] (nf_conntrack_proto_tcp.c), for the flag classes get_conntrack_index()
# computes. Columns: NONE SYN_SENT SYN_RECV ESTABLISHED FIN_WAIT CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE.
_TCP_STATES = ("NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
               "CLOSE")
_NO, _SS, _SR, _ES, _FW, _CW, _LA, _TW, _CL = _TCP_STATES
_IV, _IG = "INVALID", "IGNORE"
_TCP_TABLE = {
    "ORIGINAL": {
        "syn": (_SS, _SS, _IG, _IG, _IG, _IG, _IG, _SS, _SS),
        "synack": (_IV, _IV, _SR, _IV, _IV, _IV, _IV, _IV, _IV),
        "fin": (_IV, _IV, _FW, _FW, _LA, _LA, _LA, _TW, _CL),
        "ack": (_ES, _IV, _ES, _ES, _CW, _CW, _TW, _TW, _CL),
        "rst": (_IV, _CL, _CL, _CL, _CL, _CL, _CL, _CL, _CL),
        "none": (_IV,) * 9,
    },
    "REPLY": {
        "syn": (_IV, _SR, _IV, _IV, _IV, _IV, _IV, _SS, _IV),
        "synack": (_IV, _SR, _IG, _IG, _IG, _IG, _IG, _IG, _IG),
        "fin": (_IV, _IV, _FW, _FW, _LA, _LA, _LA, _TW, _CL),
        "ack": (_IV, _IG, _SR, _ES, _CW, _CW, _TW, _TW, _CL),
        "rst": (_IV, _CL, _CL, _CL, _CL, _CL, _CL, _CL, _CL),
        "none": (_IV,) * 9,
    },
}


def tcp_transition(state: str, flags: int, direction: str) -> str:
    """The next conntrack TCP state, or INVALID / IGNORE, for a segment with `flags`.

    The model keeps the state table but not the sequence-window checks (tcp_in_window), so an
    out-of-window segment is not marked INVALID here.
    """
    if flags & RST:
        index = "rst"
    elif flags & SYN:
        index = "synack" if flags & ACK else "syn"
    elif flags & FIN:
        index = "fin"
    elif flags & ACK:
        index = "ack"
    else:
        index = "none"
    column = _TCP_STATES.index(state) if state in _TCP_STATES else 0
    return _TCP_TABLE[direction][index][column]


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
