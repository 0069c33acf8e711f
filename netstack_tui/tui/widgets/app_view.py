"""The application stage's picture: a program of socket calls as the journey's `AppView` holds it.

The code with the call highlighted (the one that takes the packet, or the one this step returned
from) and each thread's place marked, what the threads wait in, the fd table with each socket's
4-tuple and queues, what epoll last reported, and the calls before. Only renders: every value
comes from the step's view.
"""

from __future__ import annotations

from ...kernel.trace import AppFd, AppView
from ..model import ViewState, escape

WIDE = 90
"""Pane width from which the fd table shows every column."""


def _clip(text: str, width: int) -> str:
    """One line no wider than `width` (a long line of code ends in `…`, as the pane would cut it)."""
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def _code(view: AppView, width: int) -> list[str]:
    at: dict[int, list[int]] = {}
    for thread in view.threads:
        if thread.line:
            at.setdefault(thread.line, []).append(thread.tid)
    lines = []
    for number, text in enumerate(view.code, 1):
        mark = f" ◀ {','.join(map(str, at[number]))}" if number in at else ""
        body = escape(_clip(f"{number:>3}  {text}", max(width - len(mark) - 2, 12)))
        if number == view.current:
            lines.append(f"[reverse bold $accent]▶{body}[/][$warning]{mark}[/]")
        elif text.lstrip().startswith("#"):
            lines.append(f" [$text-muted]{body}[/][$warning]{mark}[/]")
        else:
            lines.append(f" {body}[$warning]{mark}[/]")
    return lines


def _threads(view: AppView, state: ViewState) -> list[str]:
    lines = []
    for thread in view.threads:
        if thread.blocked:
            text = state.t("ui.app.blocked", tid=thread.tid, call=thread.blocked)
        elif thread.line:
            text = state.t("ui.app.running", tid=thread.tid, line=thread.line)
        else:
            text = state.t("ui.app.done", tid=thread.tid)
        lines.append(f" [$warning]◀[/] {escape(text)}")
    return lines


def _fd_line(row: AppFd, wide: bool) -> str:
    if not row.state:
        text = f"{row.fd:>3}  {row.file}" + (f"  {row.note}" if row.note else "")
    elif wide:
        text = (f"{row.fd:>3}  {row.file:<15} {row.state:<10} {row.recv_q:>6} {row.send_q:>6}  "
                f"{row.local} ↔ {row.peer}" + (f"  {row.note}" if row.note else ""))
    else:
        peer = row.local if row.state == "LISTEN" else row.peer
        text = f"{row.fd:>2} {row.file} {row.state} {row.recv_q}/{row.send_q} {peer}"
    if row.taking:
        return f"[bold $accent]●{escape(text)}[/]"
    return " " + escape(text)


def render_app(view: AppView, state: ViewState, width: int) -> str:
    """The whole picture for one step at the application."""
    wide = width >= WIDE
    head = "[bold]" + escape(state.t("ui.app.head", app=view.app, pid=view.pid)) + "[/]"
    if view.exited is not None:
        head += "  [$error]" + escape(state.t("ui.app.exited", status=view.exited)) + "[/]"
    lines = [head]
    if view.call:
        lines.append("[bold $success]" + escape(state.t("ui.app.returned", call=view.call)) + "[/]")
    lines += _threads(view, state)
    lines += [""] + _code(view, width)
    lines += ["", "[$text-muted]" + escape(state.t("ui.app.fds", pid=view.pid)) + "[/]"]
    if wide:
        lines.append(escape(f"  fd  {'file':<15} {'State':<10} {'Recv-Q':>6} {'Send-Q':>6}  Local ↔ Peer"))
    lines += [_fd_line(row, wide) for row in view.fds]
    if view.events:
        lines += ["", escape(state.t("ui.app.events", events=view.events))]
    if view.calls:
        lines += ["", "[$text-muted]" + escape(state.t("ui.app.calls")) + "[/]"]
        lines += ["[$text-muted] " + escape(_clip(call, max(width - 2, 12))) + "[/]" for call in view.calls]
    lines.append("[$text-muted]" + escape(state.t("ui.app.legend")) + "[/]")
    return "\n".join(lines)
