"""The verifier: walks every path of a program before it may run, as kernel/bpf/verifier.c does.

It refuses what the kernel's verifier refuses, for the same reasons and in the same words:
packet reads not covered by a `data + N > data_end` check ("invalid access to packet"), reads of a
variable never written ("invalid read from stack"), a map lookup's result used before its NULL
check ("invalid mem access 'map_value_or_null'"), loops it cannot see end ("infinite loop
detected", or "BPF program is too large" once it has processed a million instructions) and a path
that ends without setting the return value ("R0 !read_ok").

The model differs from the kernel in how it tracks values: it knows a scalar's exact value or
nothing (the kernel tracks ranges and bits), and it merges the two sides of an `if` where the
kernel explores them apart and prunes equal states. Instruction counts are clang's output
estimated per statement, not real bytecode.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import nodes as n
from .parser import expr_cost

COMPLEXITY_LIMIT = 1_000_000
"""BPF_COMPLEXITY_LIMIT_INSNS: instructions the verifier may process for one program."""
UNKNOWN_LOOP_ROUNDS = 10_000
"""Rounds of a loop whose condition the model cannot decide before it calls the loop unbounded."""
EACCES, EINVAL, E2BIG = 13, 22, 7
_MASK64 = (1 << 64) - 1


class VerifierError(Exception):
    """The program is refused: `log` holds the verifier's last words, `line` the source line."""

    def __init__(self, line: int, log: list[str], errno: int = EACCES, processed: int = 0) -> None:
        super().__init__(log[-1])
        self.line = line
        self.log = log
        self.errno = errno
        self.processed = processed
        """Instructions processed before the refusal (the log's last line reports it)."""


@dataclass(slots=True)
class State:
    """What the verifier knows at one point of one path."""

    checked: int = 0
    """Packet bytes proven present (the `r=` of a packet pointer)."""
    scalars: dict[int, int | None] = field(default_factory=dict)
    """Written variables by slot: their exact value, or None when the value is not known."""
    ptrs: dict[int, str] = field(default_factory=dict)
    """Written pointers by slot: `or_null`, `value` (checked) or `null`."""

    def copy(self) -> State:
        return State(self.checked, dict(self.scalars), dict(self.ptrs))


def join(a: State | None, b: State | None) -> State | None:
    """What is true after two paths meet: only what is true on both."""
    if a is None:
        return None if b is None else b.copy()
    if b is None:
        return a.copy()
    scalars = {k: v if b.scalars[k] == v else None for k, v in a.scalars.items() if k in b.scalars}
    ptrs = {k: v if b.ptrs[k] == v else "or_null" for k, v in a.ptrs.items() if k in b.ptrs}
    return State(min(a.checked, b.checked), scalars, ptrs)


def mask(value: int, width: int) -> int:
    return value & ((1 << width) - 1)


