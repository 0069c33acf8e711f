"""Named sets and maps (`set NAME { type ...; flags interval; elements = { ... } }`) and the element
rules nft applies to every set, named or anonymous: one-element sets printed bare, intervals merged,
elements listed in nft's sort order and wrapped as nft wraps them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from .exprs import Elem, Verdict, format_elem
from .values import NftError

SET_TYPES = {
    "ipv4_addr": ("addr", "IPv4 address"),
    "ipv6_addr": ("addr6", "IPv6 address"),
    "inet_service": ("port", "internet network service"),
    "inet_proto": ("proto", "Internet protocol"),
    "ifname": ("ifname", "network interface name"),
    "iface_index": ("iface", "network interface index"),
    "mark": ("mark", "packet mark"),
    "ct_state": ("ctstate", "conntrack state"),
    "icmp_type": ("icmptype", "ICMP type"),
}
"""nft datatype names a set may use: the selector kind their values parse as, and nft's description."""
KIND_DESC = {kind: desc for kind, desc in SET_TYPES.values()} | {"int": "integer", "icmpcode": "ICMP code"}

_SINGLE_LINE_COUNT = {"port": 16, "proto": 16, "mark": 16, "iface": 16, "int": 16, "addr": 2, "ctstate": 2}
"""calculate_delim() in nft: how many elements share a line before the next one wraps (others: one)."""
WRAP = ",\n\t\t\t     "

SetData = Verdict | Elem
"""A map element's value: a verdict for a vmap, a value for a data map."""


@dataclass(slots=True)
class NamedSet:
    """A named set or map of one table; `data` is None for a set, `verdict` or a datatype for a map."""

    name: str
    handle: int
    type: str
    data: str | None = None
    flags: tuple[str, ...] = ()
    elems: list[Elem] = field(default_factory=list)
    values: dict[Elem, SetData] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The selector kind of the key (addr, port, ifname...)."""
        return SET_TYPES[self.type][0]

    @property
    def data_kind(self) -> str | None:
        """The selector kind of a data map's values (None for sets and verdict maps)."""
        return SET_TYPES[self.data][0] if self.data not in (None, "verdict") else None

    @property
    def is_map(self) -> bool:
        """Whether elements carry a value (`map`)."""
        return self.data is not None

    @property
    def interval(self) -> bool:
        """`flags interval`: ranges and prefixes allowed."""
        return "interval" in self.flags

    def find(self, x: int | str) -> Elem | None:
        """The element holding `x`, or None (nft_lookup_eval)."""
        return next((e for e in self.elems if e.contains(x)), None)

    def add(self, items: list[tuple[Elem, SetData | None]], *, create: bool = False) -> None:
        """`add element` (an element already there is fine) or `create element` (File exists)."""
        for elem, value in items:
            if (elem.hi is not None or elem.plen is not None) and not self.interval:
                raise NftError("Error: You must add 'flags interval' to your set declaration if you want to add"
                               " prefix elements" if elem.plen is not None else
                               "Error: You must add 'flags interval' to your set declaration if you want to add"
                               " range elements")
            if self.interval and isinstance(elem.lo, int) and elem not in self.elems and any(
                    _overlap(_bounds(elem), _bounds(e)) for e in self.elems if isinstance(e.lo, int)):
                raise NftError("Error: conflicting intervals specified")
            if elem in self.elems:
                if create:
                    raise NftError("Error: Could not process rule: File exists")
                continue
            self.elems.append(elem)
            if value is not None:
                self.values[elem] = value

    def delete(self, items: list[Elem]) -> None:
        """`delete element`: each must be there."""
        for elem in items:
            if elem not in self.elems:
                raise NftError("Error: Could not process rule: No such file or directory")
            self.elems.remove(elem)
            self.values.pop(elem, None)

    def lines(self, handles: bool) -> list[str]:
        """The set as `nft list` prints it inside its table (one tab deep)."""
        word = "map" if self.is_map else "set"
        out = [f"\t{word} {self.name} {{" + (f" # handle {self.handle}" if handles else "")]
        out.append(f"\t\ttype {self.type}" + (f" : {self.data}" if self.data else ""))
        if self.flags:
            out.append(f"\t\tflags {','.join(self.flags)}")
        if self.elems:
            items = sort_elems(self.kind, [_prefixed(self.kind, e) for e in self.elems])
            values = {_prefixed(self.kind, k): v for k, v in self.values.items()}
            texts = [format_elem(self.kind, e) + _value_text(self.data_kind, values.get(e)) for e in items]
            out.append("\t\telements = { " + join_wrapped(self.kind, texts) + " }")
        out.append("\t}")
        return out


