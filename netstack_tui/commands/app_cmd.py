"""`app`: run a program of socket calls (`kernel.app`) and look at it while it runs.

    app run NAME|FILE [--name PROC] [--tasks-max N]
                                      start a shipped program or one written to a file; N caps its
                                      threads as systemd's TasksMax= (the pids cgroup) would
    app [list]                        every app: pid, name, state
    app show NAME|PID                 its code (current line of each thread marked), fds, last events, calls
    app step                          let every app go on as far as the kernel allows now
    app programs                      the shipped programs

Every subcommand first lets the apps run on: a thread blocked in a call that has become ready since
(a connection queued, data arrived) returns from it and goes on until it blocks again.
"""

from __future__ import annotations

from ..kernel.app import calls, runner
from ..kernel.app.language import ProgramError, compile_program
from ..kernel.app.shipped import PROGRAMS
from ..kernel.app.state import App
from ..kernel.host import Host
from ..kernel.trace import Trace
from .base import CommandError, CommandResult, ShellContext, read_real_file
from .numbers import number as parse_number
from .userland import absolute, userland

USAGE = ("usage: app run NAME|FILE [--name PROC] [--tasks-max N] | app [list] | app show NAME|PID | app step | "
         "app programs")
LOG_SHOWN = 12
"""Calls `app show` lists (the latest)."""


