"""Floods of TCP packets that differ in one field (the source port, or the source address), taken a
class at a time — exactly what walking every packet would leave.

`kernel.steady` finishes a flood of *identical* packets once one of them changes nothing but
counters. A flood of new connections never gets there: each SYN adds a conntrack entry and a
request to the listener's SYN queue. Its packets are still alike in every way but one field, and
the argument carries over when the state is split in two:

- the *growing* part: the conntrack table and the listeners' SYN queues (with their index), which
  each packet extends by entries keyed by its own field value, and
- everything else, which the packet must leave as it found it, counters aside (checked by
  `steady.snapshot` with the growing part skipped).

A packet reads the growing part only through a few lookups, and `_key` evaluates all of them
(with the engine's own functions where they decide): its conntrack tuple and the tuple of its
answer are free, no expiry is due, the table is not full, no socket has its 4-tuple, and the
listener's queues give `deliver.syn_admission` the same answers. It reads its varied field through
rules, routes and addresses, and `value_ranges.boundaries` cuts the field's values where any of
those can change an answer. Packets with the same key are in one *class*: from the same rest of
the state they take the same path, add the same counter increments and grow the table and the
queue by the same entries, renamed to their own field value.

A class is learned from a packet the engine walks (the rest of the state unchanged, the growth
one entry and at most one request) and verified on a second one: the entry and request predicted
for it must equal, field by field, the ones the engine made, and its counter increments must be
the first one's. Only then does the class run here: each packet makes its entry and request from
the class's, and its counters are added in one go when the batch yields. Any packet walked without
that check (an unknown class, a conntrack hit, a full table) may have changed the rest of the
state, so every class learned before it is forgotten. Property tests (tests/perf) compare the
result, field by field, with the engine walking every packet, on random rulesets that test the
varied field, and with `send` packet by packet.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import stack
from .conntrack import CtEntry
from .deliver import isn_for, syn_admission
from .host import Host
from .netfilter.api import CtTuple
from .packet import IPPROTO_TCP, Packet
from .sockets import Socket
from .steady import snapshot
from .trace import Outcome
from .value_ranges import boundaries

FIELDS = ("sport", "src")
"""The fields a flood can vary."""

_SOCKET_FIELDS = [f.name for f in dataclasses.fields(Socket)]
_PEER, _ISN, _RTX_PACKET = (_SOCKET_FIELDS.index(name) for name in ("peer", "isn", "rtx_packet"))
_SYN_QUEUE, _ACCEPT_QUEUE = _SOCKET_FIELDS.index("syn_queue"), _SOCKET_FIELDS.index("accept_queue")
assert [f.name for f in dataclasses.fields(CtEntry)][:3] == ["id", "orig", "reply"]  # what `_entry_for` sets

CHUNK = 1024
"""Packets taken before the counters are brought up to date and the batch yields (a Ctrl-C is
honoured between two chunks)."""


@dataclass(slots=True, eq=False)
class _Class:
    """What one class of packets does: learned from one walk, verified on a second."""

    outcome: Outcome
    deltas: list[tuple[tuple[Any, Any, bool], int]]
    """Each counter the packet moved (where it lives) and by how much."""
    entry: CtEntry | None
    request: Socket | None
    epoch: int
    evicts: bool = False
    """The table is full: each packet first evicts the oldest unassured entry (early drop)."""
    verified: bool = False
    pending: int = 0
    """Packets taken here whose counter increments are not applied yet."""
    entry_fields: list[Any] | None = None
    """`entry`'s fields in constructor order (a new entry is made from a copy of them)."""
    request_fields: list[Any] | None = None

    def __post_init__(self) -> None:
        if self.entry is not None:
            self.entry_fields = [getattr(self.entry, f.name) for f in dataclasses.fields(CtEntry)]
        if self.request is not None:
            self.request_fields = [getattr(self.request, f.name) for f in dataclasses.fields(Socket)]


@dataclass(slots=True, eq=False)
class _Growth:
    """How the growing part stood before a walk."""

    next_id: int
    entries: int
    tuples: int
    queued: int
    queues: dict[int, int] = field(default_factory=dict)
    victim: CtEntry | None = None
    """The entry early drop would evict, when the table is full."""


