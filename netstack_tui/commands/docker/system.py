"""How the simulated daemon touches the machine: it runs `iptables`, `ip` and `sysctl` through the
same simulated tools a user types, in the namespace it names (the real dockerd uses netlink and
iptables too), so what it writes reads back exactly as a user's change would."""

from __future__ import annotations

from ...kernel.host import Host
from ..base import CommandError, ShellContext


def run(ctx: ShellContext, host: Host, argv: list[str]) -> str:
    """Run one command in `host`; a failure is a bug in the daemon's bookkeeping, said in one line."""
    if ctx.run_in is None:
        raise CommandError("docker: the simulated daemon needs a shell to run in", 1)
    result = ctx.run_in(host, argv, None)
    if result.status != 0:
        raise CommandError(f"docker: simulated dockerd failed: {' '.join(argv)}: {result.output}", 1)
    return result.output


def iptables(ctx: ShellContext, argvs: list[list[str]]) -> None:
    """Run each iptables command in the root namespace, in order."""
    for argv in argvs:
        run(ctx, ctx.worldview.root, ["iptables", "--wait", *argv])