def app(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """app run NAME|FILE | list | show NAME|PID | step | programs: programs of socket calls."""
    verb = argv[1] if len(argv) > 1 else "list"
    host = ctx.host
    marks = {pid: a.logged for pid, a in runner.apps(host).items()}
    traces = _run_all(host)
    if verb == "run":
        return _start(ctx, argv[2:], traces)
    if len(argv) > 3 or (verb != "show" and len(argv) > 2):
        raise CommandError(USAGE, 2)
    if verb == "list":
        return CommandResult(_table(host), 0, traces, changed=bool(traces))
    if verb == "step":
        lines = _capped([f"{a.proc.name} (pid {pid}): {line}" for pid, a in runner.apps(host).items()
                         for line in a.since(marks.get(pid, 0))])
        return CommandResult("\n".join(lines) or "(no app could go on)", 0, traces, changed=True)
    if verb == "programs":
        return CommandResult("\n".join(f"{name:<12} {src.splitlines()[0].lstrip('# ')}"
                                       for name, src in PROGRAMS.items()))
    if verb == "show":
        if len(argv) != 3:
            raise CommandError("usage: app show NAME|PID", 2)
        return CommandResult(_show(host, _find(host, argv[2])), 0, traces, changed=bool(traces))
    raise CommandError(f"app: unknown subcommand {verb!r} ({USAGE})", 2)


PRINTED = 40
"""Calls one command prints at most; `app show` has the latest."""


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= PRINTED:
        return lines
    return lines[:PRINTED] + [f"... and {len(lines) - PRINTED} more call(s) (app show NAME lists the latest)"]


def _run_all(host: Host) -> list[Trace]:
    return runner.run_all(host)


def _start(ctx: ShellContext, words: list[str], traces: list[Trace]) -> CommandResult:
    if not words:
        raise CommandError("usage: app run NAME|FILE [--name PROC] [--tasks-max N]", 2)
    source_name, name, tasks_max = words[0], None, None
    rest = iter(words[1:])
    for word in rest:
        if word == "--name":
            name = next(rest, None)
            if not name:
                raise CommandError("app: --name needs a process name", 2)
        elif word == "--tasks-max":
            tasks_max = parse_number(next(rest, ""), 1, 4194304, "app: --tasks-max needs a number of tasks "
                               "from 1 to 4194304, not '{value}'", 2)
        else:
            raise CommandError(f"app: unknown option {word!r}", 2)
    source = PROGRAMS.get(source_name)
    if source is None:
        source = _read_file(ctx.host, source_name)
    label = source_name.rsplit("/", 1)[-1].removesuffix(".app")
    try:
        program = compile_program(label, source)
    except ProgramError as exc:
        raise CommandError(f"app: {source_name}: {exc}", 1) from None
    others = {pid: a.logged for pid, a in runner.apps(ctx.host).items()}
    started = runner.start(ctx.host, program, name, tasks_max)
    traces += runner.run_all(ctx.host)
    lines = [f"{started.proc.name} (pid {started.proc.pid}) started"] + _capped(started.log)
    lines.append(f"-- {started.status}")
    lines += _capped([f"{a.proc.name} (pid {pid}): {line}" for pid, a in runner.apps(ctx.host).items()
                      if pid in others for line in a.since(others[pid])])
    return CommandResult("\n".join(lines), 0, traces, changed=True)


def _read_file(host: Host, path: str) -> str:
    """A program the session wrote (`cat > FILE`) or a file on this machine's disk."""
    written = userland(host).files.get(absolute(path))
    if written is not None:
        return written
    if "/" not in path and "." not in path:
        raise CommandError(f"app: no program called {path!r} (shipped: {', '.join(PROGRAMS)}; or give a FILE)", 1)
    try:
        return read_real_file(path, "app", "run").decode()
    except UnicodeDecodeError:
        raise CommandError(f"app: {path}: not a text file", 1) from None


def _find(host: Host, key: str) -> App:
    """The app with this pid or name; by name, a running one before one that has exited."""
    found = [a for pid, a in runner.apps(host).items() if str(pid) == key or a.proc.name == key]
    for each in sorted(found, key=lambda a: a.exit_status is not None):
        return each
    raise CommandError(f"app: no app {key!r} (app list shows them)", 1)


def _table(host: Host) -> str:
    rows = [f"{'PID':>5}  {'NAME':<14} STATE"]
    rows += [f"{pid:>5}  {a.proc.name:<14} {a.status}" for pid, a in sorted(runner.apps(host).items())]
    return "\n".join(rows) if len(rows) > 1 else "no apps (app run NAME starts one; app programs lists them)"


def _show(host: Host, shown: App) -> str:
    at: dict[int, list[str]] = {}
    for t in shown.threads:
        if not t.done:
            line = shown.program.code[t.pc].line
            at.setdefault(line, []).append(f"thread {t.tid}" + (f": blocked in {t.blocked}" if t.blocked else ""))
    out = [f"{shown.proc.name} (pid {shown.proc.pid}) — {shown.status}", ""]
    for number, text in enumerate(shown.program.lines, 1):
        mark = "▶" if number in at else " "
        note = f"    ◀ {'; '.join(at[number])}" if number in at else ""
        out.append(f"{mark}{number:>3}  {text}{note}")
    out += ["", "fd  file"]
    for fd, obj in sorted(shown.proc.fds.items()):
        info = shown.files.get(fd)
        what = str(obj)
        if info is not None and info.sock is not None:
            sock = info.sock
            what = f"socket {sock.state} {sock.local_text()} ↔ {sock.peer_text()}"
            if sock.state == "LISTEN":
                what += f" (accept queue {len(sock.accept_queue)}/{sock.backlog})"
            elif sock.peer != (0, 0):
                what += f" (unread {calls.unread(info)})"
            what += " O_NONBLOCK" if info.nonblock else ""
        elif info is not None and info.kind == "epoll":
            what += " watching " + (", ".join(f"fd {fd2}{' (ET)' if i.mask & calls.EPOLLET else ''}"
                                             for fd2, i in info.interests.items()) or "nothing")
        out.append(f"{fd:>2}  {what}")
    if shown.last_events:
        out += ["", f"last reported: {shown.last_events}"]
    out += ["", "calls (latest last):"] + [f"  {line}" for line in shown.log[-LOG_SHOWN:]]
    return "\n".join(out)


COMMANDS = {"app": app}