class VariedFlood:
    """One flood: `pkt` with `field` set to each value in turn, arriving on `iface`."""

    def __init__(self, host: Host, pkt: Packet, iface: str, field_name: str) -> None:
        assert field_name in FIELDS
        self.host, self.pkt, self.iface, self.field = host, pkt, iface, field_name
        self.cuts = boundaries(host, field_name) if self._eligible() else None
        self.classes: dict[tuple[object, ...], _Class] = {}
        self.waits: dict[tuple[object, ...], int] = {}
        """Per class, walks left before it is tried again."""
        self.backoff: dict[tuple[object, ...], int] = {}
        self.epoch = 0
        self.created = 0
        """Entries made here since the counters were last applied (their ids run ahead of the
        id counter, which is one of those counters)."""
        self.listener: Socket | None = None
        self.limit = 0
        self.connected: set[tuple[tuple[int, int], tuple[int, int]]] = set()
        self.listener_epoch = -1
        self.tuples: tuple[CtTuple, CtTuple] = self._tuples(0)

    def _eligible(self) -> bool:
        host, pkt = self.host, self.pkt
        device = host.interfaces.get(self.iface)
        if pkt.proto != IPPROTO_TCP or device is None or device.kind not in ("ether", "veth"):
            return False
        if device.master is not None or device.xdp is not None:
            return False
        # SO_REUSEPORT picks a listener by the packet's hash: the varied field would decide.
        return not any(s.reuseport for s in host.sockets.sockets)

    # ---- the run -------------------------------------------------------------------------------------

    def run(self, values: Iterable[int]) -> Iterator[tuple[Outcome, int]]:
        """Each value's packet, in order; yields outcomes with how many packets each stands for.
        Between two yields every packet taken has had all its effects."""
        tally: dict[int, list[Any]] = {}
        taken = 0
        for value in values:
            key = self._key(value) if self.cuts is not None else None
            found = self.classes.get(key) if key is not None else None
            if found is not None and found.verified and found.epoch == self.epoch:
                self._apply(found, value)
                slot = tally.get(id(found))
                if slot is None:
                    tally[id(found)] = [found.outcome, 1]
                else:
                    slot[1] += 1
                taken += 1
                if taken >= CHUNK:
                    yield from self._flush(tally)
                    taken = 0
                continue
            yield from self._flush(tally)
            taken = 0
            yield self._walk(key, value), 1
        yield from self._flush(tally)

    def _flush(self, tally: dict[int, list[Any]]) -> Iterator[tuple[Outcome, int]]:
        """Apply the counter increments of the packets taken here, then report them."""
        for cls in self.classes.values():
            if cls.pending:
                for (holder, name, mapping), delta in cls.deltas:
                    if mapping:
                        holder[name] += delta * cls.pending
                    else:
                        setattr(holder, name, getattr(holder, name) + delta * cls.pending)
                cls.pending = 0
        self.created = 0
        yield from [(outcome, n) for outcome, n in tally.values()]
        tally.clear()

    # ---- classes -------------------------------------------------------------------------------------

    def _packet(self, value: int) -> Packet:
        return self.pkt.replace(**{self.field: value})

    def _tuples(self, value: int) -> tuple[CtTuple, CtTuple]:
        """The packet's conntrack tuple and its inverse (`conntrack.invert`, written out: this
        runs once per packet)."""
        pkt = self.pkt
        if self.field == "sport":
            return (CtTuple(IPPROTO_TCP, pkt.src, pkt.dst, value, pkt.dport),
                    CtTuple(IPPROTO_TCP, pkt.dst, pkt.src, pkt.dport, value))
        return (CtTuple(IPPROTO_TCP, value, pkt.dst, pkt.sport, pkt.dport),
                CtTuple(IPPROTO_TCP, pkt.dst, value, pkt.dport, pkt.sport))

    def _key(self, value: int) -> tuple[object, ...] | None:
        """Everything the packet reads of the growing part, and its value's interval; None when
        the engine must walk it (a known connection, a clash, an expiry due, a table full of
        entries early drop may not evict). A full table with an unassured entry is a class of its
        own: each packet evicts the oldest such entry (`hooks._ct_reserve`) before it is tracked.
        Leaves the packet's tuples in `tuples` for `_apply`."""
        host, pkt = self.host, self.pkt
        ct = host.conntrack
        orig, reply = self.tuples = self._tuples(value)
        by_tuple = ct._by_tuple
        if orig in by_tuple or reply in by_tuple or host.clock >= ct._next_expiry:
            return None
        listener = self._listener()
        evicts = bool(self.limit) and len(ct._entries) >= self.limit
        if evicts and ct.first_unassured(host.clock) is None:
            return None  # nothing to early-drop: the packet is dropped and logged, the engine's way
        # What `SocketTable.lookup_established` could find: a connected socket with these ends, or
        # a request queued under them (checked more broadly than it looks: any, not only TCP).
        ends = (pkt.dst, pkt.dport), (pkt.src, value) if self.field == "sport" else (value, pkt.sport)
        if ends in self.connected or ends in host.sockets._queued:
            return None
        admission = syn_admission(host, listener) if listener is not None else None
        assert self.cuts is not None
        return bisect_right(self.cuts, value), admission, evicts

    def _listener(self) -> Socket | None:
        """The listener the packets reach, and `nf_conntrack_max` (both in the unchanging part of
        the state: read once per epoch)."""
        if self.listener_epoch != self.epoch:
            host = self.host
            self.listener = host.sockets.lookup_listener("tcp", self.pkt.dst, self.pkt.dport)
            self.limit = host.sysctl.int("net.netfilter.nf_conntrack_max")
            self.connected = {(sock.local, sock.peer) for sock in host.sockets.sockets}
            self.listener_epoch = self.epoch
        return self.listener

    def _walk(self, key: tuple[object, ...] | None, value: int) -> Outcome:
        """The engine walks the packet; with a key, learning or verifying its class on the way.
        A class that fails to settle is tried again after 1, 2, 4, ... walks of its packets, so
        a flood that never settles pays for few snapshots."""
        host, pkt = self.host, self._packet(value)
        if key is not None and self._room(key, value) < 3:
            key = None  # learning takes two packets: a class with less room ahead never pays back
        if key is None or self.waits.get(key, 0):
            if key is not None:
                self.waits[key] -= 1
            self.epoch += 1
            return stack.receive_batch(host, pkt, self.iface)
        listener = self._listener()
        skip = self._growing()
        growth = self._growth()
        before = snapshot(host, skip)
        outcome = stack.receive_batch(host, pkt, self.iface)
        after = snapshot(host, skip)
        made = self._made(growth, listener, value) if before.state == after.state else None
        if made is None or len(before.counters) != len(after.counters):
            self.epoch += 1
            self._failed(key)
            return outcome
        deltas = [((holder, name, mapping), new - old)
                  for (holder, name, mapping), old, new in zip(after.places, before.counters, after.counters,
                                                               strict=True) if new != old]
        entry, request = made
        known = self.classes.get(key)
        if known is not None and known.epoch == self.epoch and not known.verified:
            known.verified = (_same_deltas(known.deltas, deltas)
                              and known.outcome.summary_line() == outcome.summary_line()
                              and self._predicts(known, value, entry, request))
            if known.verified:
                self.backoff.pop(key, None)
                return outcome
            self._failed(key)
        self.classes[key] = _Class(outcome, deltas, entry, request, self.epoch, evicts=bool(key[2]))
        return outcome

    def _room(self, key: tuple[object, ...], value: int) -> float:
        """How many values from `value` up still fall in its interval (floods count their field
        up by one)."""
        assert self.cuts is not None
        index = key[0]
        assert isinstance(index, int)
        return self.cuts[index] - value if index < len(self.cuts) else float("inf")

    def _failed(self, key: tuple[object, ...]) -> None:
        wait = self.backoff[key] = max(1, 2 * self.backoff.get(key, 0))
        self.waits[key] = wait

    def _growing(self) -> list[object]:
        """The objects of the growing part, which the snapshot skips."""
        host = self.host
        ct, table = host.conntrack, host.sockets
        skip: list[object] = [ct._entries, ct._by_tuple, table._queued]
        skip.extend(s.syn_queue for s in table.sockets if s.state == "LISTEN")
        return skip

    def _growth(self) -> _Growth:
        ct, table = self.host.conntrack, self.host.sockets
        queues = {id(s): len(s.syn_queue) for s in table.sockets if s.state == "LISTEN"}
        full = self.limit and len(ct._entries) >= self.limit
        victim = ct.first_unassured(self.host.clock) if full else None
        return _Growth(ct._next_id, len(ct._entries), len(ct._by_tuple), len(table._queued), queues, victim)

    def _made(self, growth: _Growth, listener: Socket | None,
              value: int) -> tuple[CtEntry | None, Socket | None] | None:
        """The entry and request the walk added, when that is all it did to the growing part."""
        ct, table = self.host.conntrack, self.host.sockets
        made = ct._next_id - growth.next_id
        gone = 0
        if growth.victim is not None:
            if growth.victim.id in ct._entries:
                return None
            gone = 1
        if (made > 1 or len(ct._entries) != growth.entries + made - gone
                or len(ct._by_tuple) != growth.tuples + 2 * (made - gone)):
            return None
        entry = ct._entries.get(growth.next_id) if made else None
        if made and (entry is None or (entry.orig, entry.reply) != self._tuples(value)):
            return None
        request = None
        for sock in table.sockets:
            if sock.state != "LISTEN":
                continue
            grew = len(sock.syn_queue) - growth.queues.get(id(sock), -1)
            if grew == 0:
                continue
            if grew != 1 or sock is not listener or request is not None:
                return None
            request = sock.syn_queue[-1]
        if len(table._queued) != growth.queued + (request is not None):
            return None
        if request is not None and (request.local, request.peer) != self._ends(value):
            return None
        return entry, request

    def _ends(self, value: int) -> tuple[tuple[int, int], tuple[int, int]]:
        pkt = self.pkt
        peer = (pkt.src, value) if self.field == "sport" else (value, pkt.sport)
        return (pkt.dst, pkt.dport), peer

    # ---- making a class's effects ----------------------------------------------------------------------

    def _entry_for(self, cls: _Class, value: int, entry_id: int, tuples: tuple[CtTuple, CtTuple]) -> CtEntry:
        """The class's entry for `value`: every field as the class's, but its id and tuples."""
        fields = cls.entry_fields
        assert fields is not None
        made = list(fields)
        made[0], made[1], made[2] = entry_id, *tuples
        return CtEntry(*made)

    def _request_for(self, cls: _Class, value: int) -> Socket:
        """The class's request for `value`: its peer, its ISN and the SYN-ACK carrying that ISN."""
        fields = cls.request_fields
        template = cls.request
        assert fields is not None and template is not None
        made = list(fields)
        local, peer = self._ends(value)
        isn = isn_for(self.host, peer[0], peer[1], local[1])
        made[_PEER], made[_ISN], made[_SYN_QUEUE], made[_ACCEPT_QUEUE] = peer, isn, [], []
        if template.rtx_packet is not None:
            moved = {"dst": value} if self.field == "src" else {"dport": value}
            made[_RTX_PACKET] = template.rtx_packet.replace(seq=isn, **moved)
        return Socket(*made)

    def _predicts(self, cls: _Class, value: int, entry: CtEntry | None, request: Socket | None) -> bool:
        """Whether the class makes, for `value`, exactly the entry and request the engine made."""
        if (cls.entry is None) != (entry is None) or (cls.request is None) != (request is None):
            return False
        if entry is not None and not _same(self._entry_for(cls, value, entry.id, self._tuples(value)), entry):
            return False
        return request is None or _same(self._request_for(cls, value), request)

    def _apply(self, cls: _Class, value: int) -> None:
        """One packet of a verified class: its entry and request, its counters left pending."""
        host = self.host
        if cls.evicts:
            victim = host.conntrack.first_unassured(host.clock)
            assert victim is not None  # `_key` saw one
            host.conntrack.remove(victim)
        if cls.entry is not None:
            ct = host.conntrack
            entry = self._entry_for(cls, value, ct._next_id + self.created, self.tuples)
            self.created += 1
            ct._entries[entry.id] = entry
            ct._by_tuple[entry.orig] = (entry, "ORIGINAL")
            ct._by_tuple[entry.reply] = (entry, "REPLY")
        if cls.request is not None:
            listener = cls.request.parent
            assert listener is not None
            host.sockets.enqueue_request(listener, self._request_for(cls, value))
        cls.pending += 1


def _same_deltas(a: list[tuple[tuple[Any, Any, bool], int]], b: list[tuple[tuple[Any, Any, bool], int]]) -> bool:
    """The same counters (the same objects, by identity) moved by the same amounts."""
    return len(a) == len(b) and all(
        x[0] is y[0] and x[1] == y[1] and dx == dy for (x, dx), (y, dy) in zip(a, b, strict=True))


def _same(a: object, b: object) -> bool:
    """Field by field (slots), with the parent socket compared by identity."""
    for name in type(a).__slots__:  # type: ignore[attr-defined]
        x, y = getattr(a, name), getattr(b, name)
        if name == "parent" and x is not y or name != "parent" and x != y:
            return False
    return True
