"""What `tc` has attached to one device: the root qdisc (or none: the device's default), its HTB
classes, the ingress/clsact qdisc, and the filters, with the counters `tc -s` prints.

Handles are the kernel's 32-bit values: major in the high 16 bits, minor in the low 16 (`1:10` is
0x00010010). Rates are bytes per second, sizes bytes, times simulated seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ..bpf.loader import LoadedProgram  # the compiler is imported only when a program is loaded

TC_H_ROOT = 0xFFFFFFFF
TC_H_INGRESS = 0xFFFFFFF1
"""The parent of an ingress or clsact qdisc (`parent ffff:fff1`)."""
TC_H_MIN_INGRESS = 0xFFF2
TC_H_MIN_EGRESS = 0xFFF3
INGRESS_HANDLE = 0xFFFF0000

SHAPERS = frozenset({"htb", "tbf"})
"""Root qdiscs that hold packets back to a rate."""
FIFOS = frozenset({"pfifo", "bfifo", "pfifo_fast", "fq_codel", "netem", "noqueue"})
"""Qdiscs that only queue (in this model a device sends as fast as packets come: see `shaping`)."""


def major(handle: int) -> int:
    """The major number of a handle (`1:10` → 1)."""
    return handle >> 16


def minor(handle: int) -> int:
    """The minor number of a handle (`1:10` → 0x10)."""
    return handle & 0xFFFF


@dataclass(slots=True)
class TcStats:
    """The counters of `tc -s` for one qdisc, class or action (`gnet_stats_basic`, `_queue`)."""

    ACCUMULATORS: ClassVar = ("bytes", "packets", "drops", "overlimits", "requeues", "lended", "borrowed")

    bytes: int = 0
    packets: int = 0
    drops: int = 0
    overlimits: int = 0
    requeues: int = 0
    lended: int = 0
    """HTB: packets a class sent within its own rate."""
    borrowed: int = 0
    """HTB: packets a class sent above its rate, on its parents' spare tokens (up to its ceil)."""


@dataclass(slots=True)
class Held:
    """A packet waiting in a queue: when it leaves, its length, and who counts it then."""

    leaves: float
    length: int
    classes: tuple[int, ...] = ()
    """HTB classids from the leaf up whose Sent counters it joins when it leaves."""
    over: bool = False
    """It left with its class out of tokens (HTB counts an overlimit then)."""
    lender: int = 0
    """HTB: 0 if the leaf sent it on its own rate, else the classid whose spare rate it borrowed."""


@dataclass(slots=True)
class Bucket:
    """A token bucket: `tokens` bytes at time `stamp`, refilled at `rate` up to `size`."""

    rate: int
    size: int
    tokens: float
    stamp: float = 0.0

    def at(self, now: float) -> float:
        """The tokens there would be at `now` with nothing taken in between."""
        return min(float(self.size), self.tokens + self.rate * max(0.0, now - self.stamp))


@dataclass(slots=True)
class Qdisc:
    """One qdisc. `options` holds its parameters as `tc` set them (see `commands.tc` for names)."""

    kind: str
    handle: int
    """Major handle as a 32-bit value (`1:` is 0x10000; 0 for a device's default qdisc)."""
    parent: int = TC_H_ROOT
    options: dict[str, int] = field(default_factory=dict)
    stats: TcStats = field(default_factory=TcStats)
    held: list[Held] = field(default_factory=list)
    """Packets in this qdisc's own queue, oldest first (a leaf's, or TBF's inner bfifo)."""
    last_leaves: float = 0.0
    """When the newest queued packet leaves (a FIFO sends in order)."""
    bucket: Bucket | None = None
    """TBF's token bucket."""
    loss_debt: int = 0
    """netem loss: parts per million owed; a packet is lost each time it reaches a million."""

    @property
    def limit(self) -> int:
        """The queue limit (packets, or bytes for bfifo and tbf)."""
        return self.options.get("limit", 1000)

    @property
    def counts_bytes(self) -> bool:
        """Whether `limit` is in bytes."""
        return self.kind in ("bfifo", "tbf")

    def backlog(self) -> tuple[int, int]:
        """(bytes, packets) waiting."""
        return sum(h.length for h in self.held), len(self.held)


