"""The shell: one command line in, the simulated host's answer out.

Splits a line like a POSIX shell would (quotes, `# comments`, `> file`, `>> file` and `< file`
redirection, pipes `a | b`, `a && b`, `a || b`, `;`), finds each command in the registry and runs it.
A pipe hands the previous command's output to the next as its standard input; a command that fails
in the middle of a pipe has its message shown (as its stderr would be) and passes nothing on. The
exit status is the last command's. Any failure is one line and a non-zero status, never a traceback.

Before splitting, `~`, `$HOME` and `$(command)` expand as in sh (see `expand`). Files written with `>`
live in memory on the host (see `userland`; relative paths start at HOME, /root), and creating one
says so in a line; `> /proc/sys/...` writes a sysctl
and `> /dev/null` discards. After every command the at(1) jobs whose time has come run, and their
output is shown as `at job N: ...` lines.
"""

from __future__ import annotations

from collections.abc import Callable

from ..kernel.host import Host
from ..kernel.trace import Trace
from ..kernel.world import World, world_of
from .base import CommandError, CommandResult, Handler, ProgressReporter, ShellContext
from .expand import expand
from .registry import COMMANDS, NOT_SIMULATED
from .userland import CURRENT_FILES, absolute, read_file, read_input_file, userland, write_file
from .words import split_words

# Verbs whose arguments are packets: their `>` is the notation's arrow, never a redirection.
PACKET_VERBS = frozenset({"send", "flood"})
JOINERS = frozenset({";", "&&", "||"})
MAX_JOB_DEPTH = 4
"""How deeply at jobs may queue and run further jobs within one command (a loop guard)."""


_ESCAPED_SEMICOLON = "\ue000"  # a private-use character the splitter treats as a letter


def _split(line: str) -> list[str]:
    # `\;` is a literal semicolon inside a word, as in `nft add chain ... { ...\; policy drop \; }`.
    # The placeholder stays until `call()`, so the word `\;` is never taken for a separator.
    return split_words(line.replace("\\;", _ESCAPED_SEMICOLON))


