"""`netfilter-persistent` (Debian's iptables-persistent 1.0): save the rules to /etc/iptables/rules.v4
and load them back, announcing each plugin as run-parts does.

The files are the session's in-memory ones. IPv6 is not simulated, so the ip6tables plugin saves the
empty ruleset ip6tables-save prints here (an empty rules.v6) and has nothing to load.
"""

from __future__ import annotations

from .base import CommandError, CommandResult, ShellContext
from .userland import read_file, write_file

PLUGINS = "/usr/share/netfilter-persistent/plugins.d"
RULES_V4 = "/etc/iptables/rules.v4"
RULES_V6 = "/etc/iptables/rules.v6"
_USAGE = "Usage: /usr/sbin/netfilter-persistent (start|stop|restart|reload|force-reload|save|flush)"


def netfilter_persistent(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`netfilter-persistent save|start|restart|reload|force-reload`."""
    if ctx.run_in is None:
        raise CommandError("netfilter-persistent: needs the shell to run its plugins", 1)
    action = argv[1] if len(argv) == 2 else ""
    announce = [
        f"run-parts: executing {PLUGINS}/15-ip4tables {action}",
        f"run-parts: executing {PLUGINS}/25-ip6tables {action}",
    ]
    if action == "save":
        saved = ctx.run_in(ctx.host, ["iptables-save"], None)
        if saved.status != 0:
            return saved
        write_file(ctx.host, RULES_V4, saved.output)
        write_file(ctx.host, RULES_V6, "")
        return CommandResult("\n".join(announce), changed=True)
    if action in ("start", "restart", "reload", "force-reload"):
        text = read_file(ctx.host, RULES_V4)
        if text is None:
            return CommandResult("\n".join(announce))  # the plugin skips a missing file silently
        loaded = ctx.run_in(ctx.host, ["iptables-restore"], text)
        if loaded.status != 0:
            raise CommandError(
                "\n".join([announce[0], loaded.output, f"run-parts: {PLUGINS}/15-ip4tables exited with return code 1"]),
                1,
            )
        return CommandResult("\n".join(announce), changed=True)
    if action in ("stop", "flush"):
        raise CommandError(f"netfilter-persistent: '{action}' is not simulated here (use 'iptables -F' and -P)", 1)
    raise CommandError(_USAGE, 1)


COMMANDS = {"netfilter-persistent": netfilter_persistent}