@dataclass(slots=True)
class TcClass:
    """An HTB class: its guaranteed rate and ceiling, and the leaf qdisc holding its packets."""

    classid: int
    parent: int
    """The parent class, or the qdisc's handle for a class at the root."""
    rate: int
    ceil: int
    burst: int
    cburst: int
    prio: int = 0
    quantum: int = 0
    stats: TcStats = field(default_factory=TcStats)
    leaf: Qdisc | None = None
    """The qdisc a leaf class queues into (`None` until the first packet: a pfifo of txqueuelen)."""
    tokens: Bucket | None = None
    ctokens: Bucket | None = None


@dataclass(slots=True)
class U32Key:
    """One u32 key as the kernel keeps it: (word at `offset`) & mask == value."""

    value: int
    mask: int
    offset: int
    nexthdr: bool = False
    """The offset counts from the transport header (`at nexthdr+N`)."""


@dataclass(slots=True)
class Action:
    """A tc action: `gact` (drop, pass, ...), `mirred` (redirect/mirror to a device) or `police`."""

    kind: str
    verdict: str = "pass"
    """gact's control word, or police's exceed action: `drop`, `pass`, `ok`, `continue`, `reclassify`."""
    device: str = ""
    direction: str = "egress"
    mirror: bool = False
    rate: int = 0
    burst: int = 0
    index: int = 1
    stats: TcStats = field(default_factory=TcStats)
    bucket: Bucket | None = None


@dataclass(slots=True)
class BpfClassifier:
    """What makes a filter a `bpf` one (cls_bpf): the loaded sched_cls program and how it is run."""

    code: LoadedProgram
    name: str
    """iproute2's annotation, `FILE:[SECTION]` (the object's base name)."""
    prog_id: int
    direct_action: bool
    """`da`: the program's return value is the verdict (TC_ACT_*); without it, a classid (0: no match)."""
    loaded_at: float = 0.0


@dataclass(slots=True)
class Filter:
    """A u32 filter (its keys, the class it picks (`flowid`) and its actions), or a bpf one (`bpf`)."""

    parent: int
    protocol: str
    pref: int
    keys: list[U32Key]
    flowid: int | None = None
    actions: list[Action] = field(default_factory=list)
    handle: int = 0x800800
    """`fh 800::800` (hash table 800, node 800)."""
    hits: TcStats = field(default_factory=TcStats)
    bpf: BpfClassifier | None = None
    """Set for a `bpf` filter (then `keys` is empty and unused)."""


@dataclass(slots=True)
class DeviceTc:
    """Everything tc attached to one device. With no `root`, the device has its default qdisc
    (`Interface.qdisc` names it) and `default_stats` counts what passed it."""

    root: Qdisc | None = None
    classes: dict[int, TcClass] = field(default_factory=dict)
    """HTB classes by classid (only with an HTB root)."""
    ingress: Qdisc | None = None
    """The `ingress` or `clsact` qdisc."""
    filters: list[Filter] = field(default_factory=list)
    default_stats: TcStats = field(default_factory=TcStats)

    def leaves(self) -> list[Qdisc]:
        """Every queue packets can wait in."""
        found = [c.leaf for c in self.classes.values() if c.leaf is not None]
        if self.root is not None:
            found.append(self.root)
        return found

    def children(self, classid: int) -> list[TcClass]:
        """The classes whose parent is `classid`."""
        return [c for c in self.classes.values() if c.parent == classid]

    def path(self, classid: int) -> list[TcClass]:
        """The class and its ancestors, leaf first."""
        found: list[TcClass] = []
        cls = self.classes.get(classid)
        while cls is not None:
            found.append(cls)
            cls = self.classes.get(cls.parent)
        return found
