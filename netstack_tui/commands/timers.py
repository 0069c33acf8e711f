"""Timed rollbacks: at / atq / atrm (at 3.2.5) and iptables-apply (iptables 1.8, script version 1.1).

`at` queues its standard input as a job on the simulated clock; the shell runs a job as soon as the
clock reaches its time (`sleep`, `ping` and `iptables-apply` move the clock) and shows what it printed
as `at job N: ...` lines. Dates are the simulated wall clock (userland.EPOCH + host.clock), printed
as at(1) prints them. Like the real at, seconds are not a unit (`now + 30 seconds` is a syntax error)
and a job runs at the start of its minute.

iptables-apply saves the rules, applies the file through iptables-restore and asks
"Can you establish NEW connections to the machine? (y/N)". Nobody can press a key inside the
simulated shell, so it reads the answer from its standard input (`echo y | iptables-apply FILE`
works on a real machine too) or from the simulator-only flag `--confirm`; without an answer it lets
the timeout pass on the simulated clock and rolls back, printing what the real script prints.
"""

from __future__ import annotations

import calendar
import re

from ..kernel.numbers import NumberError, parse_int
from .base import CommandError, CommandResult, ShellContext
from .numbers import is_decimal, number
from .userland import EPOCH, AtJob, at_date, userland, wall_time, write_file

AT_WARNING = "warning: commands will be executed using /bin/sh"
AT_UNITS = {"min": 60, "minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400,
            "week": 604800, "weeks": 604800}
_RELATIVE = re.compile(r"^now\s*(?:\+\s*(?P<n>[0-9]+)\s*(?P<unit>[a-z]+))?$")
_CLOCK = re.compile(r"^(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2})$")
AT_USAGE = ("Usage: at [-V] [-q x] [-f file] [-u username] [-mMlbv] timespec ...\n"
            "       atq [-V] [-q x] [-o timeformat] [job ...]\n"
            "       atrm [-V] job ...")


# ---- at / atq / atrm ------------------------------------------------------------------------------


def _due(ctx: ShellContext, spec: str) -> float:
    """The simulated clock value a timespec names (start of its minute, as atd runs jobs)."""
    now = EPOCH + int(ctx.host.clock)
    minute = now - now % 60
    text = spec.strip().lower()
    relative = _RELATIVE.match(text)
    if relative is not None:
        delta = 0
        if relative.group("n") is not None:
            unit = AT_UNITS.get(relative.group("unit"))
            if unit is None:
                raise CommandError(f"syntax error. Last token seen: {relative.group('unit')[0]}\nGarbled time", 1)
            delta = number(relative.group("n"), 0, 2**31 - 1, "Garbled time") * unit  # at's parser: a C int
        return minute + delta - EPOCH
    clock = _CLOCK.match(text)
    if clock is not None and int(clock.group("h")) < 24 and int(clock.group("m")) < 60:
        t = wall_time(ctx.host)
        midnight = calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0))
        when = midnight + int(clock.group("h")) * 3600 + int(clock.group("m")) * 60
        if when < minute:
            when += 86400
        return when - EPOCH
    raise CommandError("Garbled time" if text else AT_USAGE, 1)


def _job_number(word: str) -> int | None:
    """An at job number as typed, or None when it is not one (a word, or too large to be any job)."""
    try:
        return parse_int(word, 0, 2**63 - 1)
    except NumberError:
        return None


