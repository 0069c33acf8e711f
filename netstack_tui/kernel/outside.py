"""The outside: a namespace called `internet` at the far end of the root namespace's `eth0`.

It plays the home router and the Internet behind it, so a learner can see where an answer comes from
and inspect it like any namespace (`ip netns exec internet ip addr`, `... ss -ltn`, `... tcpdump`):

    host eth0 192.168.1.10/24 ── cable ── internet eth0 192.168.1.1/24 (the default gateway)
    internet lo: 8.8.8.8 and 1.1.1.1 (DNS, ping), 93.184.215.14 (a web server on :80 and :443)
    internet upstream: a dummy device with the default route, "the rest of the Internet"

What leaves through `upstream` is not simulated any further: a private source (a container's
172.17.0.2 that nobody NATed) gets no answer there, as on the real Internet.
"""

from __future__ import annotations

from collections.abc import Callable

from .addr import parse_ipv4
from .host import Host
from .interfaces import Cable
from .routing import RT_TABLE_MAIN, Route

NAME = "internet"
HOST_ADDRESS = "192.168.1.10"
GATEWAY = "192.168.1.1"
PUBLIC_SERVERS: tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...] = (
    ("8.8.8.8", "dns.google", (("udp", 53), ("tcp", 53))),
    ("1.1.1.1", "one.one.one.one", (("udp", 53), ("tcp", 53))),
    ("93.184.215.14", "example.com", (("tcp", 80), ("tcp", 443))),
)
"""Addresses the Internet answers on, a name for each (curl and the topology show it), and what listens."""


def configure(root: Host, net: Host, new_mac: Callable[[], str]) -> None:
    """Cable the root namespace's eth0 to `net` (the new, empty `internet` namespace) and configure
    both ends; the root gets the address and default route DHCP would give it."""
    net.set_link("lo", True)
    eth0 = net.add_interface("eth0", mac="02:00:00:00:00:02")
    upstream = net.add_interface("upstream", kind="dummy", mac=new_mac())
    upstream.qdisc = "noqueue"
    net.add_address("eth0", parse_ipv4(GATEWAY), 24)
    for addr, _name, _services in PUBLIC_SERVERS:
        net.add_address("lo", parse_ipv4(addr), 32, scope="global")
    net.routing.tables[RT_TABLE_MAIN].append(Route(0, 0, "unicast", RT_TABLE_MAIN, "upstream", scope="link"))
    net.sysctl.set("net.ipv4.ip_forward", "1")
    table = net.sockets
    for addr, name, services in PUBLIC_SERVERS:
        proc = table.spawn(name)
        for proto, port in services:
            sock = table.bind(proc, proto, parse_ipv4(addr), port, now=net.clock)
            if proto == "tcp":
                table.listen(sock, 4096, net.sysctl.int("net.core.somaxconn"))
    root_eth0 = root.interface("eth0")
    root_eth0.cable, eth0.cable = Cable(net, "eth0"), Cable(root, "eth0")
    root.add_address("eth0", parse_ipv4(HOST_ADDRESS), 24)
    gateway, address = parse_ipv4(GATEWAY), parse_ipv4(HOST_ADDRESS)
    root.routing.tables[RT_TABLE_MAIN].append(
        Route(0, 0, "unicast", RT_TABLE_MAIN, "eth0", via=gateway, proto="dhcp", src=address, metric=100)
    )
