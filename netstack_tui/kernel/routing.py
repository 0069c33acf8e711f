"""Policy routing: `ip rule`, the local/main/default tables, longest-prefix lookup, rp_filter.

Lookups follow fib_lookup(): rules in priority order, each sending the lookup to a table; a table
with no matching route lets the next rule try; unreachable, blackhole and prohibit routes end the
search with their error, as fib_props[] says.
"""

from __future__ import annotations

from dataclasses import dataclass

from .addr import format_ipv4, format_prefix, in_prefix, prefix_mask

RT_TABLE_LOCAL = 255
RT_TABLE_MAIN = 254
RT_TABLE_DEFAULT = 253
TABLE_NAMES = {RT_TABLE_LOCAL: "local", RT_TABLE_MAIN: "main", RT_TABLE_DEFAULT: "default"}
TABLE_IDS = {name: tid for tid, name in TABLE_NAMES.items()}

# Route types that end a lookup with an error, and that error (fib_props[] in fib_semantics.c).
ERROR_TYPES = {"unreachable": "EHOSTUNREACH", "blackhole": "EINVAL", "prohibit": "EACCES"}
ROUTE_TYPES = ("unicast", "local", "broadcast", "multicast", "unreachable", "blackhole", "prohibit", "throw")


def table_name(table: int) -> str:
    """`local`, `main`, `default` or the number."""
    return TABLE_NAMES.get(table, str(table))


@dataclass(frozen=True, slots=True)
class Route:
    """One FIB entry."""

    dst: int
    plen: int
    type: str = "unicast"
    table: int = RT_TABLE_MAIN
    dev: str | None = None
    via: int | None = None
    src: int | None = None
    proto: str | None = None
    """`kernel` for routes the kernel adds with an address, `boot` for `ip route add`, ..."""
    scope: str = "global"
    metric: int = 0

    def matches(self, addr: int) -> bool:
        """Whether the route covers `addr`."""
        return in_prefix(addr, self.dst, self.plen)

    def describe(self, *, show_table: bool = False) -> str:
        """The route as `ip route show` prints it (iproute2 keeps a trailing space)."""
        parts: list[str] = []
        if self.type != "unicast":
            parts.append(self.type)
        if self.plen == 0 and self.dst == 0:
            parts.append("default")
        elif self.plen == 32:
            parts.append(format_ipv4(self.dst))
        else:
            parts.append(format_prefix(self.dst, self.plen))
        if self.via is not None:
            parts += ["via", format_ipv4(self.via)]
        if self.dev is not None:
            parts += ["dev", self.dev]
        if show_table and self.table != RT_TABLE_MAIN:
            parts += ["table", table_name(self.table)]
        if self.proto and self.proto != "boot":
            parts += ["proto", self.proto]
        if self.scope != "global" and self.type not in ERROR_TYPES:
            parts += ["scope", self.scope]
        if self.src is not None:
            parts += ["src", format_ipv4(self.src)]
        if self.metric:
            parts += ["metric", str(self.metric)]
        return " ".join(parts) + " "


@dataclass(frozen=True, slots=True)
class RoutingRule:
    """One `ip rule` entry."""

    priority: int
    table: int = RT_TABLE_MAIN
    action: str = "lookup"
    """`lookup`, `blackhole`, `unreachable` or `prohibit`."""
    src: tuple[int, int] | None = None
    dst: tuple[int, int] | None = None
    iif: str | None = None
    oif: str | None = None
    fwmark: int | None = None
    fwmask: int = 0xFFFFFFFF

    def matches(self, src: int, dst: int, iif: str | None, oif: str | None, mark: int) -> bool:
        """Whether the rule selects this flow."""
        if self.src is not None and not in_prefix(src, *self.src):
            return False
        if self.dst is not None and not in_prefix(dst, *self.dst):
            return False
        if self.iif is not None and self.iif != (iif or "lo"):
            return False
        if self.oif is not None and self.oif != oif:
            return False
        return self.fwmark is None or (mark & self.fwmask) == self.fwmark

    def describe(self) -> str:
        """The rule as `ip rule` prints it."""
        parts = [f"{self.priority}:\tfrom"]
        parts.append(format_prefix(*self.src) if self.src and self.src[1] < 32 else
                     format_ipv4(self.src[0]) if self.src else "all")
        if self.dst is not None:
            parts += ["to", format_prefix(*self.dst) if self.dst[1] < 32 else format_ipv4(self.dst[0])]
        if self.fwmark is not None:
            mark = f"{self.fwmark:#x}" + (f"/{self.fwmask:#x}" if self.fwmask != 0xFFFFFFFF else "")
            parts += ["fwmark", mark]
        if self.iif is not None:
            parts += ["iif", self.iif]
        if self.oif is not None:
            parts += ["oif", self.oif]
        parts += ["lookup", table_name(self.table)] if self.action == "lookup" else [self.action]
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Lookup:
    """The result of a FIB lookup."""

    route: Route | None
    rule: RoutingRule | None
    error: str | None = None
    """None, or ENETUNREACH / EHOSTUNREACH / EINVAL / EACCES as the kernel returns."""

    @property
    def type(self) -> str:
        """The route type, or `unreachable` when the lookup failed."""
        if self.route is not None:
            return self.route.type
        return "unreachable"


