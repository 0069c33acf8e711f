"""Routing decisions: input (local or forward, rp_filter, martians), output, reroute."""

from __future__ import annotations

from . import replies
from .addr import format_ipv4
from .journey import Journey
from .packet import (
    ICMP_DEST_UNREACH,
    Packet,
)
from .routing import table_name
from .trace import (
    Disposition,
    DropReason,
    RouteView,
    Verdict,
)

# Tables in priority order at each hook (conntrack at -200 sits between raw and mangle).

# ---- routing -----------------------------------------------------------------------------------------


def _route_view(j: Journey, table: int, chosen_route: object, result: str, why: str) -> RouteView:
    routing = j.host.routing
    routes = routing.routes(table)
    chosen = routes.index(chosen_route) if chosen_route in routes else -1  # type: ignore[arg-type]
    return RouteView(
        tuple(r.describe() for r in routing.rules),
        table_name(table),
        tuple(r.describe() for r in routes),
        chosen,
        result,
        why,
    )


def route_input(j: Journey) -> bool:
    """ip_route_input_noref(): True for local delivery, False to forward; raises Stop on a drop."""
    host, pkt = j.host, j.flow.pkt
    iif = pkt.iif or "lo"
    is_lo = iif == "lo"
    if (pkt.src >> 24 == 127 and not is_lo) or pkt.src >> 28 == 0xE or pkt.src == 0xFFFFFFFF:
        _route_drop(j, "route.martian_source", DropReason.IP_INADDRERRORS, {"src": format_ipv4(pkt.src)})
    if pkt.dst >> 24 == 127 and not is_lo:
        _route_drop(j, "route.martian_destination", DropReason.IP_INADDRERRORS, {"dst": format_ipv4(pkt.dst)})
    found = host.routing.lookup(pkt.dst, pkt.src, iif=iif, mark=pkt.mark)
    forwarding = host.sysctl.forwarding(iif)
    table = found.rule.table if found.rule is not None else 254
    if found.route is None or found.error is not None:
        # ip_error(): silent with forwarding off; otherwise an ICMP destination unreachable.
        view = _route_view(j, table, found.route, found.type, found.error or "")
        if not forwarding:
            reason = DropReason.IP_INNOROUTES if found.error == "ENETUNREACH" else DropReason.IP_INADDRERRORS
            j.step(
                "route_input",
                Verdict.DROP,
                "route.no_route_no_forward",
                params={"error": found.error},
                view=view,
                drop_reason=reason,
            )
            raise j.stop(Disposition.DROPPED, reason)
        code = {"EHOSTUNREACH": 1, "ENETUNREACH": 0, "EACCES": 13}.get(found.error or "")
        reason = DropReason.IP_INNOROUTES if found.error == "ENETUNREACH" else DropReason.NOT_SPECIFIED
        j.step(
            "route_input",
            Verdict.DROP,
            "route.unreachable",
            params={"error": found.error, "type": found.type},
            view=view,
            drop_reason=reason,
        )
        if code is not None:
            j.emit(replies.icmp_error(host, pkt, ICMP_DEST_UNREACH, code, answer_source(j, pkt)), None)
        raise j.stop(Disposition.DROPPED, reason)
    route = found.route
    if route.type in ("local", "broadcast"):
        _validate_source(j, table, route, local=True)
        j.flow.local_dest = True
        j.step(
            "route_input",
            Verdict.PASS,
            "route.local",
            params={"table": table_name(table), "dst": format_ipv4(pkt.dst), "type": route.type},
            view=_route_view(j, table, route, route.type, "local"),
        )
        return True
    if not forwarding:
        view = _route_view(j, table, route, "unicast", "ip_forward=0")
        j.step(
            "route_input",
            Verdict.DROP,
            "route.forwarding_off",
            params={"dev": iif},
            view=view,
            drop_reason=DropReason.IP_INADDRERRORS,
        )
        raise j.stop(Disposition.DROPPED, DropReason.IP_INADDRERRORS)
    _validate_source(j, table, route, local=False)
    j.flow.pkt = pkt.replace(oif=route.dev)
    j.step(
        "route_input",
        Verdict.PASS,
        "route.forward",
        params={"table": table_name(table), "route": route.describe().strip(), "dev": route.dev},
        view=_route_view(j, table, route, "unicast", "longest prefix"),
    )
    return False


def _route_drop(j: Journey, note: str, reason: DropReason, params: dict[str, object]) -> None:
    j.step("route_input", Verdict.DROP, note, params=params, drop_reason=reason)
    raise j.stop(Disposition.DROPPED, reason)


def _validate_source(j: Journey, table: int, route: object, *, local: bool) -> None:
    """fib_validate_source(): own-address sources are martians; rp_filter checks the way back."""
    host, pkt = j.host, j.flow.pkt
    iif = pkt.iif or "lo"
    if iif == "lo":
        return
    mode = host.sysctl.rp_filter(iif)
    accept_local = host.sysctl.conf(iif, "accept_local")
    if mode == 0:
        if host.is_local(pkt.src) and not accept_local:
            _route_drop(j, "route.martian_local_source", DropReason.IP_INADDRERRORS, {"src": format_ipv4(pkt.src)})
        return
    back = host.routing.lookup(pkt.src, pkt.dst, iif="lo", mark=pkt.mark)
    ok: bool
    if back.route is None or back.error is not None:
        ok = False
    elif back.route.type not in ("unicast",) and not (back.route.type == "local" and accept_local):
        _route_drop(j, "route.martian_local_source", DropReason.IP_INADDRERRORS, {"src": format_ipv4(pkt.src)})
        return
    elif back.route.dev == iif:
        ok = True
    else:
        ok = mode == 2  # loose mode only asks that some route back exists
    if not ok:
        why = f"rp_filter={mode}: the route back to {format_ipv4(pkt.src)} " + (
            f"leaves via {back.route.dev}, not {iif}" if back.route is not None else "does not exist"
        )
        j.step(
            "route_input",
            Verdict.DROP,
            "route.rp_filter",
            params={
                "mode": mode,
                "src": format_ipv4(pkt.src),
                "dev": iif,
                "back": back.route.dev if back.route else "none",
            },
            view=_route_view(j, table, route, "unicast", why),
            drop_reason=DropReason.IP_RPFILTER,
        )
        raise j.stop(Disposition.DROPPED, DropReason.IP_RPFILTER)


def route_output(j: Journey) -> None:
    """ip_route_output_key(): pick the device and, when unset, the source address."""
    host, pkt = j.host, j.flow.pkt
    found = host.routing.lookup(pkt.dst, pkt.src, oif=pkt.oif, mark=pkt.mark)
    table = found.rule.table if found.rule is not None else 254
    if found.route is None or found.error is not None:
        j.step(
            "route_output",
            Verdict.DROP,
            "route.out_unreachable",
            params={"error": found.error},
            view=_route_view(j, table, found.route, found.type, found.error or ""),
            drop_reason=DropReason.IP_OUTNOROUTES,
        )
        raise j.stop(Disposition.DROPPED, DropReason.IP_OUTNOROUTES)
    route = found.route
    dev = "lo" if route.type == "local" else route.dev
    src = pkt.src or route.src or host.primary_address(dev or "", pkt.dst) or 0
    j.flow.pkt = pkt.replace(oif=dev, src=src)
    j.step(
        "route_output",
        Verdict.PASS,
        "route.output",
        params={"dev": dev, "route": route.describe().strip(), "table": table_name(table)},
        view=_route_view(j, table, route, route.type, "longest prefix"),
    )


def reroute(j: Journey) -> None:
    """ip_route_me_harder(): a mangle/nat change in OUTPUT sends the packet through routing again."""
    host, pkt = j.host, j.flow.pkt
    found = host.routing.lookup(pkt.dst, pkt.src, mark=pkt.mark)
    if found.route is None or found.error is not None:
        j.step(
            "reroute",
            Verdict.DROP,
            "route.out_unreachable",
            params={"error": found.error},
            drop_reason=DropReason.IP_OUTNOROUTES,
        )
        raise j.stop(Disposition.DROPPED, DropReason.IP_OUTNOROUTES)
    dev = "lo" if found.route.type == "local" else found.route.dev
    j.flow.pkt = pkt.replace(oif=dev)
    j.step("reroute", Verdict.PASS, "route.reroute", params={"dev": dev})


def answer_source(j: Journey, pkt: Packet) -> int | None:
    """The address an ICMP error about a non-local packet comes from: the route back's source."""
    back = j.host.routing.lookup(pkt.src)
    if back.route is not None and back.route.dev:
        return back.route.src or j.host.primary_address(back.route.dev, pkt.src)
    return j.host.primary_address(pkt.iif or "", pkt.src) if pkt.iif else None
