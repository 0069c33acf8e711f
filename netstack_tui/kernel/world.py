"""The world: the root namespace, the named network namespaces, and the cables and bridges between them.

Each namespace is a `Host` with its own devices, routes, rulesets, conntrack and sockets. A veth pair
is two devices whose `Cable`s point at each other; a bridge is a device of one namespace with other
devices as its ports; the root namespace's `eth0` either faces the unsimulated wire (a bare world,
what every scenario starts from) or is cabled to `internet`, a namespace that plays the home router
and the Internet behind it (a connected world, what a fresh shell starts from).

`graph()` gives the topology as a networkx graph for the explorer to draw. The world is plain data:
`copy.deepcopy` copies it whole, cables included.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from . import outside, retransmit
from .host import Host, HostError, far_host
from .interfaces import Cable, Interface
from .link import bridge

if TYPE_CHECKING:
    import networkx

    from .trace import Trace

ROOT_NAME = "host"
"""The root namespace's host name in traces (`ip netns identify` prints nothing for it)."""
NETNS_DIR = "/run/netns"


class World:
    """Namespaces and what connects them."""

    def __init__(self, root: Host | None = None) -> None:
        self.root = root if root is not None else Host(ROOT_NAME)
        """The initial network namespace (init_net), where commands run unless told otherwise."""
        self.root.world = self
        self.namespaces: dict[str, Host] = {}
        """Named namespaces (`ip netns add`), in creation order."""
        self.unnamed: dict[str, Host] = {}
        """Namespaces nobody bind-mounted under /run/netns (a container runtime's: dockerd keeps its
        own), by the runtime's key: `ip netns list` does not show them, traces name them by key."""
        self.nsids: dict[str, int] = {}
        """The ids the root namespace has given to other namespaces (`ip netns list` shows `(id: N)`):
        assigned when a device of the root namespace is linked to one of theirs."""
        self._next_mac = 0x100
        self._pings = 0

    @classmethod
    def connected(cls) -> World:
        """A fresh machine that reaches the Internet: the root namespace's eth0 is up with an
        address and a default route, and `internet` answers behind it (see `kernel.outside`)."""
        world = cls()
        world.connect_uplink()
        return world

    # ---- namespaces ------------------------------------------------------------------------------

    def hosts(self) -> Iterator[Host]:
        """The root namespace, then the named ones in creation order, then the unnamed ones."""
        yield self.root
        yield from self.namespaces.values()
        yield from self.unnamed.values()

    def namespace(self, name: str) -> Host:
        """The namespace `name` (HostError as `ip netns exec` words it)."""
        try:
            return self.namespaces[name]
        except KeyError:
            raise HostError(f'Cannot open network namespace "{name}": No such file or directory') from None

    def name_of(self, host: Host) -> str | None:
        """The name `ip netns identify` prints for `host` (None for the root namespace)."""
        return next((name for name, h in self.namespaces.items() if h is host), None)

    def add_namespace(self, name: str) -> Host:
        """`ip netns add NAME`."""
        if not name or "/" in name or name in (".", ".."):
            raise HostError(f"Invalid netns name \"{name}\"")
        if name in self.namespaces:
            raise HostError(f'Cannot create namespace file "{NETNS_DIR}/{name}": File exists')
        host = Host.namespace(name)
        host.world = self
        self.namespaces[name] = host
        return host

    def add_unnamed(self, key: str) -> Host:
        """A new namespace a runtime made with unshare(CLONE_NEWNET) and did not name; its host name
        is `key`, which must be free."""
        if key in self.unnamed or key in self.namespaces:
            raise HostError(f"namespace {key} exists")
        host = Host.namespace(key)
        host.world = self
        self.unnamed[key] = host
        return host

    def delete_unnamed(self, key: str) -> None:
        """The unnamed namespace's last process exited: its veths die with it, peers included."""
        host = self.unnamed.pop(key)
        for name in [n for n, i in host.interfaces.items() if i.kind == "veth"]:
            if name in host.interfaces:
                host.delete_interface(name)

    def delete_namespace(self, name: str) -> None:
        """`ip netns del NAME`: its veths die with it, and so do their peers in other namespaces."""
        host = self.namespaces.get(name)
        if host is None:
            raise HostError(f'Cannot remove namespace file "{NETNS_DIR}/{name}": No such file or directory')
        for iface in [i for i in host.interfaces.values() if i.kind == "veth"]:
            if iface.name in host.interfaces:
                host.delete_interface(iface.name)
        for iface in host.interfaces.values():
            if iface.cable is not None and iface.cable.far() is not None:
                far = iface.cable.far()
                assert far is not None
                far.cable = None  # the uplink's far end is cut
        del self.namespaces[name]
        self.nsids.pop(name, None)

    def advance(self, seconds: float) -> list[Trace]:
        """Time passes in every namespace alike (one clock for the whole machine); TCP's
        retransmission timers fire on the way, and their journeys are returned in order."""
        return retransmit.advance(list(self.hosts()), seconds)

    # ---- devices -----------------------------------------------------------------------------------

    def new_mac(self) -> str:
        """A MAC for a new virtual device: locally administered and unique in this world (the kernel
        picks random ones; these are predictable, so traces stay the same from run to run)."""
        n = self._next_mac
        self._next_mac += 1
        return f"02:00:00:{n >> 16 & 0xFF:02x}:{n >> 8 & 0xFF:02x}:{n & 0xFF:02x}"

    def echo_id(self, first: int) -> int:
        """The identifier of the next ping run: `first`, then first+1, ... (each ping process has its
        own, so two runs are two conntrack entries; the kernel's are random, these predictable)."""
        self._pings += 1
        return (first + self._pings - 1) & 0xFFFF

    def add_veth(self, host: Host, name: str, peer: str, peer_host: Host | None = None) -> tuple[Interface, Interface]:
        """`ip link add NAME type veth peer name PEER [netns NS]`: two devices, down, cabled together.
        The peer is created first, as veth_newlink does, so it has the lower ifindex."""
        peer_host = peer_host if peer_host is not None else host
        if name in host.interfaces or peer in peer_host.interfaces or (peer_host is host and name == peer):
            raise HostError("RTNETLINK answers: File exists")
        other = peer_host.add_interface(peer, kind="veth", up=False, mac=self.new_mac(), peer=name)
        this = host.add_interface(name, kind="veth", up=False, mac=self.new_mac(), peer=peer)
        other.qdisc = this.qdisc = "noop"
        this.cable, other.cable = Cable(peer_host, peer), Cable(host, name)
        self._note_nsid(host, peer_host)
        return this, other

    def add_bridge(self, host: Host, name: str) -> Interface:
        """`ip link add NAME type bridge`: down, no ports yet."""
        iface = host.add_interface(name, kind="bridge", up=False, mac=self.new_mac())
        iface.qdisc = "noop"
        bridge.state(host, name)
        return iface

    def move(self, host: Host, dev: str, target: Host) -> Interface:
        """`ip link set DEV netns NS`: the device leaves `host` for `target`, down and without its
        addresses and routes, keeping its ifindex when `target` has it free (dev_change_net_namespace)."""
        iface = host.interface(dev)
        if target is host:
            return iface
        if iface.is_loopback or iface.kind == "bridge" and any(i.master == dev for i in host.interfaces.values()):
            raise HostError("RTNETLINK answers: Invalid argument")
        if dev in target.interfaces:
            raise HostError("RTNETLINK answers: File exists")
        if iface.master is not None:
            set_master(host, iface, None)
        host.routing.remove_dev(dev)
        for key in [k for k in host.neighbours if k[1] == dev]:
            del host.neighbours[key]
        del host.interfaces[dev]
        host.sysctl.remove_interface(dev)
        iface.up, iface.addresses = False, []
        if any(i.index == iface.index for i in target.interfaces.values()):
            iface.index = target._next_ifindex
        target._next_ifindex = max(target._next_ifindex, iface.index + 1)
        target.interfaces[dev] = iface
        target.sysctl.add_interface(dev)
        if iface.cable is not None:
            far = iface.cable.far()
            if far is not None and far.cable is not None:
                far.cable = Cable(target, dev)
                self._note_nsid(far_host(iface.cable), target)
        return iface

    def rename(self, host: Host, dev: str, new: str) -> Interface:
        """`ip link set DEV name NEW` (dev_change_name): only while the device is down, to a free name;
        its addresses, routes, neighbours, bridge membership and cable follow it."""
        iface = host.interface(dev)
        if new == dev:
            return iface
        if new in host.interfaces:
            raise HostError("RTNETLINK answers: File exists")
        if iface.up:
            raise HostError("RTNETLINK answers: Device or resource busy")
        host.interfaces = {new if name == dev else name: i for name, i in host.interfaces.items()}
        iface.name = new
        values = {key: host.sysctl.get(key) for key in host.sysctl.keys() if key.startswith(f"net.ipv4.conf.{dev}.")}
        host.sysctl.remove_interface(dev)
        host.sysctl.add_interface(new)
        for key, value in values.items():
            host.sysctl.set(f"net.ipv4.conf.{new}." + key.rsplit(".", 1)[1], value)
        for table, routes in host.routing.tables.items():
            host.routing.tables[table] = [replace(r, dev=new) if r.dev == dev else r for r in routes]
        host.neighbours = {(addr, new if d == dev else d): n for (addr, d), n in host.neighbours.items()}
        for other in host.interfaces.values():
            if other.master == dev:
                other.master = new
        if dev in host.bridges:
            host.bridges[new] = host.bridges.pop(dev)
        for br in host.bridges.values():
            for entry in br.fdb.values():
                if entry.port == dev:
                    entry.port = new
        far = iface.cable.far() if iface.cable is not None else None
        if far is not None and far.cable is not None and far.cable.dev == dev:
            far.cable = Cable(host, new)
            far.peer = new
        return iface

    def _note_nsid(self, a: Host, b: Host) -> None:
        """The root namespace numbers a namespace once one of its devices is linked to it."""
        for this, other in ((a, b), (b, a)):
            name = self.name_of(other)
            if this is self.root and name is not None and name not in self.nsids:
                self.nsids[name] = len(self.nsids)

    # ---- presets -----------------------------------------------------------------------------------

    def connect_uplink(self) -> Host:
        """Give the root namespace the Internet (see `kernel.outside`); returns the `internet` namespace."""
        net = self.add_namespace(outside.NAME)
        outside.configure(self.root, net, self.new_mac)
        self.nsids.setdefault(outside.NAME, len(self.nsids))
        return net

    # ---- topology ----------------------------------------------------------------------------------

    def graph(self) -> networkx.Graph[tuple[str, ...]]:
        """Namespaces, devices and links as a graph, nodes and edges in a stable order: a node per
        namespace (`("ns", name)`) and per device (`("dev", ns, name)`), edges from each device to its
        namespace (`kind="in"`), from a port to its bridge (`kind="port"`), and along each cable
        (`kind="veth"` or `"wire"`)."""
        import networkx

        g: networkx.Graph[tuple[str, ...]] = networkx.Graph()
        names = {id(h): self.label(h) for h in self.hosts()}
        for host in self.hosts():
            ns = names[id(host)]
            g.add_node(("ns", ns), kind="namespace")
            for iface in sorted(host.interfaces.values(), key=lambda i: i.index):
                node = ("dev", ns, iface.name)
                g.add_node(node, kind=iface.kind, up=iface.up, mac=iface.mac,
                           addresses=tuple((a.addr, a.prefixlen) for a in iface.addresses))
                g.add_edge(("ns", ns), node, kind="in")
                if iface.master is not None:
                    g.add_edge(node, ("dev", ns, iface.master), kind="port")
                if iface.cable is not None and id(iface.cable.host) in names:
                    far = ("dev", names[id(iface.cable.host)], iface.cable.dev)
                    g.add_edge(node, far, kind="veth" if iface.kind == "veth" else "wire")
        return g

    def label(self, host: Host) -> str:
        """How traces and the topology name a namespace: its netns name, or the root's host name."""
        return self.name_of(host) or host.name


def world_of(host: Host) -> World:
    """The world `host` belongs to; a host made on its own becomes the root of a new, bare one."""
    return host.world if isinstance(host.world, World) else World(host)


def set_master(host: Host, iface: Interface, master: str | None) -> None:
    """`ip link set DEV master BR` / `nomaster` (br_add_if / br_del_if), with the kernel's refusals."""
    if master is not None:
        target = host.interfaces.get(master)
        if target is None:
            raise HostError(f'Error: argument "{master}" is wrong: Device does not exist\n')
        if iface.kind == "bridge" and target.kind == "bridge":
            raise HostError("Error: Can not enslave a bridge to a bridge.")
        if target.kind != "bridge":
            raise HostError("RTNETLINK answers: Operation not supported")
        if iface.is_loopback or target is iface:
            raise HostError("RTNETLINK answers: Invalid argument")
    if iface.master is not None:
        old = iface.master
        iface.master = None
        if old in host.interfaces:
            bridge.port_removed(host, old, iface)
    if master is not None:
        iface.master = master
        bridge.port_added(host, master, iface)