DEFAULT_RULES = (
    RoutingRule(0, RT_TABLE_LOCAL),
    RoutingRule(32766, RT_TABLE_MAIN),
    RoutingRule(32767, RT_TABLE_DEFAULT),
)


class Routing:
    """The routing policy database and its tables."""

    __slots__ = ("rules", "tables")

    def __init__(self) -> None:
        self.rules: list[RoutingRule] = list(DEFAULT_RULES)
        self.tables: dict[int, list[Route]] = {RT_TABLE_LOCAL: [], RT_TABLE_MAIN: [], RT_TABLE_DEFAULT: []}

    def routes(self, table: int) -> list[Route]:
        """Routes of a table in the order `ip route show` lists them."""
        return sorted(self.tables.get(table, []), key=lambda r: (r.dst, r.plen, r.metric))

    def add_route(self, route: Route, *, replace: bool = False) -> None:
        """Add a route; ValueError('File exists') when the same prefix/metric exists and not replacing."""
        table = self.tables.setdefault(route.table, [])
        for i, old in enumerate(table):
            if (old.dst, old.plen, old.metric, old.type == "local") == (
                route.dst, route.plen, route.metric, route.type == "local"
            ) and (old.type == route.type or route.table != RT_TABLE_LOCAL):
                if not replace:
                    raise ValueError("File exists")
                table[i] = route
                return
        table.append(route)

    def delete_route(self, dst: int, plen: int, table: int = RT_TABLE_MAIN, **match: object) -> Route:
        """Remove the first matching route and return it; LookupError when none matches."""
        for route in self.tables.get(table, []):
            if route.dst == dst and route.plen == plen and all(
                value is None or getattr(route, key) == value for key, value in match.items()
            ):
                self.tables[table].remove(route)
                return route
        raise LookupError("No such process")

    def remove_dev(self, dev: str, *, addr: int | None = None) -> None:
        """Drop routes through `dev` (link down) or those created for one address."""
        for table, routes in self.tables.items():
            self.tables[table] = [
                r for r in routes
                if not (r.dev == dev and (addr is None or (r.proto == "kernel" and r.src == addr)))
            ]

    def add_rule(self, rule: RoutingRule) -> None:
        """Insert a rule, keeping priority order (new rules go before equal priorities' end)."""
        self.rules.append(rule)
        self.rules.sort(key=lambda r: r.priority)

    def next_rule_priority(self) -> int:
        """The priority `ip rule add` picks when none is given: one below the first non-zero rule."""
        prios = [r.priority for r in self.rules if r.priority > 0]
        return (min(prios) - 1) if prios else 0

    def table_lookup(self, table: int, dst: int, oif: str | None = None) -> Route | None:
        """Longest-prefix match within one table (lowest metric on a tie)."""
        best: Route | None = None
        for route in self.tables.get(table, ()):
            if route.type == "throw":
                continue
            if (dst & prefix_mask(route.plen)) != route.dst:
                continue
            if oif is not None and route.dev is not None and route.dev != oif:
                continue
            if best is None or route.plen > best.plen or (route.plen == best.plen and route.metric < best.metric):
                best = route
        return best

    def lookup(self, dst: int, src: int = 0, iif: str | None = None, oif: str | None = None,
               mark: int = 0) -> Lookup:
        """fib_lookup(): walk the rules; the first table with a covering route answers."""
        for rule in self.rules:
            if not rule.matches(src, dst, iif, oif, mark):
                continue
            if rule.action != "lookup":
                error = {"blackhole": "EINVAL", "unreachable": "EHOSTUNREACH", "prohibit": "EACCES"}[rule.action]
                return Lookup(None, rule, error)
            route = self.table_lookup(rule.table, dst, oif)
            if route is None:
                continue
            return Lookup(route, rule, ERROR_TYPES.get(route.type))
        return Lookup(None, None, "ENETUNREACH")
