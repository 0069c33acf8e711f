"""What the process does to the real filesystem while a block runs, seen through Python's audit hooks
(PEP 578): every `open` (with its mode and flags) and every call that changes files, starts programs or
opens network connections. A hook cannot be removed, so one is installed once and records only while
`recording()` is active."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

CHANGING = ("os.remove", "os.rename", "os.mkdir", "os.rmdir", "os.symlink", "os.link", "os.truncate",
            "os.chmod", "os.chown", "os.utime", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
            "os.fork", "os.forkpty", "os.putenv", "os.unsetenv", "subprocess.Popen", "shutil.copyfile",
            "shutil.move", "shutil.rmtree", "socket.connect", "socket.bind", "socket.sendto")
"""Audit events that change files, start programs, change the environment or reach the network."""
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


@dataclass
class Seen:
    """What a recorded block did."""

    reads: list[str] = field(default_factory=list)
    """Paths opened for reading."""
    writes: list[str] = field(default_factory=list)
    """Paths opened for writing (Python's own bytecode cache left out)."""
    changes: list[str] = field(default_factory=list)
    """Other events from CHANGING, as `event args`."""


_current: list[Seen] = []


def _hook(event: str, args: tuple[object, ...]) -> None:
    if not _current:
        return
    seen = _current[-1]
    if event == "open":
        path, mode, flags = (list(args) + [None, None, 0])[:3]
        if not isinstance(path, str | bytes | os.PathLike):
            return  # a file descriptor
        name = os.fsdecode(path)
        writing = any(c in str(mode or "") for c in "wax+") or bool(int(flags or 0) & WRITE_FLAGS)
        if writing and "__pycache__" not in name:
            seen.writes.append(name)
        elif not writing:
            seen.reads.append(name)
    elif event.startswith(CHANGING):
        seen.changes.append(f"{event} {args!r}")


sys.addaudithook(_hook)


@contextmanager
def recording() -> Iterator[Seen]:
    """Record what the block does (see the module docstring)."""
    seen = Seen()
    _current.append(seen)
    try:
        yield seen
    finally:
        _current.pop()
