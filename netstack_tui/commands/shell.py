"""The shell: one command line in, the simulated host's answer out.

Splits a line like a POSIX shell would (quotes, `# comments`, `> file` and `< file` redirection,
`cmd1 && cmd2`, `;`), finds the command in the registry and runs it. Any failure is one line
and a non-zero status, never a traceback.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from ..kernel.host import Host
from ..kernel.trace import Trace
from .base import CommandError, CommandResult, Handler, ShellContext
from .registry import COMMANDS, NOT_SIMULATED

MAX_INPUT_FILE = 16 * 1024 * 1024
# Verbs whose arguments are packets: their `>` is the notation's arrow, never a redirection.
PACKET_VERBS = frozenset({"send", "flood"})


def _split(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&<>|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def read_input_file(path: str) -> str:
    """Read a file named on a command line (size-capped, errors as one line)."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_INPUT_FILE:
            raise CommandError(f"{path}: file is too large ({size} bytes; the limit is 16 MiB)")
        return file.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise CommandError(f"{path}: No such file or directory") from None
    except IsADirectoryError:
        raise CommandError(f"{path}: Is a directory") from None
    except PermissionError:
        raise CommandError(f"{path}: Permission denied") from None


class Shell:
    """A shell session on one simulated host."""

    def __init__(self, host: Host | None = None) -> None:
        self.host = host if host is not None else Host()
        self.last_traces: list[Trace] = []
        self.history: list[str] = []

    def run(self, line: str, *, stdin: str | None = None) -> CommandResult:
        """Run one command line (which may chain commands with `;` and `&&`)."""
        line = line.strip()
        if not line or line.startswith("#"):
            return CommandResult()
        self.history.append(line)
        try:
            words = _split(line)
        except ValueError as exc:
            return CommandResult(f"sh: syntax error: {exc}", 2)
        combined = CommandResult()
        outputs: list[str] = []
        for argv, joiner in _pipeline(words):
            if joiner == "&&" and combined.status != 0:
                break
            result = self._run_argv(argv, stdin)
            combined.status = result.status
            combined.changed |= result.changed
            combined.traces += result.traces
            if result.output:
                outputs.append(result.output)
        combined.output = "\n".join(outputs)
        return combined

    def run_script(self, text: str) -> list[CommandResult]:
        """Run every line of a script, continuing after failures."""
        return [self.run(line) for line in text.splitlines() if line.strip()]

    def _run_argv(self, argv: list[str], stdin: str | None) -> CommandResult:
        redirect_out: str | None = None
        append = False
        if "|" in argv or "||" in argv:
            return CommandResult("sh: pipes are not simulated; run the commands one at a time", 2)
        if argv and argv[0] in PACKET_VERBS:
            return self.call(argv, stdin)
        words: list[str] = []
        i = 0
        while i < len(argv):
            word = argv[i]
            if word in (">", ">>", "<"):
                if i + 1 >= len(argv):
                    return CommandResult("sh: syntax error near unexpected token `newline'", 2)
                target = argv[i + 1]
                if word == "<":
                    try:
                        stdin = read_input_file(target)
                    except CommandError as exc:
                        return CommandResult(f"sh: {exc.message}", 1)
                else:
                    redirect_out, append = target, word == ">>"
                i += 2
                continue
            words.append(word)
            i += 1
        argv = words
        if not argv:
            return CommandResult()
        if redirect_out is not None:
            return self._write_file(argv, redirect_out, append)
        return self.call(argv, stdin)

    def call(self, argv: list[str], stdin: str | None = None) -> CommandResult:
        """Run one parsed command."""
        name = argv[0]
        handler: Handler | None = COMMANDS.get(name)
        if handler is None:
            if name in NOT_SIMULATED:
                return CommandResult(f"{name}: not simulated here ({NOT_SIMULATED[name]})", 127)
            return CommandResult(f"{name}: command not found (type 'help' for the commands this shell simulates)",
                                 127)
        ctx = ShellContext(self.host, stdin, self.last_traces)
        try:
            result = handler(ctx, argv)
        except CommandError as exc:
            return CommandResult(exc.message, exc.status)
        if result.traces:
            self.last_traces = list(result.traces)
        return result

    def _write_file(self, argv: list[str], path: str, append: bool) -> CommandResult:
        # Only /proc/sys is a file this shell can write: `echo 1 > /proc/sys/net/ipv4/ip_forward`.
        if not path.startswith("/proc/sys/"):
            return CommandResult(f"sh: {path}: writing files is not simulated (only /proc/sys/...)", 1)
        produced = self.call(argv)
        if produced.status != 0:
            return produced
        return self.call(["sysctl", "-q", "-w", f"{path[len('/proc/sys/'):]}={produced.output.strip()}"])


def _pipeline(words: list[str]) -> list[tuple[list[str], str]]:
    """Split words at `;` and `&&` into (argv, joiner-before) pairs."""
    out: list[tuple[list[str], str]] = []
    current: list[str] = []
    joiner = ";"
    for word in words:
        if word in (";", "&&"):
            if current:
                out.append((current, joiner))
            current, joiner = [], word
        else:
            current.append(word)
    if current:
        out.append((current, joiner))
    return out
