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


def test_no_module_imports_itself_back() -> None:
    """No import cycle anywhere in the package, counting imports made inside functions and under
    TYPE_CHECKING: a module that needs one of its importers' types takes a Protocol instead."""
    import ast
    from pathlib import Path

    import networkx

    package = Path(__file__).resolve().parents[1] / "netstack_tui"
    graph: networkx.DiGraph[str] = networkx.DiGraph()
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        here = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("netstack_tui"):
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                file = package.parent / candidate.replace(".", "/")
                is_module = file.with_suffix(".py").exists() or file.is_dir()
                graph.add_edge(module, candidate if is_module else target)
    cycles = [sorted(c) for c in networkx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []
