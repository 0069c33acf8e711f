"""Queueing on the simulated clock: when a packet leaves its qdisc, or that it is dropped there.

The model computes each packet's departure when it is enqueued, from a token bucket per shaper
(TBF's `rate`/`burst`; an HTB leaf's `ceil`/`cburst`, capped by its ancestors' ceilings) and the
FIFO order of its queue; `drain` retires the packets whose time has come, which is when `tc -s`
counts them as Sent. What is simplified, and said so on screen (the `tc.note.*` messages):

* a device with no shaper sends as fast as packets come (no NIC timing), so a fq_codel, pfifo or
  pfifo_fast queue never builds and fq_codel's sojourn-time dropping (CoDel) never acts;
* busy HTB siblings do not compete for their parent's spare rate: each leaf is shaped at its own
  ceil (and no faster than any ancestor's ceil);
* netem loss is deterministic (a packet in every 1/p), so runs are repeatable;
* the packet's journey goes on at once; its wait is reported, not replayed later.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Bucket, DeviceTc, Held, Qdisc, TcClass, TcStats, major, minor

ETH_HLEN = 14
MILLION = 1_000_000
EPSILON = 1e-6
"""Bytes of float error tolerated when a bucket is compared with zero."""


@dataclass(frozen=True, slots=True)
class Enqueued:
    """The qdisc's answer for one packet."""

    dropped: bool
    wait: float = 0.0
    """Seconds until it leaves."""
    where: str = ""
    """The queue it waited in: `pfifo 10: (class 1:10)`, `tbf 8001:`, or the default qdisc's kind."""
    backlog: int = 0
    """Packets in that queue once it is in (or, dropped, as the drop found it)."""
    backlog_bytes: int = 0
    limit: int = 0
    limit_bytes: bool = False
    why: str = ""
    """For a drop: `limit` (queue full), `loss` (netem), `too_big` (larger than TBF's burst)."""
    classid: int | None = None
    direct: bool = False
    """HTB sent it unshaped: no class matched and the default class does not exist."""
    stats: TcStats | None = None
    """The counters of the root qdisc (or the default one), after this packet."""


def handle_text(handle: int) -> str:
    """`1:` for a qdisc handle, `1:10` for a classid (hex, as tc prints)."""
    return f"{major(handle):x}:" + (f"{minor(handle):x}" if minor(handle) else "")


def drain(tc: DeviceTc, now: float) -> None:
    """Retire every packet whose departure time has come, counting it as Sent on its way out."""
    root = tc.root
    for queue in tc.leaves():
        while queue.held and queue.held[0].leaves <= now:
            held = queue.held.pop(0)
            _count_sent(queue.stats, held.length)
            if root is not None and queue is not root:
                _count_sent(root.stats, held.length)
            for classid in held.classes:
                cls = tc.classes.get(classid)
                if cls is not None:
                    _count_sent(cls.stats, held.length)
            if held.classes and held.classes[0] in tc.classes:
                leaf_class = tc.classes[held.classes[0]]
                if held.lender:
                    leaf_class.stats.borrowed += 1
                    if held.lender in tc.classes:
                        tc.classes[held.lender].stats.lended += 1
                else:
                    leaf_class.stats.lended += 1
            if held.over:
                if root is not None:
                    root.stats.overlimits += 1
                if held.classes and held.classes[0] in tc.classes and queue is not root:
                    tc.classes[held.classes[0]].stats.overlimits += 1


def _count_sent(stats: TcStats, length: int) -> None:
    stats.packets += 1
    stats.bytes += length


def enqueue(tc: DeviceTc, default_kind: str, frame: int, classid: int | None, now: float,
            txqueuelen: int) -> Enqueued:
    """dev_queue_xmit() → the root qdisc's enqueue: a `frame`-byte packet (Ethernet header included,
    as qdiscs count) arriving at `now`; `classid` is what the filters chose (HTB only)."""
    drain(tc, now)
    root = tc.root
    if root is None:
        if default_kind != "noqueue":  # noqueue has no queue and counts nothing
            _count_sent(tc.default_stats, frame)
        return Enqueued(False, limit=txqueuelen, stats=tc.default_stats)
    if root.kind == "htb":
        return _htb(tc, root, frame, classid, now, txqueuelen)
    if root.kind == "tbf":
        return _tbf(root, frame, now)
    return _fifo(root, root, frame, now, now, ())


def _fifo(queue: Qdisc, root: Qdisc, frame: int, now: float, ready: float, classes: tuple[int, ...],
          over: bool = False) -> Enqueued:
    """A leaf queue: drop when full, else the packet leaves at `ready` (plus netem's delay)."""
    where = handle_text(queue.handle) if queue.handle else ""
    if queue.kind == "netem" and queue.options.get("loss_ppm", 0):
        queue.loss_debt += queue.options["loss_ppm"]
        if queue.loss_debt >= MILLION:
            queue.loss_debt -= MILLION
            return _drop(queue, root, classes, "loss")
    used_bytes, used = queue.backlog()
    full = used_bytes + frame > queue.limit if queue.counts_bytes else used + 1 > queue.limit
    if full:
        return _drop(queue, root, classes, "limit")
    # netem adds its delay to each packet's own time; FIFO order still holds (no jitter here)
    leaves = max(ready + queue.options.get("delay_us", 0) / MILLION, queue.last_leaves)
    queue.last_leaves = leaves
    queue.held.append(Held(leaves, frame, classes, over))
    return Enqueued(False, leaves - now, f"{queue.kind} {where}".strip(), used + 1, used_bytes + frame,
                    queue.limit, queue.counts_bytes, classid=classes[0] if classes else None, stats=root.stats)


