"""The console script's own options (the verbs are tested where their subjects are)."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from netstack_tui.cli import main


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"netstack-tui {version('netstack-tui')}\n"


def test_an_unknown_scenario_is_refused_before_the_app_starts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--scenario", "no-such-scenario"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("netstack-tui: ") and err.count("\n") == 1
