"""The application as a stage of the journey: `AppView` snapshots of a program of socket calls.

When a packet reaches a socket a program holds, the journey ends at the application: its code
with the call that will take the data highlighted, its threads, its fd table and what epoll last
reported (`arrival`). The delivery opens a record; every call the runner completes afterwards adds
a snapshot to it (`record`), and the runner closes it once the app has run on as far as it could
(`close`). `continued` turns that record into the journey's last steps: one step per call the
packet unblocked, each showing the strace line the runner logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from ..sockets import Socket
from ..trace import AppFd, AppThread, AppView, Step, Trace, Verdict
from . import queues
from .state import App, Thread

if TYPE_CHECKING:
    from ..host import Host

FOLLOWED_CALLS = 24
"""Calls recorded after one delivery: enough for an accept, a read, an answer and a close; a loop
that keeps going (a busy poller) is not followed further."""
FOLLOWED_KEPT = 8
"""Closed records an app keeps (the latest deliveries)."""
CALLS_SHOWN = 6
"""Earlier calls a snapshot keeps for context."""
EPOLLET = 1 << 31

_BLOCKED = re.compile(r"^(?P<name>\w+)\((?P<fd>\d+)")


def _apps(host: Host) -> dict[int, App]:
    return cast(dict[int, App], host.sockets.programs)


def owner(host: Host, sock: Socket) -> App | None:
    """The running program whose fd table holds `sock` (or, for a connection still in an accept
    queue, the listener it waits on)."""
    held = sock.parent if sock.parent is not None and sock.fd is None else sock
    for app in _apps(host).values():
        if app.exit_status is not None:
            continue
        if any(info.sock is held for info in app.files.values()):
            return app
    return None


def _taking_fds(app: App, sock: Socket | None) -> set[int]:
    """The fds this packet is for: the socket's own, or the listener's its connection waits on."""
    if sock is None:
        return set()
    targets = {id(sock)} | ({id(sock.parent)} if sock.parent is not None else set())
    return {fd for fd, info in app.files.items() if info.sock is not None and id(info.sock) in targets}


def _waiter(app: App, fds: set[int]) -> Thread | None:
    """The thread whose blocked call returns because of these fds: one blocked on one of them, or in
    epoll_wait/poll/select on an epoll set that watches one."""
    watching = {fd for fd, info in app.files.items() if info.kind == "epoll" and fds & set(info.interests)}
    for thread in app.threads:
        if thread.done or not thread.blocked:
            continue
        match = _BLOCKED.match(thread.blocked)
        if match and int(match["fd"]) in fds | watching:
            return thread
        if thread.blocked.startswith(("poll(", "select(")):
            return thread
    return None


def _inode(host: Host, sock: Socket) -> int:
    """The stand-in inode `ls -l /proc/PID/fd` shows (a socket's place in the table)."""
    try:
        return 40000 + host.sockets.sockets.index(sock)
    except ValueError:
        return 49999


def _fd_rows(host: Host, app: App, taking: set[int]) -> tuple[AppFd, ...]:
    rows = []
    for fd, obj in sorted(app.proc.fds.items()):
        info = app.files.get(fd)
        if isinstance(obj, Socket):
            listening = obj.state == "LISTEN"
            rows.append(AppFd(
                fd, f"socket:[{_inode(host, obj)}]", obj.state, obj.local_text(), obj.peer_text(),
                len(obj.accept_queue) if listening else queues.unread(obj) if obj.copied_seq is not None
                else obj.recv_q,
                obj.backlog if listening else obj.send_q,
                "O_NONBLOCK" if info is not None and info.nonblock else "", fd in taking))
        elif info is not None and info.kind == "epoll":
            watched = " ".join(f"{n}{'(ET)' if i.mask & EPOLLET else ''}" for n, i in sorted(info.interests.items()))
            rows.append(AppFd(fd, "anon_inode:[eventpoll]", note=watched or "-"))
        else:
            rows.append(AppFd(fd, str(obj)))
    return tuple(rows)


def snapshot(host: Host, app: App, current: int, *, sock: Socket | None = None, call: str = "",
             follow: int = 0) -> AppView:
    """The app as it is now, with source line `current` highlighted."""
    taking = _taking_fds(app, sock)
    threads = tuple(AppThread(t.tid, 0 if t.done else app.program.code[t.pc].line, t.blocked or "")
                    for t in app.threads)
    earlier = app.log[:-1] if call else app.log
    return AppView(app.proc.name, app.proc.pid, tuple(app.program.lines), current, threads,
                   _fd_rows(host, app, taking), app.last_events, call, tuple(earlier[-CALLS_SHOWN:]),
                   app.exit_status, follow)


def arrival(host: Host, sock: Socket) -> tuple[App, AppView, bool] | None:
    """A packet reached `sock`: the owning program's view (None when no program holds it), with
    the line of the call that will take it highlighted, and whether a thread waits there. Opens
    the record of what the app does next."""
    app = owner(host, sock)
    if app is None:
        return None
    waiter = _waiter(app, _taking_fds(app, sock))
    app.deliveries += 1
    token = app.deliveries
    app.follow = (token, [])
    line = app.program.code[waiter.pc].line if waiter is not None else 0
    return app, snapshot(host, app, line, sock=sock, follow=token), waiter is not None


def record(host: Host, app: App, line: int) -> None:
    """The runner finished a call on source line `line` (and logged it): keep the app's view."""
    if app.follow is None or len(app.follow[1]) >= FOLLOWED_CALLS:
        return
    token, views = app.follow
    views.append(snapshot(host, app, line, call=app.log[-1], follow=token))


def close(app: App) -> None:
    """The runner has let the app run on as far as it could: the open record is complete. Its last
    view shows where the threads ended up (blocked again, most often), not where they were when
    that call returned."""
    if app.follow is None:
        return
    token, views = app.follow
    app.follow = None
    if views:
        views[-1] = replace(views[-1], threads=tuple(
            AppThread(t.tid, 0 if t.done else app.program.code[t.pc].line, t.blocked or "") for t in app.threads))
    app.followed[token] = tuple(views)
    for old in sorted(app.followed)[:-FOLLOWED_KEPT]:
        del app.followed[old]


def continued(trace: Trace, hosts: Iterable[Host]) -> Trace:
    """The journey with the app's calls after the packet appended, one step each (the journey
    itself when it did not end at a program, or already has them); `hosts` are the world's
    namespaces, where the program is found by the name of the one the journey ended in."""
    if not trace.steps:
        return trace
    last = trace.steps[-1]
    view = last.view
    if not isinstance(view, AppView) or not view.follow or view.call:
        return trace
    host = next((h for h in hosts if h.name == last.host), None)
    app = _apps(host).get(view.pid) if host is not None else None
    if app is None:
        return trace
    extra = tuple(_call_step(last, each) for each in app.followed.get(view.follow, ()))
    return replace(trace, steps=trace.steps + extra) if extra else trace


def _call_step(arrived: Step, view: AppView) -> Step:
    return Step(stage="app", host=arrived.host, function=_function(view.call), verdict=Verdict.DELIVER,
                packet=arrived.packet, note="app.call", params=(("app", view.app), ("call", view.call)),
                view=view)


_STRACE_CALL = re.compile(r"^(?:\[pid [\d.]+\] )?(?P<name>\w+)\(")


def _function(line: str) -> str:
    """The system call an strace line is about (`print` writes to stdout, the end is exit_group)."""
    match = _STRACE_CALL.match(line)
    if match:
        return match["name"]
    if line.startswith("+++"):
        return "exit_group"
    return "write" if line.startswith("> ") else "-"
