"""`netstack-tui serve` and `--served` without a browser: the command each tab runs, served mode,
and the one-line refusals before anything is served."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys

import pytest

from netstack_tui.commands.base import SERVED_ENV, served
from netstack_tui.serve import app_command, enter_served_mode, port_problem


def test_the_app_command_quotes_every_word_for_the_shell_textual_serve_runs_it_in() -> None:
    """A scenario path with spaces and shell characters reaches the app as one argument."""
    command = app_command("/tmp/my scenario; rm -rf ~.yaml", "ru", None)
    words = shlex.split(command)
    assert words[1:] == ["-m", "netstack_tui", "--served", "--scenario", "/tmp/my scenario; rm -rf ~.yaml",
                         "--lang", "ru"]


def test_served_mode_refuses_files_and_keeps_progress_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--served` turns the shell's refusal on and points progress at a private directory."""
    monkeypatch.setenv(SERVED_ENV, "0")  # (so that monkeypatch restores the variable afterwards)
    monkeypatch.setenv("NETSTACK_TUI_DATA", "/teachers/progress")
    assert not served()
    enter_served_mode()
    assert served()
    private = os.environ["NETSTACK_TUI_DATA"]
    assert private != "/teachers/progress" and os.path.isdir(private)
    os.rmdir(private)


def test_a_taken_port_is_refused_in_one_line() -> None:
    """The address is checked before the URL is printed."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert port_problem("127.0.0.1", port) == f"cannot serve on 127.0.0.1:{port}: Address already in use"


def test_serve_validates_the_scenario_before_serving() -> None:
    """An unknown scenario ends `serve` with status 2 and one line, before it listens."""
    result = subprocess.run([sys.executable, "-m", "netstack_tui", "serve", "--scenario", "no-such-one"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("netstack-tui: no-such-one: no scenario with this id")
    assert len(result.stderr.strip().splitlines()) == 1
