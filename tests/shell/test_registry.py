"""The registry's table of which module implements which command is the modules' own list."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module

from netstack_tui.commands.registry import COMMANDS, PROVIDERS


def test_every_module_provides_exactly_the_commands_the_table_names() -> None:
    for module, names in PROVIDERS.items():
        provided = import_module(f"netstack_tui.commands.{module}").COMMANDS
        assert set(provided) == set(names), module


def test_every_command_resolves_to_its_modules_handler() -> None:
    for name in COMMANDS:
        assert callable(COMMANDS[name]), name
    assert "no-such-command" not in COMMANDS and COMMANDS.get("no-such-command") is None


def test_a_shell_imports_a_commands_module_only_when_the_command_runs() -> None:
    code = ("import sys; from netstack_tui.commands.shell import Shell; sh = Shell(); "
            "before = 'netstack_tui.commands.docker' in sys.modules; sh.run('docker ps'); "
            "print(before, 'netstack_tui.commands.docker' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
