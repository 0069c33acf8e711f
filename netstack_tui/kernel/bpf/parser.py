"""Source text → `nodes.Program`: a recursive-descent parser for the XDP/tc language.

It also does what clang's front end would: names resolve to declarations (undeclared or redefined
names are errors), types are checked where the language has them, and every statement gets an
estimate of the BPF instructions it becomes (`insn`), which is what the verifier counts.
"""

from __future__ import annotations

from collections.abc import Callable

from . import nodes as n
from .lexer import CompileError, Token, tokenize

_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", "<=", ">", ">="), ("<<", ">>"),
    ("+", "-"), ("*", "/", "%"),
)
_COMPOUND = ("=", "+=", "-=", "*=", "|=", "&=", "^=", "<<=", ">>=")
_LAYERS = ("eth", "ip", "tcp", "udp", "icmp")
_LOADS = {"load8": 1, "load16": 2, "load32": 4}
MAX_ENTRIES = 1 << 20
"""The largest map the language lets a learner declare (the kernel's own limit is memory)."""
PROLOGUE_INSNS = 2
"""r2 = ctx->data; r3 = ctx->data_end."""


def expr_cost(e: n.Expr | n.Lookup) -> int:
    """Instructions clang would roughly emit to compute `e` into a register."""
    if isinstance(e, n.Binary):
        return expr_cost(e.left) + expr_cost(e.right) + 1
    if isinstance(e, n.Unary):
        return expr_cost(e.operand) + 1
    if isinstance(e, n.BoundsCheck):
        return 3
    if isinstance(e, n.Lookup):
        return expr_cost(e.key) + 6
    return 1


