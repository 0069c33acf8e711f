"""Runs a verified program on one frame (bpf_prog_run_xdp): the simulator interprets the syntax tree;
the kernel would run JIT-compiled machine code (or its own BPF interpreter without a JIT)."""

from __future__ import annotations

from dataclasses import dataclass

from . import nodes as n
from .maps import BpfMap
from .verifier import COMPLEXITY_LIMIT, apply_op, mask, unary_op
from .xsk import XskSocket


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the program returned: the action's number and, for XDP_REDIRECT, where to."""

    action: int
    target: str | int | None = None
    xsk: XskSocket | None = None
    """The AF_XDP socket a redirect_map() picked (action XDP_REDIRECT)."""


class _Returned(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.action)
        self.outcome = outcome


class Machine:
    """One run of a program over one frame; variables live in `slots` as they would on the stack."""

    def __init__(self, program: n.Program, maps: dict[str, BpfMap], frame: bytes, queue: int = 0) -> None:
        self.program = program
        self.queue = queue
        self.maps = maps
        self.frame = frame
        self.slots: dict[int, int] = {}
        self.ptrs: dict[int, tuple[str, int] | None] = {}
        """Pointer slots: (map, key) of the element, or None for NULL."""
        self.steps = 0

    def run(self) -> Outcome:
        try:
            self.block(self.program.body)
        except _Returned as done:
            return done.outcome
        return Outcome(n.ACTIONS["XDP_ABORTED"])  # unreachable: the verifier refuses a missing return

    def block(self, block: n.Block) -> None:
        for stmt in block.body:
            self.statement(stmt)

    def statement(self, stmt: n.Stmt) -> None:
        self.steps += 1
        if self.steps > COMPLEXITY_LIMIT:  # the verifier proved every loop ends; this is a backstop
            raise _Returned(Outcome(n.ACTIONS["XDP_ABORTED"]))
        if isinstance(stmt, n.Block):
            self.block(stmt)
        elif isinstance(stmt, n.Return):
            raise _Returned(self.returned(stmt))
        elif isinstance(stmt, n.Declare):
            if stmt.value is not None:
                self.slots[stmt.var.slot] = mask(self.value(stmt.value), stmt.var.width)
        elif isinstance(stmt, n.DeclarePtr):
            if stmt.value is not None:
                self.ptrs[stmt.var.slot] = self.lookup(stmt.value)
        elif isinstance(stmt, n.SetPtr):
            self.ptrs[stmt.target.slot] = self.lookup(stmt.value)
        elif isinstance(stmt, n.Assign):
            self.assign(stmt)
        elif isinstance(stmt, n.MapCall):
            table = self.maps[stmt.map]
            args = [self.value(a) for a in stmt.args]
            if stmt.method == "update":
                table.update(args[0], args[1])
            else:
                table.delete(args[0])
        elif isinstance(stmt, n.If):
            if self.value(stmt.cond):
                self.block(stmt.then)
            elif stmt.orelse is not None:
                self.block(stmt.orelse)
        elif isinstance(stmt, n.Loop):
            while self.value(stmt.cond):
                self.block(stmt.body)
                if stmt.step is not None:
                    self.statement(stmt.step)

    def returned(self, stmt: n.Return) -> Outcome:
        if stmt.map is None or stmt.key is None:
            return Outcome(stmt.action, stmt.target)
        # bpf_redirect_map(): XDP_REDIRECT when the map has a socket at the key, else the fallback action.
        sock = self.maps[stmt.map].sockets.get(mask(self.value(stmt.key), 32))
        return Outcome(stmt.action) if sock is None else Outcome(n.ACTIONS["XDP_REDIRECT"], xsk=sock)

    def lookup(self, call: n.Lookup) -> tuple[str, int] | None:
        key = self.maps[call.map].lookup(self.value(call.key))
        return None if key is None else (call.map, key)

    def assign(self, stmt: n.Assign) -> None:
        value = self.value(stmt.value)
        if isinstance(stmt.target, n.Deref):
            table, key = self.pointee(stmt.target.ptr)
            old = table.read(key)
            table.write(key, value if stmt.op == "=" else apply_op(stmt.op, old, value))
            return
        var = stmt.target
        if stmt.op != "=":
            value = apply_op(stmt.op, self.slots[var.slot], value)
        self.slots[var.slot] = mask(value, var.width)

    def pointee(self, ptr: n.PtrVar) -> tuple[BpfMap, int]:
        target = self.ptrs[ptr.slot]
        assert target is not None  # the verifier proved the NULL check
        return self.maps[target[0]], target[1]

    def value(self, e: n.Expr) -> int:
        if isinstance(e, n.Num):
            return e.value
        if isinstance(e, n.Var):
            return self.slots[e.slot]
        if isinstance(e, n.Load):
            return int.from_bytes(self.frame[e.offset : e.offset + e.size], "big")
        if isinstance(e, n.Deref):
            table, key = self.pointee(e.ptr)
            return table.read(key)
        if isinstance(e, n.NullTest):
            return int((self.ptrs.get(e.ptr.slot) is None) == e.is_null)
        if isinstance(e, n.PtrVar):
            return int(self.ptrs.get(e.slot) is not None)
        if isinstance(e, n.RxQueue):
            return self.queue
        if isinstance(e, n.BoundsCheck):
            beyond = e.size > len(self.frame)
            return int(beyond == e.beyond)
        if isinstance(e, n.Unary):
            return unary_op(e.op, self.value(e.operand))
        if e.op == "&&":
            return int(bool(self.value(e.left)) and bool(self.value(e.right)))
        if e.op == "||":
            return int(bool(self.value(e.left)) or bool(self.value(e.right)))
        return apply_op(e.op, self.value(e.left), self.value(e.right))


def run(program: n.Program, maps: dict[str, BpfMap], frame: bytes, queue: int = 0) -> Outcome:
    """Run `program` over `frame` (the whole Ethernet frame: data is its start, data_end its end) that
    arrived on RX queue `queue`."""
    return Machine(program, maps, frame, queue).run()
