"""The `netstack-tui` command: the app by default, and headless verbs for scripts.

    netstack-tui                      open the explorer on the default walkthrough
    netstack-tui shell [--script F]   run shell commands from F or stdin, print what they print
    netstack-tui trace --script F --packet SPEC [--packet SPEC ...] [--json]
    netstack-tui scenarios list|check [FILES...]

Headless verbs never import textual: they start fast and run anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .commands.shell import Shell


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("netstack-tui")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netstack-tui", description="Step a packet through a simulated "
                                     "Linux network stack.")
    parser.add_argument("--lang", choices=("en", "ru"), help="interface language (default: from the locale)")
    parser.add_argument("--theme", choices=("dark", "light", "contrast", "high-contrast"),
                        help="colour theme: dark, light or contrast")
    parser.add_argument("--scenario", help="scenario id or YAML file to open")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="verb")
    shell = sub.add_parser("shell", help="run simulated shell commands from a file or stdin")
    shell.add_argument("--script", help="file with one command per line (default: stdin)")
    shell.add_argument("--echo", action="store_true", help="print each command before its output")
    shell.add_argument("--bare", action="store_true",
                       help="start from a bare host: eth0 without an address, nothing simulated behind it (as "
                            "scenarios start); by default the machine reaches a simulated Internet")
    trace = sub.add_parser("trace", help="set up with a script, send packets, print their traces")
    trace.add_argument("--script", help="setup commands, one per line")
    trace.add_argument("--packet", action="append", required=True, help="packet in tcpdump-like notation")
    trace.add_argument("--json", action="store_true", help="print traces as JSON")
    scen = sub.add_parser("scenarios", help="list or check the scenario library")
    scen.add_argument("action", choices=("list", "check"))
    scen.add_argument("files", nargs="*", help="scenario files (default: the shipped library)")
    return parser


def _read_script(path: str | None) -> str:
    from .commands.base import CommandError
    from .commands.userland import read_input_file

    if path is None:
        return sys.stdin.read()
    try:
        return read_input_file(path)
    except CommandError as exc:
        raise SystemExit(f"netstack-tui: {exc.message}") from None


class TerminalProgress:
    """A rich progress bar for long batches (floods), shown only on a terminal and only once a
    batch has run for a second. rich is imported here, in the CLI, never in the shell below it."""

    AFTER = 1.0

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.enabled = sys.stdout.isatty()
        self.bar: Any = None
        self.task: Any = None

    def update(self, done: int, total: int) -> None:
        """Draw `done` of `total`, starting the bar after `AFTER` seconds."""
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.started < self.AFTER:
                return
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("sending", total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.stop()


def _new_shell(bare: bool) -> Shell:
    """A shell on a fresh machine: connected to the simulated Internet, or bare."""
    from .commands.shell import Shell
    from .kernel.world import World

    return Shell(world=World() if bare else World.connected())


def run_shell(script: str, *, echo: bool = False, out: object = None, bare: bool = False) -> int:
    """Run a script line by line; return 1 if any command failed, else 0."""
    stream = out or sys.stdout
    shell = _new_shell(bare)
    shell.progress = TerminalProgress
    failed = False
    for number, line in enumerate(script.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if echo:
            print(f"$ {line}", file=stream)  # type: ignore[arg-type]
        result = shell.run(line)
        if result.output:
            print(result.output, file=stream if result.status == 0 else sys.stderr)  # type: ignore[arg-type]
        if result.status != 0:
            failed = True
            if not echo and not result.output:
                print(f"line {number}: '{line}' failed with status {result.status}", file=sys.stderr)
    return 1 if failed else 0


def _interactive(bare: bool = False) -> int:
    try:
        import readline  # noqa: F401  (line editing and history for input())
    except ImportError:
        pass
    shell = _new_shell(bare)
    shell.progress = TerminalProgress
    status = 0
    while True:
        try:
            where = shell.namespace
            line = input(f"netstack({where})# " if where else "netstack# ")
        except (EOFError, KeyboardInterrupt):
            print()
            return status
        if line.strip() in ("exit", "quit") and not shell.namespace:
            return status
        result = shell.run(line)
        status = result.status
        if result.output:
            print(result.output)


def run_trace(script: str | None, packets: Sequence[str], as_json: bool) -> int:
    """Set up with a script, send each packet, print the traces."""
    from .commands.render import render_trace
    from .commands.shell import Shell

    shell = Shell()
    failed = False
    for line in (script or "").splitlines():
        result = shell.run(line)
        if result.status != 0:
            print(f"setup: {line.strip()}: {result.output}", file=sys.stderr)
            failed = True
    traces = []
    for spec in packets:
        result = shell.run("send " + spec)
        if result.status != 0:
            print(result.output, file=sys.stderr)
            return 2
        traces.extend(result.traces)
    if as_json:
        print(json.dumps([t.to_json() for t in traces], indent=2))
    else:
        print("\n\n".join(render_trace(t) for t in traces))
    return 1 if failed else 0


def _scenario_problem(id_or_path: str) -> str | None:
    """Why `--scenario` cannot open, in one line (None: it can). A learner's own file is loaded and
    validated here, before the screen takes over the terminal, so its error stays readable; a
    library id is only looked up (the app loads it behind its first frame)."""
    from .scenarios.library import library_dir, load_scenario
    from .scenarios.loader import ScenarioError

    if "/" not in id_or_path and not id_or_path.endswith((".yaml", ".yml")) and not os.path.exists(id_or_path):
        if (library_dir() / f"{id_or_path}.yaml").exists():
            return None
    try:
        load_scenario(id_or_path)
    except ScenarioError as exc:
        return str(exc)
    return None


def _lang(requested: str | None) -> str:
    if requested:
        return requested
    locale = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    return "ru" if locale.lower().startswith("ru") else "en"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # `netstack-tui shell ... | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130


def _main(argv: Sequence[str] | None) -> int:
    args = _build_parser().parse_args(argv)
    if args.verb == "shell":
        if args.script is None and sys.stdin.isatty():
            return _interactive(args.bare)
        return run_shell(_read_script(args.script), echo=args.echo, bare=args.bare)
    if args.verb == "trace":
        return run_trace(_read_script(args.script) if args.script else None, args.packet, args.json)
    if args.verb == "scenarios":
        from .scenarios.cli import run as run_scenarios

        return run_scenarios(args.action, args.files)
    if args.scenario and (problem := _scenario_problem(args.scenario)):
        print(f"netstack-tui: {problem}", file=sys.stderr)
        return 2
    from .tui.app import run_app

    return run_app(lang=_lang(args.lang), theme=args.theme, scenario=args.scenario)
