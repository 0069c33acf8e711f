"""Routing: the tables an address creates, longest-prefix match, rules, error routes."""

from __future__ import annotations

import pytest

from netstack_tui.kernel.addr import parse_ipv4 as ip
from netstack_tui.kernel.routing import RT_TABLE_MAIN, Route, Routing, RoutingRule


def _routing() -> Routing:
    r = Routing()
    r.add_route(Route(ip("10.0.0.0"), 8, dev="eth0"))
    r.add_route(Route(ip("10.1.0.0"), 16, dev="eth1"))
    r.add_route(Route(0, 0, dev="eth0", via=ip("10.0.0.254")))
    r.add_route(Route(ip("10.9.0.0"), 16, "blackhole"))
    r.add_route(Route(ip("10.8.0.0"), 16, "unreachable"))
    r.add_route(Route(ip("10.7.0.0"), 16, "prohibit"))
    return r


@pytest.mark.parametrize(
    ("dst", "dev", "type_", "error"),
    [
        ("10.1.2.3", "eth1", "unicast", None),      # /16 beats /8
        ("10.2.2.3", "eth0", "unicast", None),      # /8
        ("8.8.8.8", "eth0", "unicast", None),       # default
        ("10.9.1.1", None, "blackhole", "EINVAL"),
        ("10.8.1.1", None, "unreachable", "EHOSTUNREACH"),
        ("10.7.1.1", None, "prohibit", "EACCES"),
    ],
)
def test_longest_prefix_and_error_routes(dst: str, dev: str | None, type_: str, error: str | None) -> None:
    """The most specific route wins; error routes end the lookup with the kernel's errno."""
    found = _routing().lookup(ip(dst))
    assert found.route is not None
    assert (found.route.dev, found.route.type, found.error) == (dev, type_, error)


def test_no_route_is_enetunreach() -> None:
    """With no covering route in any table, fib_lookup fails with ENETUNREACH."""
    assert Routing().lookup(ip("8.8.8.8")).error == "ENETUNREACH"


def test_fwmark_rule_selects_another_table() -> None:
    """An `ip rule fwmark 0x1 lookup 100` sends marked packets to table 100."""
    r = _routing()
    r.add_route(Route(0, 0, table=100, dev="eth1", via=ip("10.1.0.1")))
    r.add_rule(RoutingRule(100, table=100, fwmark=1))
    assert r.lookup(ip("8.8.8.8"), mark=1).route.dev == "eth1"  # type: ignore[union-attr]
    assert r.lookup(ip("8.8.8.8"), mark=0).route.dev == "eth0"  # type: ignore[union-attr]


def test_table_falls_through_to_next_rule_when_empty() -> None:
    """A rule whose table has no covering route lets the next rule try (main after local)."""
    r = _routing()
    r.add_rule(RoutingRule(100, table=200))
    assert r.lookup(ip("10.1.0.5")).rule.table == RT_TABLE_MAIN  # type: ignore[union-attr]


def test_route_and_rule_text_match_iproute2() -> None:
    """Routes and rules print as `ip route` / `ip rule` do (trailing space included for routes)."""
    r = _routing()
    texts = [route.describe() for route in r.routes(RT_TABLE_MAIN)]
    assert "default via 10.0.0.254 dev eth0 " in texts
    assert "blackhole 10.9.0.0/16 " in texts
    assert [rule.describe() for rule in r.rules] == [
        "0:\tfrom all lookup local", "32766:\tfrom all lookup main", "32767:\tfrom all lookup default"]


def test_duplicate_route_is_refused() -> None:
    """Adding the same prefix and metric twice fails like RTNETLINK's File exists."""
    r = _routing()
    with pytest.raises(ValueError, match="File exists"):
        r.add_route(Route(ip("10.0.0.0"), 8, dev="eth1"))
