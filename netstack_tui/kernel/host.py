"""A host: one network namespace with its interfaces, sysctls, routes, netfilter, conntrack,
sockets, processes, kernel log and clock.

A fresh `Host()` looks like a fresh namespace with one NIC: `lo` up with 127.0.0.1/8, `eth0` up
with MAC 02:00:00:00:00:01 and no address, kernel-default sysctls, empty ACCEPT-policy ruleset,
empty conntrack, clock at 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol, cast

from .addr import format_ipv4, in_prefix, prefix_mask
from .capture import CaptureRing
from .conntrack import Conntrack
from .interfaces import Address, Cable, Interface, XdpProgram
from .ipset import IpsetRegistry
from .link.tables import Bridge, Neighbour, recalculate_mac
from .mib import Mib
from .netfilter.table import Ruleset
from .nftables.model import NftRuleset
from .routing import RT_TABLE_LOCAL, RT_TABLE_MAIN, Route, Routing
from .sockets import SocketTable
from .sysctl import Sysctls

if TYPE_CHECKING:
    from .trace import Trace

LOOPBACK = 0x7F000001


class WorldView(Protocol):
    """What a namespace knows of the world it belongs to (a `kernel.world.World`)."""

    def hosts(self) -> Iterator[Host]:
        """Every namespace, the root first."""

    def name_of(self, host: Host) -> str | None:
        """The namespace's `ip netns` name (None for the root)."""

    def advance(self, seconds: float) -> list[Trace]:
        """Let time pass in every namespace; the journeys of the retransmissions it caused."""

    def echo_id(self, first: int) -> int:
        """The identifier of the next ping run."""


def far_host(cable: Cable) -> Host:
    """The namespace at the far end of `cable` (cables only ever join hosts)."""
    return cast(Host, cable.host)


class HostError(ValueError):
    """A configuration request the kernel would refuse; the message is iproute2's wording."""


