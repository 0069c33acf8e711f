"""The `netstack-tui` command: the app by default, and headless verbs for scripts.

    netstack-tui                      open the explorer on the default walkthrough
    netstack-tui shell [--script F]   run shell commands from F or stdin, print what they print
    netstack-tui trace --script F --packet SPEC [--packet SPEC ...] [--json] [--pcap F] [--summary F]
    netstack-tui scenarios list|check [FILES...]

Headless verbs never import textual: they start fast and run anywhere.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .commands.shell import Shell


class _PrintVersion(argparse.Action):
    """`--version`, looked up only when asked (importlib.metadata costs every start 40 ms)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("netstack-tui")
        except PackageNotFoundError:  # run from a checkout that was never installed
            found = "(not installed)"
        print(f"{parser.prog} {found}")
        parser.exit()


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netstack-tui", description="Step a packet through a simulated "
                                     "Linux network stack.")
    parser.add_argument("--lang", choices=("en", "ru"), help="interface language (default: from the locale)")
    parser.add_argument("--theme", choices=("dark", "light", "contrast", "high-contrast"),
                        help="colour theme: dark, light or contrast")
    parser.add_argument("--scenario", help="scenario id or YAML file to open")
    parser.add_argument("--export-dir", metavar="DIR",
                        help="where the explorer's export keys (P C J S) save files (default: the current directory)")
    parser.add_argument("--version", action=_PrintVersion, nargs=0, help="show the version and exit")
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)  # set by `serve` for its apps
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
    trace.add_argument("--pcap", metavar="FILE",
                       help="also save the frames every namespace's taps saw as a pcapng file (Wireshark, tcpdump -r)")
    trace.add_argument("--summary", metavar="FILE",
                       help="also save each journey's packet-tracer summary as text (--lang picks the language)")
    scen = sub.add_parser("scenarios", help="list or check the scenario library")
    scen.add_argument("action", choices=("list", "check"))
    scen.add_argument("files", nargs="*", help="scenario files (default: the shipped library)")
    serve = sub.add_parser("serve", help="serve the explorer to browsers: one app and one world per tab")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    # Also accepted after the verb; SUPPRESS keeps the value given before it when these are absent.
    serve.add_argument("--scenario", default=argparse.SUPPRESS, help="scenario id or YAML file every tab opens")
    serve.add_argument("--lang", choices=("en", "ru"), default=argparse.SUPPRESS, help="interface language")
    serve.add_argument("--theme", choices=("dark", "light", "contrast", "high-contrast"), default=argparse.SUPPRESS,
                       help="colour theme")
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


def run_trace(script: str | None, packets: Sequence[str], as_json: bool, *, pcap: str | None = None,
              summary: str | None = None, lang: str = "en") -> int:
    """Set up with a script, send each packet, print the traces; save the frames the taps saw (pcap)
    and the summaries (summary) to files when asked."""
    from .commands.render import render_trace
    from .commands.shell import Shell
    from .export.files import traces_json
    from .export.frames import record_taps

    shell = Shell()
    failed = False
    for line in (script or "").splitlines():
        result = shell.run(line)
        if result.status != 0:
            print(f"setup: {line.strip()}: {result.output}", file=sys.stderr)
            failed = True
    traces = []
    frames = record_taps(shell.world)  # from here on: the traced packets' frames, in the order they passed
    for spec in packets:
        result = shell.run("send " + spec)
        if result.status != 0:
            print(result.output, file=sys.stderr)
            return 2
        traces.extend(result.traces)
    if as_json:
        print(traces_json(traces))
    else:
        print("\n\n".join(render_trace(t) for t in traces))
    if pcap is not None:
        from .export.pcapng import pcapng

        if not _save(pcap, pcapng(frames, comment="netstack-tui trace: " + "; ".join(packets))):
            return 2
    if summary is not None:
        from .export.summary import summary_plain

        if not _save(summary, "\n".join(summary_plain(t, lang) for t in traces).encode()):
            return 2
    return 1 if failed else 0


def _save(path: str, data: bytes) -> bool:
    """Write an export to the file the user named (replacing it, as `tcpdump -w` does); on failure
    say why in one line."""
    try:
        with open(path, "wb") as out:
            out.write(data)
    except OSError as exc:
        print(f"netstack-tui: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def _scenario_problem(id_or_path: str) -> str | None:
    """Why `--scenario` cannot open, in one line (None: it can). A learner's own file is loaded and
    validated here, before the screen takes over the terminal, so its error stays readable; a
    library id is only looked up (the app loads it behind its first frame)."""
    from .scenarios.errors import ScenarioError
    from .scenarios.library import library_dir, load_scenario

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
        return run_trace(_read_script(args.script) if args.script else None, args.packet, args.json,
                         pcap=args.pcap, summary=args.summary, lang=_lang(args.lang))
    if args.verb == "scenarios":
        from .scenarios.cli import run as run_scenarios

        return run_scenarios(args.action, args.files)
    if args.scenario and (problem := _scenario_problem(args.scenario)):
        print(f"netstack-tui: {problem}", file=sys.stderr)
        return 2
    if args.verb == "serve":
        from .serve import run_serve

        # The apps start in the server's working directory; a file is passed on by its absolute path.
        scenario = os.path.abspath(args.scenario) if args.scenario and os.path.exists(args.scenario) else args.scenario
        return run_serve(args.host, args.port, scenario, args.lang, args.theme)
    if args.served:
        from .serve import enter_served_mode

        enter_served_mode()
    if args.export_dir is not None and not os.path.isdir(args.export_dir):
        print(f"netstack-tui: --export-dir {args.export_dir}: No such directory", file=sys.stderr)
        return 2
    from pathlib import Path

    from .tui.app import run_app

    export_dir = Path(args.export_dir) if args.export_dir is not None else None
    return run_app(lang=_lang(args.lang), theme=args.theme, scenario=args.scenario, export_dir=export_dir)
