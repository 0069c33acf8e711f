"""User-space state the shell keeps on a host: files written with `>`, at(1) jobs, tc qdisc handles.

It lives on the `Host` object (as the attribute `userland`) rather than on a `Shell`, because viewers
deep-copy hosts and start new shells on the copies (`Session.run_command`); the copy must carry its
files and pending jobs along. Files are in memory only: nothing a learner types touches the real disk.
"""

from __future__ import annotations

import posixpath
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .base import CommandError, read_bounded

if TYPE_CHECKING:
    from ..kernel.host import Host

EPOCH = 1767225600  # Thu Jan  1 00:00:00 2026 UTC, the date iptables-save prints: simulated second 0.
"""Simulated clock 0 as a Unix time; dates the shell prints (at, atq) are EPOCH + host.clock."""

MAX_FILE = 16 * 1024 * 1024
HOME = "/root"
"""The simulated user is root: `~` and `$HOME` expand to this, and relative paths start here (the
shell has no `cd`, so it is also the working directory)."""


def absolute(path: str) -> str:
    """`path` as the session's files are keyed: relative paths are taken from HOME, `.`/`..` resolved."""
    return posixpath.normpath(posixpath.join(HOME, path))


@dataclass(slots=True)
class AtJob:
    """One queued at(1) job."""

    number: int
    due: float
    """Simulated clock (seconds since boot) at which it runs."""
    command: str


@dataclass(slots=True)
class Userland:
    """Per-host user-space state (see the module docstring)."""

    files: dict[str, str] = field(default_factory=dict)
    """Text files by absolute path."""
    mtimes: dict[str, float] = field(default_factory=dict)
    """Simulated clock at each file's (text or capture) last write, for `ls -l`."""
    captures: dict[str, bytes] = field(default_factory=dict)
    """pcap files `tcpdump -w` wrote (binary, so apart from the text files)."""
    jobs: dict[int, AtJob] = field(default_factory=dict)
    ran: list[AtJob] = field(default_factory=list)
    """Jobs atd has run, oldest first (what atd's \"Starting job N\" log lines record)."""
    next_job: int = 1
    qdisc_handles: dict[str, int] = field(default_factory=dict)
    """Root qdisc major handle per device; a device not listed has its default qdisc (handle 0:)."""
    next_qdisc_handle: int = 0x8001


def userland(host: Host) -> Userland:
    """The host's user-space state, created on first use."""
    state = getattr(host, "userland", None)
    if not isinstance(state, Userland):
        state = Userland()
        host.userland = state  # type: ignore[attr-defined]
    return state


def wall_time(host: Host, clock: float | None = None) -> time.struct_time:
    """The simulated wall-clock time (UTC) at `clock` (default: now)."""
    return time.gmtime(EPOCH + int(host.clock if clock is None else clock))


def at_date(host: Host, clock: float) -> str:
    """A date as at(1) and atq print it: `%a %b %e %T %Y`."""
    t = wall_time(host, clock)
    return time.strftime("%a %b ", t) + f"{t.tm_mday:>2}" + time.strftime(" %H:%M:%S %Y", t)


# The files of the host whose command is running, so that file readers that are not handed the host
# (`sysctl -p FILE` calls `read_input_file(path)`) still see what `>` wrote.
CURRENT_FILES: ContextVar[dict[str, str] | None] = ContextVar("CURRENT_FILES", default=None)


def write_file(host: Host, path: str, text: str, *, append: bool = False) -> None:
    """Write (or append to) an in-memory file of the host; `text` gets a trailing newline as echo's does."""
    state = userland(host)
    key = absolute(path)
    if text and not text.endswith("\n"):
        text += "\n"
    new = (state.files.get(key, "") if append else "") + text
    if len(new) > MAX_FILE:
        raise ValueError(f"{path}: File too large")
    state.files[key] = new
    state.mtimes[key] = host.clock


def save_capture(host: Host, path: str, data: bytes) -> None:
    """Keep a pcap file `tcpdump -w` wrote."""
    state = userland(host)
    state.captures[absolute(path)] = data
    state.mtimes[absolute(path)] = host.clock


def read_capture(host: Host, path: str) -> bytes | None:
    """A pcap file this session's `tcpdump -w` wrote, or None."""
    return userland(host).captures.get(absolute(path))


def read_file(host: Host | None, path: str) -> str | None:
    """An in-memory file's text, or None when the shell never wrote it."""
    if host is not None:
        return userland(host).files.get(absolute(path))
    files = CURRENT_FILES.get()
    return None if files is None else files.get(absolute(path))


MAX_INPUT_FILE = 16 * 1024 * 1024
"""The largest real file a command line may name (iptables-restore, nft -f, tcpdump -r, `<`)."""


def read_input_file(path: str) -> str:
    """Read a file named on a command line: one the shell wrote with `>`, else the real one
    (size-capped, errors as one line; in served mode refused unless shipped, see `real_file_refusal`)."""
    written = read_file(None, path)
    if written is not None:
        return written
    try:
        data = read_bounded(path, MAX_INPUT_FILE)
        if data is None:
            raise CommandError(f"{path}: file is too large (more than 16 MiB)")
        return data.decode("utf-8", errors="replace")
    except FileNotFoundError:
        raise CommandError(f"{path}: No such file or directory") from None
    except IsADirectoryError:
        raise CommandError(f"{path}: Is a directory") from None
    except PermissionError:
        raise CommandError(f"{path}: Permission denied") from None
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror or 'cannot read'}") from None