class Parser:
    """Parses one file; `parse()` returns the program or raises CompileError."""

    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.lines = tuple(source.splitlines())
        self.pos = 0
        self.maps: dict[str, n.MapDecl] = {}
        self.scopes: list[dict[str, n.Var | n.PtrVar]] = []
        self.slots = 0
        self.insn = PROLOGUE_INSNS
        self.section = "xdp"
        """The function's keyword (`xdp`, `tc` or `classifier`): which return codes it may use."""

    # ---- tokens -----------------------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def error(self, message: str, tok: Token | None = None) -> CompileError:
        at = tok or self.tok
        return CompileError(at.line, at.col, message)

    def accept(self, kind: str) -> Token | None:
        if self.tok.kind == kind or (self.tok.kind == "name" and self.tok.text == kind):
            self.pos += 1
            return self.tokens[self.pos - 1]
        return None

    def expect(self, kind: str, what: str | None = None) -> Token:
        got = self.accept(kind)
        if got is None:
            shown = self.tok.text or "end of file"
            raise self.error(f"expected '{what or kind}' before '{shown}'" if shown != "end of file"
                             else f"expected '{what or kind}' at end of file")
        return got

    def name(self, what: str = "identifier") -> Token:
        if self.tok.kind != "name":
            raise self.error(f"expected {what}")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def number(self, what: str) -> int:
        if self.tok.kind != "num":
            raise self.error(f"expected {what} (a number)")
        self.pos += 1
        return int(self.tokens[self.pos - 1].text, 0)

    # ---- top level --------------------------------------------------------------------------------

    def parse(self) -> n.Program:
        prog_name: str | None = None
        body: n.Block | None = None
        while self.tok.kind != "eof":
            if self.accept("map"):
                decl = self.map_decl()
                self.maps[decl.name] = decl
            elif self.tok.text in n.HOOKS and self.tok.kind == "name":
                if body is not None:
                    raise self.error("only one function (xdp or tc) per file")
                self.section = self.tok.text
                self.pos += 1
                prog_name = self.name(f"the program's name after '{self.section}'").text
                body = self.block()
            else:
                raise self.error("expected 'map', 'xdp' or 'tc' at top level "
                                 "(e.g. xdp guard { return XDP_PASS; } or tc guard { return TC_ACT_OK; })")
        if body is None or prog_name is None:
            raise self.error("no xdp function in this file (write: xdp NAME { ... }, or tc NAME { ... } for tc)")
        return n.Program(prog_name, tuple(self.maps.values()), body, self.lines, self.insn, self.slots,
                         self.section)

    def map_decl(self) -> n.MapDecl:
        kind_tok = self.name("map type (hash, array or xskmap)")
        if kind_tok.text not in ("hash", "array", "xskmap"):
            raise self.error(f"unknown map type '{kind_tok.text}' (this language has hash, array and xskmap)",
                             kind_tok)
        name_tok = self.name("map name")
        if name_tok.text in self.maps:
            raise self.error(f"redefinition of '{name_tok.text}'", name_tok)
        self.expect("(")
        self.expect("key")
        key = self.type_width()
        self.expect(",")
        self.expect("value")
        value = self.type_width()
        self.expect(",")
        self.expect("max_entries")
        entries_tok = self.tok
        entries = self.number("max_entries")
        if not 1 <= entries <= MAX_ENTRIES:
            raise self.error(f"max_entries must be between 1 and {MAX_ENTRIES}", entries_tok)
        self.expect(")")
        self.expect(";")
        if kind_tok.text == "array" and key != 32:
            raise self.error("an array map's key is its index: key u32", kind_tok)
        if kind_tok.text == "xskmap" and (key, value) != (32, 32):
            # BPF_MAP_TYPE_XSKMAP: the key is a queue index, the value an AF_XDP socket's fd (4 bytes each).
            raise self.error("an xskmap holds AF_XDP sockets by queue: key u32, value u32", kind_tok)
        return n.MapDecl(kind_tok.text, name_tok.text, key // 8, value // 8, entries, kind_tok.line)

    def type_width(self) -> int:
        tok = self.name("a type (u8, u16, u32, u64)")
        if tok.text not in n.WIDTHS:
            raise self.error(f"unknown type name '{tok.text}' (types are u8, u16, u32, u64)", tok)
        return n.WIDTHS[tok.text]

    # ---- statements -------------------------------------------------------------------------------

    def block(self) -> n.Block:
        start = self.expect("{")
        insn = self.insn
        self.scopes.append({})
        body: list[n.Stmt] = []
        while not self.accept("}"):
            if self.tok.kind == "eof":
                raise self.error("expected '}' at end of file (a '{' is not closed)")
            body.append(self.statement())
        self.scopes.pop()
        return n.Block(start.line, tuple(body), insn=insn)

    def as_block(self, stmt: n.Stmt) -> n.Block:
        return stmt if isinstance(stmt, n.Block) else n.Block(stmt.line, (stmt,), insn=stmt.insn)

    def statement(self) -> n.Stmt:
        tok = self.tok
        if tok.kind == "{":
            return self.block()
        if tok.kind == "name" and tok.text in n.WIDTHS:
            stmt = self.declaration()
            self.expect(";")
            return stmt
        if tok.kind == "name" and tok.text == "if":
            return self.if_statement()
        if tok.kind == "name" and tok.text == "while":
            self.pos += 1
            self.expect("(")
            cond, insn = self.condition()
            self.expect(")")
            return self.loop(tok, cond, insn, None)
        if tok.kind == "name" and tok.text == "for":
            return self.for_statement()
        if tok.kind == "name" and tok.text == "return":
            return self.return_statement()
        if tok.kind == "name" and tok.text in ("break", "continue"):
            raise self.error(f"'{tok.text}' is not in this language: end the loop with its condition or return")
        stmt = self.simple()
        self.expect(";")
        return stmt

    def emit(self, cost: int) -> int:
        at = self.insn
        self.insn += cost
        return at

    def declaration(self) -> n.Stmt:
        tok = self.tok
        width = self.type_width()
        pointer = self.accept("*") is not None
        name_tok = self.name("a variable name")
        self.declare_check(name_tok)
        slot = self.slots
        self.slots += 1
        if pointer:
            pvar = n.PtrVar(name_tok.text, slot, width)
            lookup = self.lookup(pvar) if self.accept("=") else None
            self.scopes[-1][pvar.name] = pvar
            return n.DeclarePtr(tok.line, pvar, lookup, insn=self.emit(expr_cost(lookup) + 1 if lookup else 0))
        var = n.Var(name_tok.text, slot, width)
        value = self.scalar() if self.accept("=") else None
        self.scopes[-1][var.name] = var  # after the initialiser: `u32 x = x;` reads the outer x, as in C
        return n.Declare(tok.line, var, value, insn=self.emit(expr_cost(value) + 1 if value else 0))

    def declare_check(self, tok: Token) -> None:
        if tok.text in self.maps or tok.text in _RESERVED:
            raise self.error(f"'{tok.text}' is a reserved word or a map's name, not a variable name", tok)
        if tok.text in self.scopes[-1]:
            raise self.error(f"redefinition of '{tok.text}'", tok)

    def lookup(self, ptr: n.PtrVar) -> n.Lookup:
        map_tok = self.name("map.lookup(key)")
        decl = self.maps.get(map_tok.text)
        if decl is None:
            raise self.error(f"use of undeclared identifier '{map_tok.text}' (a pointer takes map.lookup(key))",
                             map_tok)
        self.not_xskmap(decl, "lookup")
        self.expect(".")
        method = self.name("lookup")
        if method.text != "lookup":
            raise self.error(f"a pointer is set from {decl.name}.lookup(key), not .{method.text}()", method)
        self.expect("(")
        key = self.scalar()
        self.expect(")")
        if decl.value_size * 8 != ptr.width:
            raise self.error(f"'{ptr.name}' points to u{ptr.width} but map '{decl.name}' holds "
                             f"u{decl.value_size * 8} values", map_tok)
        return n.Lookup(decl.name, key)

    def simple(self) -> n.Stmt:
        """Assignments, increments and map calls (also a for loop's first and third parts)."""
        tok = self.tok
        if tok.kind == "*":
            self.pos += 1
            ptr = self.resolve(self.name("a pointer after '*'"))
            if not isinstance(ptr, n.PtrVar):
                raise self.error(f"'{ptr.name}' is not a pointer; only map.lookup() results can be dereferenced", tok)
            if self.tok.kind in ("++", "--"):
                raise self.error("pointer arithmetic is not allowed here: write *p += 1 to count")
            return self.assignment(tok, n.Deref(ptr))
        name_tok = self.name("a statement")
        if self.tok.kind == "." and name_tok.text in self.maps:
            return self.map_call(name_tok)
        target = self.resolve(name_tok)
        if isinstance(target, n.PtrVar):
            self.expect("=")
            return n.SetPtr(tok.line, target, lookup := self.lookup(target), insn=self.emit(expr_cost(lookup) + 1))
        return self.assignment(tok, target)

    def assignment(self, tok: Token, target: n.Var | n.Deref) -> n.Stmt:
        if self.tok.kind in ("++", "--"):
            op = self.tok.kind[0]
            self.pos += 1
            return n.Assign(tok.line, target, op, n.Num(1), insn=self.emit(3))
        if self.tok.kind not in _COMPOUND:
            raise self.error(f"expected '=' or '+=' after '{self.tokens[self.pos - 1].text}'")
        op = self.tok.kind[:-1] or "="
        self.pos += 1
        value = self.scalar()
        return n.Assign(tok.line, target, op, value, insn=self.emit(expr_cost(value) + 2))

    def map_call(self, map_tok: Token) -> n.Stmt:
        self.expect(".")
        method = self.name("update, delete or lookup")
        if method.text == "lookup":
            raise self.error("a lookup's result must go into a pointer: u64 *p = map.lookup(key);", method)
        if method.text not in ("update", "delete"):
            raise self.error(f"maps have lookup, update and delete, not '{method.text}'", method)
        self.not_xskmap(self.maps[map_tok.text], method.text)
        self.expect("(")
        args = [self.scalar()]
        while self.accept(","):
            args.append(self.scalar())
        self.expect(")")
        want = 2 if method.text == "update" else 1
        if len(args) != want:
            raise self.error(f"{method.text}() takes {want} argument{'s' if want > 1 else ''} "
                             f"({'key, value' if want > 1 else 'key'}), got {len(args)}", method)
        cost = sum(expr_cost(a) for a in args) + (9 if want == 2 else 6)
        return n.MapCall(map_tok.line, map_tok.text, method.text, tuple(args), insn=self.emit(cost))

    def not_xskmap(self, decl: n.MapDecl, method: str) -> None:
        """An xskmap is filled from user space (bind an AF_XDP socket, put its fd at the queue's index);
        a program only redirects through it. The kernel's verifier refuses the other helpers on it
        (check_map_func_compatibility: map type 17 is BPF_MAP_TYPE_XSKMAP)."""
        if decl.kind == "xskmap":
            helper = {"lookup": "bpf_map_lookup_elem#1", "update": "bpf_map_update_elem#2",
                      "delete": "bpf_map_delete_elem#3"}[method]
            raise self.error(f"cannot pass map_type 17 into func {helper}: an xskmap is used as "
                             f"return redirect_map({decl.name}, ctx.rx_queue_index, XDP_PASS);")

    def if_statement(self) -> n.Stmt:
        tok = self.expect("if")
        self.expect("(")
        cond, insn = self.condition()
        self.expect(")")
        then = self.as_block(self.statement())
        orelse = self.as_block(self.statement()) if self.accept("else") else None
        if orelse is not None:
            self.emit(1)  # the jump over the else branch
        return n.If(tok.line, cond, then, orelse, insn=insn)

    def condition(self) -> tuple[n.Expr, int]:
        cond = _truth(self.expression())
        return cond, self.emit(expr_cost(cond) + 1)

    def loop(self, tok: Token, cond: n.Expr, insn: int, step_parser: Callable[[], n.Stmt] | None) -> n.Loop:
        body = self.as_block(self.statement())
        step = step_parser() if step_parser else None
        end = self.emit(1)  # the back-edge
        return n.Loop(tok.line, cond, body, step, insn=insn, end_insn=end)

    def for_statement(self) -> n.Stmt:
        tok = self.expect("for")
        self.expect("(")
        self.scopes.append({})
        init = self.declaration() if self.tok.kind == "name" and self.tok.text in n.WIDTHS else self.simple()
        self.expect(";")
        cond, insn = self.condition()
        self.expect(";")
        # The step is written before the body but runs after it; parse it now, number it after the body.
        step_start = self.pos
        depth = 0
        while not (self.tok.kind == ")" and depth == 0):
            if self.tok.kind == "eof":
                raise self.error("expected ')' after the for loop's step")
            depth += {"(": 1, ")": -1}.get(self.tok.kind, 0)
            self.pos += 1
        self.expect(")")
        after_header = self.pos

        def step() -> n.Stmt:
            resume = self.pos
            self.pos = step_start
            stmt = self.simple()
            self.expect(")")
            self.pos = resume
            return stmt

        self.pos = after_header
        loop = self.loop(tok, cond, insn, step)
        self.scopes.pop()
        return n.Block(tok.line, (init, loop), insn=init.insn)

    def return_statement(self) -> n.Stmt:
        tok = self.expect("return")
        what = self.tok
        tc = n.HOOKS[self.section] == "tc"
        codes = n.TC_ACTIONS if tc else n.ACTIONS
        if what.kind == "name" and what.text in codes and what.text not in ("XDP_REDIRECT", "TC_ACT_REDIRECT"):
            self.pos += 1
            self.expect(";")
            return n.Return(tok.line, codes[what.text], insn=self.emit(2))
        if what.kind == "name" and what.text in (n.ACTIONS if tc else n.TC_ACTIONS):
            raise self.error(f"{what.text} is {'an XDP' if tc else 'a tc'} return code; {_RETURNS[tc]}", what)
        if what.kind == "name" and what.text in ("XDP_REDIRECT", "TC_ACT_REDIRECT"):
            raise self.error(f'{what.text} comes from redirect("DEV") (bpf_redirect): return redirect("eth1");', what)
        if what.kind == "name" and what.text == "redirect_map":
            return self.redirect_map(tok, tc)
        if what.kind == "name" and what.text == "redirect":
            self.pos += 1
            self.expect("(")
            target: str | int
            if self.tok.kind == "str":
                target = self.tok.text.strip('"')
                self.pos += 1
            else:
                target = self.number('an interface ("eth1") or an ifindex')
            self.expect(")")
            self.expect(";")
            return n.Return(tok.line, codes["TC_ACT_REDIRECT" if tc else "XDP_REDIRECT"], target, insn=self.emit(4))
        raise self.error(_RETURNS[tc])

    def redirect_map(self, tok: Token, tc: bool) -> n.Stmt:
        """`return redirect_map(MAP, KEY, FALLBACK);`: bpf_redirect_map() into an xskmap; FALLBACK is the
        action when the map has no socket at KEY (the helper's flags carry it in their low bits)."""
        what = self.tok
        if tc:
            raise self.error("redirect_map() is an XDP helper here; a tc program uses redirect(\"DEV\")", what)
        self.pos += 1
        self.expect("(")
        map_tok = self.name("an xskmap's name")
        decl = self.maps.get(map_tok.text)
        if decl is None:
            raise self.error(f"use of undeclared identifier '{map_tok.text}'", map_tok)
        if decl.kind != "xskmap":
            raise self.error(f"redirect_map() takes an xskmap; '{decl.name}' is a {decl.kind} map", map_tok)
        self.expect(",")
        key = self.scalar()
        self.expect(",")
        fallback = self.tok
        if fallback.kind != "name" or fallback.text not in ("XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX"):
            raise self.error("redirect_map()'s third argument is the action when the key has no socket: "
                             "XDP_PASS, XDP_DROP, XDP_ABORTED or XDP_TX")
        self.pos += 1
        self.expect(")")
        self.expect(";")
        return n.Return(tok.line, n.ACTIONS[fallback.text], map=decl.name, key=key,
                        insn=self.emit(expr_cost(key) + 5))

    # ---- expressions ------------------------------------------------------------------------------

    def scalar(self) -> n.Expr:
        """An expression whose value is a number (a pointer itself is not one)."""
        tok = self.tok
        value = self.expression()
        if isinstance(value, n.PtrVar):
            raise self.error(f"'{value.name}' is a pointer: read the value it points to with *{value.name}", tok)
        return value

    def expression(self, level: int = 0) -> n.Expr:
        if level == len(_BINARY_LEVELS):
            return self.unary()
        at_data = self.tok.kind == "name" and self.tok.text in ("data", "data_end")
        if at_data and _BINARY_LEVELS[level][0] == "==":
            return self.bounds_check()
        left = self.expression(level + 1)
        while self.tok.kind in _BINARY_LEVELS[level]:
            op_tok = self.tok
            self.pos += 1
            right = self.expression(level + 1)
            if op_tok.kind in ("&&", "||"):
                left, right = _truth(left), _truth(right)
            for side in (left, right):
                if isinstance(side, n.PtrVar) and not (op_tok.kind in ("==", "!=") and _is_null(left, right)):
                    raise self.error(f"a pointer can only be compared with NULL ('{side.name}')", op_tok)
            if op_tok.kind in ("==", "!=") and _is_null(left, right):
                ptr = left if isinstance(left, n.PtrVar) else right
                assert isinstance(ptr, n.PtrVar)
                left = n.NullTest(ptr, op_tok.kind == "==")
                continue
            left = n.Binary(op_tok.kind, left, right)
        return left

    def bounds_check(self) -> n.Expr:
        """`data + N > data_end`, `data + N <= data_end`, or the same with data_end on the left."""
        start = self.tok
        if self.accept("data_end"):
            op = self.tok.kind
            if op not in ("<", ">="):
                raise self.error(_BOUNDS_FORM, start)
            self.pos += 1
            size = self.data_plus(start)
            return n.BoundsCheck(size, op == "<")
        size = self.data_plus(start)
        op = self.tok.kind
        if op not in (">", "<="):
            raise self.error(_BOUNDS_FORM, start)
        self.pos += 1
        if not self.accept("data_end"):
            raise self.error(_BOUNDS_FORM, start)
        return n.BoundsCheck(size, op == ">")

    def data_plus(self, start: Token) -> int:
        if not self.accept("data") or not self.accept("+") or self.tok.kind != "num":
            raise self.error(_BOUNDS_FORM, start)
        return self.number("a byte count")

    def unary(self) -> n.Expr:
        tok = self.tok
        if tok.kind in ("!", "-", "~"):
            self.pos += 1
            operand = self.unary()
            if isinstance(operand, n.PtrVar) and tok.kind == "!":
                return n.NullTest(operand, True)
            if isinstance(operand, n.NullTest) and tok.kind == "!":
                return n.NullTest(operand.ptr, not operand.is_null)
            if isinstance(operand, n.PtrVar):
                raise self.error(f"a pointer can only be compared with NULL ('{operand.name}')", tok)
            return n.Unary(tok.kind, operand)
        if tok.kind == "*":
            self.pos += 1
            ptr = self.resolve(self.name("a pointer after '*'"))
            if not isinstance(ptr, n.PtrVar):
                raise self.error(f"'{ptr.name}' is not a pointer; only map.lookup() results can be dereferenced", tok)
            return n.Deref(ptr)
        return self.primary()

    def primary(self) -> n.Expr:
        tok = self.tok
        if self.accept("("):
            inner = self.expression()
            self.expect(")")
            return inner
        if tok.kind == "num":
            self.pos += 1
            return n.Num(int(tok.text, 0) & 0xFFFFFFFFFFFFFFFF)
        if tok.kind == "ip":
            self.pos += 1
            parts = [int(p) for p in tok.text.split(".")]
            if any(p > 255 for p in parts):
                raise self.error(f"'{tok.text}' is not an IPv4 address", tok)
            return n.Num(int.from_bytes(bytes(parts), "big"))
        if tok.kind != "name":
            raise self.error(f"expected an expression before '{tok.text or 'end of file'}'")
        if tok.text in ("data", "data_end"):
            raise self.error(_BOUNDS_FORM)
        if tok.text == "NULL":
            self.pos += 1
            return n.Num(0)
        if tok.text in _LOADS:
            self.pos += 1
            self.expect("(")
            offset = self.number("a constant byte offset")
            self.expect(")")
            return n.Load(f"{tok.text}({offset})", offset, _LOADS[tok.text])
        if tok.text in _LAYERS and self.peek().kind == "." and not self.visible(tok.text):
            self.pos += 2
            field_tok = self.name("a header field")
            key = f"{tok.text}.{field_tok.text}"
            if key not in n.FIELDS:
                known = ", ".join(f for f in n.FIELDS if f.startswith(tok.text + "."))
                raise self.error(f"no field '{field_tok.text}' in {tok.text} (fields: {known})", field_tok)
            offset, size = n.FIELDS[key]
            return n.Load(key, offset, size)
        if tok.text == "ctx" and self.peek().kind == "." and not self.visible("ctx"):
            self.pos += 2
            field_tok = self.name("a field of ctx")
            if field_tok.text != "rx_queue_index":
                raise self.error(f"no field '{field_tok.text}' in ctx (this language has ctx.rx_queue_index)",
                                 field_tok)
            return n.RxQueue()
        if tok.text in self.maps:
            raise self.error(f"a map is used as {tok.text}.lookup(key) into a pointer, or .update()/.delete()")
        if tok.text in n.ACTIONS or tok.text in n.TC_ACTIONS:
            raise self.error(f"{tok.text} is a return value: return {tok.text};")
        self.pos += 1
        return self.resolve(tok)

    def visible(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def resolve(self, tok: Token) -> n.Var | n.PtrVar:
        for scope in reversed(self.scopes):
            if tok.text in scope:
                return scope[tok.text]
        raise self.error(f"use of undeclared identifier '{tok.text}'", tok)


_BOUNDS_FORM = "packet bounds are checked as data + N > data_end (or data + N <= data_end), N a constant"
_RETURNS = {
    False: 'return takes an XDP action: XDP_PASS, XDP_DROP, XDP_ABORTED, XDP_TX, or redirect("DEV") for XDP_REDIRECT',
    True: "return takes a tc action: TC_ACT_OK, TC_ACT_SHOT, TC_ACT_PIPE, TC_ACT_UNSPEC, "
          'or redirect("DEV") for TC_ACT_REDIRECT',
}
"""What `return` may take in an xdp function (False) and in a tc function (True)."""
_RESERVED = frozenset({"map", "hash", "array", *n.HOOKS, *n.TC_ACTIONS, "if",
                       "else", "while", "for", "return", "NULL", "data",
                       "data_end", "redirect", "redirect_map", "xskmap", "break", "continue", *n.WIDTHS,
                       *n.ACTIONS, *_LOADS})


def _truth(e: n.Expr) -> n.Expr:
    """A pointer used as a truth value (`if (p)`, `p && ...`) means `p != NULL`."""
    return n.NullTest(e, False) if isinstance(e, n.PtrVar) else e


def _is_null(left: n.Expr, right: n.Expr) -> bool:
    return (isinstance(left, n.PtrVar) and right == n.Num(0)) or (isinstance(right, n.PtrVar) and left == n.Num(0))


def parse(source: str) -> n.Program:
    """Parse a whole file; CompileError names the line and column of the first problem."""
    return Parser(source).parse()
