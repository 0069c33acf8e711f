"""`pidof [-s] NAME...` (procps): the pids of the simulated apps with that name, newest first."""

from __future__ import annotations

from .base import CommandError, CommandResult, ShellContext


def pidof(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """Exit status 1 when no app has the name; `-s` prints only one pid."""
    single = "-s" in argv[1:]
    names = [a for a in argv[1:] if a != "-s"]
    if any(n.startswith("-") for n in names):
        bad = next(n for n in names if n.startswith("-"))
        raise CommandError(f"pidof: '{bad}' is not simulated here (only -s)", 1)
    pids = sorted((p.pid for p in ctx.host.sockets.processes.values() if p.alive and p.name in names), reverse=True)
    if single:
        pids = pids[:1]
    return CommandResult(" ".join(map(str, pids)), 0 if pids else 1)


COMMANDS = {"pidof": pidof}