def at(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`at [-f FILE] TIMESPEC` (now [+ N min|minutes|hours|days|weeks], HH:MM); `at -l`, `at -d|-r N`."""
    args = argv[1:]
    if args[:1] == ["-l"]:
        return atq(ctx, ["atq", *args[1:]])
    if args[:1] in (["-d"], ["-r"]):
        return atrm(ctx, ["atrm", *args[1:]])
    if args[:1] == ["-c"]:
        state = userland(ctx.host)
        out = []
        for word in args[1:]:
            job_number = _job_number(word)
            job = state.jobs.get(job_number) if job_number is not None else None
            if job is None:
                raise CommandError(f"Cannot find jobid {word}", 1)
            out.append(job.command.rstrip("\n"))
        return CommandResult("\n".join(out))
    script: str | None = ctx.stdin
    if args[:1] == ["-f"]:
        if len(args) < 2:
            raise CommandError(AT_USAGE, 1)
        from .userland import read_input_file

        try:
            script = read_input_file(args[1])
        except CommandError as exc:
            raise CommandError(f"at: cannot open input file {args[1]}: {exc.message.split(': ', 1)[-1]}", 1) from None
        args = args[2:]
    elif args[:1] and args[0].startswith("-"):
        raise CommandError(f"at: option '{args[0]}' is not simulated here", 1)
    if not args:
        raise CommandError("Garbled time", 1)
    due = _due(ctx, " ".join(args))
    if script is None:
        raise CommandError("at: nothing to run: pipe the commands in, e.g. "
                           "echo 'iptables -P INPUT ACCEPT' | at now + 5 minutes", 1)
    state = userland(ctx.host)
    number = state.next_job
    state.next_job += 1
    state.jobs[number] = AtJob(number, due, script)
    return CommandResult(f"{AT_WARNING}\njob {number} at {at_date(ctx.host, due)}", changed=True)


def atq(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`atq`: `N<TAB>DATE a root` for every pending job."""
    if any(a.startswith("-") for a in argv[1:]):
        raise CommandError(f"atq: option '{next(a for a in argv[1:] if a.startswith('-'))}' is not simulated here", 1)
    jobs = sorted(userland(ctx.host).jobs.values(), key=lambda j: j.number)
    wanted = {a for a in argv[1:]}
    return CommandResult("\n".join(f"{j.number}\t{at_date(ctx.host, j.due)} a root" for j in jobs
                                   if not wanted or str(j.number) in wanted))


def atrm(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`atrm N...`: delete pending jobs (`Cannot find jobid N` for unknown ones; status 1)."""
    if len(argv) < 2:
        raise CommandError(AT_USAGE, 1)
    state = userland(ctx.host)
    errors: list[str] = []
    changed = False
    for word in argv[1:]:
        job_number = _job_number(word)
        if not is_decimal(word):
            errors.append(f"at: unknown jobid: {word}")
        elif job_number not in state.jobs:
            errors.append(f"Cannot find jobid {word}")
        else:
            del state.jobs[job_number]
            changed = True
    return CommandResult("\n".join(errors), 1 if errors else 0, changed=changed)


# ---- iptables-apply -------------------------------------------------------------------------------

APPLY_DEFAULT_FILE = "/etc/network/iptables.up.rules"
APPLY_DEFAULT_TIMEOUT = 10
PROMPT = "Can you establish NEW connections to the machine? (y/N) "
APPLY_HELP = f"""iptables-apply 1.1 -- a safer way to update iptables remotely

Usage:
  iptables-apply [-hV] [-t timeout] [-w savefile] [--confirm] [rulesfile]

The script will try to apply a new rulesfile (as output by iptables-save,
read by iptables-restore) and then prompt the user whether the changes are
okay. If the new iptables rules cut the existing connection, the user will
not be able to answer affirmatively. In this case, the script rolls back to
the previous working iptables rules after the timeout expires.

Options:
-t seconds, --timeout seconds
  Specify the timeout in seconds (default: {APPLY_DEFAULT_TIMEOUT}).
-w savefile, --write savefile
  Specify the savefile where successfully applied rules will be written to.
--confirm
  Simulator only: answer y to the prompt. On a real machine you type y
  within the timeout (or pipe it in: echo y | iptables-apply FILE); here
  nobody can press a key, so without --confirm the timeout passes on the
  simulated clock and the old rules come back.

Default value for rulesfile is '{APPLY_DEFAULT_FILE}'."""


def iptables_apply(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`iptables-apply [-t SECONDS] [-w SAVEFILE] [--confirm] [RULESFILE]` (see the module docstring)."""
    from .userland import read_input_file

    if ctx.run_in is None:
        raise CommandError("iptables-apply: needs the shell to run iptables-save and iptables-restore", 1)

    timeout_text, savefile, confirm, files = str(APPLY_DEFAULT_TIMEOUT), "", False, []
    args = iter(argv[1:])
    for word in args:
        if word in ("-t", "--timeout", "-w", "--write"):
            value = next(args, None)
            if value is None:
                raise CommandError(f"iptables-apply: option requires an argument -- '{word.lstrip('-')[0]}'", 1)
            if word in ("-t", "--timeout"):
                timeout_text = value
            else:
                savefile = value or APPLY_DEFAULT_FILE
        elif word.startswith("--timeout="):
            timeout_text = word.split("=", 1)[1]
        elif word.startswith("-t") and len(word) > 2:
            timeout_text = word[2:]
        elif word == "--confirm":
            confirm = True
        elif word in ("-h", "--help"):
            return CommandResult(APPLY_HELP)
        elif word in ("-V", "--version"):
            return CommandResult("iptables-apply 1.1 -- a safer way to update iptables remotely")
        elif word in ("-c", "--command"):
            raise CommandError("iptables-apply: -c (run a command) is not simulated here; give a rules file", 1)
        elif word.startswith("-") and word != "-":
            raise CommandError(f"iptables-apply: unrecognized option '{word}'", 1)
        else:
            files.append(word)
    timeout = number(timeout_text, 0, 2**31 - 1, "Error: timeout must be a positive number")
    rulesfile = files[0] if files else APPLY_DEFAULT_FILE
    try:
        new_rules = read_input_file(rulesfile)
    except CommandError as exc:
        from .base import SERVED_REFUSAL

        why = f" ({SERVED_REFUSAL})" if exc.message.endswith(SERVED_REFUSAL) else ""  # say why, when it is not the file
        raise CommandError(f"Error: rulesfile not readable: {rulesfile}{why}", 2) from None

    def run(name: str, stdin: str | None = None) -> CommandResult:
        assert ctx.run_in is not None
        return ctx.run_in(ctx.host, [name], stdin)

    saved = run("iptables-save")
    if saved.status != 0:
        raise CommandError("Error: unknown error saving old iptables rules", 4)
    applied = run("iptables-restore", new_rules)
    lines: list[str] = []
    if applied.status != 0:
        run("iptables-restore", saved.output)
        lines += [f"Applying new iptables rules from '{rulesfile}'... {applied.output}".rstrip(), "failed.",
                  f"Error: unknown error applying new iptables rules: {rulesfile}",
                  "Reverting to old iptables rules... done."]
        return CommandResult("\n".join(lines), 5, changed=False)
    lines.append(f"Applying new iptables rules from '{rulesfile}'... done.")
    answer = "y" if confirm else (ctx.stdin or "")[:1]
    if answer in ("y", "Y"):
        lines.append(PROMPT + answer)
        if savefile:
            lines.append(f"Writing successfully applied rules to '{savefile}'...")
            write_file(ctx.host, savefile, run("iptables-save").output)
        lines.append("... then my job is done. See you next time.")
        return CommandResult("\n".join(lines), 0, changed=True)
    lines.append(PROMPT + answer.strip())
    if answer.strip():
        lines.append("No affirmative response! Better play it safe...")
    else:
        ctx.host.advance(timeout)
        lines.append("Timeout! Something happened (or did not). Better play it safe...")
    run("iptables-restore", saved.output)
    lines.append("Reverting to old iptables rules... done.")
    if not answer.strip():
        lines.append(f"(simulated: nobody can press y here, so {timeout} s passed on the clock; on a real machine "
                     "you type y, here add --confirm)")
    return CommandResult("\n".join(lines), 255, changed=True)


COMMANDS = {"at": at, "atq": atq, "atrm": atrm, "iptables-apply": iptables_apply}