def _prefixed(kind: str, elem: Elem) -> Elem:
    """An address range that is exactly one prefix, as the kernel's interval set lists it."""
    if kind == "addr" and elem.hi is not None and isinstance(elem.lo, int) and isinstance(elem.hi, int):
        plen = _as_prefix(elem.lo, elem.hi)
        if plen is not None:
            return Elem(elem.lo, plen=plen)
    return elem


def _value_text(kind: str | None, value: SetData | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Verdict):
        return f" : {value.text()}"
    return f" : {format_elem(kind or 'int', value)}"


class _HasSets(Protocol):
    family: str
    name: str
    sets: dict[str, NamedSet]


def set_lines(table: _HasSets, maps: bool, handles: bool) -> str:
    """`nft list sets` / `list maps` for one table: its sets (or maps) in a table block, or `` with none."""
    chosen = [s for s in table.sets.values() if s.is_map == maps]
    if not chosen:
        return ""
    lines = [f"table {table.family} {table.name} {{"]
    for named in chosen:
        lines.extend(named.lines(handles))
    lines.append("}")
    return "\n".join(lines)


def join_wrapped(kind: str, texts: list[str]) -> str:
    """Elements joined as nft joins a named set's: a few per line, then a wrap aligned under `{ `."""
    per_line = _SINGLE_LINE_COUNT.get(kind, 1)
    out = ""
    for index, text in enumerate(texts):
        if index:
            out += WRAP if index % per_line == 0 else ", "
        out += text
    return out


def sort_elems(kind: str, elems: list[Elem] | tuple[Elem, ...]) -> list[Elem]:
    """Elements in listing order (Elem.sort_key: nft's numeric order)."""
    return sorted(elems, key=Elem.sort_key)


def _bounds(elem: Elem) -> tuple[int, int]:
    assert isinstance(elem.lo, int)
    if elem.plen is not None:
        return elem.lo, elem.lo | ((1 << (32 - elem.plen)) - 1)
    hi = elem.hi if elem.hi is not None else elem.lo
    assert isinstance(hi, int)
    return elem.lo, hi


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _as_prefix(lo: int, hi: int) -> int | None:
    """The prefix length when [lo, hi] is exactly one IPv4 prefix."""
    size = hi - lo + 1
    if size & (size - 1) or lo & (size - 1):
        return None
    return 32 - (size.bit_length() - 1)


def merge_intervals(kind: str, elems: tuple[Elem, ...]) -> tuple[Elem, ...]:
    """An interval set as the kernel keeps it: overlapping and adjacent ranges joined, each printed as
    a single value, a prefix (addresses) or a range."""
    if any(not isinstance(e.lo, int) for e in elems):
        return elems
    spans = sorted(_bounds(e) for e in elems)
    merged: list[list[int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    out = []
    for lo, hi in merged:
        plen = _as_prefix(lo, hi) if kind == "addr" else None
        if lo == hi:
            out.append(Elem(lo))
        elif plen is not None:
            out.append(Elem(lo, plen=plen))
        else:
            out.append(Elem(lo, hi))
    return tuple(out)


def parse_type(name: str) -> str:
    """A key or map datatype nft knows (and this simulator carries)."""
    if name not in SET_TYPES:
        raise NftError(f"Error: unknown datatype {name}")
    return name
