"""One differential scenario, in a neutral form both the real kernel and the simulator can run.

Topologies
----------
``host``   two namespaces: the sender ``s`` and the host under test ``h``, joined by a veth pair
           (h's end is ``eth0``).
``router`` three namespaces: ``s`` -- ``h`` -- ``r``; h has ``eth0`` toward s and ``eth1`` toward
           the receiver ``r``. s and r have default routes via h; h itself has no default route.

Packets
-------
Every packet is written in the project's notation (``netstack_tui.kernel.packet``). It is sent by
the namespace on the far side of its ``iface=``: ``iface=eth0`` (the default) is sent by ``s``,
``iface=eth1`` (router topology only) is sent by ``r``. So a reply that ``r`` would give (a SYN-ACK
back through a DNAT, an ICMP error that is RELATED) is written as an explicit packet from ``r``; the
real ``r`` never answers on its own (its RSTs and ICMP unreachables are dropped in its OUTPUT).

TCP sequence numbers (the "handshake rule")
-------------------------------------------
A packet without ``seq=``/``ack=`` that is not a pure SYN, whose flow (either direction) has seen a
SYN-ACK arrive at the sender, gets its numbers from the real handshake: ``seq`` = the sender's next
sequence number (its SYN's seq + 1, advanced by payload/FIN sent since), ``ack`` = the peer's
SYN-ACK seq + 1. So ``[S]`` then ``[.]`` completes a real handshake (the listener's accept() sees
the connection). Explicit ``seq=``/``ack=`` always win. Otherwise seq/ack are 0, as in the notation.

Time
----
The real clock runs while the simulator's does not. Cases that use ``limit``/``recent``/conntrack
timeouts choose rates and windows (``--limit 1/min``, ``--seconds 60``) so that the few
milliseconds a case takes can never refill a token or expire an entry: only the burst/hitcount
logic is exercised, which is what both sides must agree on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Topology = Literal["host", "router"]

DEFAULT_ADDRESSES: Mapping[str, str] = MappingProxyType({
    "s:eth0": "10.0.0.2/24",
    "h:eth0": "10.0.0.1/24",
    "h:eth1": "192.168.1.1/24",
    "r:eth0": "192.168.1.2/24",
})

# Values set on both sides before the case's own sysctls, so neither depends on this machine's
# defaults (they are the kernel's own defaults for a fresh namespace).
BASELINE_SYSCTLS: Mapping[str, str] = MappingProxyType({
    "net.ipv4.ip_forward": "0",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
})


@dataclass(frozen=True)
class Listener:
    """A socket in ``ns`` (``h`` or ``r``) bound to ``addr:port``."""

    proto: Literal["tcp", "udp"]
    addr: str
    port: int
    ns: str = "h"


@dataclass(frozen=True)
class Case:
    """A scenario: topology, configuration of h, packets to send, and what the kernel should do.

    ``expect_*`` fields hold the behaviour the real kernel is asserted against (None = do not
    check); once the simulator exists the same case is also diffed against it.
    """

    name: str
    topology: Topology = "host"
    addresses: Mapping[str, str] = field(default_factory=dict)
    """Overrides of DEFAULT_ADDRESSES, keyed ``ns:ifname``."""
    sysctls: Mapping[str, str | int] = field(default_factory=dict)
    """Set in h, e.g. ``{"net.ipv4.ip_forward": 1, "net.ipv4.conf.eth0.rp_filter": 1}``."""
    ruleset: str = ""
    """iptables-restore input loaded into h ("" = no rules)."""
    listeners: tuple[tuple[str, str, int] | Listener, ...] = ()
    """``("tcp", "10.0.0.1", 80)`` (in h) or ``Listener(..., ns="r")``."""
    packets: tuple[str, ...] = ()
    description: str = ""
    dummies: tuple[str, ...] = ()
    """Extra interfaces of h (``ip link add NAME type dummy``, up, no address): names a ruleset's
    ``-i``/``-o`` mention that the topology does not have (ppp0, br0...)."""

    # Expectations on the real kernel (checked live; recorded in expected_real.json).
    expect_replies: tuple[str, ...] | None = None
    """Notation of every IPv4 packet arriving at s, in order (h's replies and packets forwarded to s)."""
    expect_forwarded: tuple[str, ...] | None = None
    """Notation of every IPv4 packet arriving at r (router topology)."""
    expect_delivered: tuple[str, ...] | None = None
    """What the listeners got: ``tcp SRC:P > DST:P`` per accepted connection, ``udp ... len=N`` per datagram."""
    expect_counters: Mapping[str, tuple[int, int]] | None = None
    """``{"filter INPUT 1": (1, 60), "filter INPUT policy": (0, 0)}`` (rule numbers from 1)."""

    def __post_init__(self) -> None:
        if self.topology not in ("host", "router"):
            raise ValueError(f"{self.name}: topology must be host or router")
        object.__setattr__(self, "listeners", tuple(
            lst if isinstance(lst, Listener) else Listener(*lst) for lst in self.listeners))
        object.__setattr__(self, "packets", tuple(self.packets))

    # -- derived -------------------------------------------------------------------------------
    def address(self, key: str) -> str:
        """``s:eth0`` → ``10.0.0.2/24`` (case override or default)."""
        return self.addresses.get(key, DEFAULT_ADDRESSES[key])

    def ip(self, key: str) -> str:
        """The address without its prefix length."""
        return self.address(key).split("/")[0]

    @property
    def namespaces(self) -> tuple[str, ...]:
        return ("s", "h", "r") if self.topology == "router" else ("s", "h")

    @property
    def all_sysctls(self) -> dict[str, str]:
        """Baseline then the case's own, as strings."""
        merged = dict(BASELINE_SYSCTLS)
        merged.update({key: str(value) for key, value in self.sysctls.items()})
        return merged

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables the ruleset loads (the only ones whose counters are compared)."""
        return tuple(line[1:].strip() for line in self.ruleset.splitlines() if line.startswith("*"))

    @staticmethod
    def packet_iface(spec: str) -> str:
        """The interface of h the packet arrives on (``eth0`` unless ``iface=`` says otherwise)."""
        from netstack_tui.kernel.packet import parse_packet

        return parse_packet(spec)[1] or "eth0"

    def sender_of(self, spec: str) -> str:
        """Namespace that sends the packet: s for eth0, r for eth1."""
        iface = self.packet_iface(spec)
        if iface == "eth0":
            return "s"
        if iface == "eth1" and self.topology == "router":
            return "r"
        raise ValueError(f"{self.name}: no sender behind iface={iface} in a {self.topology} topology")
