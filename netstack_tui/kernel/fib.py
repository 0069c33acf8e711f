"""The input routing decision, shared by the packet path and `ip route get ... iif`.

Models ip_route_input_slow() and fib_validate_source(): martian checks, the FIB lookup, local
delivery, forwarding (only where the interface forwards), and reverse-path filtering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .routing import RT_TABLE_MAIN, Route

if TYPE_CHECKING:
    from .host import Host


@dataclass(frozen=True, slots=True)
class InputDecision:
    """What the kernel decided for a received packet."""

    kind: str
    """`local`, `broadcast`, `forward` or `error`."""
    route: Route | None
    table: int
    error: str | None = None
    """For `error`: EHOSTUNREACH, ENETUNREACH, EINVAL (martian or blackhole), EACCES, EXDEV (rp_filter)."""
    why: str = ""
    """Which check decided: `martian_source`, `martian_destination`, `martian_local_source`,
    `forwarding_off`, `no_route`, `rp_filter`, `route_type`, or '' when routed normally."""
    direct: bool = False
    """For `forward`: the way back leaves through the same interface (an ICMP redirect case)."""


def validate_source(host: Host, src: int, dst: int, iif: str, oif_index: int, mark: int) -> bool | str:
    """fib_validate_source(): the errno name when rejected (EINVAL martian, EXDEV rp_filter), else
    whether the way back is direct.

    The reverse lookup swaps the addresses; rp_filter 1 (strict) wants it to leave through `iif`,
    rp_filter 2 (loose) any route at all; with rp_filter 0 only own addresses used as source are
    refused (unless accept_local).
    """
    rpf = host.sysctl.rp_filter(iif)
    in_iface = host.interfaces[iif]
    accept_local = host.sysctl.conf(iif, "accept_local")
    if not rpf and oif_index != in_iface.index:
        if host.is_local(src) and not accept_local:
            return "EINVAL"
        return False
    back = host.routing.lookup(src, dst, "lo", None, mark)
    if back.route is None or back.error:
        return "EXDEV" if rpf else False
    if back.route.type != "unicast" and not (back.route.type == "local" and accept_local):
        return "EINVAL"
    if back.route.dev == iif:
        return back.route.via is None
    if not in_iface.addresses:
        return "EXDEV" if rpf else False
    if rpf == 1:
        return "EXDEV"
    return False


def input_route(host: Host, src: int, dst: int, iif: str, mark: int = 0) -> InputDecision:
    """ip_route_input_slow() for a packet from `src` to `dst` arriving on `iif`."""
    is_lo = iif == "lo"
    if (src >> 24 == 127 and not is_lo) or src >> 28 == 0xE or src == 0xFFFFFFFF:
        return InputDecision("error", None, RT_TABLE_MAIN, "EINVAL", "martian_source")
    if dst >> 24 == 127 and not is_lo:
        return InputDecision("error", None, RT_TABLE_MAIN, "EINVAL", "martian_destination")
    if dst == 0xFFFFFFFF:
        # brd_input: the limited broadcast is for this host whatever the routes say; only the
        # source is checked (when there is one).
        check = validate_source(host, src, 0, iif, 0, mark) if src else False
        if isinstance(check, str):
            return InputDecision("error", None, RT_TABLE_MAIN, "EINVAL",
                                 "rp_filter" if check == "EXDEV" else "martian_source")
        return InputDecision("broadcast", None, RT_TABLE_MAIN)
    found = host.routing.lookup(dst, src, iif, None, mark)
    table = found.rule.table if found.rule is not None else RT_TABLE_MAIN
    forwarding = host.sysctl.forwarding(iif)
    route = found.route
    if route is None or found.error:
        if not forwarding:
            return InputDecision("error", route, table, "EHOSTUNREACH", "forwarding_off")
        return InputDecision("error", route, table, found.error or "ENETUNREACH", "no_route")
    if route.type in ("local", "broadcast"):
        if not is_lo and route.type == "local":
            check = validate_source(host, src, dst, iif, 0, mark)
            if isinstance(check, str):
                # Local delivery reports every failed source check as EINVAL (martian_source:),
                # though the drop reason still tells rp_filter apart.
                why = "rp_filter" if check == "EXDEV" else "martian_local_source"
                return InputDecision("error", route, table, "EINVAL", why)
        return InputDecision(route.type, route, table)
    if not forwarding:
        return InputDecision("error", route, table, "EHOSTUNREACH", "forwarding_off")
    if route.type != "unicast":
        return InputDecision("error", route, table, "EINVAL", "route_type")
    oif_index = host.interfaces[route.dev].index if route.dev in host.interfaces else 0
    direct = True if is_lo else validate_source(host, src, dst, iif, oif_index, mark)
    if isinstance(direct, str):
        why = "rp_filter" if direct == "EXDEV" else "martian_local_source"
        return InputDecision("error", route, table, direct, why)
    return InputDecision("forward", route, table, direct=direct)
