"""The iptables, iptables-save and iptables-restore commands of the simulated shell.

They act on `ctx.host.iptables` (a `netstack_tui.kernel.netfilter.table.Ruleset`) and answer
as iptables 1.8.9 (nf_tables) does: same output layouts, same error wording and exit status.
After each change the tables are numbered for nft (`kernel.nftables.xtview.claim`), so `nft list
ruleset` shows them in the order and with the handles the kernel would give them.

The simulated host has the nf_tables backend only: the `iptables-legacy*` commands (x_tables, a
second ruleset on a real host) answer in one line that they are not simulated.
"""

from __future__ import annotations

from ..kernel.netfilter.command import run_iptables
from ..kernel.netfilter.restore import MAX_BYTES, restore
from ..kernel.netfilter.save import save
from ..kernel.netfilter.table import Ruleset
from ..kernel.netfilter.values import IptablesError
from ..kernel.nftables.xtview import claim
from .base import CommandError, CommandResult, Handler, ShellContext, read_real_file

_TRY = "Try `{prog} -h' or '{prog} --help' for more information."


def _ruleset(ctx: ShellContext) -> Ruleset:
    return ctx.host.iptables


def _claim(ctx: ShellContext) -> None:
    """Number what the command created for nft's listings (a bare test host may have no nft)."""
    nft = getattr(ctx.host, "nft", None)
    if nft is not None:
        claim(nft, ctx.host.iptables)


def _error(exc: IptablesError, prog: str) -> CommandError:
    message = exc.message
    if exc.status == 2:
        # Parameter problems end with xtables' usage hint, exactly as the real tool prints it.
        message += "\n" + _TRY.format(prog=prog)
    return CommandError(message, exc.status)


def iptables(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`iptables [-t table] COMMAND ...`: change or list the host's IPv4 rules."""
    try:
        output = run_iptables(_ruleset(ctx), argv[1:])
    except IptablesError as exc:
        raise _error(exc, "iptables") from None
    finally:
        _claim(ctx)
    listing = any(a in ("-L", "-S", "--list", "--list-rules", "-V", "--version") for a in argv[1:]) or any(
        a.startswith("-") and not a.startswith("--") and ("L" in a or "S" in a) for a in argv[1:]
    )
    return CommandResult(output=output, changed=not listing or "-Z" in argv or "--zero" in argv)


def iptables_save(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`iptables-save [-c] [-t table]`: dump the touched tables."""
    counters, table = False, None
    args = argv[1:]
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-c", "--counters"):
            counters = True
        elif arg in ("-t", "--table"):
            index += 1
            if index >= len(args):
                raise CommandError("iptables-save: option requires an argument -- 't'", 1)
            table = args[index]
        elif arg.startswith("--table="):
            table = arg.partition("=")[2]
        elif arg in ("-M", "--modprobe", "-f", "--file"):
            index += 1
        else:
            raise CommandError("Unknown arguments found on commandline", 1)
        index += 1
    try:
        return CommandResult(output=save(_ruleset(ctx), table, counters))
    except IptablesError as exc:
        raise CommandError(exc.message, exc.status) from None


def iptables_restore(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`iptables-restore [--noflush] [-c] [FILE]`: load a ruleset from FILE or standard input."""
    noflush = counters = False
    path: str | None = None
    for arg in argv[1:]:
        if arg in ("-n", "--noflush"):
            noflush = True
        elif arg in ("-c", "--counters"):
            counters = True
        elif arg in ("-w", "--wait", "-v", "--verbose"):
            continue
        elif arg in ("-t", "--test"):
            raise CommandError("iptables-restore: --test is not simulated; run without it", 1)
        elif arg.startswith("-"):
            raise CommandError(
                f"iptables-restore: unrecognized option '{arg}'\n" + _TRY.format(prog="iptables-restore"), 1
            )
        elif path is None:
            path = arg
        else:
            raise CommandError("Unknown arguments found on commandline", 1)
    if path is not None:
        from .userland import read_file

        # A file `iptables-save > F` wrote in this session first (as nft -f and `<` do), else the disk's.
        written = read_file(ctx.host, path)
        text = written if written is not None else (
            read_real_file(path, "iptables-restore", "load").decode("utf-8", errors="surrogateescape"))
    else:
        text = ctx.stdin or ""
        if len(text.encode("utf-8", errors="surrogateescape")) > MAX_BYTES:
            raise CommandError("iptables-restore: standard input is larger than 16 MiB; refusing to load it", 1)
    try:
        restore(_ruleset(ctx), text, noflush=noflush, counters=counters)
    except IptablesError as exc:
        message = exc.message
        if "Error occurred at line" in message:
            message += "\n" + _TRY.format(prog="iptables-restore")
        raise CommandError(message, exc.status) from None
    _claim(ctx)
    return CommandResult(changed=True)


def iptables_legacy(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`iptables-legacy*`: x_tables is a separate ruleset on a real host; this host has none."""
    raise CommandError(
        f"{argv[0]}: not simulated here: the simulated host uses the nf_tables backend only "
        "(use iptables, which is iptables-nft, or nft)",
        1,
    )


COMMANDS: dict[str, Handler] = {
    "iptables": iptables,
    "iptables-nft": iptables,
    "iptables-legacy": iptables_legacy,
    "iptables-save": iptables_save,
    "iptables-nft-save": iptables_save,
    "iptables-legacy-save": iptables_legacy,
    "iptables-restore": iptables_restore,
    "iptables-nft-restore": iptables_restore,
    "iptables-legacy-restore": iptables_legacy,
}
"""Command names this module answers, as the shell's dispatcher maps them."""
