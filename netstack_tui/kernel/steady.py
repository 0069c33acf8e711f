"""Steady state: when one more identical packet cannot change anything but counters, the rest of a
flood is that packet's counter increments times the number of packets left.

The argument is exact, not statistical. The model is deterministic and a flood's clock stands still,
so a packet's path depends only on the packet and the host's state. Split the state into
*accumulators* (packet and byte counters, which only ever grow and which nothing on the packet path
reads to decide anything) and everything else. If a packet leaves everything else exactly as it found
it, the next identical packet starts from the same state, takes the same path and adds the same
increments; by induction so do all the ones after it. `snapshot()` takes the two parts of a host;
`repeat()` checks the condition and, when it holds, applies N packets' increments at once.

A class names its accumulators in an `ACCUMULATORS` class attribute (a field holding a dict counts
each value), the fields that only cache what can be derived from the rest in `CACHES` (skipped),
and fields holding immutable values in `IMMUTABLE` (compared by identity: a compiled rule is not
walked again, which keeps the check cheap with thousands of rules).
Every other field is state: the match state rules keep (limit buckets, recent lists), and whatever
a closure holds (compiled predicates are walked too, in case one ever keeps state of its own).
Anything the walk does not know is state as well: an unknown field can only keep a flood on the
packet-by-packet path, never make it wrong.
"""

from __future__ import annotations

import enum
import functools
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from types import FunctionType, MethodType
from typing import Any

_ATOMS = (int, float, str, bytes, bool, type(None), enum.Enum)


@dataclass(slots=True)
class Snapshot:
    """A host's state, flattened, and its accumulators with where each lives."""

    state: list[object]
    counters: list[int]
    places: list[tuple[Any, Any, bool]]
    """(holder, field name or dict key, whether the holder is a mapping), aligned with `counters`."""


def snapshot(root: object, skip: Collection[object] = ()) -> Snapshot:
    """Walk everything reachable from `root` (a host) and split it into state and accumulators.

    The objects in `skip` are not walked: each stands in the state as itself, by identity. A
    caller that accounts for their changes some other way (`kernel.varied` diffs the conntrack
    table and the listeners' queues itself) keeps them out of the comparison this way."""
    walker = _Walker()
    for obj in skip:
        walker.opaque(obj)
    walker.walk(root)
    return Snapshot(walker.state, walker.counters, walker.places)


def repeat(before: Snapshot, after: Snapshot, times: int) -> bool:
    """If the packet that turned `before` into `after` changed nothing but accumulators, add its
    increments `times` more times (as if `times` more identical packets had followed) and say so."""
    if before.state != after.state or len(before.counters) != len(after.counters):
        return False
    for old, new, (holder, key, mapping) in zip(before.counters, after.counters, after.places, strict=True):
        if new != old:
            if mapping:
                holder[key] = new + times * (new - old)
            else:
                setattr(holder, key, new + times * (new - old))
    return True


class _Walker:
    """Depth-first over objects, containers and closures; an object seen before is written as a
    back-reference, so shared objects and cycles are part of the state and are walked once."""

    def __init__(self) -> None:
        self.state: list[object] = []
        self.counters: list[int] = []
        self.places: list[tuple[Any, Any, bool]] = []
        self.seen: dict[int, int] = {}
        self.keep: list[object] = []
        """Everything walked stays referenced, so no id() is reused during the walk."""

    def opaque(self, obj: object) -> None:
        """Make `obj` a back-reference without walking it (see `snapshot`'s `skip`)."""
        self.seen[id(obj)] = len(self.seen)
        self.keep.append(obj)

    def walk(self, obj: object) -> None:
        if isinstance(obj, _ATOMS):
            self.state.append(obj)
            return
        ref = self.seen.get(id(obj))
        if ref is not None:
            self.state.append(("ref", ref))
            return
        self.seen[id(obj)] = len(self.seen)
        self.keep.append(obj)
        kind = type(obj)
        self.state.append(kind)
        if kind is dict:
            self.state.append(len(obj))  # type: ignore[arg-type]
            for key, value in obj.items():  # type: ignore[attr-defined]
                self.walk(key)
                self.walk(value)
        elif kind in (list, tuple, deque, set, frozenset) or isinstance(obj, tuple):  # named tuples too
            self.state.append(len(obj))  # type: ignore[arg-type]
            for item in obj:  # type: ignore[attr-defined]
                self.walk(item)
        elif kind is FunctionType:
            # Compiled predicates keep their state (a limit's bucket) in the closure.
            for cell in obj.__closure__ or ():  # type: ignore[attr-defined]
                self.walk(cell.cell_contents)
            self.walk(obj.__defaults__)  # type: ignore[attr-defined]
        elif kind is MethodType:
            self.walk(obj.__self__)  # type: ignore[attr-defined]
            self.walk(obj.__func__)  # type: ignore[attr-defined]
        elif kind is functools.partial:
            self.walk(obj.func)  # type: ignore[attr-defined]
            self.walk(obj.args)  # type: ignore[attr-defined]
            self.walk(obj.keywords)  # type: ignore[attr-defined]
        else:
            self._fields(obj, kind)

    def _fields(self, obj: object, kind: type) -> None:
        accumulators: tuple[str, ...] = getattr(kind, "ACCUMULATORS", ())
        caches: tuple[str, ...] = getattr(kind, "CACHES", ())
        immutable: tuple[str, ...] = getattr(kind, "IMMUTABLE", ())
        names = _field_names(kind)
        if not names and not hasattr(obj, "__dict__"):
            self.state.append(repr(obj))  # an opaque value (a compiled regex): its text is its state
            return
        for name in names + ([n for n in vars(obj) if n not in names] if hasattr(obj, "__dict__") else []):
            if name in caches:
                continue
            try:
                value = getattr(obj, name)
            except AttributeError:
                self.state.append(("unset", name))
                continue
            if name in accumulators:
                self._accumulate(obj, name, value)
            elif name in immutable:
                # Held by the snapshot (`keep`), so no other object can take its id meanwhile.
                self.keep.append(value)
                self.state.append(("same", id(value)))
            else:
                self.walk(value)

    def _accumulate(self, holder: object, name: str, value: object) -> None:
        if isinstance(value, dict):
            self.state.append(tuple(value))  # which counters exist is state; their values are not
            for key, count in value.items():
                self.counters.append(count)
                self.places.append((value, key, True))
        else:
            assert isinstance(value, int), f"{type(holder).__name__}.{name} is not a counter"
            self.counters.append(value)
            self.places.append((holder, name, False))


@functools.cache
def _field_names(kind: type) -> list[str]:
    """Slot names over the class hierarchy, in a stable order."""
    names: list[str] = []
    for klass in reversed(kind.__mro__):
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and name not in names:
                names.append(name)
    return names
