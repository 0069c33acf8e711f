"""`xsk`: a simulator verb standing in for an AF_XDP program's user-space half.

A real one (e.g. xdpsock from the kernel's examples) creates a UMEM, opens socket(AF_XDP, SOCK_RAW, 0),
binds it to a device queue and writes its fd into the XDP program's xskmap at that queue's index; from
then on `redirect_map(xsks, ctx.rx_queue_index, XDP_PASS)` sends the queue's frames to it. The verb does
those steps at once (`xsk open`), lists the sockets with their counters (`xsk show`) and takes the frames
waiting on a socket (`xsk read`). Modelled: no UMEM and no fill/completion/RX/TX rings; frames are
kept whole. The sockets live in the map, so they go when the program is detached.
"""

from __future__ import annotations

from ..kernel.bpf.maps import BpfMap
from ..kernel.bpf.xdp import RX_QUEUE
from ..kernel.bpf.xsk import XskSocket
from ..kernel.interfaces import Interface
from .base import CommandError, CommandResult, ShellContext

USAGE = "usage: xsk open DEV queue Q [map NAME] | xsk show | xsk read DEV queue Q"
INODE_BASE = 81000
"""Inode numbers for AF_XDP sockets: made from the map's id and the key, so they stay stable."""


def xsk(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """open an AF_XDP socket on a queue: xsk open DEV queue Q [map NAME] | show | read DEV queue Q"""
    args = argv[1:]
    verb = args[0] if args else ""
    if verb == "show" and len(args) == 1:
        return CommandResult(_show(ctx))
    if verb in ("open", "read"):
        iface, queue, rest = _where(ctx, verb, args[1:])
        if verb == "read":
            if rest:
                raise CommandError(f"xsk read: unexpected argument '{rest[0]}'; {USAGE}", 2)
            return CommandResult(_read(ctx, iface, queue))
        return CommandResult(_open(ctx, iface, queue, rest))
    raise CommandError(f"xsk: unknown or incomplete command '{' '.join(args) or '(none)'}'; {USAGE}", 2)


def _where(ctx: ShellContext, verb: str, args: list[str]) -> tuple[Interface, int, list[str]]:
    if len(args) < 3 or args[1] != "queue":
        raise CommandError(f"xsk {verb}: expected 'DEV queue Q'; {USAGE}", 2)
    iface = ctx.host.interfaces.get(args[0])
    if iface is None:
        raise CommandError(f"xsk {verb}: bind: No such device ({args[0]})", 1)
    try:
        queue = int(args[2])
    except ValueError:
        raise CommandError(f"xsk {verb}: queue '{args[2]}' is not a number", 2) from None
    if queue != RX_QUEUE:
        # xsk_bind(): a queue_id at or past the device's real_num_rx_queues is -EINVAL.
        raise CommandError(f"xsk {verb}: bind: Invalid argument ({iface.name} has one RX queue here: 0)", 1)
    return iface, queue, args[3:]


def _xskmaps(iface: Interface) -> list[BpfMap]:
    code = iface.xdp.code if iface.xdp is not None else None
    return [] if code is None else [m for m in code.maps.values() if m.kind == "xskmap"]


def _open(ctx: ShellContext, iface: Interface, queue: int, rest: list[str]) -> str:
    maps = _xskmaps(iface)
    if rest[:1] == ["map"] and len(rest) == 2:
        maps = [m for m in maps if m.name == rest[1]]
        if not maps:
            raise CommandError(f"xsk open: no xskmap named '{rest[1]}' in the XDP program on {iface.name}", 1)
    elif rest:
        raise CommandError(f"xsk open: unexpected argument '{rest[0]}'; {USAGE}", 2)
    if not maps:
        raise CommandError(f"xsk open: the XDP program on {iface.name} has no xskmap to put the socket in "
                           "(declare one: map xskmap xsks(key u32, value u32, max_entries 4);)", 1)
    if len(maps) > 1:
        raise CommandError(f"xsk open: {iface.name}'s program has several xskmaps; name one with 'map NAME'", 2)
    table = maps[0]
    if queue in table.sockets:
        raise CommandError(f"xsk open: bind: Device or resource busy ({iface.name} queue {queue} has a socket)", 1)
    sock = XskSocket(INODE_BASE + table.map_id * 64 + queue, iface.name, queue, "xsk")
    if table.put_socket(queue, sock) < 0:
        raise CommandError(f"xsk open: map update: Argument list too long (key {queue} is past "
                           f"max_entries {table.max_entries} of {table.name})", 1)
    return (f"AF_XDP socket (inode {sock.ino}) bound to {iface.name} queue {queue} (copy mode), "
            f"fd put in {table.name}[{queue}] (map id {table.map_id})\n"
            "Modelled: no UMEM or fill/RX rings; redirected frames are kept whole, read them with "
            f"'xsk read {iface.name} queue {queue}'.")


def _sockets(ctx: ShellContext) -> list[XskSocket]:
    return [s for i in ctx.host.interfaces.values() for m in _xskmaps(i) for s in m.sockets.values()]


def _show(ctx: ShellContext) -> str:
    socks = _sockets(ctx)
    if not socks:
        return "no AF_XDP sockets (open one with 'xsk open DEV queue 0' after attaching a program with an xskmap)"
    lines = [f"{'inode':<8}{'dev':<10}{'queue':>5}  {'rx_packets':>10}  {'rx_bytes':>10}  {'waiting':>7}"]
    lines += [f"{s.ino:<8}{s.dev:<10}{s.queue:>5}  {s.rx_packets:>10}  {s.rx_bytes:>10}  {len(s.frames):>7}"
              for s in socks]
    return "\n".join(lines)


def _read(ctx: ShellContext, iface: Interface, queue: int) -> str:
    sock = next((s for s in _sockets(ctx) if (s.dev, s.queue) == (iface.name, queue)), None)
    if sock is None:
        raise CommandError(f"xsk read: no AF_XDP socket on {iface.name} queue {queue} (xsk open it first)", 1)
    frames = sock.read()
    if not frames:
        return f"no frames waiting on {iface.name} queue {queue} ({sock.rx_packets} received in all)"
    return "\n".join([*(str(p) for p in frames),
                      f"{len(frames)} frame{'s' if len(frames) != 1 else ''} read ({sock.rx_packets} received in all)"])


COMMANDS = {"xsk": xsk}
