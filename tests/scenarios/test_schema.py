"""The shipped JSON Schema is generated from the models and up to date; nothing here imports the UI."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from netstack_tui.scenarios.schema import SCHEMA_PATH, render

ROOT = Path(__file__).parents[2]


def test_schema_is_up_to_date() -> None:
    """schema.json equals what the models generate (run `python -m netstack_tui.scenarios.schema`)."""
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render()


def test_schema_documents_every_field() -> None:
    """Every property of every definition carries the field's docstring as its description."""
    schema = json.loads(render())
    for name, definition in [("ScenarioFile", schema), *schema["$defs"].items()]:
        for prop, spec in definition.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{prop} has no description"


def test_scenarios_never_import_the_ui() -> None:
    """Loading and checking scenarios imports neither textual nor rich."""
    code = ("import sys; from netstack_tui.scenarios import cli, library, goals, progress, checker; "
            "library.list_scenarios(); print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_library_ships_in_the_wheel() -> None:
    """The top-level scenarios/ directory is the wheel's `netstack_tui.library` package, with its files."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert setuptools["package-dir"]["netstack_tui.library"] == "scenarios"
    assert "netstack_tui.library" in setuptools["packages"]
    assert {"*.yaml", "schema.json"} <= set(setuptools["package-data"]["netstack_tui.library"])
    assert SCHEMA_PATH == ROOT / "scenarios" / "schema.json"


def test_every_package_is_listed() -> None:
    """pyproject lists packages by hand (a mapped directory cannot be found); none may be forgotten."""
    from setuptools import find_packages

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = set(find_packages(str(ROOT), include=["netstack_tui*"]))
    assert found <= listed, f"add to pyproject's packages: {sorted(found - listed)}"
