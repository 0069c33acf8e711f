"""A validated scenario is remembered by content: a later start skips validation, and the result is
exactly what validation gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from netstack_tui.scenarios import compiled
from netstack_tui.scenarios.errors import ScenarioError
from netstack_tui.scenarios.library import from_bytes, from_file, library_files
from netstack_tui.scenarios.loader import load_file


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "netstack-tui" / "scenarios"


@pytest.mark.parametrize("path", library_files(), ids=lambda p: p.stem)
def test_a_cached_scenario_equals_the_validated_one(path: Path, cache: Path) -> None:
    raw = path.read_bytes()
    fresh = from_bytes(raw, str(path))  # validates and stores
    assert compiled.lookup(raw, str(path)) is not None
    cached = from_bytes(raw, str(path))
    validated = from_file(load_file(path), str(path))
    assert cached == validated == fresh
    assert cached.source == validated.source  # validated on demand, from the same bytes


def test_a_second_start_imports_neither_pydantic_nor_yaml(cache: Path) -> None:
    code = ("import sys; from netstack_tui.scenarios.library import load_scenario; s = load_scenario('rule-order'); "
            "print('pydantic' in sys.modules, 'yaml' in sys.modules, len(s.packets) > 0)")
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert first.stdout.split() == ["True", "True", "True"]
    assert second.stdout.split() == ["False", "False", "True"]


def test_a_changed_file_or_name_is_validated_again(cache: Path) -> None:
    path = library_files()[0]
    good = path.read_bytes()
    from_bytes(good, str(path))
    broken = good.replace(b"\nlevel:", b"\nlevel: nonsense\nlevel_was:", 1)
    with pytest.raises(ScenarioError, match="level"):
        from_bytes(broken, str(path))
    with pytest.raises(ScenarioError, match="differs from the file name"):
        from_bytes(good, "renamed.yaml")


def test_an_unusable_cache_only_costs_time(cache: Path) -> None:
    path = library_files()[0]
    raw, name = path.read_bytes(), str(path)
    cache.parent.mkdir(parents=True)
    cache.write_text("a file where the directory should be")
    assert from_bytes(raw, name).id  # nothing stored, nothing raised
    cache.unlink()
    from_bytes(raw, name)
    (cache / f"{compiled.key(raw, name)}.json").write_text('{"id": 5}')  # another layout
    assert from_bytes(raw, name) == from_file(load_file(path), name)


def test_the_cache_keeps_the_newest_entries_and_drops_leftovers(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "KEEP", 3)
    cache.mkdir(parents=True)
    leftover = cache / ".tmp-killed.json"
    leftover.write_text("{")
    os.utime(leftover, (0, 0))
    for i in range(5):
        compiled.store(f"file {i}".encode(), "f.yaml", {"n": i})
    assert not leftover.exists()
    assert len(list(cache.glob("*.json"))) == 3
    assert compiled.lookup(b"file 4", "f.yaml") == {"n": 4}
