"""The syntax tree the parser builds and both the verifier and the interpreter walk.

Every statement carries its source line (for the verifier log's `; line @ file:N` lines) and `insn`,
the index of the first BPF instruction clang would emit for it (an estimate: see `cost`), so
messages can say "at insn N" as the real verifier does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTHS = {"u8": 8, "u16": 16, "u32": 32, "u64": 64}
ACTIONS = {"XDP_ABORTED": 0, "XDP_DROP": 1, "XDP_PASS": 2, "XDP_TX": 3, "XDP_REDIRECT": 4}
"""enum xdp_action, with the kernel's numbers."""
ACTION_NAMES = {number: name for name, number in ACTIONS.items()}
TC_ACTIONS = {"TC_ACT_UNSPEC": -1, "TC_ACT_OK": 0, "TC_ACT_SHOT": 2, "TC_ACT_PIPE": 3, "TC_ACT_REDIRECT": 7}
"""The TC_ACT_* codes a tc program (BPF_PROG_TYPE_SCHED_CLS) may return, with the kernel's numbers
(include/uapi/linux/pkt_cls.h); TC_ACT_REDIRECT comes from `return redirect("DEV");` (bpf_redirect)."""
TC_ACTION_NAMES = {number: name for name, number in TC_ACTIONS.items()}
HOOKS = {"xdp": "xdp", "tc": "tc", "classifier": "tc"}
"""A function's keyword (its ELF section, SEC("...")) → the hook it is written for."""

FIELDS: dict[str, tuple[int, int]] = {
    "eth.proto": (12, 2),
    "ip.tos": (15, 1), "ip.len": (16, 2), "ip.id": (18, 2), "ip.ttl": (22, 1), "ip.proto": (23, 1),
    "ip.saddr": (26, 4), "ip.daddr": (30, 4),
    "tcp.sport": (34, 2), "tcp.dport": (36, 2), "tcp.seq": (38, 4), "tcp.flags": (47, 1),
    "udp.sport": (34, 2), "udp.dport": (36, 2), "udp.len": (38, 2),
    "icmp.type": (34, 1), "icmp.code": (35, 1),
}
"""Packet fields by name: (offset from the start of the frame, size in bytes). The offsets assume an
IPv4 header without options (ihl 5), which every packet of the simulator has; a real program reads
ihl and computes where the transport header starts."""


# ---- expressions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    value: int


@dataclass(frozen=True, slots=True)
class Var:
    """A scalar variable; `slot` numbers the declaration (its stack slot)."""

    name: str
    slot: int
    width: int


@dataclass(frozen=True, slots=True)
class Load:
    """A packet read: a named field or `loadN(offset)`; the value comes in host byte order."""

    what: str
    offset: int
    size: int


@dataclass(frozen=True, slots=True)
class Deref:
    """`*p`: the map value a lookup pointer points to."""

    ptr: PtrVar


@dataclass(frozen=True, slots=True)
class PtrVar:
    """A pointer variable (the result of `map.lookup()`); only tested against NULL or dereferenced."""

    name: str
    slot: int
    width: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class BoundsCheck:
    """`data + size > data_end` (`beyond` True) or `data + size <= data_end` (False)."""

    size: int
    beyond: bool


@dataclass(frozen=True, slots=True)
class NullTest:
    """`p == NULL` / `!p` (`is_null` True) or `p != NULL` / `p` (False)."""

    ptr: PtrVar
    is_null: bool


@dataclass(frozen=True, slots=True)
class RxQueue:
    """`ctx.rx_queue_index`: the RX queue the frame came in on (xdp_md->rx_queue_index)."""


Expr = Num | Var | Load | Deref | PtrVar | Unary | Binary | BoundsCheck | NullTest | RxQueue


@dataclass(frozen=True, slots=True)
class Lookup:
    """`map.lookup(key)`: a pointer to the value, or NULL (bpf_map_lookup_elem)."""

    map: str
    key: Expr


# ---- statements ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stmt:
    line: int
    insn: int = field(default=0, kw_only=True)


@dataclass(frozen=True, slots=True)
class Declare(Stmt):
    var: Var
    value: Expr | None


@dataclass(frozen=True, slots=True)
class DeclarePtr(Stmt):
    var: PtrVar
    value: Lookup | None


@dataclass(frozen=True, slots=True)
class Assign(Stmt):
    """`x = e`, `x += e`, ... (`op` is `=` or the compound operator without `=`)."""

    target: Var | Deref
    op: str
    value: Expr


@dataclass(frozen=True, slots=True)
class SetPtr(Stmt):
    target: PtrVar
    value: Lookup


@dataclass(frozen=True, slots=True)
class MapCall(Stmt):
    """`map.update(key, value)` or `map.delete(key)` (bpf_map_update_elem / bpf_map_delete_elem)."""

    map: str
    method: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class If(Stmt):
    cond: Expr
    then: Block
    orelse: Block | None


@dataclass(frozen=True, slots=True)
class Loop(Stmt):
    """`while (cond) body` and `for (init; cond; step) body` (init is a separate statement before it)."""

    cond: Expr
    body: Block
    step: Stmt | None
    end_insn: int = field(default=0, kw_only=True)


@dataclass(frozen=True, slots=True)
class Return(Stmt):
    """`return XDP_...;` / `return TC_ACT_...;`, `return redirect(target);` (bpf_redirect()) or
    `return redirect_map(map, key, fallback);` (bpf_redirect_map(): `action` is then the fallback, what the
    program returns when the map has no entry at `key`)."""

    action: int
    target: str | int | None = None
    map: str | None = None
    key: Expr | None = None


@dataclass(frozen=True, slots=True)
class Block(Stmt):
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class MapDecl:
    """`map hash NAME(key u32, value u64, max_entries N);` (kinds: hash, array, xskmap)."""

    kind: str
    name: str
    key_size: int
    value_size: int
    max_entries: int
    line: int


@dataclass(frozen=True, slots=True)
class Program:
    """One source file: its maps and its one function (XDP or tc)."""

    name: str
    maps: tuple[MapDecl, ...]
    body: Block
    lines: tuple[str, ...]
    """The source's lines, for the verifier log."""
    insn_count: int
    slots: int
    """How many variables the function declares (stack slots of 8 bytes)."""
    section: str = "xdp"
    """The keyword the function was written with: its ELF section (`xdp`, `tc` or `classifier`)."""

    @property
    def hook(self) -> str:
        """`xdp` (an XDP program, ctx is xdp_md) or `tc` (a sched_cls program, ctx is the __sk_buff)."""
        return HOOKS[self.section]