class Host:
    """The simulated machine (network namespace)."""

    CACHES = ("derived",)
    """Fields that only cache what the rest determines (see `kernel.steady`)."""

    def __init__(self, name: str = "host") -> None:
        self.name = name
        self.world: WorldView | None = None
        """The world this namespace belongs to (set by `World`; copying a host copies its world)."""
        self.clock = 0.0
        """Simulated seconds since boot; only `sleep` and packet timing advance it."""
        self.interfaces: dict[str, Interface] = {}
        self.sysctl = Sysctls()
        self.routing = Routing()
        self.iptables = Ruleset()
        self.ip6tables = Ruleset()
        """The ip6tables ruleset, apart from iptables' as in the kernel (loaded and listed, never
        traversed: the simulator's packets are IPv4)."""
        self.nft = NftRuleset()
        self.conntrack = Conntrack()
        self.sockets = SocketTable()
        self.mib = Mib()
        """The namespace's SNMP and Linux MIB counters (`nstat`, /proc/net/snmp; see `kernel.mib`)."""
        self.dmesg: list[tuple[float, str]] = []
        self.capture = CaptureRing()
        """The frames that passed the packet taps, for `tcpdump`."""
        self.neighbours: dict[tuple[int, str], Neighbour] = {}
        """(address, device) → entry, as `ip neigh` lists them (see `kernel.link.neigh`)."""
        self.bridges: dict[str, Bridge] = {}
        """Each bridge device's forwarding database (see `kernel.link.bridge`)."""
        self.xdp_programs: dict[str, XdpProgram] = dict(BUILTIN_XDP_PROGRAMS)
        self.redirect_state: dict[int, tuple[int, float]] = {}
        """Per-peer ICMP redirect back-off (count, time of the last one)."""
        self.icmp_tokens: dict[int, tuple[float, float]] = {}
        """Per-destination ICMP rate-limit buckets (inet_peer rate_tokens, rate_last)."""
        self.xdp_counts: dict[tuple[str, int], int] = {}
        """Packets seen per (device, second) by rate-limiting XDP programs."""
        self.derived: dict[object, tuple[object, object]] = {}
        """Values computed from the configuration, each with the generations it was computed at
        (hook order, whether conntrack is loaded, the conntrack sysctls); see `kernel.generation`."""
        self._next_ifindex = 1
        self._next_prog_id = 1
        lo = self.add_interface("lo", kind="loopback", mac="00:00:00:00:00:00")
        lo.mtu, lo.qdisc, lo.driver = 65536, "noqueue", "loopback"
        self.add_address("lo", LOOPBACK, 8, scope="host")
        self.add_interface("eth0", mac="02:00:00:00:00:01")

    @classmethod
    def namespace(cls, name: str) -> Host:
        """A new network namespace as `ip netns add` makes it: only `lo`, down, without an address
        (it gets 127.0.0.1/8 when brought up), and the default sysctls."""
        host = cls(name)
        del host.interfaces["eth0"]
        host.sysctl.remove_interface("eth0")
        host._next_ifindex = 2
        lo = host.interfaces["lo"]
        lo.addresses.clear()
        host.routing.remove_dev("lo")
        lo.up, lo.qdisc = False, "noop"
        return host

    @property
    def ipsets(self) -> IpsetRegistry:
        """The namespace's IP sets; they live with the iptables match state, which `-m set` reads."""
        return self.iptables.state.ipsets

    # ---- interfaces --------------------------------------------------------------------------

    def add_interface(self, name: str, *, kind: str = "ether", mac: str | None = None, up: bool = True,
                      driver: str | None = None, peer: str | None = None) -> Interface:
        """Create a device (HostError if the name is taken)."""
        if name in self.interfaces:
            raise HostError("RTNETLINK answers: File exists")
        if mac is None:
            mac = f"02:00:00:00:00:{self._next_ifindex:02x}"
        default_driver = {"veth": "veth", "dummy": "dummy", "bridge": "bridge"}.get(kind, "virtio_net")
        iface = Interface(name, self._next_ifindex, mac, kind=kind, up=up, driver=driver or default_driver,
                          peer=peer)
        if kind in ("veth", "dummy", "bridge"):
            iface.qdisc = "noqueue"
        self._next_ifindex += 1
        self.interfaces[name] = iface
        self.sysctl.add_interface(name)
        return iface

    def interface(self, name: str) -> Interface:
        """The device called `name` (HostError as iproute2 says it)."""
        try:
            return self.interfaces[name]
        except KeyError:
            raise HostError(f'Cannot find device "{name}"') from None

    def delete_interface(self, name: str) -> None:
        """Remove a device and everything that pointed at it."""
        iface = self.interface(name)
        if iface.is_loopback:
            raise HostError("RTNETLINK answers: Operation not supported")
        self.routing.remove_dev(name)
        del self.interfaces[name]
        self.sysctl.remove_interface(name)
        for key in [k for k in self.neighbours if k[1] == name]:
            del self.neighbours[key]
        if iface.master is not None and iface.master in self.bridges:
            self.bridges[iface.master].forget_port(name)
            members = [i for i in self.interfaces.values() if i.master == iface.master]
            recalculate_mac(self.bridges[iface.master], self.interfaces[iface.master], members)
        for port in [i for i in self.interfaces.values() if i.master == name]:
            port.master = None  # deleting a bridge releases its ports
        self.bridges.pop(name, None)
        cable, iface.cable = iface.cable, None
        if iface.kind == "veth" and cable is not None and cable.far() is not None:
            far = cable.far()
            assert far is not None
            far.cable = None
            far_host(cable).delete_interface(far.name)  # a veth pair lives and dies as one

    def set_link(self, name: str, up: bool) -> None:
        """`ip link set DEV up|down`: routes through a down device go away, and come back with it."""
        iface = self.interface(name)
        if iface.up == up:
            return
        iface.up = up
        if not up:
            self.routing.remove_dev(name)
        else:
            if iface.is_loopback and not iface.addresses:
                self.add_address(name, LOOPBACK, 8, scope="host")  # inetdev: lo gets 127.0.0.1 when up
                return
            for address in iface.addresses:
                self._add_address_routes(iface, address)

    # ---- addresses ---------------------------------------------------------------------------

    def add_address(self, name: str, addr: int, prefixlen: int, *, scope: str = "global",
                    broadcast: int | None = None) -> Address:
        """`ip addr add`: the address plus the routes the kernel adds for it (fib_add_ifaddr)."""
        iface = self.interface(name)
        if any(a.addr == addr and a.prefixlen == prefixlen for a in iface.addresses):
            raise HostError("RTNETLINK answers: File exists")
        if broadcast is None and prefixlen < 31 and not iface.is_loopback:
            broadcast = addr | (~prefix_mask(prefixlen) & 0xFFFFFFFF)
        if iface.is_loopback and broadcast is None and prefixlen < 31:
            broadcast = addr | (~prefix_mask(prefixlen) & 0xFFFFFFFF)
        address = Address(addr, prefixlen, broadcast, scope)
        iface.addresses.append(address)
        if iface.up:
            self._add_address_routes(iface, address)
        return address

    def _add_address_routes(self, iface: Interface, address: Address) -> None:
        addr, plen = address.addr, address.prefixlen
        net = addr & prefix_mask(plen)
        local = self.routing.tables[RT_TABLE_LOCAL]
        if plen < 32 and iface.is_loopback:
            local.append(Route(net, plen, "local", RT_TABLE_LOCAL, iface.name, src=addr, proto="kernel",
                               scope="host"))
        local.append(Route(addr, 32, "local", RT_TABLE_LOCAL, iface.name, src=addr, proto="kernel", scope="host"))
        if any(a is not address and a.prefixlen == plen and (a.addr & prefix_mask(plen)) == net
               for a in iface.addresses[:iface.addresses.index(address)]):
            return  # a secondary address (IFA_F_SECONDARY): fib_add_ifaddr adds only its local route
        if address.broadcast is not None:
            local.append(Route(address.broadcast, 32, "broadcast", RT_TABLE_LOCAL, iface.name, src=addr,
                               proto="kernel", scope="link"))
        if plen < 32 and not iface.is_loopback:
            self.routing.tables[RT_TABLE_MAIN].append(
                Route(net, plen, "unicast", RT_TABLE_MAIN, iface.name, src=addr, proto="kernel", scope="link"))

    def delete_address(self, name: str, addr: int, prefixlen: int) -> None:
        """`ip addr del`."""
        iface = self.interface(name)
        for address in iface.addresses:
            if address.addr == addr and address.prefixlen == prefixlen:
                iface.addresses.remove(address)
                self.routing.remove_dev(name, addr=addr)
                return
        raise HostError("RTNETLINK answers: Cannot assign requested address")

    def local_addresses(self) -> list[int]:
        """Every address configured on any device."""
        return [a.addr for iface in self.interfaces.values() for a in iface.addresses]

    def primary_address(self, name: str, toward: int | None = None) -> int | None:
        """inet_select_addr(): the device's address, preferring one on the same subnet as `toward`."""
        iface = self.interfaces.get(name)
        if iface is None or not iface.addresses:
            return None
        if toward is not None:
            for address in iface.addresses:
                if in_prefix(toward, address.addr & prefix_mask(address.prefixlen), address.prefixlen):
                    return address.addr
        return iface.addresses[0].addr

    def addr_type(self, addr: int) -> str:
        """inet_addr_type(): LOCAL, BROADCAST, MULTICAST, UNICAST, BLACKHOLE, ... per the local table."""
        if addr >> 28 == 0xE:
            return "MULTICAST"
        if addr == 0xFFFFFFFF:
            return "BROADCAST"
        if addr == 0:
            return "UNSPEC"
        lookup = self.routing.table_lookup(RT_TABLE_LOCAL, addr)
        if lookup is not None:
            return lookup.type.upper()
        found = self.routing.lookup(addr)
        if found.route is not None and found.route.type in ("blackhole", "unreachable", "prohibit"):
            return found.route.type.upper()
        return "UNICAST"

    def is_local(self, addr: int) -> bool:
        """Whether `addr` is one of this host's (a `local` route covers it)."""
        route = self.routing.table_lookup(RT_TABLE_LOCAL, addr)
        return route is not None and route.type == "local"

    # ---- time and log ------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward and let timers fire (conntrack and TIME-WAIT expiry)."""
        if not math.isfinite(seconds) or seconds < 0:  # a NaN clock would poison every timer after it
            raise ValueError(f"time moves forward by a finite amount, not {seconds!r}")
        self.clock += seconds
        self.conntrack.expire(self.clock)
        self.sockets.expire(self.clock)

    def log(self, message: str) -> None:
        """Append a kernel log line (read with `dmesg`)."""
        self.dmesg.append((self.clock, message))

    def new_prog_id(self) -> int:
        """The next BPF program id, as `ip link` shows `prog/xdp id N`."""
        self._next_prog_id += 1
        return self._next_prog_id + 40

    def describe_address(self, addr: int) -> str:
        """Dotted-quad text (a helper for messages)."""
        return format_ipv4(addr)


BUILTIN_XDP_PROGRAMS: dict[str, XdpProgram] = {
    "xdp_pass": XdpProgram("xdp_pass", "pass"),
    "xdp_drop": XdpProgram("xdp_drop", "drop"),
    "xdp_ddos": XdpProgram("xdp_ddos", "drop_src", sources=((0xCB007100, 24),)),
    "xdp_ratelimit": XdpProgram("xdp_ratelimit", "ratelimit", rate=1000),
    # The seed's `ip link set dev eth0 xdp obj prog.o`: a DDoS filter like xdp_ddos.
    "prog": XdpProgram("prog", "drop_src", sources=((0xCB007100, 24),)),
}
"""Declarative programs `ip link set dev X xdp obj NAME` can attach (NAME or NAME.o)."""
