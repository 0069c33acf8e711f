"""`netstack-tui scenarios list|check [FILES...]`: the library's table of contents and its proof.

`check` stops at the first failing scenario, prints why in one line and exits 1; with no files it
checks the whole shipped library. Never imports textual.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import ScenarioError


def _lang() -> str:
    locale = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    return "ru" if locale.lower().startswith("ru") else "en"


def run(action: str, files: list[str]) -> int:
    """Run `list` or `check` over `files` (default: the shipped library); return the exit status."""
    from .library import library_files

    paths = [Path(f) for f in files] if files else library_files()
    if action == "list":
        return _list(paths)
    if action == "check":
        return _check(paths)
    print(f"netstack-tui scenarios: unknown action '{action}' (use list or check)", file=sys.stderr)
    return 2


def _list(paths: list[Path]) -> int:
    from .library import load_scenario

    lang = _lang()
    rows = []
    for path in paths:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        rows.append((scenario.id, scenario.level, ",".join(scenario.topics), scenario.text("title", lang)))
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")
    return 0


def _check(paths: list[Path]) -> int:
    from .checker import check_file

    if not paths:
        print("netstack-tui scenarios check: no scenario files", file=sys.stderr)
        return 1
    for path in paths:
        failure = check_file(path)
        if failure is not None:
            print(f"FAIL {failure}", file=sys.stderr)
            return 1
        print(f"ok   {path.stem}")
    print(f"{len(paths)} scenario(s) checked")
    return 0
