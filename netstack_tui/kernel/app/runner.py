"""Runs programs: starts an app as a process of the host, steps its threads, keeps every call's
strace line. A thread runs until a call blocks; `run` retries blocked calls, so a thread moves on
once the kernel has made its call ready (a connection queued, data or a FIN arrived, a timer ran)."""

from __future__ import annotations

from typing import cast

from .. import retransmit
from ..host import Host
from ..trace import Trace
from . import appview, calls, timers, udp
from .language import CONSTANTS, Expr, Instr, Program
from .state import ERRNO, ERRNO_NAME, STRERROR, App, Event, FdInfo, Thread

STEP_BUDGET = 10_000
"""Instructions one `run` may execute across all threads: a loop that never blocks (polling with
EAGAIN forever) stops here rather than hanging the shell."""

SLICE = 500
"""Instructions one thread runs in a turn before the next thread's turn."""
LOG_KEPT = 1000
"""strace lines an app keeps (the latest)."""



def apps(host: Host) -> dict[int, App]:
    """The programs started on this host, by pid (exited ones too, until they are forgotten). They
    live in the host's socket table, so a copy of the host (a scenario's check) runs them on."""
    return cast(dict[int, App], host.sockets.programs)


def file_of(host: Host, sock: object) -> FdInfo | None:
    """The app's side of a socket (its options, timers, queued writes), if a program holds it."""
    for app in apps(host).values():
        for info in app.files.values():
            if info.sock is sock:
                return info
    return None


def start(host: Host, program: Program, name: str | None = None, tasks_max: int | None = None) -> App:
    """A new process running `program` from its first line (stdin, stdout, stderr open). The kernel's
    automatic reader and acceptor stay off it: the program makes those calls itself."""
    proc = host.sockets.spawn(name or program.name, leaks=True, auto_accept=False)
    app = App(program, proc, tasks_max=tasks_max)
    app.threads.append(Thread(0, 0))
    app.next_tid = 1
    apps(host)[proc.pid] = app
    return app


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def value(thread: Thread, expr: Expr) -> object:
    """An argument's value (ProgramFault for a name never set)."""
    if expr.kind in ("int", "str", "addr"):
        return expr.value
    if expr.kind == "or":
        total = 0
        for part in expr.value:  # type: ignore[attr-defined]
            v = value(thread, part)
            if not isinstance(v, int):
                raise ProgramFault(f"'{part.text}' is not a number")
            total |= v
        return total
    if expr.kind == "attr":
        assert isinstance(expr.value, tuple)
        holder, attr = str(expr.value[0]), str(expr.value[1])
        event = thread.variables.get(holder)
        if not isinstance(event, Event):
            raise ProgramFault(f"'{holder}' is not an event")
        return event.fd if attr == "fd" else event.events
    name = str(expr.value)
    if name in thread.variables:
        return thread.variables[name]
    if name in CONSTANTS:
        return CONSTANTS[name]
    if name in ERRNO:
        return ERRNO[name]
    raise ProgramFault(f"'{name}' has no value yet")


class ProgramFault(Exception):
    """The program did something no C program could compile or survive (an unset name, a
    comparison of an event with a number): it stops with this message."""


def _holds(thread: Thread, cond: tuple[Expr, str, Expr]) -> bool:
    left, op, right = value(thread, cond[0]), cond[1], value(thread, cond[2])
    if op in ("==", "!="):
        return (left == right) == (op == "==")
    if not isinstance(left, int) or not isinstance(right, int):
        raise ProgramFault(f"'{cond[0].text} {op} {cond[2].text}' compares something that is not a number")
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right,
            "&": bool(left & right)}[op]


def _shown(expr: Expr, v: object) -> str:
    if expr.kind == "str":
        return expr.text
    if isinstance(v, list):
        return expr.text
    return str(v) if expr.kind in ("int", "addr", "attr") or expr.kind == "name" and str(expr.value) not in CONSTANTS \
        else expr.text


def live(host: Host) -> bool:
    """Whether any app on the host is still running (cheap: the shell asks after every command)."""
    return any(a.exit_status is None for a in apps(host).values())


def advance(hosts: list[Host]) -> list[Trace]:
    """After a shell command: every app on these namespaces moves on until each thread blocks,
    and the socket timers the apps depend on (keepalive, delayed ACK, Nagle's queue) run.
    Nothing is done for a namespace without a running app."""
    traces: list[Trace] = []
    for host in hosts:
        if live(host):
            traces += run_all(host)
    return traces


