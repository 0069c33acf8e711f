"""Routing decisions: input (local or forward, rp_filter, martians), output, reroute."""

from __future__ import annotations

from . import fib, mib, replies
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


def _route_view(j: Journey, table: int, chosen_route: object, result: str, why: str) -> RouteView | None:
    if not j.record:
        return None
    routing = j.host.routing
    routes = routing.routes(table)
    chosen = routes.index(chosen_route) if chosen_route in routes else -1
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
    decision = fib.input_route(host, pkt.src, pkt.dst, iif, pkt.mark)
    route, table = decision.route, decision.table
    if decision.kind in ("local", "broadcast"):
        j.flow.local_dest = True
        if j.record:  # batch runs: local delivery always records a step after this one
            j.step("route_input", Verdict.PASS, "route.local",
                   params={"table": table_name(table), "dst": format_ipv4(pkt.dst), "type": decision.kind},
                   view=_route_view(j, table, route, decision.kind, "local"))
        return True
    if decision.kind == "forward":
        assert route is not None
        j.flow.pkt = pkt.replace(oif=route.dev)
        # __mkroute_input(): out == in toward a directly reachable source earns the sender a redirect.
        j.flow.redirect = bool(decision.direct and route.dev == iif and route.dev
                               and host.sysctl.conf(route.dev, "send_redirects")
                               and host.sysctl.conf(route.dev, "shared_media"))
        j.step("route_input", Verdict.PASS, "route.forward",
               params={"table": table_name(table), "route": route.describe().strip(), "dev": route.dev}
               if j.record else None,
               view=_route_view(j, table, route, "unicast", "longest prefix"))
        return False
    _input_error(j, decision)
    raise AssertionError("unreachable")


# How each input-routing failure is reported: message key, drop reason.
_INPUT_ERRORS = {
    "martian_source": ("route.martian_source", DropReason.IP_INADDRERRORS),
    "martian_destination": ("route.martian_destination", DropReason.IP_INADDRERRORS),
    "martian_local_source": ("route.martian_local_source", DropReason.IP_INADDRERRORS),
    "rp_filter": ("route.rp_filter", DropReason.IP_RPFILTER),
    "route_type": ("route.unreachable", DropReason.NOT_SPECIFIED),
}


def _input_error(j: Journey, decision: fib.InputDecision) -> None:
    """ip_error() and the martian paths: drop, and answer by ICMP only where the kernel does."""
    host, pkt = j.host, j.flow.pkt
    iif = pkt.iif or "lo"
    view = _route_view(j, decision.table, decision.route, decision.route.type if decision.route else "unreachable",
                       decision.error or "")
    params: dict[str, object] = {"src": format_ipv4(pkt.src), "dst": format_ipv4(pkt.dst), "dev": iif,
                                 "error": decision.error, "mode": host.sysctl.rp_filter(iif)}
    if decision.why == "rp_filter":
        back = host.routing.lookup(pkt.src, pkt.dst, iif="lo", mark=pkt.mark)
        params["back"] = back.route.dev if back.route is not None and back.route.dev else "none"
    if decision.why == "forwarding_off":
        # ip_error() with forwarding off: counted as an address error, no ICMP.
        mib.count(host, "IpInAddrErrors")
        note = "route.forwarding_off" if decision.route is not None else "route.no_route_no_forward"
        j.step("route_input", Verdict.DROP, note, params=params, view=view, drop_reason=DropReason.IP_INADDRERRORS)
        raise j.stop(Disposition.DROPPED, DropReason.IP_INADDRERRORS)
    if decision.why == "no_route":
        code = {"EHOSTUNREACH": 1, "ENETUNREACH": 0, "EACCES": 13}.get(decision.error or "")
        reason = DropReason.IP_INNOROUTES if decision.error == "ENETUNREACH" else DropReason.NOT_SPECIFIED
        params["type"] = decision.route.type if decision.route else "unreachable"
        j.step("route_input", Verdict.DROP, "route.unreachable", params=params, view=view, drop_reason=reason)
        if code is not None:
            j.emit(replies.icmp_error(host, pkt, ICMP_DEST_UNREACH, code, answer_source(j, pkt)), None)
        raise j.stop(Disposition.DROPPED, reason)
    note, reason = _INPUT_ERRORS[decision.why]
    if decision.why == "rp_filter":
        mib.count(host, "TcpExtIPReversePathFilter")  # ip_rcv_finish_core(): -EXDEV
    params["type"] = decision.route.type if decision.route else "-"
    j.step("route_input", Verdict.DROP, note, params=params, view=view, drop_reason=reason)
    raise j.stop(Disposition.DROPPED, reason)


def route_output(j: Journey) -> None:
    """ip_route_output_key(): pick the device and, when unset, the source address."""
    host, pkt = j.host, j.flow.pkt
    found = host.routing.lookup(pkt.dst, pkt.src, oif=pkt.oif, mark=pkt.mark)
    table = found.rule.table if found.rule is not None else 254
    if found.route is None or found.error is not None:
        mib.count(host, "IpOutNoRoutes")
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
    j.flow.pkt = pkt if (pkt.oif == dev and pkt.src == src) else pkt.replace(oif=dev, src=src)
    mib.ip_out(host, j.flow.pkt)
    j.step(
        "route_output",
        Verdict.PASS,
        "route.output",
        params={"dev": dev, "route": route.describe().strip(), "table": table_name(table)} if j.record else None,
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
