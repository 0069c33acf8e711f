"""`ip` (iproute2 6.1): addr, link (with XDP), route (incl. get), rule, neigh, netns.

Output layouts and error wording were captured from iproute2 6.1 on kernel 6.18 in scratch network
namespaces. IPv6 is not simulated, so the `inet6` lines a real machine prints are left out.
"""

from __future__ import annotations

import dataclasses
import hashlib

from ..kernel.addr import AddressError, format_ipv4, format_prefix, in_prefix, parse_ipv4, parse_mac, prefix_mask
from ..kernel import fib
from ..kernel.host import Host, HostError
from ..kernel.interfaces import OFFLOAD_XDP_DRIVERS, Interface
from ..kernel.routing import DEFAULT_RULES, RT_TABLE_LOCAL, RT_TABLE_MAIN, TABLE_IDS, Route, RoutingRule, table_name
from .base import CommandError, CommandResult, ShellContext

# iproute2's object table (ip.c), in its order: a prefix picks the first object it starts.
OBJECTS = ("address", "addrlabel", "maddress", "route", "rule", "neighbor", "neighbour", "ntable", "link",
           "l2tp", "fou", "ila", "macsec", "tunnel", "tuntap", "token", "tcpmetrics", "monitor", "xfrm",
           "mroute", "mrule", "netns", "netconf", "vrf", "sr", "nexthop", "mptcp", "ioam", "stats", "help")
ERRNO_TEXT = {
    "ENETUNREACH": "Network is unreachable", "EHOSTUNREACH": "No route to host", "EINVAL": "Invalid argument",
    "EACCES": "Permission denied", "EXDEV": "Invalid cross-device link",
}
MAX_MTU = 65535


@dataclasses.dataclass
class Options:
    """Global `ip` options."""

    family4: bool = False
    brief: bool = False
    stats: int = 0
    force: bool = False


def not_simulated(what: str) -> CommandError:
    """The one-line answer for real iproute2 features this shell leaves out."""
    return CommandError(f"ip: '{what}' is not simulated here", 1)


def rtnl(errno_name: str) -> CommandError:
    """`RTNETLINK answers: ...` with status 2."""
    return CommandError(f"RTNETLINK answers: {ERRNO_TEXT.get(errno_name, errno_name)}", 2)


def ext_error(message: str) -> CommandError:
    """A kernel extack message, as iproute2 prints it (status 2)."""
    return CommandError(f"Error: {message}.", 2)


def bad_arg(value: str, what: str) -> CommandError:
    """iproute2's invarg(): `Error: argument "X" is wrong: ...` then an empty line, status 255."""
    return CommandError(f'Error: argument "{value}" is wrong: {what}\n', 255)


def _dev(host: Host, name: str) -> Interface:
    try:
        return host.interface(name)
    except HostError as exc:
        raise CommandError(str(exc), 1) from None


def _match(word: str, full: str) -> bool:
    """iproute2's matches(): `word` is a non-empty prefix of `full`."""
    return bool(word) and full.startswith(word)


# ---- entry point ------------------------------------------------------------------------------