def run_all(host: Host, budget: int = STEP_BUDGET) -> list[Trace]:
    """Step every live thread of every app on the host until each is blocked or done (or the
    budget is spent); the journeys of the segments their calls sent. Threads take turns: a call
    that put segments on the wire ends its thread's turn, so the app at the other end runs before
    the sender goes on (as the receiver's wake-up would let it)."""
    traces: list[Trace] = []
    progress = True
    while progress and budget > 0:
        sent = len(traces)
        for app in list(apps(host).values()):
            if app.exit_status is None and app.proc.alive:
                timers.run(host, app, traces)  # a window reopened by a read lets queued data go
        progress = len(traces) > sent
        for app in list(apps(host).values()):
            if app.exit_status is not None:
                continue
            if not app.proc.alive:  # killed from the shell: its fds are already closed
                _exit(host, app, 137, traces)
                continue
            for thread in list(app.threads):
                if thread.done or app.exit_status is not None:
                    continue
                try:
                    moved, budget = _run_thread(host, app, thread, budget, traces)
                except _Exit as done:
                    _exit(host, app, done.status, traces)
                    appview.record(host, app, app.program.code[thread.pc].line)
                    moved = True
                except ProgramFault as fault:
                    line = app.program.code[thread.pc].line
                    app.log.append(f"[line {line}] {fault}: the program stops")
                    _exit(host, app, 1, traces)
                    appview.record(host, app, line)
                    moved = True
                progress = progress or moved
    if budget <= 0:
        # Still going after the whole budget without blocking: a loop that never waits (accept()
        # failing with EMFILE at once, polling for EAGAIN), which a real process would spin in too.
        for app in apps(host).values():
            if app.exit_status is None and any(not t.done and not t.blocked for t in app.threads):
                app.spinning = True
    for app in apps(host).values():
        appview.close(app)  # what the app did after a packet reached it, for the journey's last steps
        if len(app.log) > LOG_KEPT:
            app.trimmed += len(app.log) - LOG_KEPT
            del app.log[:-LOG_KEPT]
    return traces


def _run_thread(host: Host, app: App, thread: Thread, budget: int, traces: list[Trace]) -> tuple[bool, int]:
    moved = False
    app.spinning = False
    code = app.program.code
    turn_ends = budget - SLICE  # a thread that never blocks must not starve the others
    while budget > 0 and budget > turn_ends and not thread.done:
        instr = code[thread.pc]
        budget -= 1
        if instr.op == "call":
            sent, logged = len(traces), app.logged
            if not _call(host, app, thread, instr, traces):
                return moved, budget
            if app.follow is not None and app.logged > logged:
                appview.record(host, app, instr.line)
            if len(traces) > sent:
                return True, budget  # segments left: the other end's turn
        elif instr.op == "set":
            thread.variables[instr.target or "_"] = value(thread, instr.args[0])
            thread.pc += 1
        elif instr.op == "jump":
            thread.pc = instr.jump
        elif instr.op == "unless":
            assert instr.cond is not None
            thread.pc = thread.pc + 1 if _holds(thread, instr.cond) else instr.jump
        elif instr.op == "next":
            _next(thread, instr)
        elif instr.op == "return":
            thread.done = True
            if thread.tid == 0:
                raise _Exit(0)
        elif instr.op == "exit":
            status = value(thread, instr.args[0]) if instr.args else 0
            raise _Exit(status if isinstance(status, int) else 1)
        moved = True
    return moved, budget


def _next(thread: Thread, instr: Instr) -> None:
    """The head of `for NAME in LIST:`: the next item, or on past the loop."""
    items = thread.variables.get(instr.name, [])
    if not isinstance(items, list):
        raise ProgramFault(f"'{instr.name}' is not a list of events")
    counter = f"#{thread.pc}"
    i = thread.variables.get(counter, 0)
    assert isinstance(i, int)
    if i < len(items):
        thread.variables[instr.target or "_"] = items[i]
        thread.variables[counter] = i + 1
        thread.pc += 1
    else:
        thread.variables.pop(counter, None)
        thread.pc = instr.jump


