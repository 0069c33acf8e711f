"""The ip6tables, ip6tables-save and ip6tables-restore commands of the simulated shell.

They run iptables' own parser, tables and printers (`commands.iptables`, `kernel.netfilter`) for
the IPv6 family (`kernel.netfilter.family`) on the host's separate `ip6tables` ruleset, so they
accept, refuse and print as ip6tables 1.8.9 (nf_tables). The simulator's packets are IPv4: an
IPv6 ruleset is loaded and listed but never traversed, and its counters stay at what was set.
"""

from __future__ import annotations

from dataclasses import replace

from ..kernel.host import Host
from ..kernel.netfilter.command import VERSION_TEXT, execute
from ..kernel.netfilter.family import IPV6, retitle, using
from ..kernel.netfilter.parse import parse_command
from ..kernel.netfilter.values import IptablesError
from . import iptables as v4
from .base import CommandError, CommandResult, Handler, ShellContext

_TRY = "Try `{prog} -h' or '{prog} --help' for more information."


class _V6Host:
    """The view of a host the iptables command code sees: its ip6tables ruleset as `iptables`."""

    def __init__(self, host: Host) -> None:
        self.iptables = host.ip6tables
        self.nft = None  # nft's view of iptables' tables covers the IPv4 ones only
        self._host = host

    def __getattr__(self, name: str) -> object:
        return getattr(self._host, name)


def _error(exc: IptablesError, prog: str) -> CommandError:
    message = retitle(exc.message, IPV6)
    if exc.status == 2 and prog == "ip6tables":
        message += "\n" + _TRY.format(prog=prog)
    return CommandError(message, exc.status)


def ip6tables(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`ip6tables [-t table] COMMAND ...`: change or list the host's IPv6 rules."""
    with using(IPV6):
        try:
            cmd = parse_command(argv[1:])
            if cmd.version:
                return CommandResult(output="ip6" + VERSION_TEXT)
            if cmd.ipv4:
                # xtables' exit_tryhelp(): only the usage hint, no message.
                raise CommandError(_TRY.format(prog="ip6tables"), 2)
            output = execute(ctx.host.ip6tables, cmd)
        except IptablesError as exc:
            raise _error(exc, "ip6tables") from None
    listing = cmd.op in ("L", "S")
    return CommandResult(output=output, changed=not listing or cmd.zero_too)


def _as_v6(ctx: ShellContext) -> ShellContext:
    """A shell context whose host answers `.iptables` with the IPv6 ruleset."""
    return replace(ctx, host=_V6Host(ctx.host))  # type: ignore[arg-type]  # duck-typed host view


def _v4_tool(handler: Handler, prog: str):  # type: ignore[no-untyped-def]
    """Run iptables' save/restore command for IPv6, its messages naming the IPv6 tool."""

    def run(ctx: ShellContext, argv: list[str]) -> CommandResult:
        with using(IPV6):
            try:
                result = handler(_as_v6(ctx), argv)
            except CommandError as exc:
                raise CommandError(retitle(exc.message, IPV6).replace("`iptables-", "`ip6tables-")
                                   .replace("'iptables-", "'ip6tables-"), exc.status) from None
        return result

    run.__doc__ = f"`{prog}`: as iptables' counterpart, for the host's IPv6 ruleset."
    return run


ip6tables_save = _v4_tool(v4.iptables_save, "ip6tables-save [-c] [-t table]")
ip6tables_restore = _v4_tool(v4.iptables_restore, "ip6tables-restore [--noflush] [-c] [FILE]")

COMMANDS: dict[str, Handler] = {
    "ip6tables": ip6tables,
    "ip6tables-nft": ip6tables,
    "ip6tables-save": ip6tables_save,
    "ip6tables-nft-save": ip6tables_save,
    "ip6tables-restore": ip6tables_restore,
    "ip6tables-nft-restore": ip6tables_restore,
}
"""Command names this module answers, as the shell's dispatcher maps them."""
