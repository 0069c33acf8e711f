"""Scenario files never write outside the session, served or not: their setup and solution lines are
shell lines, and the shell keeps every file it writes in memory. Proved by running the whole library,
and a scenario whose setup tries every way the shell has to write a file, under an audit hook."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from netstack_tui.commands.base import SERVED_ENV
from netstack_tui.commands.userland import userland
from netstack_tui.scenarios import compiled
from netstack_tui.scenarios.checker import check_file
from netstack_tui.scenarios.goals import build_host
from netstack_tui.scenarios.library import library_dir, library_files, load_scenario

from .audit import recording

WRITERS = ["echo pwned > {dir}/redirect", "echo more >> {dir}/append", "echo clobber >| {dir}/clobber",
           "iptables-save > {dir}/rules.v4", "nft list ruleset > {dir}/ruleset.nft",
           "tcpdump -i eth0 -w {dir}/capture.pcap -c 1", "ip -s link > {dir}/../escaped",
           "iptables-save | tee {dir}/tee"]
"""Setup lines that would write real files, were the shell's files real."""


@pytest.fixture(params=[False, True], ids=["unserved", "served"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    if request.param:
        monkeypatch.setenv(SERVED_ENV, "1")
    else:
        monkeypatch.delenv(SERVED_ENV, raising=False)
    return bool(request.param)


def _not_the_apps_cache(events: list[str]) -> list[str]:
    """The app remembers validated scenarios in its own cache (`scenarios.compiled`); that is the
    app writing, not the scenario."""
    cache = str(compiled.cache_dir().parent)  # $XDG_CACHE_HOME/netstack-tui
    return [e for e in events if cache not in e]


def test_the_library_writes_no_real_file() -> None:
    """Checking every shipped scenario (setup, symptom, solution, goal) opens nothing for writing,
    changes no file, starts no program and opens no connection."""
    with recording() as seen:
        for path in library_files():
            assert check_file(path) is None, path
    assert _not_the_apps_cache(seen.writes) == []
    assert _not_the_apps_cache(seen.changes) == []


def test_a_scenario_that_tries_to_write_files_writes_none(mode: bool, tmp_path: Path) -> None:
    """A scenario whose setup writes with `>`, `>>`, `>|`, tee and tcpdump -w leaves the disk as it was."""
    target = tmp_path / "target"
    target.mkdir()
    model = yaml.safe_load((library_dir() / "rule-order.yaml").read_text(encoding="utf-8"))
    model["id"] = "hostile"
    model["setup"] = [line.format(dir=target) for line in WRITERS] + model["setup"]
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(yaml.safe_dump(model, allow_unicode=True), encoding="utf-8")
    with recording() as seen:
        scenario = load_scenario(hostile)
        host, _ = build_host(scenario.setup, scenario.solution)
        check_file(hostile)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.yaml", "target"]
    assert list(target.iterdir()) == []
    assert _not_the_apps_cache(seen.writes) == []
    assert _not_the_apps_cache(seen.changes) == []
    written = userland(host).files
    assert f"{target}/redirect" in written, "the setup's files went nowhere, not even to the session"


def test_the_audit_hook_sees_writes_and_changes(tmp_path: Path) -> None:
    """The hook these proofs rest on does record a real write and a removal."""
    with recording() as seen:
        (tmp_path / "real").write_text("x")
        (tmp_path / "real").unlink()
    assert str(tmp_path / "real") in seen.writes
    assert any(change.startswith("os.remove") for change in seen.changes)