def _drop(queue: Qdisc, root: Qdisc, classes: tuple[int, ...], why: str) -> Enqueued:
    queue.stats.drops += 1
    if root is not queue:
        root.stats.drops += 1
    used_bytes, used = queue.backlog()
    where = f"{queue.kind} {handle_text(queue.handle) if queue.handle else ''}".strip()
    return Enqueued(True, where=where, backlog=used, backlog_bytes=used_bytes, limit=queue.limit,
                    limit_bytes=queue.counts_bytes, why=why, classid=classes[0] if classes else None,
                    stats=root.stats)


def _tbf(root: Qdisc, frame: int, now: float) -> Enqueued:
    """tbf_enqueue() into its inner bfifo (`limit` bytes), tbf_dequeue() as tokens allow: a packet
    needs as many tokens as it has bytes; larger than the bucket, it can never go."""
    rate, burst = root.options["rate"], root.options["burst"]
    bucket = root.bucket
    if bucket is None:
        bucket = root.bucket = Bucket(rate, burst, float(burst), now)
    if frame > burst:
        return _drop(root, root, (), "too_big")
    start = max(now, root.last_leaves)
    tokens = bucket.at(start)
    if root.held or tokens < frame:
        root.stats.overlimits += 1  # the dequeue this packet's arrival triggers finds too few tokens
    result = _fifo(root, root, frame, now, now if not root.held else start, ())
    if result.dropped:
        return result
    leaves = start if tokens >= frame else start + (frame - tokens) / rate
    root.held[-1].leaves = root.last_leaves = leaves
    root.held[-1].over = leaves > now  # the watchdog's wake-up finds the next one short again
    bucket.tokens, bucket.stamp = max(tokens, float(frame)) - frame, leaves
    return Enqueued(False, leaves - now, result.where, result.backlog, result.backlog_bytes, result.limit, True,
                    stats=root.stats)


def _htb(tc: DeviceTc, root: Qdisc, frame: int, classid: int | None, now: float, txqueuelen: int) -> Enqueued:
    """htb_enqueue(): the filters' class, else `default`; a class that does not exist or has
    children sends the packet on the direct queue, unshaped. A leaf may send while its ceil bucket
    is not negative (the packet is charged after it goes, so the bucket dips below zero)."""
    if classid is None or classid not in tc.classes:
        classid = root.handle | root.options.get("default", 0)
    cls = tc.classes.get(classid)
    if cls is None or tc.children(classid):
        root.options["direct_packets_stat"] = root.options.get("direct_packets_stat", 0) + 1
        _count_sent(root.stats, frame)
        return Enqueued(False, where="htb direct", direct=True, stats=root.stats)
    leaf = cls.leaf
    if leaf is None:
        leaf = cls.leaf = Qdisc("pfifo", 0, cls.classid, {"limit": txqueuelen})
    path = tc.path(classid)
    ceil = min(min(c.ceil for c in path), path[-1].rate)  # the top class has no one to borrow from
    ctokens = _bucket(cls, "ctokens", ceil, cls.cburst, now)
    start = max(now, leaf.last_leaves)
    have = ctokens.at(start)
    leaves = start if have >= -EPSILON else start + -have / ceil
    over = have - frame < -EPSILON
    result = _fifo(leaf, root, frame, now, leaves, tuple(c.classid for c in path), over)
    if result.dropped:
        cls.stats.drops += 1
        return result
    ctokens.tokens, ctokens.stamp = max(have, 0.0) - frame, leaves
    leaf.held[-1].lender = _charge_rates(path, frame, leaves, now)
    return result


def _bucket(cls: TcClass, which: str, rate: int, size: int, now: float) -> Bucket:
    bucket: Bucket | None = getattr(cls, which)
    if bucket is None or bucket.rate != rate:
        bucket = Bucket(rate, size, float(size), now)
        setattr(cls, which, bucket)
    return bucket


def _charge_rates(path: list[TcClass], frame: int, leaves: float, now: float) -> int:
    """The classes' own-rate buckets: within its rate a leaf sends on its own tokens (HTB counts it
    as lended); above it, it borrows from the nearest ancestor with tokens to spare (the leaf
    counts borrowed, that ancestor lended). Returns the lender's classid, 0 for none."""
    borrowing, lender = False, 0
    for i, cls in enumerate(path):
        bucket = _bucket(cls, "tokens", cls.rate, cls.burst, now)
        have = bucket.at(leaves)
        within = have >= -EPSILON
        if i == 0:
            borrowing = not within
        elif borrowing and not lender and (within or i == len(path) - 1):
            lender = cls.classid
        bucket.tokens, bucket.stamp = (max(have, 0.0) if within else have) - frame, leaves
    return lender


def ticks(bucket: Bucket | None, rate: int, size: int) -> int:
    """A bucket as `tc -s class show` prints `tokens:`: its credit in time, in 64 ns units."""
    tokens = float(size) if bucket is None else bucket.tokens
    return int(tokens / rate * 1e9) >> 6 if rate else 0
