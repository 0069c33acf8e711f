"""The app language: Python-shaped lines of socket calls, compiled to a flat list of instructions.

A program is what a learner reads in a sockets tutorial, one call a line:

    fd = socket(AF_INET, SOCK_STREAM)
    bind(fd, 0.0.0.0:8080)
    listen(fd, 128)
    loop:
        c = accept(fd)

Blocks are indented (`loop:`, `while COND:`, `if COND:` / `else:`, `for NAME in NAME:`, `def
NAME(PARAMS):`), with `break`, `continue`, `return` and `exit(N)`. A call that fails returns -1 and
sets `errno` (compare it with a name: `if errno == EAGAIN:`). Values are integers, names, `ADDR:PORT`
literals, "strings" (their length is what write() sends) and `ev.fd` / `ev.events` of an event.

The flat form is what lets a thread stop inside a blocking call and resume there: its whole state
is one instruction index and its variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CONSTANTS = {
    "AF_INET": 2, "SOCK_STREAM": 1, "SOCK_DGRAM": 2, "SOCK_NONBLOCK": 0o4000, "SOL_SOCKET": 1, "IPPROTO_TCP": 6,
    "SO_REUSEADDR": 2, "SO_REUSEPORT": 15, "SO_KEEPALIVE": 9, "SO_RCVBUF": 8, "SO_SNDBUF": 7, "SO_ERROR": 4,
    "SO_RCVTIMEO": 20,
    "TCP_NODELAY": 1, "F_GETFL": 3, "F_SETFL": 4, "O_NONBLOCK": 0o4000, "EPOLL_CTL_ADD": 1, "EPOLL_CTL_DEL": 2,
    "EPOLL_CTL_MOD": 3, "EPOLLIN": 0x1, "EPOLLOUT": 0x4, "EPOLLERR": 0x8, "EPOLLHUP": 0x10, "EPOLLRDHUP": 0x2000,
    "EPOLLET": 1 << 31, "POLLIN": 0x1, "POLLOUT": 0x4, "POLLERR": 0x8, "POLLHUP": 0x10, "SHUT_RD": 0,
    "SHUT_WR": 1, "SHUT_RDWR": 2, "NULL": 0,
}
"""The names a program may use, with Linux's values (x86-64)."""

_CALL = re.compile(r"^(?:(?P<target>[A-Za-z_]\w*)\s*=\s*)?(?P<name>[A-Za-z_]\w*)\((?P<args>.*)\)$")
_ASSIGN = re.compile(r"^(?P<target>[A-Za-z_]\w*)\s*=\s*(?P<expr>[^=].*)$")
_CONDITION = re.compile(r"^(?P<left>.+?)\s*(?P<op>==|!=|<=|>=|<|>|&)\s*(?P<right>.+)$")
_NAME = re.compile(r"^[A-Za-z_]\w*$")
_ATTR = re.compile(r"^(?P<name>[A-Za-z_]\w*)\.(?P<attr>fd|events)$")
_ADDR = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$")


class ProgramError(ValueError):
    """The text is not a program: `line` is where (1-based), the message says what."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True, slots=True)
class Expr:
    """A value as written: a literal, a name, `name.attr`, or names joined by `|`."""

    kind: str
    """`int`, `str`, `addr`, `name`, `attr` or `or`."""
    value: object
    text: str


@dataclass(frozen=True, slots=True)
class Instr:
    """One step of the flat program."""

    op: str
    """`call`, `set`, `jump`, `unless` (jump when the condition is false), `next` (the loop head of a
    `for`), `return` or `exit`."""
    line: int
    """The source line (1-based) this came from: what the app's view highlights."""
    target: str | None = None
    name: str = ""
    """The call's name (`accept`), or for `next` the list being walked."""
    args: tuple[Expr, ...] = ()
    cond: tuple[Expr, str, Expr] | None = None
    jump: int = 0


