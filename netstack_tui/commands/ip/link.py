"""`ip link set|add|del|show`, including attaching XDP programs."""

from __future__ import annotations

import copy
import dataclasses
from typing import cast

from ...kernel.addr import AddressError, parse_mac
from ...kernel.bpf.ids import next_map_id
from ...kernel.bpf.loader import LoadError, load
from ...kernel.host import Host, HostError
from ...kernel.interfaces import OFFLOAD_XDP_DRIVERS, Interface, XdpProgram
from ...kernel.link.bridge import address_set, port_added
from ...kernel.world import World, set_master, world_of
from ..base import CommandError, CommandResult
from ..numbers import number
from ..userland import read_file
from .common import MAX_MTU, Options, bad_arg, device, ext_error, not_simulated, rtnl, sub_command
from .show import show_links

# ---- ip link ------------------------------------------------------------------------------------


def ip_link(host: Host, opts: Options, args: list[str]) -> CommandResult:
    """`ip link show|set|add|delete`."""
    sub, rest = sub_command(
        args,
        "show",
        ("show", "list", "lst", "set", "add", "delete", "change", "replace", "xstats", "afstats", "property", "help"),
        "link",
    )
    if sub in ("show", "list", "lst"):
        return CommandResult(show_links(host, opts, rest))
    if sub in ("set", "change"):
        # iproute2 reads the whole line into one request before anything changes: a line of several
        # settings that fails part-way is tried on a copy of the namespaces first, so a refusal
        # changes nothing. One setting (`up`, `netns NS`, `master BR`: nearly every line) checks
        # before it changes anything, and copying every namespace for it made a classroom's setup
        # cost 10 ms a command.
        settings = rest[2:] if rest[:1] == ["dev"] else rest[1:]
        if len(settings) > 2:
            memo: dict[int, object] = {}
            copy.deepcopy(_world(host), memo)
            _link_set(cast(Host, memo[id(host)]), opts, rest)
        return _link_set(host, opts, rest)
    if sub == "add":
        return _link_add(host, rest)
    if sub == "delete":
        return _link_del(host, rest)
    raise not_simulated(f"link {sub}")


def _link_set(host: Host, opts: Options, args: list[str]) -> CommandResult:
    if args and args[0] == "dev":
        args = args[1:]
    if not args:
        raise CommandError('Not enough information: "dev" argument is required.', 1)
    iface = device(host, args[0])
    words = args[1:]
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("up", "down"):
            _set_updown(host, iface, word == "up")
            i += 1
        elif word == "mtu":
            i = _set_mtu(iface, words, i)
        elif word == "promisc" and i + 1 < len(words) and words[i + 1] in ("on", "off"):
            iface.promisc = words[i + 1] == "on"
            i += 2
        elif word in ("xdp", "xdpgeneric", "xdpdrv", "xdpoffload"):
            i = _set_xdp(host, opts, iface, words, i)
        elif word in ("netns", "master", "address", "name") and i + 1 < len(words):
            iface = _set_topology(host, iface, word, words[i + 1])
            i += 2
        elif word == "nomaster":
            set_master(host, iface, None)
            i += 1
        elif word in (
            "txqueuelen",
            "qlen",
            "arp",
            "multicast",
            "alias",
            "group",
            "vf",
            "addrgenmode",
            "type",
            "allmulticast",
        ):
            raise not_simulated(f"link set {word}")
        else:
            raise CommandError(f'Error: either "dev" is duplicate, or "{word}" is a garbage.', 255)
    return CommandResult(changed=True)


def _set_topology(host: Host, iface: Interface, word: str, value: str) -> Interface:
    """`netns NS`, `master BR`, `address MAC`: the settings that change how devices connect."""
    world = _world(host)
    try:
        if word == "netns":
            if value not in world.namespaces:
                raise bad_arg(value, 'Invalid "netns" value')
            return world.move(host, iface.name, world.namespaces[value])
        if word == "master":
            set_master(host, iface, value)
            return iface
        if word == "name":
            return world.rename(host, iface.name, value)
        try:
            mac = parse_mac(value)
        except AddressError:
            raise bad_arg(value, 'Invalid "address" value') from None
        old, iface.mac = iface.mac, mac
        if iface.kind == "bridge":
            address_set(host, iface.name, old)
        elif iface.master is not None:
            port_added(host, iface.master, iface)
        return iface
    except HostError as exc:
        text = str(exc)
        raise CommandError(text, 255 if text.startswith("Error: argument") else 2) from None


