"""`ip route show|add|del|replace|flush|get`."""

from __future__ import annotations

import dataclasses

from ...kernel import fib
from ...kernel.addr import format_ipv4, in_prefix, prefix_mask
from ...kernel.host import Host
from ...kernel.routing import DEFAULT_RULES, RT_TABLE_LOCAL, RT_TABLE_MAIN, TABLE_IDS, Route, table_name
from ..base import CommandError, CommandResult
from ..numbers import is_decimal, number
from .common import (
    Options,
    bad_arg,
    device,
    ext_error,
    int_arg,
    ipv4_arg,
    not_simulated,
    parse_addr_prefix,
    rtnl,
    sub_command,
)

# ---- ip route -----------------------------------------------------------------------------------


def ip_route(host: Host, opts: Options, args: list[str]) -> CommandResult:
    """`ip route show|add|del|replace|change|append|get|flush`."""
    sub, rest = sub_command(
        args,
        "show",
        (
            "show",
            "list",
            "lst",
            "add",
            "delete",
            "replace",
            "change",
            "append",
            "get",
            "flush",
            "save",
            "restore",
            "showdump",
            "prepend",
            "test",
            "help",
        ),
        "route",
    )
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
    return number(text, 1, 2**32 - 1, bad_arg(text, what).message, 255)


def _existing_tables(host: Host) -> list[int]:
    tables = host.routing.tables
    return sorted(
        (t for t, routes in tables.items() if routes or t in (RT_TABLE_MAIN, RT_TABLE_LOCAL)),
        key=lambda t: (t % 256, t),
    )


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
            device(host, value)
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


ROUTE_KEYWORDS = ("via", "dev", "oif", "src", "metric", "preference", "priority", "table", "proto", "protocol", "scope")
PROTOS = (
    "boot",
    "static",
    "kernel",
    "redirect",
    "dhcp",
    "bird",
    "zebra",
    "ra",
    "babel",
    "bgp",
    "isis",
    "ospf",
    "rip",
    "eigrp",
    "keepalived",
)


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
        elif word in (
            "onlink",
            "mtu",
            "advmss",
            "nexthop",
            "nhid",
            "encap",
            "realm",
            "expires",
            "tos",
            "dsfield",
            "initcwnd",
            "weight",
            "pref",
            "multicast",
            "nat",
            "anycast",
        ):
            raise not_simulated(f"route {word}")
        elif spec.prefix is None:
            spec.prefix = _route_prefix(word)
        else:
            raise CommandError(f'Error: either "to" is duplicate, or "{word}" is a garbage.', 255)
        i += 1
    return spec


def _route_option(spec: RouteSpec, word: str, value: str) -> None:
    if word == "via":
        spec.via = ipv4_arg(value)
    elif word in ("dev", "oif"):
        spec.dev = value
    elif word == "src":
        spec.src = ipv4_arg(value)
    elif word in ("metric", "preference", "priority"):
        spec.metric = number(value, 0, 2**32 - 1, bad_arg(value, '"metric" value is invalid').message, 255)
    elif word == "table":
        spec.table = parse_table(value)
    elif word in ("proto", "protocol"):
        if value not in PROTOS and not (is_decimal(value) and len(value) <= 3 and int(value) <= 255):
            raise bad_arg(value, '"protocol" value is invalid')
        spec.proto = value
    elif word == "scope":
        if value not in ("global", "link", "host", "site", "nowhere", "universe"):
            raise bad_arg(value, 'invalid "scope" value')
        spec.scope = "global" if value == "universe" else value


def _route_prefix(text: str) -> tuple[int, int]:
    if text == "default":
        return 0, 0
    addr, plen = parse_addr_prefix(text)
    if addr & ~prefix_mask(plen) & 0xFFFFFFFF:
        raise ext_error("Invalid prefix for given prefix length")
    return addr, plen


def _route_modify(host: Host, sub: str, args: list[str]) -> CommandResult:
    spec = _parse_route(args)
    if spec.prefix is None:
        raise (
            CommandError("Not enough information: prefix is required", 1)
            if sub == "delete"
            else CommandError("Error: Not enough information: prefix is required.", 1)
        )
    if spec.dev is not None:
        device(host, spec.dev)
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
    return Route(
        dst,
        plen,
        spec.type,
        spec.table,
        dev if spec.type not in ("unreachable", "blackhole", "prohibit", "throw") else None,
        spec.via,
        spec.src,
        proto,
        scope or "global",
        spec.metric or 0,
    )


def _resolve_gateway(host: Host, gw: int, dev: str | None) -> str:
    """fib_check_nh_v4_gw(): the gateway must sit on a connected (scope link) route, through `dev` if given."""
    if dev is not None and not host.interfaces[dev].up:
        raise ext_error("Device for nexthop is not up")
    for table in (RT_TABLE_MAIN,) + tuple(t for t in host.routing.tables if t not in (RT_TABLE_MAIN, RT_TABLE_LOCAL)):
        for route in host.routing.tables.get(table, []):
            if (
                route.type == "unicast"
                and route.via is None
                and route.scope == "link"
                and route.matches(gw)
                and (dev is None or route.dev == dev)
                and route.dev is not None
            ):
                return route.dev
    raise ext_error("Nexthop has invalid gateway")


def _route_delete(host: Host, spec: RouteSpec) -> CommandResult:
    dst, plen = spec.prefix or (0, 0)
    match = {
        "via": spec.via,
        "dev": spec.dev,
        "metric": spec.metric,
        "src": spec.src,
        "type": spec.type if spec.type != "unicast" else None,
        "proto": spec.proto,
    }
    try:
        host.routing.delete_route(dst, plen, spec.table, **match)
    except LookupError:
        raise rtnl("No such process") from None
    return CommandResult(changed=True)


def _route_flush(host: Host, args: list[str]) -> CommandResult:
    spec = _parse_route(args)
    table = host.routing.tables.get(spec.table, [])
    keep = [
        r
        for r in table
        if (spec.dev is not None and r.dev != spec.dev) or (spec.prefix is not None and (r.dst, r.plen) != spec.prefix)
    ]
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
                get.src = ipv4_arg(value.split("/")[0])
            elif word in ("iif", "oif"):
                device(host, value)
                setattr(get, word, value)
            elif word == "mark":
                get.mark = int_arg(value, "mark")
            else:
                get.dst, have_dst = ipv4_arg(value.split("/")[0]), True
            i += 2
            continue
        if word in ("fibmatch", "connected", "tos", "dsfield", "vrf", "ipproto", "sport", "dport", "uid", "as"):
            raise not_simulated(f"route get {word}")
        if have_dst:
            raise CommandError(f'Error: either "to" is duplicate, or "{word}" is a garbage.', 255)
        get.dst, have_dst = ipv4_arg(word.split("/")[0]), True
        i += 1
    if not have_dst:
        raise CommandError("need at least a destination address", 1)
    return get


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
        return _input_text(
            host,
            get,
            route,
            "lo" if route.type == "local" else iif,
            "<local> " if route.type == "local" else "<local,brd> ",
        )
    redirect = decision.direct and route.dev == iif and _onlink(host, iif, get.src, route.via)
    return _input_text(host, get, route, str(route.dev), "<redirect> " if redirect else "")


def _onlink(host: Host, dev: str, *addrs: int | None) -> bool:
    iface = host.interfaces[dev]
    return all(
        a is None or any(in_prefix(a, x.addr & prefix_mask(x.prefixlen), x.prefixlen) for x in iface.addresses)
        for a in addrs
    )


def _input_text(host: Host, get: GetArgs, route: Route, dev: str, flags: str) -> str:
    words = ([route.type] if route.type != "unicast" else []) + [format_ipv4(get.dst), "from", format_ipv4(get.src)]
    if route.via is not None:
        words += ["via", format_ipv4(route.via)]
    words += ["dev", dev] + _table_words(host, route)
    if get.mark:
        words += ["mark", f"{get.mark:#x}" if get.mark > 9 else str(get.mark)]
    return " ".join(words) + f" \n    cache {flags}iif {get.iif} "