def _call(host: Host, app: App, thread: Thread, instr: Instr, traces: list[Trace]) -> bool:
    """Make the call; False when it blocks (the thread stays on it)."""
    if instr.name in ("thread", "print"):
        return _builtin(app, thread, instr)
    impl = calls.CALLS.get(instr.name)
    if impl is None and instr.name not in udp.CALLS:
        raise ProgramFault(f"'{instr.name}' is not a call this simulator knows "
                           f"({', '.join(sorted(calls.CALLS.keys() | udp.CALLS.keys()))}, thread, print, exit)")
    # The array or address the kernel fills in: the program names it, it need not have a value yet.
    out_arg = {"epoll_wait": 1, "poll": 0, "select": 0, "recvfrom": 2}.get(instr.name)
    args = [[] if i == out_arg else value(thread, a) for i, a in enumerate(instr.args)]
    call = calls.Call(host, app, thread, args, [a.text for a in instr.args], traces)
    impl = udp.pick(instr.name, call) or impl
    assert impl is not None
    shown = ", ".join(_shown(a, v) for a, v in zip(instr.args, args, strict=True))
    try:
        result = impl(call)
    except calls.Failed as failed:
        thread.blocked = None
        thread.variables["errno"] = ERRNO[failed.errno_name]
        thread.variables[instr.target or "_"] = -1
        app.log.append(f"{_who(app, thread)}{instr.name}({shown}) = -1 {failed.errno_name} "
                       f"({STRERROR[failed.errno_name]}){_waited(host, thread)}")
        thread.pc += 1
        return True
    if result is calls.BLOCK:
        if thread.blocked is None:
            thread.blocked_at = host.clock
        thread.blocked = f"{instr.name}({shown})"
        return False
    thread.blocked = None
    if instr.target:
        thread.variables[instr.target] = result
    app.log.append(f"{_who(app, thread)}{instr.name}({shown}) = {result}{_waited(host, thread)}")
    thread.pc += 1
    return True


def _waited(host: Host, thread: Thread) -> str:
    """strace -T's ` <0.040000>` for a call that waited (simulated seconds); nothing for one that
    returned at once, so that the usual lines stay short."""
    since, thread.blocked_at = thread.blocked_at, None
    if since is None or host.clock - since < 1e-9:
        return ""
    return f" <{host.clock - since:.6f}>"


def _who(app: App, thread: Thread) -> str:
    """strace -f's prefix once a process has more than one thread."""
    return f"[pid {app.proc.pid}.{thread.tid}] " if len(app.threads) > 1 else ""


def _builtin(app: App, thread: Thread, instr: Instr) -> bool:
    if instr.name == "print":
        app.log.append("> " + " ".join(str(value(thread, a)) for a in instr.args))
    else:
        if not instr.args or instr.args[0].kind != "name" or str(instr.args[0].value) not in app.program.functions:
            raise ProgramFault("thread() needs a function defined with 'def' first")
        start_pc, params = app.program.functions[str(instr.args[0].value)]
        given = [value(thread, a) for a in instr.args[1:]]
        if len(given) != len(params):
            raise ProgramFault(f"{instr.args[0].text}() takes {len(params)} argument(s), got {len(given)}")
        if app.tasks_max is not None and sum(not t.done for t in app.threads) >= app.tasks_max:
            # The pids controller refuses the new task: clone() fails, pthread_create() says EAGAIN.
            thread.variables["errno"] = ERRNO["EAGAIN"]
            thread.variables[instr.target or "_"] = -1
            app.log.append(f"{_who(app, thread)}clone(...) = -1 EAGAIN ({STRERROR['EAGAIN']})")
            thread.pc += 1
            return True
        new = Thread(app.next_tid, start_pc, dict(zip(params, given, strict=True)))
        app.next_tid += 1
        app.threads.append(new)
        app.log.append(f"clone(...) = thread {new.tid}")
        if instr.target:
            thread.variables[instr.target] = new.tid
    thread.pc += 1
    return True


def _exit(host: Host, app: App, status: int, traces: list[Trace]) -> None:
    """exit(): every fd closes as close() closes it, the process is gone."""
    app.exit_status = status
    thread = app.threads[0]
    for fd, info in sorted(app.files.items()):
        call = calls.Call(host, app, thread, [fd], [str(fd)], traces)
        calls.release(call, fd, info)
    app.proc.fds.clear()
    app.proc.alive = False
    for t in app.threads:
        t.done, t.blocked = True, None
    app.log.append(f"+++ exited with {status} +++")


def describe_errno(number: int) -> str:
    """`EAGAIN` for 11 (what `print(errno)` could show)."""
    return ERRNO_NAME.get(number, str(number))


class _AppClock:
    """The programs' timers inside the clock's loop: a keepalive probe, a delayed ACK, a sleep() or
    a receive timeout fires at its own time during a long `sleep`, and the apps move on then."""

    def next_due(self, host: Host) -> float | None:
        if not live(host):
            return None
        dues = [d for a in apps(host).values() if a.exit_status is None and (d := timers.next_due(host, a))]
        return min(dues, default=None)

    def fire(self, host: Host) -> list[Trace]:
        return run_all(host) if live(host) else []


retransmit.OTHER_TIMERS.append(_AppClock())
