"""`bpftool net show` (bpftool 7.x): the BPF programs attached to the host's network hooks.

The simulator attaches only XDP programs (`ip link set dev DEV xdp ...`); the tc, flow_dissector and
netfilter sections are printed empty because nothing can be attached there, as on a host without them.
"""

from __future__ import annotations

from .base import CommandError, CommandResult, ShellContext

_MODES = {"native": "driver", "generic": "generic", "offload": "offload"}


def bpftool(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`bpftool net [show|list] [dev DEV]`."""
    args = [a for a in argv[1:] if a not in ("-p", "-j", "--json", "--pretty")]
    if len(args) != len(argv) - 1:
        raise CommandError("bpftool: JSON output (-j, -p) is not simulated here", 1)
    if not args or args[0] != "net":
        what = args[0] if args else "(no object)"
        raise CommandError(
            f"bpftool: '{what}' is not simulated here (only 'bpftool net show'; XDP programs "
            "attach with 'ip link set dev DEV xdp obj NAME')",
            1,
        )
    rest = args[1:]
    if rest[:1] in (["show"], ["list"]):
        rest = rest[1:]
    elif rest:
        raise CommandError(f'Error: unknown command "{rest[0]}"', 255)
    only = None
    if rest[:1] == ["dev"] and len(rest) == 2:
        only = rest[1]
        if only not in ctx.host.interfaces:
            raise CommandError(f"Error: invalid devname {only}", 255)
    elif rest:
        raise CommandError(f"Error: expected 'dev', got: '{rest[0]}'?", 255)
    xdp = [
        f"{i.name}({i.index}) {_MODES.get(i.xdp_mode or '', i.xdp_mode or '')} id {i.xdp.prog_id}"
        for i in ctx.host.interfaces.values()
        if i.xdp is not None and only in (None, i.name)
    ]
    lines = ["xdp:", *xdp, "", "tc:", "", "flow_dissector:", "", "netfilter:", ""]
    return CommandResult("\n".join(lines))


COMMANDS = {"bpftool": bpftool}
