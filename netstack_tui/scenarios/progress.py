"""The learner's progress: which scenarios are new, in progress or solved, and hints used.

Stored as JSON in the user's data directory (`$NETSTACK_TUI_DATA`, else
`$XDG_DATA_HOME/netstack-tui`, else `~/.local/share/netstack-tui`), file `progress.json`. Every
write goes to a temporary file in the same directory, is fsynced, then atomically replaces the old
file, so a crash mid-write leaves either the old or the new progress, never half of one.

A file that cannot be used (not JSON, absurd content, a device or FIFO, too large) is renamed aside
(`progress.json.corrupt-N`) and progress starts afresh; the one-line report waits in
`take_warning()` until a viewer shows it. Loading never raises.

A save killed between creating its temporary file and renaming it leaves the file behind. Each
writer holds an exclusive lock (flock) on its temporary file while the file has its name, and the
lock dies with the process: a temporary file that can be locked belongs to no live writer, and
is removed at the next load or save — a second app instance saving at the same time keeps its own.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, Literal

from .safe_read import FileTooLarge, NotRegularFile, read_regular

try:
    import fcntl
except ImportError:  # no flock (Windows): saves stay atomic, stale temporary files stay
    fcntl = None  # type: ignore[assignment]

Status = Literal["new", "in progress", "solved"]
STATUSES: tuple[str, ...] = ("new", "in progress", "solved")
FILE_NAME = "progress.json"
VERSION = 1
MAX_BYTES = 1024 * 1024
"""Progress for every scenario takes a few kilobytes; a larger file is not ours."""
MAX_HINTS = 1000
_TMP_PREFIX, _TMP_SUFFIX = ".progress-", ".tmp"

last_warning: str | None = None
"""The one-line report about the last unusable file set aside, until `take_warning()` takes it."""


_taken: set[str] = set()


def take_warning() -> str | None:
    """The pending report about a progress file set aside; each report is given once (a file that
    can be neither read nor moved aside is not reported again at every load)."""
    global last_warning
    warning, last_warning = last_warning, None
    if warning is None or warning in _taken:
        return None
    _taken.add(warning)
    return warning


def data_dir() -> Path:
    """Where progress lives: $NETSTACK_TUI_DATA, else $XDG_DATA_HOME/netstack-tui, else ~/.local/share/..."""
    explicit = os.environ.get("NETSTACK_TUI_DATA")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "netstack-tui"


def progress_path() -> Path:
    """The progress file."""
    return data_dir() / FILE_NAME


def _empty() -> dict[str, Any]:
    return {"version": VERSION, "scenarios": {}}


def _set_aside(path: Path, why: str) -> None:
    global last_warning
    n = 1
    while os.path.lexists(path.with_name(f"{path.name}.corrupt-{n}")):
        n += 1
    aside = path.with_name(f"{path.name}.corrupt-{n}")
    try:
        os.replace(path, aside)
        last_warning = f"progress file {path} could not be read ({why}); kept it as {aside.name} and started afresh"
    except OSError as exc:
        last_warning = f"progress file {path} could not be read ({why}) nor moved aside ({exc.strerror})"


def _read(path: Path) -> dict[str, Any] | None:
    """The file's JSON object; None when there is no file. ValueError (one line) when it is unusable."""
    try:
        raw = read_regular(path, MAX_BYTES)
    except FileNotFoundError:
        return None
    except NotRegularFile as exc:
        raise ValueError(f"it is {exc.kind}") from None
    except FileTooLarge:
        raise ValueError(f"larger than {MAX_BYTES // 1024} KiB") from None
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except ValueError:  # a number past Python's 4,300-digit conversion limit
        raise ValueError("a number in it is too long") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), dict):
        raise ValueError("unexpected content")
    return data


def load_progress() -> dict[str, Any]:
    """All progress: `{"version": 1, "scenarios": {id: {"status": ..., "hints": N}}}`; never raises."""
    path = progress_path()
    _remove_stale_temporaries(path.parent)
    try:
        data = _read(path)
    except ValueError as exc:
        _set_aside(path, str(exc))
        return _empty()
    clean = _empty()
    for sid, entry in (data or {}).get("scenarios", {}).items():
        if isinstance(sid, str) and isinstance(entry, dict):
            status = entry.get("status") if entry.get("status") in STATUSES else "new"
            hints = entry.get("hints")
            valid = isinstance(hints, int) and not isinstance(hints, bool) and 0 <= hints <= MAX_HINTS
            clean["scenarios"][sid] = {"status": status, "hints": hints if valid else 0}
    return clean


def _remove_stale_temporaries(directory: Path) -> None:
    """Remove temporary files whose writer died mid-save; never one a live writer holds."""
    if fcntl is None:
        return
    try:
        names = [n for n in os.listdir(directory) if n.startswith(_TMP_PREFIX) and n.endswith(_TMP_SUFFIX)]
    except OSError:
        return
    for name in names:
        path = directory / name
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue  # gone already (renamed into place), or not ours to open
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live writer holds it
            # Only if the name still means this file: its writer may have renamed it into place
            # and let go of the lock between our open and our flock.
            if os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                os.unlink(path)
        except OSError:
            pass
        finally:
            os.close(fd)


def _locked_temporary(directory: Path) -> tuple[int, str]:
    """A new temporary file, locked against the stale-file sweep of other instances."""
    while True:
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX, dir=directory)
        if fcntl is None:
            return fd, tmp
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink > 0:
            return fd, tmp
        # Another instance's sweep took it in the instant before our lock (it looked dead): again.
        os.close(fd)


def save_progress(data: dict[str, Any]) -> None:
    """Write progress atomically: temp file in the same directory, fsync, os.replace, fsync the dir."""
    path = progress_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path.parent)
    fd, tmp = _locked_temporary(path.parent)
    try:
        # The file stays open (and locked) until it has been renamed into place.
        with os.fdopen(fd, "w", encoding="utf-8", closefd=False) as out:
            json.dump(data, out, ensure_ascii=False, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        os.close(fd)
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _entry(data: dict[str, Any], scenario_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = data["scenarios"].setdefault(scenario_id, {"status": "new", "hints": 0})
    return entry


def status(scenario_id: str) -> str:
    """`new`, `in progress` or `solved`."""
    return str(load_progress()["scenarios"].get(scenario_id, {}).get("status", "new"))


def mark(scenario_id: str, new_status: str) -> None:
    """Record a scenario's status (`new`, `in progress`, `solved`); solved is never downgraded to in progress."""
    if new_status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {new_status!r}")
    data = load_progress()
    entry = _entry(data, scenario_id)
    if not (entry["status"] == "solved" and new_status == "in progress"):
        entry["status"] = new_status
    save_progress(data)


def hints_used(scenario_id: str) -> int:
    """How many hints of this scenario the learner has revealed."""
    return int(load_progress()["scenarios"].get(scenario_id, {}).get("hints", 0))


def use_hint(scenario_id: str) -> int:
    """Count one more revealed hint; return the new count."""
    data = load_progress()
    entry = _entry(data, scenario_id)
    entry["hints"] += 1
    if entry["status"] == "new":
        entry["status"] = "in progress"
    save_progress(data)
    return int(entry["hints"])


def reset(scenario_id: str) -> None:
    """Forget a scenario's progress."""
    data = load_progress()
    data["scenarios"].pop(scenario_id, None)
    save_progress(data)
