"""The learner's progress: which scenarios are new, in progress or solved, and hints used.

Stored as JSON in the user's data directory (`$NETSTACK_TUI_DATA`, else
`$XDG_DATA_HOME/netstack-tui`, else `~/.local/share/netstack-tui`), file `progress.json`. Every
write goes to a temporary file in the same directory, is fsynced, then atomically replaces the old
file, so a crash mid-write leaves either the old or the new progress, never half of one. A file
that cannot be read is renamed aside (`progress.json.corrupt-N`) and reported in one line.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

Status = Literal["new", "in progress", "solved"]
STATUSES: tuple[str, ...] = ("new", "in progress", "solved")
FILE_NAME = "progress.json"
VERSION = 1

last_warning: str | None = None
"""The one-line report about the last corrupt file set aside (None when all was well)."""


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
    while path.with_name(f"{path.name}.corrupt-{n}").exists():
        n += 1
    aside = path.with_name(f"{path.name}.corrupt-{n}")
    try:
        os.replace(path, aside)
        last_warning = f"progress file {path} could not be read ({why}); kept it as {aside.name} and started afresh"
    except OSError as exc:
        last_warning = f"progress file {path} could not be read ({why}) nor moved aside ({exc.strerror})"


def load_progress() -> dict[str, Any]:
    """All progress: `{"version": 1, "scenarios": {id: {"status": ..., "hints": N}}}`."""
    global last_warning
    last_warning = None
    path = progress_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _empty()
    except (OSError, UnicodeDecodeError) as exc:
        _set_aside(path, str(exc))
        return _empty()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        _set_aside(path, f"not JSON: {exc.msg} at line {exc.lineno}")
        return _empty()
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), dict):
        _set_aside(path, "unexpected content")
        return _empty()
    clean = _empty()
    for sid, entry in data["scenarios"].items():
        if isinstance(sid, str) and isinstance(entry, dict):
            status = entry.get("status") if entry.get("status") in STATUSES else "new"
            hints = entry.get("hints") if isinstance(entry.get("hints"), int) and entry["hints"] >= 0 else 0
            clean["scenarios"][sid] = {"status": status, "hints": hints}
    return clean


def save_progress(data: dict[str, Any]) -> None:
    """Write progress atomically: temp file in the same directory, fsync, os.replace, fsync the dir."""
    path = progress_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".progress-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
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