@dataclass(slots=True)
class Program:
    """A compiled program: the main code, then each function's, in one instruction list."""

    name: str
    source: str
    code: list[Instr] = field(default_factory=list)
    functions: dict[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    """Function name → (first instruction, parameter names)."""

    @property
    def lines(self) -> list[str]:
        """The source lines, for showing the code with the current line marked."""
        return self.source.splitlines()


def parse_expr(text: str, line: int) -> Expr:
    """One argument or operand."""
    text = text.strip()
    if not text:
        raise ProgramError(line, "missing value")
    if "|" in text:
        parts = tuple(parse_expr(p, line) for p in text.split("|"))
        return Expr("or", parts, text)
    if re.fullmatch(r"-?\d+", text):
        return Expr("int", int(text), text)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return Expr("str", text[1:-1].encode().decode("unicode_escape"), text)
    if _ADDR.match(text):
        return Expr("addr", text, text)
    if m := _ATTR.match(text):
        return Expr("attr", (m["name"], m["attr"]), text)
    if _NAME.match(text):
        return Expr("name", text, text)
    raise ProgramError(line, f"cannot read {text!r} (a number, a name, ADDR:PORT, \"text\" or ev.fd)")


def _split_args(text: str, line: int) -> tuple[Expr, ...]:
    if not text.strip():
        return ()
    parts = re.findall(r'\s*("(?:[^"\\]|\\.)*"|[^,"]+)\s*(?:,|$)', text)
    return tuple(parse_expr(part, line) for part in parts)


def _condition(text: str, line: int) -> tuple[Expr, str, Expr]:
    m = _CONDITION.match(text.strip())
    if m is None:
        return parse_expr(text, line), "!=", Expr("int", 0, "0")
    return parse_expr(m["left"], line), m["op"], parse_expr(m["right"], line)


@dataclass(slots=True)
class _Line:
    number: int
    indent: int
    text: str


def _lines(source: str) -> list[_Line]:
    out = []
    for number, raw in enumerate(source.splitlines(), 1):
        text = raw.split("#", 1)[0].rstrip() if '"' not in raw else raw.rstrip()
        if text.strip().startswith("#") or not text.strip():
            continue
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise ProgramError(number, "indent with spaces, not tabs")
        out.append(_Line(number, len(text) - len(text.lstrip()), text.strip()))
    return out


class _Compiler:
    """Turns the indented lines into instructions; loops keep their break/continue targets."""

    def __init__(self, program: Program, lines: list[_Line]) -> None:
        self.program = program
        self.lines = lines
        self.pos = 0
        self.loops: list[tuple[int, list[int]]] = []
        """For each enclosing loop: its head (continue) and the jumps to patch to its end (break)."""

    def emit(self, instr: Instr) -> int:
        self.program.code.append(instr)
        return len(self.program.code) - 1

    def patch(self, at: int, target: int) -> None:
        old = self.program.code[at]
        self.program.code[at] = Instr(old.op, old.line, old.target, old.name, old.args, old.cond, target)

    def block(self, indent: int, *, top: bool = False) -> None:
        """Compile lines at exactly `indent` until one is less indented."""
        while self.pos < len(self.lines):
            ln = self.lines[self.pos]
            if ln.indent < indent:
                return
            if ln.indent > indent:
                raise ProgramError(ln.number, "unexpected indent")
            self.pos += 1
            self.statement(ln, top)

    def body(self, head: _Line) -> None:
        if self.pos >= len(self.lines) or self.lines[self.pos].indent <= head.indent:
            raise ProgramError(head.number, f"'{head.text}' needs an indented block under it")
        self.block(self.lines[self.pos].indent)

    def statement(self, ln: _Line, top: bool) -> None:
        text, n = ln.text, ln.number
        if text.startswith("def "):
            self.function(ln, top)
        elif text == "loop:" or text.startswith("while ") and text.endswith(":"):
            head = len(self.program.code)
            exit_jump = None
            if text != "loop:":
                exit_jump = self.emit(Instr("unless", n, cond=_condition(text[6:-1], n)))
            self.loops.append((head, []))
            self.body(ln)
            self.emit(Instr("jump", n, jump=head))
            _, breaks = self.loops.pop()
            end = len(self.program.code)
            for at in breaks + ([exit_jump] if exit_jump is not None else []):
                self.patch(at, end)
        elif m := re.fullmatch(r"for ([A-Za-z_]\w*) in ([A-Za-z_]\w*):", text):
            head = self.emit(Instr("next", n, target=m[1], name=m[2]))
            self.loops.append((head, []))
            self.body(ln)
            self.emit(Instr("jump", n, jump=head))
            _, breaks = self.loops.pop()
            end = len(self.program.code)
            for at in breaks + [head]:
                self.patch(at, end)
        elif text.startswith("if ") and text.endswith(":"):
            skip = self.emit(Instr("unless", n, cond=_condition(text[3:-1], n)))
            self.body(ln)
            if self.pos < len(self.lines) and self.lines[self.pos].indent == ln.indent \
                    and self.lines[self.pos].text == "else:":
                else_line = self.lines[self.pos]
                self.pos += 1
                over = self.emit(Instr("jump", else_line.number))
                self.patch(skip, len(self.program.code))
                self.body(else_line)
                self.patch(over, len(self.program.code))
            else:
                self.patch(skip, len(self.program.code))
        elif text == "else:":
            raise ProgramError(n, "'else:' without an 'if' above it")
        elif text in ("break", "continue"):
            if not self.loops:
                raise ProgramError(n, f"'{text}' outside a loop")
            at = self.emit(Instr("jump", n, jump=self.loops[-1][0]))
            if text == "break":
                self.loops[-1][1].append(at)
        elif text == "return":
            self.emit(Instr("return", n))
        elif m := _CALL.match(text):
            if m["name"] == "exit":
                self.emit(Instr("exit", n, args=_split_args(m["args"], n)))
            else:
                self.emit(Instr("call", n, m["target"], m["name"], _split_args(m["args"], n)))
        elif m := _ASSIGN.match(text):
            self.emit(Instr("set", n, m["target"], args=(parse_expr(m["expr"], n),)))
        else:
            raise ProgramError(n, f"cannot read {text!r} (expected a call such as 'c = accept(fd)', "
                                  "or loop:, while, if, for, def, break, continue, return)")

    def function(self, ln: _Line, top: bool) -> None:
        m = re.fullmatch(r"def ([A-Za-z_]\w*)\(([\w\s,]*)\):", ln.text)
        if m is None:
            raise ProgramError(ln.number, "write a function as 'def NAME(PARAM, ...):'")
        if not top:
            raise ProgramError(ln.number, "functions are defined at the top level only")
        over = self.emit(Instr("jump", ln.number))  # the main code steps over the function's body
        params = tuple(p.strip() for p in m[2].split(",") if p.strip())
        self.program.functions[m[1]] = (len(self.program.code), params)
        saved, self.loops = self.loops, []
        self.body(ln)
        self.loops = saved
        self.emit(Instr("return", ln.number))
        self.patch(over, len(self.program.code))


def compile_program(name: str, source: str) -> Program:
    """Parse and compile; ProgramError names the first line that is wrong."""
    program = Program(name, source)
    lines = _lines(source)
    if not lines:
        raise ProgramError(1, "the program has no statements")
    if lines[0].indent:
        raise ProgramError(lines[0].number, "unexpected indent")
    compiler = _Compiler(program, lines)
    compiler.block(0, top=True)
    last = lines[-1].number
    program.code.append(Instr("exit", last, args=(Expr("int", 0, "0"),)))
    return program