def ip(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`ip [OPTIONS] OBJECT COMMAND`."""
    opts, args = _parse_options(argv[1:])
    if not args:
        raise CommandError("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }", 255)
    obj = next((name for name in OBJECTS if _match(args[0], name)), None)
    if obj is None:
        raise CommandError(f'Object "{args[0]}" is unknown, try "ip help".', 1)
    handler = {"address": ip_addr, "link": ip_link, "route": ip_route, "rule": ip_rule, "neighbor": ip_neigh,
               "neighbour": ip_neigh, "netns": ip_netns}.get(obj)
    if handler is None:
        raise not_simulated(obj)
    return handler(ctx.host, opts, args[1:])


def _parse_options(words: list[str]) -> tuple[Options, list[str]]:
    opts = Options()
    i = 0
    while i < len(words) and words[i].startswith("-"):
        word = words[i].lstrip("-")
        if word == "4":
            opts.family4 = True
        elif word == "6":
            raise CommandError("ip: '-6' is not simulated here (IPv6 is not simulated)", 1)
        elif word and "brief".startswith(word) and word.startswith("br"):
            opts.brief = True
        elif word and ("statistics".startswith(word) or "stats".startswith(word)):
            opts.stats += 1
        elif word == "force":
            opts.force = True
        elif word in ("d", "details", "o", "oneline", "j", "json", "p", "pretty", "n", "netns", "c", "color",
                      "h", "human", "t", "timestamp", "r", "resolve", "f", "family", "b", "batch"):
            raise not_simulated(words[i])
        else:
            raise CommandError(f'Option "{words[i]}" is unknown, try "ip -help".', 255)
        i += 1
    return opts, words[i:]


def _sub(args: list[str], default: str, known: tuple[str, ...], obj_help: str) -> tuple[str, list[str]]:
    """The subcommand (by iproute2 prefix rules) and its arguments."""
    if not args:
        return default, []
    for name in known:
        if _match(args[0], name):
            return name, args[1:]
    raise CommandError(f'Command "{args[0]}" is unknown, try "ip {obj_help} help".', 255)


# ---- ip link / ip addr: listing ---------------------------------------------------------------


def link_flags(host: Host, iface: Interface) -> str:
    """The `<...>` flags, including NO-CARRIER for a veth whose peer is down or a port-less bridge."""
    names = ["LOOPBACK"] if iface.is_loopback else ["BROADCAST", "MULTICAST"]
    if iface.kind == "dummy":
        names = ["BROADCAST", "NOARP"]
    if iface.promisc:
        names.append("PROMISC")
    peer_down = _peer_down(host, iface)
    carrier = not (peer_down or iface.kind == "bridge")
    if iface.up:
        names += ["UP", "LOWER_UP"] if carrier else ["UP"]
        if not carrier:
            names.insert(0, "NO-CARRIER")
    if peer_down:
        names.append("M-DOWN")
    return ",".join(names)


def _peer_down(host: Host, iface: Interface) -> bool:
    peer = host.interfaces.get(iface.peer) if iface.kind == "veth" and iface.peer else None
    return peer is not None and not peer.up


def oper_state(host: Host, iface: Interface) -> str:
    """Operational state as `ip link` prints it."""
    if not iface.up:
        return "DOWN"
    if iface.is_loopback or iface.kind == "dummy":
        return "UNKNOWN"
    if iface.kind == "bridge":
        return "DOWN"
    return "LOWERLAYERDOWN" if _peer_down(host, iface) else "UP"


XDP_FLAG = {"native": "xdp", "generic": "xdpgeneric", "offload": "xdpoffload"}


def prog_tag(name: str) -> str:
    """A stable stand-in for the BPF program tag (the kernel hashes the instructions)."""
    return hashlib.sha1(name.encode()).hexdigest()[:16]


def _ifname(iface: Interface) -> str:
    return f"{iface.name}@{iface.peer}" if iface.peer else iface.name


def _header(host: Host, iface: Interface, *, link: bool) -> str:
    xdp = ""
    if iface.xdp is not None and iface.xdp_mode:
        flag = XDP_FLAG[iface.xdp_mode]
        xdp = f" {flag}" if link else f" {flag}/id:{iface.xdp.prog_id}"
    mode = " mode DEFAULT" if link else ""
    return (f"{iface.index}: {_ifname(iface)}: <{link_flags(host, iface)}> mtu {iface.mtu}{xdp} qdisc {iface.qdisc}"
            f" state {oper_state(host, iface)}{mode} group default qlen {iface.txqueuelen}")


def _link_line(iface: Interface) -> str:
    if iface.is_loopback:
        return f"    link/loopback {iface.mac} brd 00:00:00:00:00:00"
    return f"    link/ether {iface.mac} brd ff:ff:ff:ff:ff:ff"


def _prog_line(iface: Interface) -> list[str]:
    if iface.xdp is None:
        return []
    return [f"    prog/xdp id {iface.xdp.prog_id} name {iface.xdp.name} tag {prog_tag(iface.xdp.name)} jited "]


def stats_lines(iface: Interface) -> list[str]:
    """The `ip -s link` block (print_stats64): columns sized to the widest number."""
    s = iface.stats
    rx = [s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed, s.rx_mcast]
    tx = [s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, 0, 0]
    cols = [len("*X errors:"), len("packets"), len("errors"), len("dropped"), len("carrier"), len("collsns")]
    for values in (rx, tx):
        cols = [max(c, len(str(v))) for c, v in zip(cols, values, strict=True)]
    extra = " " * (len("compressed") + 1)

    def header(tag: str, names: list[str]) -> str:
        cells = [f"{names[0]:>{cols[0] - 4}}"] + [f"{n:>{w}}" for n, w in zip(names[1:], cols[1:], strict=True)]
        return f"    {tag}: " + " ".join(cells) + extra

    def values(vals: list[int]) -> str:
        return "    " + "".join(f"{v:>{w}} " for v, w in zip(vals, cols, strict=True))

    return [header("RX", ["bytes", "packets", "errors", "dropped", "missed", "mcast"]), values(rx),
            header("TX", ["bytes", "packets", "errors", "dropped", "carrier", "collsns"]), values(tx)]


def _secondary(iface: Interface, index: int) -> bool:
    address = iface.addresses[index]
    mask = prefix_mask(address.prefixlen)
    return any(a.prefixlen == address.prefixlen and (a.addr & mask) == (address.addr & mask)
               for a in iface.addresses[:index])


def _inet_lines(iface: Interface) -> list[str]:
    lines = []
    for i, a in enumerate(iface.addresses):
        flags = " secondary" if _secondary(iface, i) else ""
        lines.append(f"    inet {format_prefix(a.addr, a.prefixlen)} scope {a.scope}{flags} {a.label or iface.name}")
        lines.append("       valid_lft forever preferred_lft forever")
    return lines


def _select(host: Host, args: list[str]) -> list[Interface]:
    """`[dev] NAME` and `up` selectors of `ip link show` / `ip addr show`."""
    name, only_up = None, False
    i = 0
    while i < len(args):
        word = args[i]
        if word == "dev" and i + 1 < len(args):
            name, i = args[i + 1], i + 2
            continue
        if word == "up":
            only_up = True
        elif word in ("type", "master", "group", "vrf", "scope", "to", "label", "permanent", "dynamic"):
            raise not_simulated(f"show {word}")
        elif name is None:
            name = word
        else:
            raise CommandError(f'Error: either "dev" is duplicate, or "{word}" is a garbage.', 255)
        i += 1
    if name is not None and name not in host.interfaces:
        raise CommandError(f'Device "{name}" does not exist.', 1)
    chosen = [host.interfaces[name]] if name is not None else sorted(host.interfaces.values(), key=lambda x: x.index)
    return [iface for iface in chosen if iface.up or not only_up]


def show_links(host: Host, opts: Options, args: list[str]) -> str:
    """`ip link show`."""
    lines: list[str] = []
    for iface in _select(host, args):
        if opts.brief:
            lines.append(f"{_ifname(iface):<16} {oper_state(host, iface):<14} {iface.mac} <{link_flags(host, iface)}> ")
            continue
        lines += [_header(host, iface, link=True), _link_line(iface)] + _prog_line(iface)
        if opts.stats:
            lines += stats_lines(iface)
    return "\n".join(lines)


def show_addrs(host: Host, opts: Options, args: list[str]) -> str:
    """`ip addr show`."""
    lines: list[str] = []
    for iface in _select(host, args):
        if opts.brief:
            addrs = "".join(f"{format_prefix(a.addr, a.prefixlen)} " for a in iface.addresses)
            lines.append(f"{_ifname(iface):<16} {oper_state(host, iface):<14} {addrs}")
            continue
        if opts.family4 and not iface.addresses:
            continue
        lines.append(_header(host, iface, link=False))
        if not opts.family4:
            lines.append(_link_line(iface))
        lines += _inet_lines(iface)
    return "\n".join(lines)


# ---- ip addr ------------------------------------------------------------------------------------


def ip_addr(host: Host, opts: Options, args: list[str]) -> CommandResult:
    """`ip addr show|add|del|flush`."""
    sub, rest = _sub(args, "show", ("show", "list", "lst", "add", "delete", "flush", "change", "replace",
                                    "save", "restore", "showdump", "help"), "address")
    if sub in ("show", "list", "lst"):
        return CommandResult(show_addrs(host, opts, rest))
    if sub == "add":
        return _addr_add(host, rest)
    if sub == "delete":
        return _addr_del(host, rest)
    if sub == "flush":
        return _addr_flush(host, rest)
    raise not_simulated(f"addr {sub}")


def _addr_args(args: list[str]) -> tuple[str | None, str | None, str]:
    prefix, dev, scope = None, None, "global"
    i = 0
    while i < len(args):
        word = args[i]
        value = args[i + 1] if i + 1 < len(args) else None
        if word == "dev" and value is not None:
            dev = value
        elif word == "scope" and value is not None:
            scope = value
        elif word in ("local",) and value is not None:
            prefix = value
        elif word in ("brd", "broadcast", "label", "peer", "valid_lft", "preferred_lft", "metric", "noprefixroute"):
            raise not_simulated(f"addr {word}")
        elif prefix is None:
            prefix, i = word, i + 1
            continue
        else:
            raise CommandError(f'Error: either "local" is duplicate, or "{word}" is a garbage.', 255)
        i += 2
    return prefix, dev, scope


def _parse_addr_prefix(text: str) -> tuple[int, int]:
    addr_text, _, plen_text = text.partition("/")
    try:
        addr = parse_ipv4(addr_text)
        plen = int(plen_text) if plen_text else 32
        if not plen_text.isdigit() and plen_text or plen > 32:
            raise ValueError
    except (AddressError, ValueError):
        raise CommandError(f'Error: any valid prefix is expected rather than "{text}".', 1) from None
    return addr, plen


def _addr_add(host: Host, args: list[str]) -> CommandResult:
    prefix, dev, scope = _addr_args(args)
    if dev is None:
        raise CommandError('Not enough information: "dev" argument is required.', 1)
    if prefix is None:
        raise CommandError("Not enough information: address is required.", 1)
    addr, plen = _parse_addr_prefix(prefix)
    iface = _dev(host, dev)
    if any(a.addr == addr and a.prefixlen == plen for a in iface.addresses):
        raise ext_error("ipv4: Address already assigned")
    host.add_address(dev, addr, plen, scope=scope)
    return CommandResult(changed=True)


def _addr_del(host: Host, args: list[str]) -> CommandResult:
    prefix, dev, _ = _addr_args(args)
    if dev is None:
        raise CommandError('Not enough information: "dev" argument is required.', 1)
    if prefix is None:
        raise CommandError("Not enough information: address is required.", 1)
    addr, plen = _parse_addr_prefix(prefix)
    iface = _dev(host, dev)
    found = [a for a in iface.addresses if a.addr == addr and (a.prefixlen == plen or "/" not in prefix)]
    if not found:
        raise ext_error("ipv4: Address not found")
    host.delete_address(dev, found[0].addr, found[0].prefixlen)
    return CommandResult(changed=True)


def _addr_flush(host: Host, args: list[str]) -> CommandResult:
    if len(args) != 2 or args[0] != "dev":
        raise CommandError("Flush requires arguments.", 1) if not args else not_simulated("addr flush " + args[0])
    iface = _dev(host, args[1])
    for address in list(iface.addresses):
        host.delete_address(iface.name, address.addr, address.prefixlen)
    return CommandResult(changed=True)


# ---- ip link ------------------------------------------------------------------------------------


def ip_link(host: Host, opts: Options, args: list[str]) -> CommandResult:
    """`ip link show|set|add|delete`."""
    sub, rest = _sub(args, "show", ("show", "list", "lst", "set", "add", "delete", "change", "replace",
                                    "xstats", "afstats", "property", "help"), "link")
    if sub in ("show", "list", "lst"):
        return CommandResult(show_links(host, opts, rest))
    if sub in ("set", "change"):
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
    iface = _dev(host, args[0])
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
        elif word in ("address", "name", "txqueuelen", "qlen", "master", "nomaster", "netns", "arp", "multicast",
                      "alias", "group", "vf", "addrgenmode", "type", "allmulticast"):
            raise not_simulated(f"link set {word}")
        else:
            raise CommandError(f'Error: either "dev" is duplicate, or "{word}" is a garbage.', 255)
    return CommandResult(changed=True)


def _set_updown(host: Host, iface: Interface, up: bool) -> None:
    if up and iface.qdisc == "noop":
        iface.qdisc = "fq_codel" if iface.kind == "ether" else "noqueue"
    host.set_link(iface.name, up)


def _set_mtu(iface: Interface, words: list[str], i: int) -> int:
    value = words[i + 1] if i + 1 < len(words) else ""
    if not value.isdigit():
        raise bad_arg(value, 'Invalid "mtu" value')
    mtu = int(value)
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
        flavour, "native" if iface.native_xdp else "generic")
    rest = words[i + 1:]
    if rest[:1] == ["off"]:
        if iface.xdp is not None and iface.xdp_mode == mode:
            iface.xdp, iface.xdp_mode = None, None
        return i + 2
    if len(rest) < 2 or rest[0] not in ("obj", "object", "object-file"):
        if rest[:1] in (["pinned"], ["fd"]):
            raise not_simulated(f"{flavour} {rest[0]}")
        raise CommandError(f'Error: either "dev" is duplicate, or "{rest[0] if rest else flavour}" is a garbage.',
                           255)
    file, used = rest[1], i + 3
    section = None
    if len(rest) >= 4 and rest[2] in ("sec", "section"):
        section, used = rest[3], i + 5
    prog = _load_program(host, iface, file, section, mode)
    _attach(host, opts, iface, prog, mode)
    return used


def _load_program(host: Host, iface: Interface, file: str, section: str | None, mode: str):
    name = file.rsplit("/", 1)[-1]
    name = name[:-2] if name.endswith(".o") else name
    prog = host.xdp_programs.get(name)
    if prog is None:
        raise CommandError("Cannot initialize ELF context!", 255)
    # The shipped objects carry their program in both SEC("xdp") and the legacy SEC("prog").
    if section not in (None, "xdp", "prog"):
        raise CommandError(f"object file doesn't contain sec {section}", 255)
    if mode == "offload" and iface.driver not in OFFLOAD_XDP_DRIVERS:
        raise CommandError(f"libbpf: prog '{prog.name}': BPF program load failed: Operation not supported\n"
                           f"libbpf: prog '{prog.name}': failed to load: -95\n"
                           f"libbpf: failed to load object '{file}'", 255)
    return prog


def _attach(host: Host, opts: Options, iface: Interface, prog, mode: str) -> None:
    current = iface.xdp if iface.xdp_mode == mode else None
    if current is not None and not opts.force:
        raise ext_error("XDP program already attached")
    if mode != "offload" and iface.xdp is not None and iface.xdp_mode not in (mode, "offload"):
        raise ext_error("Native and generic XDP can't be active at the same time")
    if mode == "native" and not iface.native_xdp:
        raise ext_error("Underlying driver does not support XDP in native mode")
    iface.xdp = dataclasses.replace(prog, prog_id=host.new_prog_id())
    iface.xdp_mode = mode


def _link_add(host: Host, args: list[str]) -> CommandResult:
    name, kind, peer = None, None, None
    i = 0
    while i < len(args):
        word = args[i]
        value = args[i + 1] if i + 1 < len(args) else None
        if word in ("name", "dev") and value is not None:
            name, i = value, i + 2
        elif word == "type" and value is not None:
            kind, rest = value, args[i + 2:]
            peer = _veth_peer(rest) if kind == "veth" else None
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
        raise CommandError("Not enough information: \"type\" argument is required", 1)
    if kind not in ("veth", "dummy", "bridge"):
        if kind in ("vlan", "vxlan", "macvlan", "ipvlan", "bond", "gre", "ipip", "vrf", "wireguard", "tun", "tap"):
            raise not_simulated(f"link add type {kind}")
        raise ext_error("Unknown device type")
    for new in (name, peer):
        if new is not None and new in host.interfaces:
            raise rtnl("File exists")
    _create(host, name, kind, peer)
    return CommandResult(changed=True)


def _veth_peer(rest: list[str]) -> str | None:
    if not rest:
        return None
    if rest[0] != "peer":
        raise not_simulated(f"link add type veth {rest[0]}")
    rest = rest[1:]
    if rest[:1] == ["name"]:
        rest = rest[1:]
    if len(rest) != 1:
        raise not_simulated("link add type veth peer " + " ".join(rest))
    return rest[0]


def _create(host: Host, name: str, kind: str, peer: str | None) -> None:
    if kind == "veth":
        peer = peer or f"veth{len(host.interfaces)}"
        # The peer is created first by the kernel, so it gets the lower ifindex.
        for this, other in ((peer, name), (name, peer)):
            host.add_interface(this, kind="veth", up=False, peer=other).qdisc = "noop"
        return
    host.add_interface(name, kind=kind, up=False).qdisc = "noop"


def _link_del(host: Host, args: list[str]) -> CommandResult:
    if args and args[0] == "dev":
        args = args[1:]
    if len(args) != 1:
        raise CommandError('Not enough information: "dev" argument is required.', 1)
    iface = _dev(host, args[0])
    if iface.is_loopback:
        raise rtnl("Operation not supported")
    peer = iface.peer if iface.kind == "veth" else None
    host.delete_interface(iface.name)
    if peer and peer in host.interfaces:
        host.delete_interface(peer)
    return CommandResult(changed=True)


# ---- ip route -----------------------------------------------------------------------------------


def ip_route(host: Host, opts: Options, args: list[str]) -> CommandResult:
    """`ip route show|add|del|replace|change|append|get|flush`."""
    sub, rest = _sub(args, "show", ("show", "list", "lst", "add", "delete", "replace", "change", "append",
                                    "get", "flush", "save", "restore", "showdump", "prepend", "test", "help"),
                     "route")
    if sub in ("show", "list", "lst"):
        return CommandResult(show_routes(host, rest))
    if sub in ("add", "delete", "replace", "change", "append", "prepend"):
        if sub in ("change", "append", "prepend"):
            raise not_simulated(f"route {sub}")
        return _route_modify(host, sub, rest)
    if sub == "get":
        return CommandResult(route_get(host, rest))
    if sub == "flush":
        return _route_flush(host, rest)
    raise not_simulated(f"route {sub}")


def parse_table(text: str, what: str = "table id value is invalid") -> int:
    """A table name or number (`main`, `local`, `default`, 1..2^32-1)."""
    if text in TABLE_IDS:
        return TABLE_IDS[text]
    if text.isdigit() and 0 < int(text) < 2**32:
        return int(text)
    raise bad_arg(text, what)


def _existing_tables(host: Host) -> list[int]:
    tables = host.routing.tables
    return sorted((t for t, routes in tables.items() if routes or t in (RT_TABLE_MAIN, RT_TABLE_LOCAL)),
                  key=lambda t: (t % 256, t))


def show_routes(host: Host, args: list[str]) -> str:
    """`ip route show [table T|all] [dev X]`."""
    table: int | str = RT_TABLE_MAIN
    dev = None
    i = 0
    while i < len(args):
        word, value = args[i], args[i + 1] if i + 1 < len(args) else None
        if word in ("table", "tab") and value is not None:
            table = "all" if value == "all" else parse_table(value)
        elif word == "dev" and value is not None:
            _dev(host, value)
            dev = value
        else:
            raise not_simulated(f"route show {word}")
        i += 2
    if table == "all":
        routes = [r for t in _existing_tables(host) for r in host.routing.routes(t)]
        return "\n".join(r.describe(show_table=True) for r in routes if dev is None or r.dev == dev)
    if table not in _existing_tables(host):
        raise CommandError("Error: ipv4: FIB table does not exist.\nDump terminated", 2)
    return "\n".join(r.describe() for r in host.routing.routes(table) if dev is None or r.dev == dev)


@dataclasses.dataclass
class RouteSpec:
    """A parsed `ip route add/del` argument list."""

    type: str = "unicast"
    prefix: tuple[int, int] | None = None
    via: int | None = None
    dev: str | None = None
    src: int | None = None
    metric: int | None = None
    table: int = RT_TABLE_MAIN
    proto: str | None = None
    scope: str | None = None


ROUTE_KEYWORDS = ("via", "dev", "oif", "src", "metric", "preference", "priority", "table", "proto",
                  "protocol", "scope")
PROTOS = ("boot", "static", "kernel", "redirect", "dhcp", "bird", "zebra", "ra", "babel", "bgp", "isis", "ospf",
          "rip", "eigrp", "keepalived")


def _parse_route(args: list[str], *, for_get: bool = False) -> RouteSpec:
    spec = RouteSpec()
    i = 0
    while i < len(args):
        word = args[i]
        value = args[i + 1] if i + 1 < len(args) else None
        if word in ROUTE_KEYWORDS and value is not None:
            _route_option(spec, word, value)
            i += 2
            continue
        if word in ("unicast", "unreachable", "blackhole", "prohibit", "local", "broadcast", "throw"):
            spec.type = word
        elif word in ("onlink", "mtu", "advmss", "nexthop", "nhid", "encap", "realm", "expires", "tos", "dsfield",
                      "initcwnd", "weight", "pref", "multicast", "nat", "anycast"):
            raise not_simulated(f"route {word}")
        elif spec.prefix is None:
            spec.prefix = _route_prefix(word)
        else:
            raise CommandError(f'Error: either "to" is duplicate, or "{word}" is a garbage.', 255)
        i += 1
    return spec


def _route_option(spec: RouteSpec, word: str, value: str) -> None:
    if word == "via":
        spec.via = _ipv4_arg(value)
    elif word in ("dev", "oif"):
        spec.dev = value
    elif word == "src":
        spec.src = _ipv4_arg(value)
    elif word in ("metric", "preference", "priority"):
        if not value.isdigit():
            raise bad_arg(value, '"metric" value is invalid')
        spec.metric = int(value)
    elif word == "table":
        spec.table = parse_table(value)
    elif word in ("proto", "protocol"):
        if value not in PROTOS and not value.isdigit():
            raise bad_arg(value, '"protocol" value is invalid')
        spec.proto = value
    elif word == "scope":
        if value not in ("global", "link", "host", "site", "nowhere", "universe"):
            raise bad_arg(value, "invalid \"scope\" value")
        spec.scope = "global" if value == "universe" else value


def _ipv4_arg(text: str) -> int:
    try:
        return parse_ipv4(text)
    except AddressError:
        raise CommandError(f'Error: inet address is expected rather than "{text}".', 1) from None


def _route_prefix(text: str) -> tuple[int, int]:
    if text == "default":
        return 0, 0
    addr, plen = _parse_addr_prefix(text)
    if addr & ~prefix_mask(plen) & 0xFFFFFFFF:
        raise ext_error("Invalid prefix for given prefix length")
    return addr, plen


def _route_modify(host: Host, sub: str, args: list[str]) -> CommandResult:
    spec = _parse_route(args)
    if spec.prefix is None:
        raise CommandError("Not enough information: prefix is required", 1) if sub == "delete" else \
            CommandError("Error: Not enough information: prefix is required.", 1)
    if spec.dev is not None:
        _dev(host, spec.dev)
    if sub == "delete":
        return _route_delete(host, spec)
    route = _build_route(host, spec)
    try:
        host.routing.add_route(route, replace=sub == "replace")
    except ValueError:
        raise rtnl("File exists") from None
    return CommandResult(changed=True)


def _build_route(host: Host, spec: RouteSpec) -> Route:
    """fib_create_info()/fib_check_nh(): resolve the nexthop as the kernel does, or fail as it does."""
    dst, plen = spec.prefix or (0, 0)
    dev, scope = spec.dev, spec.scope
    if spec.type in ("unicast",):
        if spec.via is not None:
            dev = _resolve_gateway(host, spec.via, dev)
        elif dev is None:
            raise rtnl("No such device")
        elif not host.interfaces[dev].up:
            raise ext_error("Device for nexthop is not up")
        if scope is None:
            scope = "global" if spec.via is not None else "link"
    elif spec.type == "local":
        scope = scope or "host"
        if dev is None:
            raise rtnl("No such device")
    if spec.src is not None and not host.is_local(spec.src):
        raise ext_error("Invalid prefsrc address")
    proto = spec.proto or "boot"
    return Route(dst, plen, spec.type, spec.table, dev if spec.type not in ("unreachable", "blackhole", "prohibit",
                                                                          "throw") else None,
                 spec.via, spec.src, proto, scope or "global", spec.metric or 0)


def _resolve_gateway(host: Host, gw: int, dev: str | None) -> str:
    """fib_check_nh_v4_gw(): the gateway must sit on a connected (scope link) route, through `dev` if given."""
    if dev is not None and not host.interfaces[dev].up:
        raise ext_error("Device for nexthop is not up")
    for table in (RT_TABLE_MAIN,) + tuple(t for t in host.routing.tables if t not in (RT_TABLE_MAIN, RT_TABLE_LOCAL)):
        for route in host.routing.tables.get(table, []):
            if route.type == "unicast" and route.via is None and route.scope == "link" and route.matches(gw) \
                    and (dev is None or route.dev == dev) and route.dev is not None:
                return route.dev
    raise ext_error("Nexthop has invalid gateway")


def _route_delete(host: Host, spec: RouteSpec) -> CommandResult:
    dst, plen = spec.prefix or (0, 0)
    match = {"via": spec.via, "dev": spec.dev, "metric": spec.metric, "src": spec.src,
             "type": spec.type if spec.type != "unicast" else None, "proto": spec.proto}
    try:
        host.routing.delete_route(dst, plen, spec.table, **match)
    except LookupError:
        raise rtnl("No such process") from None
    return CommandResult(changed=True)


def _route_flush(host: Host, args: list[str]) -> CommandResult:
    spec = _parse_route(args)
    table = host.routing.tables.get(spec.table, [])
    keep = [r for r in table if (spec.dev is not None and r.dev != spec.dev)
            or (spec.prefix is not None and (r.dst, r.plen) != spec.prefix)]
    host.routing.tables[spec.table] = keep
    return CommandResult(changed=True)


# ---- ip route get -------------------------------------------------------------------------------


@dataclasses.dataclass
class GetArgs:
    """`ip route get` arguments."""

    dst: int = 0
    src: int = 0
    iif: str | None = None
    oif: str | None = None
    mark: int = 0


def _parse_get(host: Host, args: list[str]) -> GetArgs:
    get = GetArgs()
    have_dst = False
    i = 0
    while i < len(args):
        word, value = args[i], args[i + 1] if i + 1 < len(args) else None
        if word in ("from", "iif", "oif", "mark", "to") and value is not None:
            if word == "from":
                get.src = _ipv4_arg(value.split("/")[0])
            elif word in ("iif", "oif"):
                _dev(host, value)
                setattr(get, word, value)
            elif word == "mark":
                get.mark = _int_arg(value, "mark")
            else:
                get.dst, have_dst = _ipv4_arg(value.split("/")[0]), True
            i += 2
            continue
        if word in ("fibmatch", "connected", "tos", "dsfield", "vrf", "ipproto", "sport", "dport", "uid", "as"):
            raise not_simulated(f"route get {word}")
        if have_dst:
            raise CommandError(f'Error: either "to" is duplicate, or "{word}" is a garbage.', 255)
        get.dst, have_dst = _ipv4_arg(word.split("/")[0]), True
        i += 1
    if not have_dst:
        raise CommandError("need at least a destination address", 1)
    return get


def _int_arg(text: str, what: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise bad_arg(text, f'"{what}" value is invalid') from None


def _has_custom_rules(host: Host) -> bool:
    return list(host.routing.rules) != list(DEFAULT_RULES)


def _table_words(host: Host, route: Route) -> list[str]:
    """`table T` appears when not main; the local table merges into main without custom rules."""
    if route.table == RT_TABLE_MAIN or (route.table == RT_TABLE_LOCAL and not _has_custom_rules(host)):
        return []
    return ["table", table_name(route.table)]


def route_get(host: Host, args: list[str]) -> str:
    """`ip route get`: ip_route_output_key() without iif, ip_route_input() with it."""
    get = _parse_get(host, args)
    if get.iif is not None:
        return _route_get_input(host, get)
    return _route_get_output(host, get)


def _route_get_output(host: Host, get: GetArgs) -> str:
    if get.src and not host.is_local(get.src):
        raise rtnl("ENETUNREACH")
    found = host.routing.lookup(get.dst, get.src, None, get.oif, get.mark)
    if found.route is None or found.error:
        raise rtnl(found.error or "ENETUNREACH")
    route = found.route
    local = route.type == "local"
    dev = "lo" if local else route.dev
    prefsrc = _pick_src(host, route, get.dst)
    words = ([route.type] if route.type != "unicast" else []) + [format_ipv4(get.dst)]
    if get.src:
        words += ["from", format_ipv4(get.src)]
    if route.via is not None:
        words += ["via", format_ipv4(route.via)]
    words += ["dev", str(dev)] + _table_words(host, route)
    if prefsrc is not None and prefsrc != get.src:
        words += ["src", format_ipv4(prefsrc)]
    if get.mark:
        words += ["mark", f"{get.mark:#x}" if get.mark > 9 else str(get.mark)]
    words += ["uid", "0"]
    flags = {"local": "<local> ", "broadcast": "<local,brd> ", "multicast": "<mc> "}.get(route.type, "")
    return " ".join(words) + " \n    cache " + flags


def _pick_src(host: Host, route: Route, dst: int) -> int | None:
    """inet_select_addr(): the route's prefsrc, else an address of the out device (same subnet first)."""
    if route.src is not None:
        return route.src
    if route.type == "local":
        return dst
    return host.primary_address(route.dev or "", route.via if route.via is not None else dst)


def _route_get_input(host: Host, get: GetArgs) -> str:
    iif = str(get.iif)
    if get.src == 0:
        raise rtnl("EINVAL")
    decision = fib.input_route(host, get.src, get.dst, iif, get.mark)
    route = decision.route
    if decision.kind == "error" or route is None:
        raise rtnl(decision.error or "ENETUNREACH")
    if decision.kind in ("local", "broadcast"):
        return _input_text(host, get, route, "lo" if route.type == "local" else iif,
                           "<local> " if route.type == "local" else "<local,brd> ")
    redirect = decision.direct and route.dev == iif and _onlink(host, iif, get.src, route.via)
    return _input_text(host, get, route, str(route.dev), "<redirect> " if redirect else "")


def _onlink(host: Host, dev: str, *addrs: int | None) -> bool:
    iface = host.interfaces[dev]
    return all(a is None or any(in_prefix(a, x.addr & prefix_mask(x.prefixlen), x.prefixlen)
                                for x in iface.addresses) for a in addrs)


def _input_text(host: Host, get: GetArgs, route: Route, dev: str, flags: str) -> str:
    words = ([route.type] if route.type != "unicast" else []) + [format_ipv4(get.dst), "from", format_ipv4(get.src)]
    if route.via is not None:
        words += ["via", format_ipv4(route.via)]
    words += ["dev", dev] + _table_words(host, route)
    if get.mark:
        words += ["mark", f"{get.mark:#x}" if get.mark > 9 else str(get.mark)]
    return " ".join(words) + f" \n    cache {flags}iif {get.iif} "


# ---- ip rule ------------------------------------------------------------------------------------


def ip_rule(host: Host, opts: Options, args: list[str]) -> CommandResult:
    """`ip rule list|add|del|flush`."""
    sub, rest = _sub(args, "list", ("list", "show", "lst", "add", "delete", "flush", "save", "restore", "help"),
                     "rule")
    if sub in ("list", "show", "lst"):
        if rest:
            raise not_simulated("rule list " + rest[0])
        return CommandResult("\n".join(_rule_text(host, r) for r in host.routing.rules))
    if sub == "add":
        rule = _parse_rule(host, rest, adding=True)
        host.routing.add_rule(rule)
        return CommandResult(changed=True)
    if sub == "delete":
        return _rule_delete(host, rest)
    if sub == "flush":
        host.routing.rules = [r for r in host.routing.rules if r in DEFAULT_RULES]
        return CommandResult(changed=True)
    raise not_simulated(f"rule {sub}")


def _rule_text(host: Host, rule: RoutingRule) -> str:
    text = rule.describe()
    for key in ("iif", "oif"):
        dev = getattr(rule, key)
        if dev is not None and dev not in host.interfaces:
            text = text.replace(f" {key} {dev}", f" {key} {dev} [detached]", 1)
    return text


RULE_SPEC_KEYS = ("from", "to", "fwmark", "iif", "dev", "oif", "priority", "pref", "preference", "table",
                  "lookup")


def _parse_rule(host: Host, args: list[str], *, adding: bool) -> RoutingRule:
    fields: dict[str, object] = {}
    i = 0
    while i < len(args):
        word, value = args[i], args[i + 1] if i + 1 < len(args) else None
        if word in ("blackhole", "unreachable", "prohibit"):
            fields["action"] = word
            i += 1
            continue
        if word == "type" and value in ("blackhole", "unreachable", "prohibit"):
            fields["action"] = value
        elif word in RULE_SPEC_KEYS and value is not None:
            _rule_field(fields, word, value)
        elif word in ("not", "tos", "dsfield", "realms", "nat", "goto", "suppress_prefixlength", "suppress_ifgroup",
                      "uidrange", "ipproto", "sport", "dport", "l3mdev", "protocol"):
            raise not_simulated(f"rule {word}")
        else:
            raise CommandError(f'Error: argument "{word}" is wrong: Failed to parse rule type\n', 255)
        i += 2
    if adding and "priority" not in fields:
        fields["priority"] = host.routing.next_rule_priority()
    if "action" not in fields and adding:
        fields.setdefault("table", RT_TABLE_MAIN)
    return RoutingRule(**fields)  # type: ignore[arg-type]


def _rule_field(fields: dict[str, object], word: str, value: str) -> None:
    if word in ("from", "to"):
        if value == "all":
            return
        try:
            addr, plen = _parse_addr_prefix(value)
        except CommandError:
            raise bad_arg(value, f'"{word}" value is invalid') from None
        fields["src" if word == "from" else "dst"] = (addr & prefix_mask(plen), plen)
    elif word == "fwmark":
        mark, _, mask = value.partition("/")
        fields["fwmark"] = _int_arg(mark, "fwmark")
        if mask:
            fields["fwmask"] = _int_arg(mask, "fwmask")
    elif word in ("iif", "dev"):
        fields["iif"] = value
    elif word == "oif":
        fields["oif"] = value
    elif word in ("priority", "pref", "preference"):
        if not value.isdigit():
            raise bad_arg(value, 'preference value is invalid')
        fields["priority"] = int(value)
    else:
        fields["table"] = parse_table(value, "invalid table ID")


def _rule_delete(host: Host, args: list[str]) -> CommandResult:
    spec = _parse_rule(host, args, adding=False)
    given = {k for k in ("src", "dst", "fwmark", "iif", "oif", "action") if _given(args, k)}
    for rule in host.routing.rules:
        if _given(args, "priority") and rule.priority != spec.priority:
            continue
        if any(getattr(rule, k) != getattr(spec, k) for k in given):
            continue
        if _given(args, "table") and rule.table != spec.table:
            continue
        host.routing.rules.remove(rule)
        return CommandResult(changed=True)
    raise rtnl("No such file or directory")


def _given(args: list[str], key: str) -> bool:
    words = {"src": ("from",), "dst": ("to",), "fwmark": ("fwmark",), "iif": ("iif", "dev"), "oif": ("oif",),
             "priority": ("priority", "pref", "preference"), "table": ("table", "lookup"),
             "action": ("blackhole", "unreachable", "prohibit", "type")}[key]
    return any(w in args for w in words)


# ---- ip neigh -----------------------------------------------------------------------------------


def ip_neigh(host: Host, opts: Options, args: list[str]) -> CommandResult:
    """`ip neigh show|add|replace|change|del|flush`."""
    sub, rest = _sub(args, "show", ("show", "list", "lst", "add", "replace", "change", "delete", "flush", "get",
                                    "help"), "neigh")
    if sub in ("show", "list", "lst"):
        dev = rest[1] if rest[:1] == ["dev"] and len(rest) == 2 else None
        if rest and dev is None:
            raise not_simulated("neigh show " + rest[0])
        entries = reversed(list(host.neighbours.items()))
        return CommandResult("\n".join(f"{format_ipv4(a)} dev {d} lladdr {mac} PERMANENT "
                                       for (a, d), mac in entries if dev is None or d == dev))
    if sub in ("add", "replace", "change"):
        return _neigh_add(host, sub, rest)
    if sub == "delete":
        return _neigh_del(host, rest)
    if sub == "flush":
        dev = rest[1] if rest[:1] == ["dev"] and len(rest) == 2 else None
        for key in [k for k in host.neighbours if dev is None or k[1] == dev]:
            del host.neighbours[key]
        return CommandResult(changed=True)
    raise not_simulated(f"neigh {sub}")


def _neigh_args(args: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    i = 0
    while i < len(args):
        word, value = args[i], args[i + 1] if i + 1 < len(args) else None
        if word in ("lladdr", "dev", "nud") and value is not None:
            out[word] = value
            i += 2
        elif word in ("proxy", "router", "extern_learn", "protocol"):
            raise not_simulated(f"neigh {word}")
        elif "addr" not in out:
            out["addr"], i = word, i + 1
        else:
            raise CommandError(f'Error: either "to" is duplicate, or "{word}" is a garbage.', 255)
    return out


def _neigh_add(host: Host, sub: str, args: list[str]) -> CommandResult:
    fields = _neigh_args(args)
    if "addr" not in fields or "dev" not in fields:
        raise CommandError("Device and destination are required arguments.", 255)
    addr = _ipv4_arg(fields["addr"])
    if "lladdr" not in fields:
        raise ext_error("No link layer address given")
    try:
        mac = parse_mac(fields["lladdr"])
    except AddressError:
        raise CommandError(f'"{fields["lladdr"]}" is invalid lladdr.', 1) from None
    _dev(host, fields["dev"])
    key = (addr, fields["dev"])
    if sub == "add" and key in host.neighbours:
        raise rtnl("File exists")
    if sub == "change" and key not in host.neighbours:
        raise rtnl("No such file or directory")
    host.neighbours[key] = mac
    return CommandResult(changed=True)


def _neigh_del(host: Host, args: list[str]) -> CommandResult:
    fields = _neigh_args(args)
    if "addr" not in fields or "dev" not in fields:
        raise CommandError("Device and destination are required arguments.", 255)
    _dev(host, fields["dev"])
    key = (_ipv4_arg(fields["addr"]), fields["dev"])
    if key not in host.neighbours:
        raise rtnl("No such file or directory")
    del host.neighbours[key]
    return CommandResult(changed=True)


# ---- ip netns -----------------------------------------------------------------------------------


def ip_netns(host: Host, opts: Options, args: list[str]) -> CommandResult:
    """`ip netns list` (no namespaces besides this host); the rest comes with multi-host support."""
    sub = args[0] if args else "list"
    if sub in ("list", "show", "ls"):
        return CommandResult("")
    return CommandResult(f"ip: 'netns {sub}' is not simulated here (namespaces will appear in the topology view"
                         " in a later version)", 1)


COMMANDS = {"ip": ip}