class Verifier:
    """Checks one program; `verify()` returns the instructions processed or raises VerifierError."""

    def __init__(self, program: n.Program) -> None:
        self.program = program
        self.processed = 0
        self.line = program.body.line

    def verify(self) -> int:
        end = self.block(self.program.body, State())
        if end is not None:
            self.line = _last_line(self.program.body)
            self.fail("R0 !read_ok")
        return self.processed

    def fail(self, *log: str, errno: int = EACCES) -> None:
        raise VerifierError(self.line, list(log), errno, min(self.processed, COMPLEXITY_LIMIT + 1))

    def count(self, insns: int) -> None:
        self.processed += insns
        if self.processed > COMPLEXITY_LIMIT:
            self.fail(f"BPF program is too large. Processed {COMPLEXITY_LIMIT + 1} insn", errno=E2BIG)

    # ---- statements -------------------------------------------------------------------------------

    def block(self, block: n.Block, s: State | None) -> State | None:
        for stmt in block.body:
            if s is None:
                return None  # clang drops what follows a return
            s = self.statement(stmt, s)
        return s

    def statement(self, stmt: n.Stmt, s: State) -> State | None:
        self.line = stmt.line
        if isinstance(stmt, n.Block):
            return self.block(stmt, s)
        if isinstance(stmt, n.If):
            return self.if_(stmt, s)
        if isinstance(stmt, n.Loop):
            return self.loop(stmt, s)
        if isinstance(stmt, n.Return):
            if stmt.key is not None:  # redirect_map(): its key is read like any other argument
                self.value(stmt.key, s)
            self.count(2 if stmt.key is None else expr_cost(stmt.key) + 5)
            return None
        s = s.copy()
        if isinstance(stmt, n.Declare):
            if stmt.value is None:
                s.scalars.pop(stmt.var.slot, None)
            else:
                value = self.value(stmt.value, s)
                s.scalars[stmt.var.slot] = None if value is None else mask(value, stmt.var.width)
            self.count(expr_cost(stmt.value) + 1 if stmt.value else 0)
        elif isinstance(stmt, n.DeclarePtr | n.SetPtr):
            target = stmt.var if isinstance(stmt, n.DeclarePtr) else stmt.target
            lookup = stmt.value
            if lookup is None:
                s.ptrs.pop(target.slot, None)
            else:
                self.value(lookup.key, s)
                s.ptrs[target.slot] = "or_null"
                self.count(expr_cost(lookup) + 1)
        elif isinstance(stmt, n.Assign):
            self.assign(stmt, s)
        elif isinstance(stmt, n.MapCall):
            for arg in stmt.args:
                self.value(arg, s)
            self.count(sum(expr_cost(a) for a in stmt.args) + 6)
        return s

    def assign(self, stmt: n.Assign, s: State) -> None:
        value = self.value(stmt.value, s)
        self.count(expr_cost(stmt.value) + 2)
        if isinstance(stmt.target, n.Deref):
            self.value(stmt.target, s)  # the store needs a checked pointer, like the read
            return
        var = stmt.target
        if stmt.op != "=":
            old = self.value(var, s)
            value = None if old is None or value is None else _apply(stmt.op, old, value)
        s.scalars[var.slot] = None if value is None else mask(value, var.width)

    def if_(self, stmt: n.If, s: State) -> State | None:
        self.value(stmt.cond, s)
        self.count(expr_cost(stmt.cond) + 1)
        yes, no = self.refine(stmt.cond, True, s), self.refine(stmt.cond, False, s)
        after_yes = self.block(stmt.then, yes) if yes is not None else None
        after_no = no if stmt.orelse is None or no is None else self.block(stmt.orelse, no)
        return join(after_yes, after_no)

    def loop(self, stmt: n.Loop, s: State) -> State | None:
        """Walk the loop round by round, as the kernel does since 5.3 (bounded loops)."""
        exits: State | None = None
        seen: list[State] = []
        unknown_rounds = 0
        while True:
            self.line = stmt.line
            if s in seen:
                self.fail(f"infinite loop detected at insn {stmt.insn}", errno=EINVAL)
            seen = seen[-8:] + [s]
            cond = self.value(stmt.cond, s)
            self.count(expr_cost(stmt.cond) + 1)
            exits = join(exits, self.refine(stmt.cond, False, s))
            inside = self.refine(stmt.cond, True, s)
            if inside is None:
                return exits
            if cond is None:
                unknown_rounds += 1
                if unknown_rounds > UNKNOWN_LOOP_ROUNDS:
                    self.fail(f"BPF program is too large. Processed {COMPLEXITY_LIMIT + 1} insn", errno=E2BIG)
            before = self.processed
            after = self.block(stmt.body, inside)
            if after is not None and stmt.step is not None:
                after = self.statement(stmt.step, after)
            self.count(1)
            if after is None:
                return exits
            skipped = self.skip_ahead(stmt, s, after, self.processed - before)
            if skipped is not None:
                return join(exits, skipped)
            s = _widen(stmt, s, after)

    def skip_ahead(self, stmt: n.Loop, head: State, after: State, per_round: int) -> State | None:
        """A counting loop (`i < N; i++`) whose other state no longer changes: count its remaining
        rounds at once instead of walking each (same result, without a million Python steps)."""
        counter = _counter(stmt)
        if counter is None:
            return None
        slot, bound, op, step = counter
        now = after.scalars.get(slot)
        if now is None or head.scalars.get(slot) is None:
            return None
        rest_before = {k: v for k, v in head.scalars.items() if k != slot}
        rest_after = {k: v for k, v in after.scalars.items() if k != slot}
        if rest_before != rest_after or head.ptrs != after.ptrs or head.checked != after.checked:
            return None
        last = bound if op == "<" else bound + 1
        if now >= last:
            return None
        rounds = (last - now + step - 1) // step
        self.count(rounds * (per_round + expr_cost(stmt.cond) + 1))
        final = after.copy()
        final.scalars[slot] = now + rounds * step
        return final

    # ---- expressions ------------------------------------------------------------------------------

    def value(self, e: n.Expr, s: State) -> int | None:
        """The expression's value if the verifier knows it; refuses what may not be read."""
        if isinstance(e, n.Num):
            return e.value
        if isinstance(e, n.Var):
            if e.slot not in s.scalars:
                self.fail(f"invalid read from stack off {-8 * (e.slot + 1)}+0 size {e.width // 8}")
            return s.scalars[e.slot]
        if isinstance(e, n.Load):
            if e.offset + e.size > s.checked:
                self.fail(f"invalid access to packet, off={e.offset} size={e.size}, "
                          f"R2(id=0,off={e.offset},r={s.checked})",
                          "R2 offset is outside of the packet")
            return None
        if isinstance(e, n.PtrVar | n.Deref | n.NullTest):
            ptr = e if isinstance(e, n.PtrVar) else e.ptr
            state = s.ptrs.get(ptr.slot)
            if state is None:
                self.fail(f"invalid read from stack off {-8 * (ptr.slot + 1)}+0 size 8")
            if isinstance(e, n.Deref):
                if state == "or_null":
                    self.fail("R0 invalid mem access 'map_value_or_null'")
                if state == "null":
                    self.fail("R1 invalid mem access 'scalar'")
                return None
            if isinstance(e, n.NullTest) and state != "or_null":
                return int((state == "null") == e.is_null)
            return None
        if isinstance(e, n.BoundsCheck):
            return int(not e.beyond) if s.checked >= e.size else None
        if isinstance(e, n.RxQueue):
            return None
        if isinstance(e, n.Unary):
            inner = self.value(e.operand, s)
            return None if inner is None else _unary(e.op, inner)
        left = self.value(e.left, s)
        if e.op in ("&&", "||"):
            if left is not None and bool(left) == (e.op == "||"):
                return int(e.op == "||")
            rest = self.refine(e.left, e.op == "&&", s)
            right = self.value(e.right, rest) if rest is not None else None
            if left is not None and right is not None:
                return int(bool(right))
            return None
        right = self.value(e.right, s)
        return None if left is None or right is None else _apply(e.op, left, right)

    def refine(self, e: n.Expr, truth: bool, s: State) -> State | None:
        """The state on the path where `e` is `truth`, or None if no path goes there."""
        if isinstance(e, n.BoundsCheck):
            present = e.beyond != truth
            if present:
                out = s.copy()
                out.checked = max(s.checked, e.size)
                return out
            return None if s.checked >= e.size else s
        if isinstance(e, n.NullTest):
            null = e.is_null == truth
            state = s.ptrs.get(e.ptr.slot)
            if state == ("value" if null else "null"):
                return None
            out = s.copy()
            out.ptrs[e.ptr.slot] = "null" if null else "value"
            return out
        if isinstance(e, n.Unary) and e.op == "!":
            return self.refine(e.operand, not truth, s)
        if isinstance(e, n.Binary) and e.op in ("&&", "||"):
            both = truth == (e.op == "&&")
            first = self.refine(e.left, both, s)
            if both:
                return self.refine(e.right, truth, first) if first is not None else None
            skip = self.refine(e.left, not both, s)
            return join(first, self.refine(e.right, truth, skip) if skip is not None else None)
        known = _quiet_value(self, e, s)
        if known is not None and bool(known) != truth:
            return None
        return s


