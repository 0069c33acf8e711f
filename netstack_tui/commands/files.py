"""`ls` over the files this session wrote (`>` redirections and `tcpdump -w` captures), GNU ls's layout.

The files live in memory (see `userland`). HOME (/root) and /tmp hold only them, so listing there
is complete; any other directory of the real filesystem is listed only as far as the session wrote
into it, and one it never wrote into is said to be not simulated rather than missing.
"""

from __future__ import annotations

import posixpath
import time

from ..kernel.host import Host
from .base import CommandError, CommandResult
from .userland import HOME, absolute, userland, wall_time

COMPLETE_DIRS = (HOME, "/tmp")
"""Directories that hold nothing but the session's own files."""
BLOCK = 4096


def _sizes(host: Host) -> dict[str, int]:
    state = userland(host)
    sizes = {path: len(text.encode()) for path, text in state.files.items()}
    sizes.update((path, len(data)) for path, data in state.captures.items())
    return sizes


def _children(sizes: dict[str, int], directory: str) -> dict[str, int | None]:
    """Entries directly inside `directory`: name → size for files, None for subdirectories."""
    prefix = directory.rstrip("/") + "/"
    out: dict[str, int | None] = {}
    for path, size in sizes.items():
        if path.startswith(prefix):
            head, _, rest = path[len(prefix) :].partition("/")
            out[head] = None if rest else size
    return out


def _is_dir(sizes: dict[str, int], path: str) -> bool:
    inside = path.rstrip("/") + "/"
    return path in COMPLETE_DIRS or path == "/" or any(p.startswith(inside) for p in sizes)


def list_paths(host: Host, paths: list[str], *, long: bool, one_per_line: bool) -> CommandResult:
    """`ls [-l] [-1] PATH...` (no path: the working directory, HOME)."""
    sizes = _sizes(host)
    blocks: list[str] = []
    errors: list[str] = []
    status = 0
    shown = paths or ["."]
    for typed in shown:
        path = absolute(typed)
        if path in sizes:
            blocks.append(_format(host, {typed: sizes[path]}, {typed: path}, long, one_per_line, total=False))
        elif _is_dir(sizes, path):
            entries = _children(sizes, path)
            text = _format(host, entries, {n: posixpath.join(path, n) for n in entries}, long, one_per_line, total=True)
            blocks.append(f"{typed}:\n{text}" if len(shown) > 1 else text)
        elif path.startswith(tuple(d + "/" for d in COMPLETE_DIRS)):
            errors.append(f"ls: cannot access '{typed}': No such file or directory")
            status = 2
        else:
            raise CommandError(
                f"ls: {typed}: not simulated here (this shell lists /proc/PID/fd and the files "
                f"the session wrote, e.g. in {HOME} and /tmp)",
                2,
            )
    listed = ("\n\n" if len(shown) > 1 else "\n").join(b for b in blocks if b)
    return CommandResult("\n".join(errors + ([listed] if listed else [])), status)


def _format(
    host: Host, entries: dict[str, int | None], paths: dict[str, str], long: bool, one_per_line: bool, *, total: bool
) -> str:
    names = sorted(entries)
    if not long:
        return ("\n" if one_per_line else "  ").join(names)
    mtimes = userland(host).mtimes
    sizes = {n: BLOCK if entries[n] is None else entries[n] or 0 for n in names}
    width = max((len(str(s)) for s in sizes.values()), default=1)
    lines = [f"total {sum(-(-s // BLOCK) * 4 for s in sizes.values())}"] if total else []
    for name in names:
        mode = "drwxr-xr-x 2" if entries[name] is None else "-rw-r--r-- 1"
        stamp = _stamp(host, mtimes.get(paths[name], 0.0))
        lines.append(f"{mode} root root {sizes[name]:>{width}} {stamp} {name}")
    return "\n".join(lines)


def _stamp(host: Host, clock: float) -> str:
    """`Jan  1 00:00`, as ls prints a recent file's time."""
    t = wall_time(host, clock)
    return time.strftime("%b ", t) + f"{t.tm_mday:>2}" + time.strftime(" %H:%M", t)
