"""`bpftool net show`, `prog show`, `map show` and `map dump` (bpftool 7.x layouts).

Programs attach at XDP (`ip link set dev DEV xdp ...`) and as tc bpf filters on a clsact qdisc
(`tc filter add dev DEV ingress bpf da obj FILE sec tc`: type sched_cls); the flow_dissector and
netfilter sections are printed empty because nothing can be attached there, as on a host without them.
A program lives while it is attached, and its maps with it. Where the model differs from the kernel:
programs are interpreted from their source, not JIT-compiled BPF bytecode, so `xlated`/`jited` sizes
are estimates and `bpftool prog dump` is not simulated; maps carry no BTF, so dumps are hex bytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..kernel.bpf.loader import JIT_BYTES_PER_INSN, LoadedProgram
from ..kernel.bpf.maps import BpfMap
from ..kernel.interfaces import Interface
from ..kernel.tc.model import INGRESS_HANDLE, TC_H_MIN_EGRESS, TC_H_MIN_INGRESS
from .base import CommandError, CommandResult, ShellContext
from .ip.show import prog_tag
from .userland import wall_time

T = TypeVar("T")
_MODES = {"native": "driver", "generic": "generic", "offload": "offload"}


def bpftool(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`bpftool net [show|list] [dev DEV]`."""
    args = [a for a in argv[1:] if a not in ("-p", "-j", "--json", "--pretty")]
    if len(args) != len(argv) - 1:
        raise CommandError("bpftool: JSON output (-j, -p) is not simulated here", 1)
    if args[:1] in (["prog"], ["map"]):
        return (_prog if args[0] == "prog" else _map)(ctx, args[1:])
    if not args or args[0] != "net":
        what = args[0] if args else "(no object)"
        raise CommandError(
            f"bpftool: '{what}' is not simulated here (only net, prog and map; XDP programs "
            "attach with 'ip link set dev DEV xdp obj FILE')",
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
    tc = [line for i in ctx.host.interfaces.values() if only in (None, i.name) for line in _tc_lines(i)]
    lines = ["xdp:", *xdp, "", "tc:", *tc, "", "flow_dissector:", "", "netfilter:", ""]
    return CommandResult("\n".join(lines))


def _tc_lines(iface: Interface) -> list[str]:
    """One device's tc programs as bpftool's net.c lists them: clsact ingress, then clsact egress."""
    q = iface.tc.ingress
    if q is None:
        return []
    where = [(INGRESS_HANDLE | TC_H_MIN_INGRESS, "clsact/ingress"), (INGRESS_HANDLE | TC_H_MIN_EGRESS, "clsact/egress")]
    if q.kind == "ingress":
        where = [(INGRESS_HANDLE, "ingress")]
    return [f"{iface.name}({iface.index}) {label} {f.bpf.name} id {f.bpf.prog_id}"
            for parent, label in where
            for f in sorted(iface.tc.filters, key=lambda f: (f.pref, f.handle))
            if f.parent == parent and f.bpf is not None]


@dataclass(frozen=True, slots=True)
class _Prog:
    """One loaded program, whichever hook holds it."""

    prog_id: int
    kind: str
    """bpftool's type word: `xdp` or `sched_cls`."""
    name: str
    code: LoadedProgram | None
    loaded_at: float


def _programs(ctx: ShellContext) -> list[_Prog]:
    """The programs attached on this host (the only ones alive: nothing pins or holds an fd)."""
    progs = [_Prog(i.xdp.prog_id, "xdp", i.xdp.name, i.xdp.code, i.xdp.loaded_at)
             for i in ctx.host.interfaces.values() if i.xdp is not None]
    progs += [_Prog(f.bpf.prog_id, "sched_cls", f.bpf.code.program.name, f.bpf.code, f.bpf.loaded_at)
              for i in ctx.host.interfaces.values() for f in i.tc.filters if f.bpf is not None]
    return sorted(progs, key=lambda p: p.prog_id)


def _maps(ctx: ShellContext) -> list[BpfMap]:
    found = [m for p in _programs(ctx) if p.code is not None for m in p.code.maps.values()]
    return sorted(found, key=lambda m: m.map_id)


def _prog(ctx: ShellContext, args: list[str]) -> CommandResult:
    """`bpftool prog [show|list] [id N | name NAME]`."""
    if args[:1] == ["help"]:
        return CommandResult(PROG_HELP)
    if args[:1] and args[0] not in ("show", "list"):
        if args[0] in ("dump", "load", "loadall", "attach", "detach", "pin", "run", "tracelog", "profile"):
            raise CommandError(
                f"bpftool: prog {args[0]} is not simulated here (programs here are interpreted from their "
                "source, not BPF bytecode: read the source with cat; attach with ip link set dev DEV xdp obj FILE)",
                1,
            )
        raise CommandError(f'Error: unknown command "{args[0]}"', 255)
    chosen = _select(_programs(ctx), args[1:], lambda p: p.prog_id, lambda p: p.name, "prog")
    blocks = []
    for prog in chosen:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+0000", wall_time(ctx.host, prog.loaded_at))
        insns = prog.code.program.insn_count if prog.code is not None else BUILTIN_INSNS
        map_ids = ",".join(str(m.map_id) for m in prog.code.maps.values()) if prog.code is not None else ""
        blocks.append(
            f"{prog.prog_id}: {prog.kind}  name {prog.name}  tag {prog_tag(prog.name)}\n"
            f"\tloaded_at {stamp}  uid 0\n"
            f"\txlated {insns * 8}B  jited {insns * JIT_BYTES_PER_INSN}B  memlock 4096B"
            + (f"  map_ids {map_ids}" if map_ids else "")
        )
    return CommandResult("\n".join(blocks))


def _map(ctx: ShellContext, args: list[str]) -> CommandResult:
    """`bpftool map [show|list] [id N | name NAME]`, `bpftool map dump id N | name NAME`."""
    verb = args[0] if args else "show"
    if verb == "help":
        return CommandResult(MAP_HELP)
    if verb not in ("show", "list", "dump"):
        if verb in ("lookup", "update", "delete", "getnext", "create", "pin", "freeze", "peek", "push", "pop"):
            raise CommandError(f"bpftool: map {verb} is not simulated here (map show and map dump are)", 1)
        raise CommandError(f'Error: unknown command "{verb}"', 255)
    if verb == "dump" and len(args) < 3:
        raise CommandError(f"Error: 'dump' needs at least 2 arguments, {len(args) - 1} found", 255)
    chosen = _select(_maps(ctx), args[1:], lambda m: m.map_id, lambda m: m.name, "map")
    if verb == "dump":
        table = chosen[0]
        if table.kind == "xskmap":
            return CommandResult(_dump_xskmap(table))
        lines = [f"key: {_hex(table.key_bytes(k))}  value: {_hex(table.value_bytes(v))}"
                 for k, v in table.entries.items()]
        count = len(table.entries)
        lines.append(f"Found {count} element{'' if count == 1 else 's'}")
        return CommandResult("\n".join(lines))
    return CommandResult("\n".join(
        f"{m.map_id}: {m.kind}  name {m.name}  flags 0x0\n"
        f"\tkey {m.key_size}B  value {m.value_size}B  max_entries {m.max_entries}  memlock {m.memlock}B"
        for m in chosen
    ))


def _dump_xskmap(table: BpfMap) -> str:
    """An xskmap's keys are every index (like an array's), but user space cannot read a socket back:
    each lookup fails with EOPNOTSUPP, which bpftool prints per key and counts no elements. `xsk show`
    lists the sockets the model holds."""
    lines = [f"key:\n{_hex(table.key_bytes(k))}\nvalue:\nOperation not supported" for k in range(table.max_entries)]
    return "\n".join([*lines, "Found 0 elements"])


def _select(items: list[T], args: list[str], ident: Callable[[T], int], name: Callable[[T], str], what: str) -> list[T]:
    """`id N` or `name NAME` (bpftool's PROG/MAP argument); nothing selects all."""
    if not args:
        return items
    if len(args) != 2 or args[0] not in ("id", "name"):
        raise CommandError(f"Error: expected 'id', 'name' or 'pinned', got: '{args[0]}'?", 255)
    if args[0] == "id":
        try:
            wanted = int(args[1], 0)
        except ValueError:
            raise CommandError(f"Error: can't parse {args[1]} as ID", 255) from None
        found = [i for i in items if ident(i) == wanted]
        if not found:
            what = "get map by id" if what == "map" else "get by id"
            raise CommandError(f"Error: {what} ({wanted}): No such file or directory", 255)
        return found
    found = [i for i in items if name(i) == args[1]]
    if not found:
        raise CommandError(f"Error: {what} not found", 255)
    return found


def _hex(data: bytes) -> str:
    return " ".join(f"{b:02x}" for b in data)


PROG_HELP = """Usage: bpftool prog { show | list } [PROG]
       bpftool prog help

       PROG := { id PROG_ID | name PROG_NAME }

Note: this simulator interprets each program from its source file; it has no BPF bytecode and no JIT,
so 'xlated' and 'jited' are estimates (8 bytes per instruction; about 6 bytes of x86-64 code each)."""
MAP_HELP = """Usage: bpftool map { show | list } [MAP]
       bpftool map dump MAP
       bpftool map help

       MAP := { id MAP_ID | name MAP_NAME }

Note: maps here carry no BTF, so 'map dump' prints keys and values as bytes (x86-64 byte order)."""
BUILTIN_INSNS = 12
"""A size to show for a built-in program (they are declarative here, with no instructions)."""

COMMANDS = {"bpftool": bpftool}
