"""`bridge` (iproute2 6.1): `bridge link` and `bridge fdb show`, laid out as the real tool prints them.

Left out on purpose: the multicast `self permanent` entries every device has (33:33:..., 01:00:5e:...),
which come from IPv6 and IGMP, neither of which is simulated.
"""

from __future__ import annotations

from ..kernel.link import bridge
from .base import CommandError, CommandResult, ShellContext
from .ip.common import match_word
from .ip.netns import run_in_namespace
from .ip.show import ifname, link_flags


def bridge_tool(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`bridge [-n NS] link [show] | fdb [show] [br BR] [dev DEV]`."""
    words = argv[1:]
    if words[:1] in (["-n"], ["-netns"]):
        if len(words) < 2:
            raise CommandError("No netns name specified", 255)
        return run_in_namespace(ctx, words[1], ["bridge", *words[2:]])
    if not words:
        raise CommandError("Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }", 255)
    obj, rest = words[0], words[1:]
    if rest[:1] and rest[0] in ("show", "list", "lst"):
        rest = rest[1:]
    elif rest:
        raise CommandError(f"bridge: '{obj} {rest[0]}' is not simulated here (only show)", 1)
    if match_word(obj, "link"):
        return CommandResult(_links(ctx))
    if match_word(obj, "fdb"):
        return CommandResult(_fdb(ctx, rest))
    if obj in ("vlan", "mdb", "monitor", "vni"):
        raise CommandError(f"bridge: '{obj}' is not simulated here", 1)
    raise CommandError(f'Object "{obj}" is unknown, try "bridge help".', 1)


def _links(ctx: ShellContext) -> str:
    host = ctx.host
    lines = []
    for iface in sorted(host.interfaces.values(), key=lambda i: i.index):
        if iface.master is None:
            continue
        flags = link_flags(host, iface)
        state = "forwarding" if iface.up and "NO-CARRIER" not in flags else "disabled"
        lines.append(f"{iface.index}: {ifname(iface)}: <{flags}> mtu {iface.mtu} master {iface.master} "
                     f"state {state} priority 32 cost 2 ")
    return "\n".join(lines)


def _fdb(ctx: ShellContext, args: list[str]) -> str:
    host = ctx.host
    only_bridge = only_dev = None
    i = 0
    while i < len(args):
        if args[i] in ("br", "brport", "dev") and i + 1 < len(args):
            if args[i] == "br":
                only_bridge = args[i + 1]
            else:
                only_dev = args[i + 1]
            i += 2
            continue
        raise CommandError(f'bridge: fdb show "{args[i]}" is not simulated here', 1)
    for name in (only_bridge, only_dev):
        if name is not None and name not in host.interfaces:
            raise CommandError(f'Cannot find device "{name}"', 1)
    lines = []
    for iface in sorted(host.interfaces.values(), key=lambda i: i.index):
        if iface.kind != "bridge" or (only_bridge is not None and iface.name != only_bridge):
            continue
        for mac, entry in bridge.live(host, iface.name).items():
            if only_dev is not None and entry.port != only_dev:
                continue
            lines.append(f"{mac} dev {entry.port} master {iface.name} {'permanent' if entry.local else ''}")
    return "\n".join(lines)


COMMANDS = {"bridge": bridge_tool}