def _world(host: Host) -> World:
    return world_of(host)


def _set_updown(host: Host, iface: Interface, up: bool) -> None:
    if up and iface.qdisc == "noop":
        iface.qdisc = "fq_codel" if iface.kind in ("ether", "ifb") else "noqueue"
    host.set_link(iface.name, up)


def _set_mtu(iface: Interface, words: list[str], i: int) -> int:
    value = words[i + 1] if i + 1 < len(words) else ""
    mtu = number(value, 0, 2**32 - 1, bad_arg(value, 'Invalid "mtu" value').message, 255)
    if mtu > (65536 if iface.is_loopback else MAX_MTU):
        raise ext_error("mtu greater than device maximum")
    if mtu < 68:
        raise ext_error("mtu less than device minimum")
    iface.mtu = mtu
    return i + 2


def _set_xdp(host: Host, opts: Options, iface: Interface, words: list[str], i: int) -> int:
    """`xdp|xdpgeneric|xdpdrv|xdpoffload obj FILE [sec S]` or `... off` (dev_xdp_attach's checks)."""
    flavour = words[i]
    mode = {"xdpgeneric": "generic", "xdpdrv": "native", "xdpoffload": "offload"}.get(
        flavour, "native" if iface.native_xdp else "generic"
    )
    rest = words[i + 1 :]
    if rest[:1] == ["off"]:
        if iface.xdp is not None and iface.xdp_mode == mode:
            iface.xdp, iface.xdp_mode = None, None
        return i + 2
    if len(rest) < 2 or rest[0] not in ("obj", "object", "object-file"):
        if rest[:1] in (["pinned"], ["fd"]):
            raise not_simulated(f"{flavour} {rest[0]}")
        raise CommandError(f'Error: either "dev" is duplicate, or "{rest[0] if rest else flavour}" is a garbage.', 255)
    file, used = rest[1], i + 3
    section = None
    if len(rest) >= 4 and rest[2] in ("sec", "section"):
        section, used = rest[3], i + 5
    prog = _load_program(host, iface, file, section, mode)
    _attach(host, opts, iface, prog, mode)
    return used


def _load_program(host: Host, iface: Interface, file: str, section: str | None, mode: str) -> XdpProgram:
    name = file.rsplit("/", 1)[-1]
    name = name[:-2] if name.endswith(".o") else name
    prog = host.xdp_programs.get(name)
    source = read_file(host, file)
    if source is not None:
        # A program the learner wrote: compiled here from its source (a real host loads clang's .o).
        try:
            code = load(source, file, lambda: next_map_id(host))
        except LoadError as exc:
            raise CommandError(exc.message, 255) from None
        prog = XdpProgram(code.program.name, "bpf", code=code)
    if prog is None:
        raise CommandError("Cannot initialize ELF context!", 255)
    # The shipped objects carry their program in both SEC("xdp") and the legacy SEC("prog").
    if section not in (None, "xdp", "prog"):
        raise CommandError(f"object file doesn't contain sec {section}", 255)
    if mode == "offload" and iface.driver not in OFFLOAD_XDP_DRIVERS:
        raise CommandError(
            f"libbpf: prog '{prog.name}': BPF program load failed: Operation not supported\n"
            f"libbpf: prog '{prog.name}': failed to load: -95\n"
            f"libbpf: failed to load object '{file}'",
            255,
        )
    return prog


