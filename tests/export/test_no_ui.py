"""The exports are made below the UI: `trace --pcap/--summary` stays a headless verb."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["netstack_tui.export.frames", "netstack_tui.export.pcapng",
                                    "netstack_tui.export.summary", "netstack_tui.export.files"])
def test_export_modules_load_neither_textual_nor_rich(module: str) -> None:
    """Importing `module` in a fresh interpreter loads no textual or rich module."""
    probe = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