def _quiet_value(verifier: Verifier, e: n.Expr, s: State) -> int | None:
    """`e`'s value where it is known, without refusing (the checks already ran on this path)."""
    try:
        return verifier.value(e, s)
    except VerifierError:
        return None


def _counter(stmt: n.Loop) -> tuple[int, int, str, int] | None:
    """(slot, bound, `<` or `<=`, step) of a loop written `i < N` / `i <= N` with `i++` / `i += K`."""
    cond, step = stmt.cond, stmt.step
    if not (isinstance(cond, n.Binary) and cond.op in ("<", "<=") and isinstance(cond.left, n.Var)
            and isinstance(cond.right, n.Num)):
        return None
    if not (isinstance(step, n.Assign) and step.target == cond.left and step.op == "+"
            and isinstance(step.value, n.Num) and step.value.value > 0):
        return None
    if _assigns(stmt.body, cond.left.slot):
        return None
    return cond.left.slot, cond.right.value, cond.op, step.value.value


def _widen(stmt: n.Loop, head: State, after: State) -> State:
    """In a counting loop, forget the exact values of the other variables a round changed (as the
    kernel widens them to ranges), so the rounds after become alike and can be counted at once."""
    counter = _counter(stmt)
    if counter is None:
        return after
    wide = after.copy()
    for slot, value in after.scalars.items():
        if slot != counter[0] and slot in head.scalars and head.scalars[slot] != value:
            wide.scalars[slot] = None
    return wide


def _assigns(stmt: n.Stmt, slot: int) -> bool:
    if isinstance(stmt, n.Assign):
        return isinstance(stmt.target, n.Var) and stmt.target.slot == slot
    if isinstance(stmt, n.Block):
        return any(_assigns(s, slot) for s in stmt.body)
    if isinstance(stmt, n.If):
        return _assigns(stmt.then, slot) or (stmt.orelse is not None and _assigns(stmt.orelse, slot))
    if isinstance(stmt, n.Loop):
        return _assigns(stmt.body, slot) or (stmt.step is not None and _assigns(stmt.step, slot))
    return False


def _last_line(block: n.Block) -> int:
    return _last_line(block.body[-1]) if block.body and isinstance(block.body[-1], n.Block) else (
        block.body[-1].line if block.body else block.line)


def _unary(op: str, value: int) -> int:
    if op == "!":
        return int(value == 0)
    if op == "-":
        return -value & _MASK64
    return ~value & _MASK64


def _apply(op: str, a: int, b: int) -> int:
    """One BPF ALU64 / jump operation on unsigned 64-bit values (x/0 is 0 and x%0 is x, as in BPF)."""
    if op == "+":
        return (a + b) & _MASK64
    if op == "-":
        return (a - b) & _MASK64
    if op == "*":
        return (a * b) & _MASK64
    if op == "/":
        return a // b if b else 0
    if op == "%":
        return a % b if b else a
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    if op == "<<":
        return (a << (b & 63)) & _MASK64
    if op == ">>":
        return a >> (b & 63)
    return int({"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b,
                "&&": bool(a) and bool(b), "||": bool(a) or bool(b)}[op])


apply_op = _apply
unary_op = _unary
