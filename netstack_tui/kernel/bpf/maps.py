"""BPF maps: hash and array, with the semantics of bpf_map_lookup_elem/update_elem/delete_elem.

Keys and values are unsigned integers of the declared sizes; `key_bytes`/`value_bytes` give the
bytes as they sit in memory on x86-64 (little-endian), which is what `bpftool map dump` prints for a
map without BTF. `memlock` is an estimate of the kernel's accounting, not a measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .xsk import XskSocket

E2BIG = 7
"""update on a full hash map, or an array index past the end."""
ENOENT = 2
EINVAL = 22
ARRAY_HEADER = 320
"""sizeof(struct bpf_array) before the values, roughly."""
HTAB_ELEM_OVERHEAD = 48
"""sizeof(struct htab_elem) on x86-64, before the key and value."""


def _round8(size: int) -> int:
    return (size + 7) // 8 * 8


@dataclass(slots=True)
class BpfMap:
    """One map, created when a program that declares it is loaded."""

    map_id: int
    name: str
    kind: str
    """`hash`, `array` or `xskmap` (BPF_MAP_TYPE_HASH, _ARRAY, _XSKMAP)."""
    key_size: int
    value_size: int
    max_entries: int
    entries: dict[int, int] = field(default_factory=dict)
    """Key → value; an array map holds every index from the start, all zero. An xskmap keeps its
    sockets in `sockets` instead (user space reads nothing back from one: lookup is EOPNOTSUPP)."""
    sockets: dict[int, XskSocket] = field(default_factory=dict)
    """An xskmap's AF_XDP sockets by key (the queue index, by convention)."""

    def __post_init__(self) -> None:
        if self.kind == "array" and not self.entries:
            self.entries = dict.fromkeys(range(self.max_entries), 0)

    def _key(self, key: int) -> int:
        return key & ((1 << (8 * self.key_size)) - 1)

    def _value(self, value: int) -> int:
        return value & ((1 << (8 * self.value_size)) - 1)

    def lookup(self, key: int) -> int | None:
        """The key the returned pointer refers to, or None for NULL."""
        key = self._key(key)
        return key if key in self.entries else None

    def read(self, key: int) -> int:
        """`*p` through a pointer from `lookup`; an element deleted since then reads as 0."""
        return self.entries.get(key, 0)

    def write(self, key: int, value: int) -> None:
        """`*p = value` through a pointer from `lookup` (a deleted element is not brought back)."""
        if key in self.entries:
            self.entries[key] = self._value(value)

    def update(self, key: int, value: int) -> int:
        """bpf_map_update_elem(..., BPF_ANY): 0, or a negative errno."""
        key = self._key(key)
        if self.kind == "array" and key >= self.max_entries:
            return -E2BIG
        if key not in self.entries and len(self.entries) >= self.max_entries:
            return -E2BIG
        self.entries[key] = self._value(value)
        return 0

    def delete(self, key: int) -> int:
        """bpf_map_delete_elem: 0, -ENOENT for a missing key, -EINVAL on an array (its slots stay)."""
        if self.kind == "array":
            return -EINVAL
        return 0 if self.entries.pop(self._key(key), None) is not None else -ENOENT

    def key_bytes(self, key: int) -> bytes:
        return key.to_bytes(self.key_size, "little")

    def value_bytes(self, value: int) -> bytes:
        return value.to_bytes(self.value_size, "little")

    def put_socket(self, key: int, sock: XskSocket) -> int:
        """bpf_map_update_elem(xsks_map, &key, &fd) from user space: 0, or a negative errno."""
        if key >= self.max_entries:
            return -E2BIG
        self.sockets[key] = sock
        return 0

    @property
    def memlock(self) -> int:
        """Bytes charged to the map (htab_map_mem_usage / array_map_mem_usage, roughly)."""
        if self.kind in ("array", "xskmap"):  # an xskmap is an array of socket pointers
            return (ARRAY_HEADER + _round8(self.value_size) * self.max_entries + 4095) // 4096 * 4096
        buckets = 1 << max(self.max_entries - 1, 0).bit_length()
        elem = HTAB_ELEM_OVERHEAD + _round8(self.key_size) + _round8(self.value_size)
        return (buckets * 16 + elem * self.max_entries + 4095) // 4096 * 4096
