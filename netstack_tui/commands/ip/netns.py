"""`ip netns`: add, delete, list, exec and identify network namespaces (iproute2 6.1's wording)."""

from __future__ import annotations

from ...kernel.host import Host, HostError
from ..base import CommandError, CommandResult, ShellContext
from .common import not_simulated, sub_command


def ip_netns(ctx: ShellContext, args: list[str]) -> CommandResult:
    """`ip netns [list | add NAME | delete NAME | exec NAME CMD... | identify]`."""
    sub, rest = sub_command(
        args,
        "list",
        ("list", "show", "ls", "add", "delete", "exec", "identify", "pids", "set", "list-id", "attach", "monitor",
         "help"),
        "netns",
    )
    world = ctx.worldview
    if sub in ("list", "show", "ls"):
        # /run/netns is a tmpfs: its directory lists the newest entry first.
        lines = [f"{name} (id: {world.nsids[name]})" if name in world.nsids else name
                 for name in reversed(world.namespaces)]
        return CommandResult("\n".join(lines))
    if sub == "identify":
        if rest:
            raise not_simulated("netns identify PID")
        return CommandResult(world.name_of(ctx.host) or "")
    if sub in ("add", "delete"):
        if len(rest) != 1:
            raise CommandError("No netns name specified" if not rest else f'Error: either "name" is duplicate, or '
                               f'"{rest[1]}" is a garbage.', 255 if rest else 1)
        try:
            if sub == "add":
                world.add_namespace(rest[0])
            else:
                world.delete_namespace(rest[0])
        except HostError as exc:
            raise CommandError(str(exc), 1) from None
        return CommandResult(changed=True)
    if sub == "exec":
        if not rest:
            raise CommandError("No netns name specified", 255)
        if len(rest) < 2:
            raise CommandError("No command specified", 255)
        return run_in_namespace(ctx, rest[0], rest[1:])
    raise not_simulated(f"netns {sub}")


def namespace_host(ctx: ShellContext, name: str) -> Host:
    """The namespace `name` for `ip netns exec` / `ip -n` (iproute2's error, status 255, if missing)."""
    try:
        return ctx.worldview.namespace(name)
    except HostError as exc:
        raise CommandError(str(exc), 255) from None


def run_in_namespace(ctx: ShellContext, name: str, argv: list[str]) -> CommandResult:
    """Run a parsed command inside namespace `name`."""
    host = namespace_host(ctx, name)
    if argv in (["bash"], ["sh"], ["bash", "-i"]) and ctx.enter is not None:
        # An interactive shell inside the namespace: later commands run there until `exit`.
        ctx.enter(host)
        return CommandResult(f"(now in namespace {name}: commands run there until 'exit')", changed=False)
    if ctx.run_in is None:
        raise CommandError("ip: 'netns exec' needs the shell", 1)
    return ctx.run_in(host, argv, ctx.stdin)


def exit_namespace(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`exit` inside `ip netns exec NS bash`: back to the root namespace."""
    if ctx.worldview.name_of(ctx.host) is None or ctx.enter is None:
        raise CommandError("exit: not inside a namespace here (quit the shell with Ctrl-D, the app with q)", 1)
    ctx.enter(None)
    return CommandResult("(back in the root namespace)")


COMMANDS = {"exit": exit_namespace}