class Shell:
    """A shell session on one simulated host."""

    def __init__(self, host: Host | None = None, *, world: World | None = None) -> None:
        if world is None:
            world = world_of(host) if host is not None else World()
        self.world: World = world
        """Every namespace; commands run in `host`, one of them."""
        self.host = host if host is not None else world.root
        self.last_traces: list[Trace] = []
        self.history: list[str] = []
        self.progress: Callable[[], ProgressReporter] | None = None
        """Makes a progress reporter for long batches; set by whoever draws it (the CLI)."""

    def run(self, line: str, *, stdin: str | None = None) -> CommandResult:
        """Run one command line (commands joined by `;`, `&&`, `||` and pipes `|`)."""
        line = line.strip()
        if not line or line.startswith("#"):
            return CommandResult()
        self.history.append(line)
        try:
            return self._execute(line, stdin, 0)
        except Exception as exc:  # in the shell's own parts (expansion, pipes, redirection)
            return CommandResult(internal_error("sh", exc), INTERNAL_ERROR_STATUS, changed=True)

    def run_script(self, text: str) -> list[CommandResult]:
        """Run every line of a script, continuing after failures."""
        return [self.run(line) for line in text.splitlines() if line.strip()]

    # ---- parsing and running a line ---------------------------------------------------------------

    def _execute(self, line: str, stdin: str | None, depth: int) -> CommandResult:
        try:
            line = expand(line, lambda inner: self._substitute(inner, depth))
            words = _split(line)
        except ValueError as exc:
            return CommandResult(f"sh: syntax error: {exc}", 2)
        except CommandError as exc:
            return CommandResult(exc.message, exc.status)
        try:
            sequence = _sequence(words)
        except CommandError as exc:
            return CommandResult(exc.message, exc.status)
        combined = CommandResult()
        outputs: list[str] = []
        for stages, joiner in sequence:
            if (joiner == "&&" and combined.status != 0) or (joiner == "||" and combined.status == 0):
                continue
            result = self._run_pipeline(stages, stdin)
            combined.status = result.status
            combined.changed |= result.changed
            combined.traces += result.traces
            if result.output:
                outputs.append(result.output)
            jobs = self._run_due_jobs(depth)
            if jobs.output:
                outputs.append(jobs.output)
            combined.changed |= jobs.changed
        combined.output = "\n".join(outputs)
        return combined

    def _substitute(self, inner: str, depth: int) -> str:
        """What `$(inner)` stands for: the command's output (its errors go nowhere, as 2>/dev/null)."""
        if depth >= MAX_JOB_DEPTH:
            raise CommandError("sh: $(...) nested too deeply", 2)
        result = self._execute(inner, None, depth + 1)
        return result.output if result.status == 0 else ""

    def _run_pipeline(self, stages: list[list[str]], stdin: str | None) -> CommandResult:
        combined = CommandResult()
        messages: list[str] = []
        tails: list[str] = []  # what commands print on exit comes after the pipe's output
        data = stdin
        for n, argv in enumerate(stages):
            last = n == len(stages) - 1
            if not last and argv[0] == "ls" and not any(a.startswith("-") and "l" in a for a in argv[1:]):
                argv = [argv[0], "-1", *argv[1:]]  # ls writes one name a line when its output is a pipe
            result = self._run_argv(argv, data)
            combined.changed |= result.changed
            combined.traces += result.traces
            if result.stderr:
                messages.append(result.stderr)
            if last:
                combined.status = result.status
                if result.output:
                    messages.append(result.output)
            elif result.status != 0:
                # What a failing command prints is its stderr: shown, not piped on.
                if result.output:
                    messages.append(result.output)
                data = ""
            else:
                data = result.output + "\n" if result.output and not result.output.endswith("\n") else result.output
            if result.stderr_tail:
                tails.append(result.stderr_tail)
        combined.output = "\n".join(messages + tails)
        return combined

    def _run_argv(self, argv: list[str], stdin: str | None) -> CommandResult:
        redirect_out: str | None = None
        append = False
        if argv and argv[0] in PACKET_VERBS:
            return self.call(argv, stdin)
        words: list[str] = []
        i = 0
        while i < len(argv):
            word = argv[i]
            if word in (">", ">>", "<", ">|"):
                if i + 1 >= len(argv) or argv[i + 1] in (">", ">>", "<", ">|"):
                    return CommandResult("sh: syntax error near unexpected token `newline'", 2)
                target = argv[i + 1]
                if word == "<":
                    try:
                        with _files_of(self.host):
                            stdin = read_input_file(target)
                    except CommandError as exc:
                        return CommandResult(f"sh: {exc.message}", 1)
                else:
                    redirect_out, append = target, word == ">>"
                i += 2
                continue
            if word in ("&", ">&", "<&", "&>"):
                return CommandResult(f"sh: '{word}' is not simulated here (no background jobs or fd duplication)", 2)
            words.append(word)
            i += 1
        argv = words
        if not argv:
            return CommandResult()
        if redirect_out is not None:
            return self._write_file(argv, redirect_out, append, stdin)
        return self.call(argv, stdin)

    def call(self, argv: list[str], stdin: str | None = None) -> CommandResult:
        """Run one parsed command."""
        argv = [word.replace(_ESCAPED_SEMICOLON, ";") for word in argv]
        name = argv[0]
        handler: Handler | None = COMMANDS.get(name)
        if handler is None:
            if name in NOT_SIMULATED:
                return CommandResult(f"{name}: not simulated here ({NOT_SIMULATED[name]})", 127)
            return CommandResult(f"{name}: command not found (type 'help' for the commands this shell simulates)",
                                 127)
        ctx = ShellContext(self.host, stdin, self.last_traces, self.progress, self.world, self._call_in, self._enter)
        try:
            with _files_of(self.host):
                result = handler(ctx, argv)
        except CommandError as exc:
            return CommandResult(exc.message, exc.status)
        except Exception as exc:  # the last line of defence: one command never ends the shell
            return CommandResult(internal_error(name, exc), INTERNAL_ERROR_STATUS, changed=True)
        if name != "app":  # `app` runs the programs itself, first thing
            # Programs of socket calls move on by themselves once the command has changed the network
            # (a segment arrived, the clock moved): a blocked accept() or read() returns.
            hosts = list(self.world.hosts())
            if any(host.sockets.programs for host in hosts):  # the runner's imports only once a program ran
                from ..kernel.app import runner
                from ..kernel.app.appview import continued

                moved = runner.advance(hosts)
                if moved:
                    result.traces = [*result.traces, *moved]
                    result.changed = True
                # A journey that woke a program goes on into the calls it made (`trace` shows them too).
                result.traces = [continued(trace, hosts) for trace in result.traces]
        if result.traces:
            self.last_traces = list(result.traces)
        return result

    @property
    def namespace(self) -> str | None:
        """The named namespace commands run in (None: the root one), for the prompt."""
        return self.world.name_of(self.host)

    def _enter(self, host: Host | None) -> None:
        """`ip netns exec NS bash` enters a namespace; `exit` (None) goes back to the root one."""
        self.host = host if host is not None else self.world.root

    def _call_in(self, host: Host, argv: list[str], stdin: str | None) -> CommandResult:
        """Run one parsed command inside namespace `host` (`ip netns exec`), then come back."""
        here = self.host
        self.host = host
        try:
            return self.call(argv, stdin)
        finally:
            self.host = here

    def _write_file(self, argv: list[str], path: str, append: bool, stdin: str | None) -> CommandResult:
        if path.startswith("/proc/sys/"):
            # `echo 1 > /proc/sys/net/ipv4/ip_forward` is a sysctl write.
            produced = self.call(argv, stdin)
            if produced.status != 0:
                return produced
            return self.call(["sysctl", "-q", "-w", f"{path[len('/proc/sys/'):]}={produced.output.strip()}"])
        if path == "/dev/null":
            produced = self.call(argv, stdin)
            return CommandResult("" if produced.status == 0 else produced.output, produced.status,
                                 produced.traces, produced.changed,
                                 stderr=produced.stderr, stderr_tail=produced.stderr_tail)
        if path.startswith(("/proc/", "/sys/", "/dev/")) or path.endswith("/"):
            return CommandResult(f"sh: {path}: writing here is not simulated (only /proc/sys/..., /dev/null "
                                 "and ordinary files)", 1)
        produced = self.call(argv, stdin)
        new = read_file(self.host, path) is None and absolute(path) not in userland(self.host).captures
        try:
            write_file(self.host, path, produced.output if produced.status == 0 else "", append=append)
        except ValueError as exc:
            return CommandResult(f"sh: {exc}", 1)
        if produced.status != 0:
            produced.changed = True  # the file was created (or emptied) all the same, as sh does
            return produced
        # A real shell says nothing; a learner still needs to know the file is in memory, not on disk.
        tail = "\n".join(t for t in (produced.stderr_tail, _kept_note(path) if new else "") if t)
        return CommandResult("", 0, produced.traces, True, stderr=produced.stderr, stderr_tail=tail)

    # ---- at(1) jobs -----------------------------------------------------------------------------

    def _run_due_jobs(self, depth: int) -> CommandResult:
        """Run every queued at job whose time the clock has reached, oldest first."""
        state = getattr(self.host, "userland", None)
        if state is None or not state.jobs or depth >= MAX_JOB_DEPTH:
            return CommandResult()
        out = CommandResult()
        lines: list[str] = []
        while True:
            due = sorted((j for j in state.jobs.values() if j.due <= self.host.clock), key=lambda j: (j.due, j.number))
            if not due:
                break
            job = due[0]
            del state.jobs[job.number]
            state.ran.append(job)
            out.changed = True
            lines.append(f"at job {job.number} ran: {'; '.join(job.command.splitlines())}")
            for text in job.command.splitlines():
                if not text.strip() or text.lstrip().startswith("#"):
                    continue
                result = self._execute(text, None, depth + 1)
                out.changed |= result.changed
                lines += [f"at job {job.number}: {piece}" for piece in result.output.splitlines()]
        out.output = "\n".join(lines)
        return out


