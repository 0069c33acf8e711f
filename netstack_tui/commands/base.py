"""What every shell command shares: its result, its error, and the context it runs in."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..kernel.host import Host
    from ..kernel.trace import Trace
    from ..kernel.world import World


class CommandError(Exception):
    """A command failed: `message` is the one line the real tool would print (status non-zero)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def short_flags(word: str, allowed: str, refusal: str, status: int) -> str:
    """The letters of a clustered short-option word (`-tulpn`), each checked against `allowed`.
    `refusal` is the error for the first one that is not, with `{letter}` standing for it."""
    for letter in word[1:]:
        if letter not in allowed:
            raise CommandError(refusal.format(letter=letter), status)
    return word[1:]


MAX_REAL_FILE = 16 * 1024 * 1024

SERVED_ENV = "NETSTACK_TUI_SERVED"
"""Environment variable that puts the shell in served mode (value `1`). `netstack-tui serve` starts
every browser tab's app with `--served`, which sets it; the simulated shell has no environment of
its own (`export` never reaches os.environ), so nothing a student types can unset it."""

SHIPPED_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "data")
"""Files the package ships (public, read-only): the only real files a served session may read."""

SERVED_REFUSAL = "reading the server's files is disabled in the served explorer"


def served() -> bool:
    """Whether this process serves a stranger in a browser (see SERVED_ENV)."""
    return os.environ.get(SERVED_ENV) == "1"


def real_file_refusal(path: str) -> str | None:
    """Why a command may not read `path` from the real disk, or None when it may. The one policy
    for real files: `read_bounded`, which every reader goes through, asks it before touching the
    path at all (not even a stat, so a refusal does not reveal whether the file exists). Served,
    only the files the package ships may be read; the session's own files never reach here, they
    are in memory."""
    if not served():
        return None
    real = os.path.realpath(path)  # `..` and symlinks resolved: the file that would be opened
    return None if real.startswith(SHIPPED_DIR + os.sep) else SERVED_REFUSAL


def read_bounded(path: str, limit: int = MAX_REAL_FILE) -> bytes | None:
    """At most `limit` bytes of a regular file on this machine's disk; None when it holds more.
    A device, pipe or socket is refused (IsADirectoryError-like OSError with its own text): its
    st_size says nothing, and reading /dev/zero would never end. So is a file `real_file_refusal`
    forbids (an OSError whose text says why). OSErrors pass through."""
    if refusal := real_file_refusal(path):
        raise OSError(0, refusal)
    if os.path.exists(path) and not os.path.isdir(path) and not os.path.isfile(path):
        raise OSError(0, "not a regular file (devices and pipes are not read here)")
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)  # bounded, whatever the file claims
    return data if len(data) <= limit else None


def read_real_file(path: str, prog: str, verb: str) -> bytes:
    """A file from this machine's disk, named on a command line: refused past 16 MiB, errors as
    one line in the tool's words (`prog: path: ...`); `verb` says what the tool would do with it."""
    try:
        data = read_bounded(path)
    except OSError as exc:
        raise CommandError(f"{prog}: {path}: {exc.strerror or 'cannot read'}", 1) from None
    if data is None:
        raise CommandError(f"{prog}: {path}: file is larger than 16 MiB; refusing to {verb} it", 1)
    return data


@dataclass(slots=True)
class CommandResult:
    """What a command printed and its exit status."""

    output: str = ""
    status: int = 0
    traces: list[Trace] = field(default_factory=list)
    """Journeys this command produced (`send`), for viewers to show."""
    changed: bool = False
    """Whether the command changed the host (a viewer re-runs the journey when it did)."""
    stderr: str = ""
    """What a successful command writes to stderr before its output (tcpdump's `listening on` line):
    shown on the terminal, never piped on or written to a file."""
    stderr_tail: str = ""
    """Stderr written when the command ends, after its output (tcpdump's packet counts)."""


class ProgressReporter(Protocol):
    """Where a long batch reports how far it got; the caller (the CLI, the app) draws it."""

    def update(self, done: int, total: int) -> bool | None:
        """`done` of `total` packets sent so far; a true answer asks the batch to stop (Esc in the app)."""

    def close(self) -> None:
        """The batch ended."""


@dataclass(slots=True)
class ShellContext:
    """The host a command acts on, its standard input, and the session's last trace."""

    host: Host
    stdin: str | None = None
    last_traces: list[Trace] = field(default_factory=list)
    progress: Callable[[], ProgressReporter] | None = None
    """Makes a reporter for long batches (None: report nothing)."""
    world: World | None = None
    """The namespaces `host` lives among (`ip netns`, `ip -n`)."""
    run_in: Callable[[Host, list[str], str | None], CommandResult] | None = None
    """Runs a parsed command in another namespace (`ip netns exec NS CMD...`)."""
    enter: Callable[[Host | None], None] | None = None
    """Makes a namespace the one later commands run in (`ip netns exec NS bash`; None: back out)."""

    @property
    def worldview(self) -> World:
        """`world`, which every shell context has (a bare one for a host made on its own)."""
        if self.world is None:
            from ..kernel.world import world_of

            self.world = world_of(self.host)
        return self.world


Handler = Callable[[ShellContext, list[str]], CommandResult]
"""A command: takes the context and argv (argv[0] is the command name)."""
