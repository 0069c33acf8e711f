"""The kernel, the shell and the scenarios never import the UI (textual, rich)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

PROBE = "import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"


@pytest.mark.parametrize(
    "module",
    [
        "netstack_tui.kernel",
        "netstack_tui.kernel.stack",
        "netstack_tui.commands",
        "netstack_tui.commands.shell",
        "netstack_tui.commands.session",
        "netstack_tui.scenarios",
        "netstack_tui.cli",
    ],
)
def test_core_does_not_import_the_ui(module: str) -> None:
    """Importing `module` in a fresh interpreter loads neither textual nor rich."""
    if module.startswith("netstack_tui.scenarios") and importlib.util.find_spec("netstack_tui.scenarios") is None:
        pytest.skip("netstack_tui.scenarios is not there yet")
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", f"{module} pulled in: {out.stdout.strip()}"


def test_the_tui_app_module_loads_neither_scapy_nor_networkx() -> None:
    """Importing the app costs no scapy or networkx import (they load lazily, after the first frame)."""
    probe = (
        "import sys, netstack_tui.tui.app; print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'scapy', 'networkx'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