def _attach(host: Host, opts: Options, iface: Interface, prog: XdpProgram, mode: str) -> None:
    current = iface.xdp if iface.xdp_mode == mode else None
    if current is not None and not opts.force:
        raise ext_error("XDP program already attached")
    if mode != "offload" and iface.xdp is not None and iface.xdp_mode not in (mode, "offload"):
        raise ext_error("Native and generic XDP can't be active at the same time")
    if mode == "native" and not iface.native_xdp:
        raise ext_error("Underlying driver does not support XDP in native mode")
    iface.xdp = dataclasses.replace(prog, prog_id=host.new_prog_id(), loaded_at=host.clock)
    iface.xdp_mode = mode


def _link_add(host: Host, args: list[str]) -> CommandResult:
    name, kind, peer, peer_ns = None, None, None, None
    i = 0
    while i < len(args):
        word = args[i]
        value = args[i + 1] if i + 1 < len(args) else None
        if word in ("name", "dev") and value is not None:
            name, i = value, i + 2
        elif word == "type" and value is not None:
            kind, rest = value, args[i + 2 :]
            peer, peer_ns = _veth_peer(rest) if kind == "veth" else (None, None)
            if kind != "veth" and rest:
                raise not_simulated(f"link add type {kind} {rest[0]}")
            break
        elif name is None:
            name, i = word, i + 1
        else:
            raise not_simulated(f"link add {word}")
    if name is None:
        raise CommandError('Not enough information: "dev" argument is required.', 1)
    if kind is None:
        raise CommandError('Not enough information: "type" argument is required', 1)
    if kind not in ("veth", "dummy", "bridge", "ifb"):
        if kind in ("vlan", "vxlan", "macvlan", "ipvlan", "bond", "gre", "ipip", "vrf", "wireguard", "tun", "tap"):
            raise not_simulated(f"link add type {kind}")
        raise ext_error("Unknown device type")
    world = _world(host)
    peer_host = host
    if peer_ns is not None:
        if peer_ns not in world.namespaces:
            raise bad_arg(peer_ns, 'Invalid "netns" value')
        peer_host = world.namespaces[peer_ns]
    if name in host.interfaces or (peer is not None and (peer in peer_host.interfaces or
                                                          (peer_host is host and peer == name))):
        raise rtnl("File exists")
    if kind == "veth":
        world.add_veth(host, name, peer or f"veth{_free_veth_number(host)}", peer_host)
    elif kind == "bridge":
        world.add_bridge(host, name)
    else:
        made = host.add_interface(name, kind=kind, up=False, mac=world.new_mac(),
                                  driver="ifb" if kind == "ifb" else None)
        made.qdisc = "noop"
        if kind == "ifb":  # ifb_setup(): a queue of 32, for the qdisc that shapes what tc redirects to it
            made.txqueuelen = 32
    return CommandResult(changed=True)


def _free_veth_number(host: Host) -> int:
    """The kernel names an unnamed peer veth0, veth1, ...: the first that is free."""
    n = 0
    while f"veth{n}" in host.interfaces:
        n += 1
    return n


def _veth_peer(rest: list[str]) -> tuple[str | None, str | None]:
    """`peer [name] NAME [netns NS]`: the peer's name and namespace."""
    if not rest:
        return None, None
    if rest[0] != "peer":
        raise not_simulated(f"link add type veth {rest[0]}")
    rest = rest[1:]
    if rest[:1] == ["name"]:
        rest = rest[1:]
    if not rest:
        raise CommandError('Not enough information: "dev" argument is required.', 1)
    peer, rest = rest[0], rest[1:]
    netns = None
    if rest[:1] == ["netns"] and len(rest) == 2:
        netns, rest = rest[1], []
    if rest:
        raise not_simulated("link add type veth peer " + " ".join(rest))
    return peer, netns


def _link_del(host: Host, args: list[str]) -> CommandResult:
    if args and args[0] == "dev":
        args = args[1:]
    if len(args) != 1:
        raise CommandError('Not enough information: "dev" argument is required.', 1)
    iface = device(host, args[0])
    if iface.is_loopback:
        raise rtnl("Operation not supported")
    host.delete_interface(iface.name)  # a veth's peer goes with it, wherever it is
    return CommandResult(changed=True)
