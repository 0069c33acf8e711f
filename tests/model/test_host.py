"""The host: what a fresh namespace looks like, and what addresses and links do to routes."""

from __future__ import annotations

from netstack_tui.kernel.addr import parse_ipv4 as ip
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.routing import RT_TABLE_LOCAL, RT_TABLE_MAIN


def test_fresh_host_is_a_fresh_namespace() -> None:
    """lo up with 127.0.0.1/8, eth0 up without address, kernel-default sysctls, clock at 0."""
    host = Host()
    assert list(host.interfaces) == ["lo", "eth0"]
    assert host.interfaces["eth0"].mac == "02:00:00:00:00:01"
    assert host.interfaces["eth0"].addresses == []
    assert [a.addr for a in host.interfaces["lo"].addresses] == [ip("127.0.0.1")]
    assert host.sysctl.get("net.ipv4.ip_forward") == "0"
    assert host.sysctl.get("net.core.somaxconn") == "4096"
    assert host.clock == 0.0


def test_address_adds_local_broadcast_and_subnet_routes() -> None:
    """`ip addr add 10.0.0.1/24 dev eth0` creates the routes fib_add_ifaddr() creates."""
    host = Host()
    host.add_address("eth0", ip("10.0.0.1"), 24)
    local = [r.describe(show_table=True) for r in host.routing.routes(RT_TABLE_LOCAL)]
    assert "local 10.0.0.1 dev eth0 table local proto kernel scope host src 10.0.0.1 " in local
    assert "broadcast 10.0.0.255 dev eth0 table local proto kernel scope link src 10.0.0.1 " in local
    main = [r.describe() for r in host.routing.routes(RT_TABLE_MAIN)]
    assert main == ["10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1 "]


def test_link_down_removes_routes_and_up_restores_them() -> None:
    """Routes through a device disappear while it is down."""
    host = Host()
    host.add_address("eth0", ip("10.0.0.1"), 24)
    host.set_link("eth0", False)
    assert host.routing.routes(RT_TABLE_MAIN) == []
    host.set_link("eth0", True)
    assert len(host.routing.routes(RT_TABLE_MAIN)) == 1


def test_ip_forward_sets_every_interface() -> None:
    """Writing net.ipv4.ip_forward flips conf.*.forwarding, as the kernel does."""
    host = Host()
    host.sysctl.set("net.ipv4.ip_forward", "1")
    assert host.sysctl.forwarding("eth0")
    assert host.sysctl.get("net.ipv4.conf.all.forwarding") == "1"


def test_rp_filter_is_the_max_of_all_and_the_interface() -> None:
    """IN_DEV_RPFILTER: the effective mode is max(conf.all, conf.IFACE)."""
    host = Host()
    host.sysctl.set("net.ipv4.conf.all.rp_filter", "2")
    host.sysctl.set("net.ipv4.conf.eth0.rp_filter", "1")
    assert host.sysctl.rp_filter("eth0") == 2


def test_addr_type_follows_the_local_table() -> None:
    """Own addresses are LOCAL, the subnet broadcast is BROADCAST, others UNICAST."""
    host = Host()
    host.add_address("eth0", ip("10.0.0.1"), 24)
    assert host.addr_type(ip("10.0.0.1")) == "LOCAL"
    assert host.addr_type(ip("10.0.0.255")) == "BROADCAST"
    assert host.addr_type(ip("10.0.0.7")) == "UNICAST"
    assert host.addr_type(ip("224.0.0.1")) == "MULTICAST"
