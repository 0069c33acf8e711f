"""Progress is stored atomically, survives a crash mid-write, and sets a corrupt file aside."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from netstack_tui.scenarios import progress


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory via NETSTACK_TUI_DATA."""
    monkeypatch.setenv("NETSTACK_TUI_DATA", str(tmp_path))
    return tmp_path


def test_mark_and_hints_round_trip(data_dir: Path) -> None:
    """Statuses and hint counts are remembered in progress.json."""
    assert progress.status("rule-order") == "new"
    progress.mark("rule-order", "in progress")
    assert progress.use_hint("rule-order") == 1
    assert progress.use_hint("rule-order") == 2
    progress.mark("rule-order", "solved")
    progress.mark("rule-order", "in progress")
    data = progress.load_progress()
    assert data["scenarios"]["rule-order"] == {"status": "solved", "hints": 2}
    assert progress.hints_used("rule-order") == 2
    assert (data_dir / "progress.json").exists()


def test_unknown_status_is_refused() -> None:
    """Only new, in progress and solved exist."""
    with pytest.raises(ValueError):
        progress.mark("x", "done")


def test_crash_between_write_and_replace_keeps_old_file(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the process dies before os.replace, the previous progress is intact and no temp file is left."""
    progress.mark("rule-order", "solved")
    before = (data_dir / "progress.json").read_text(encoding="utf-8")

    def crash(src: str, dst: str) -> None:
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        progress.mark("tour-incoming", "in progress")
    monkeypatch.undo()
    os.environ["NETSTACK_TUI_DATA"] = str(data_dir)
    assert (data_dir / "progress.json").read_text(encoding="utf-8") == before
    assert [p.name for p in data_dir.iterdir()] == ["progress.json"]
    assert progress.status("rule-order") == "solved"


def test_corrupt_file_is_kept_aside_and_reported(data_dir: Path) -> None:
    """A file that is not JSON is renamed, reported in one line, and progress starts afresh."""
    (data_dir / "progress.json").write_text("{not json", encoding="utf-8")
    data = progress.load_progress()
    assert data["scenarios"] == {}
    assert progress.last_warning is not None and "\n" not in progress.last_warning
    assert (data_dir / "progress.json.corrupt-1").read_text(encoding="utf-8") == "{not json"
    progress.mark("rule-order", "solved")
    assert json.loads((data_dir / "progress.json").read_text(encoding="utf-8"))["scenarios"]["rule-order"]


def test_default_location_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without NETSTACK_TUI_DATA the file lives under $XDG_DATA_HOME/netstack-tui."""
    monkeypatch.delenv("NETSTACK_TUI_DATA")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert progress.progress_path() == tmp_path / "xdg" / "netstack-tui" / "progress.json"


# ---- hostile progress files (issue 20) -----------------------------------------------------------


def _finishes(action: Callable[[], Any]) -> Any:
    """Run `action` in a thread; fail instead of hanging the suite when it blocks (a guard against
    a blocked open(), not a measure of speed)."""
    result: dict[str, Any] = {}

    def run() -> None:
        result["value"] = action()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "blocked"
    return result.get("value")


@pytest.fixture(autouse=True)
def _no_pending_warning() -> Iterator[None]:
    progress.take_warning()
    yield
    progress.take_warning()


def test_the_warning_is_given_once(data_dir: Path) -> None:
    """The report of a file set aside waits until a viewer takes it, however many loads come first,
    and is given once."""
    (data_dir / "progress.json").write_text("{not json", encoding="utf-8")
    progress.load_progress()
    progress.status("rule-order")  # more loads before anyone looks
    progress.mark("rule-order", "solved")
    warning = progress.take_warning()
    assert warning is not None and "\n" not in warning
    assert "could not be read (not JSON" in warning and "progress.json.corrupt-1" in warning
    assert progress.take_warning() is None


def test_the_tui_door_hands_the_warning_over_once(data_dir: Path) -> None:
    """The app asks `progress_notice()` at start; `mark()` returns a report that arrived later."""
    from netstack_tui.tui import library

    assert library.progress_notice() is None
    (data_dir / "progress.json").write_text("[]", encoding="utf-8")
    notice = library.progress_notice()
    assert notice is not None and "unexpected content" in notice
    assert library.progress_notice() is None
    (data_dir / "progress.json").write_text("{", encoding="utf-8")
    problem = library.mark("rule-order", "in progress")
    assert problem is not None and "not JSON" in problem and "corrupt-2" in problem
    assert library.mark("rule-order", "solved") is None


@pytest.mark.parametrize(("content", "why"), [
    ('{"version": 1, "scenarios": {"a": {"hints": ' + "9" * 5000 + "}}}", "a number in it is too long"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"scenarios": ' * 50_000 + "{}" + "}" * 50_000, "nested too deeply"),
    (b"\xff\xfe{}", "not UTF-8 text"),
])
def test_hostile_content_is_set_aside_not_raised(data_dir: Path, content: str | bytes, why: str) -> None:
    """A 5,000-digit number or deep nesting used to raise outside the caught error at every start."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    (data_dir / "progress.json").write_bytes(raw)
    assert progress.load_progress()["scenarios"] == {}
    warning = progress.take_warning()
    assert warning is not None and why in warning
    assert (data_dir / "progress.json.corrupt-1").read_bytes() == raw


def test_absurd_hint_counts_become_zero(data_dir: Path) -> None:
    """Values of the wrong kind or size in a readable file are reset entry by entry, not fatal."""
    entries = {"a": {"status": "solved", "hints": 10**40}, "b": {"status": ["x"], "hints": True},
               "c": {"status": "in progress", "hints": -3}, "d": {"status": "new", "hints": 1.5e308}}
    (data_dir / "progress.json").write_text(json.dumps({"version": 1, "scenarios": entries}), encoding="utf-8")
    scenarios = progress.load_progress()["scenarios"]
    assert scenarios == {"a": {"status": "solved", "hints": 0}, "b": {"status": "new", "hints": 0},
                         "c": {"status": "in progress", "hints": 0}, "d": {"status": "new", "hints": 0}}
    assert progress.take_warning() is None


def test_a_fifo_as_progress_file_does_not_block(data_dir: Path) -> None:
    """Opening a FIFO would wait for a writer forever (the explorer froze before its first frame)."""
    os.mkfifo(data_dir / "progress.json")
    assert _finishes(progress.load_progress)["scenarios"] == {}
    warning = progress.take_warning()
    assert warning is not None and "named pipe" in warning
    assert stat.S_ISFIFO(os.lstat(data_dir / "progress.json.corrupt-1").st_mode)
    _finishes(lambda: progress.mark("rule-order", "solved"))
    assert progress.status("rule-order") == "solved"


def test_a_device_as_progress_file_is_not_read(data_dir: Path) -> None:
    """A link to /dev/zero (st_size 0, no end) is set aside, not read until memory runs out."""
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    os.symlink("/dev/zero", data_dir / "progress.json")
    assert progress.load_progress()["scenarios"] == {}
    warning = progress.take_warning()
    assert warning is not None and "character device" in warning


def test_a_huge_progress_file_is_set_aside(data_dir: Path) -> None:
    with open(data_dir / "progress.json", "wb") as out:
        out.truncate(progress.MAX_BYTES + 1)
    assert progress.load_progress()["scenarios"] == {}
    warning = progress.take_warning()
    assert warning is not None and "larger than 1024 KiB" in warning


# ---- temporary files of killed saves ------------------------------------------------------------


def _temporaries(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.iterdir() if p.name.startswith(".progress-"))


def test_a_dead_writers_temporary_file_is_removed(data_dir: Path) -> None:
    """No process holds the lock of a file left by a killed save: the next load removes it."""
    (data_dir / ".progress-dead1234.tmp").write_text('{"half": ', encoding="utf-8")
    (data_dir / ".progress-other.txt").write_text("not ours", encoding="utf-8")
    progress.load_progress()
    assert _temporaries(data_dir) == [".progress-other.txt"]


def test_a_live_writers_temporary_file_is_kept(data_dir: Path) -> None:
    """A file whose writer still holds its lock (another app instance mid-save) is never removed;
    once the lock is gone it is removed at the next save."""
    live = data_dir / ".progress-live5678.tmp"
    live.write_text("{", encoding="utf-8")
    with open(live, "rb") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        progress.mark("rule-order", "solved")
        progress.load_progress()
        assert _temporaries(data_dir) == [live.name]
    progress.mark("rule-order", "in progress")
    assert _temporaries(data_dir) == []
    assert progress.status("rule-order") == "solved"


_WRITER = """
import os, sys, time
from netstack_tui.scenarios import progress
real_replace = os.replace

def stall(src, dst):
    open(sys.argv[1], "w").close()  # tell the test the temporary file is written and locked
    time.sleep(600)

os.replace = stall
progress.mark("other-instance", "solved")
"""


def test_kill_9_mid_save_with_a_second_instance(data_dir: Path) -> None:
    """Two instances: one is stopped mid-save (its temporary file written, not yet renamed); the
    other saves meanwhile and keeps that file. After kill -9 the next save removes it, and no
    progress is lost or corrupt."""
    progress.mark("rule-order", "solved")
    ready = data_dir.parent / "writer-ready"
    env = {**os.environ, "NETSTACK_TUI_DATA": str(data_dir)}
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(ready)], env=env)
    try:
        for _ in range(1200):  # wait for the writer to reach its stall (bounded: 60 s)
            if ready.exists() or writer.poll() is not None:
                break
            time.sleep(0.05)
        assert ready.exists(), "the second instance did not reach its save"
        [theirs] = _temporaries(data_dir)
        progress.mark("tour-incoming", "in progress")  # this instance saves while the other is mid-save
        assert _temporaries(data_dir) == [theirs]
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    progress.use_hint("tour-incoming")
    assert _temporaries(data_dir) == []
    data = progress.load_progress()["scenarios"]
    assert data == {"rule-order": {"status": "solved", "hints": 0},
                    "tour-incoming": {"status": "in progress", "hints": 1}}
    assert progress.take_warning() is None
