"""Progress is stored atomically, survives a crash mid-write, and sets a corrupt file aside."""

from __future__ import annotations

import json
import os
from pathlib import Path

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