INTERNAL_ERROR_STATUS = 70
"""EX_SOFTWARE from sysexits.h: the simulator, not the input, is at fault."""


def internal_error(name: str, exc: BaseException) -> str:
    """The one line shown when a command fails inside the simulator. What it did before failing
    is not undone, so the line says the host may have changed (never that it is unchanged)."""
    return (f"{name}: internal error in the simulator ({type(exc).__name__}); the command stopped part-way and "
            "may have changed the host; later commands still run — please report this line")


def _kept_note(path: str) -> str:
    """The one line that says where a new file went (said once, when the file is created)."""
    where = absolute(path)
    return f"(new file {where} is kept in this session's memory, not on disk: 'cat {where}' or 'ls -l {where}')"


class _files_of:
    """While a command runs, `read_input_file` also sees the files its host's shell wrote."""

    def __init__(self, host: Host) -> None:
        self.files = userland(host).files
        self.token = None

    def __enter__(self) -> None:
        self.token = CURRENT_FILES.set(self.files)  # type: ignore[assignment]

    def __exit__(self, *exc: object) -> None:
        CURRENT_FILES.reset(self.token)  # type: ignore[arg-type]


def _sequence(words: list[str]) -> list[tuple[list[list[str]], str]]:
    """Split words into pipelines at `;`, `&&` and `||`, each with the joiner before it, and each
    pipeline into its commands at `|`."""
    out: list[tuple[list[list[str]], str]] = []
    stages: list[list[str]] = []
    current: list[str] = []
    joiner = ";"
    for word in words:
        if word in JOINERS or word == "|":
            if not current:
                if word == ";" and not stages:
                    continue
                raise CommandError(f"sh: syntax error near unexpected token `{word}'", 2)
            stages.append(current)
            current = []
            if word != "|":
                out.append((stages, joiner))
                stages, joiner = [], word
        elif word in ("|&", ";;", ";&", "&&&", "|||"):
            raise CommandError(f"sh: syntax error near unexpected token `{word}'", 2)
        else:
            current.append(word)
    if current:
        stages.append(current)
    elif stages or joiner in ("&&", "||"):
        raise CommandError("sh: syntax error: unexpected end of file", 2)
    if stages:
        out.append((stages, joiner))
    return out
