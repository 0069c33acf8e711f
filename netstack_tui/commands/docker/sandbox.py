"""A container's network sandbox: its namespace, the veth into the bridge, its address and route,
the app the stand-in image runs, and the docker-proxy processes for its published ports.

As dockerd does it: a veth pair is made in the root namespace, one end moved into the container's
namespace and renamed eth0, the other (`vethXXXXXXX`) enslaved to the network's bridge; eth0 gets
the next address of the network's pool and a random, locally administered MAC (Engine 28 no longer
derives it from the IP); the default route goes via the bridge's address. The namespace has no name
under /run/netns, so `ip netns list` does not show it (Docker does not bind-mount its namespaces);
`docker exec NAME CMD` runs commands in it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import shlex

from ...kernel.addr import parse_ipv4
from ...kernel.host import Host
from ...kernel.numbers import is_decimal
from ...kernel.world import World, set_master
from ..base import ShellContext
from . import system
from .images import Image
from .state import Container, Network


def key(container: Container) -> str:
    """The namespace's key: the container's short id (what traces and the topology call it)."""
    return container.id[:12]


def netns_of(world: World, container: Container) -> Host | None:
    """The running container's namespace (the root one for `--network host`)."""
    if container.network == "host":
        return world.root if container.status == "running" else None
    return world.unnamed.get(key(container))


def random_mac(container: Container) -> str:
    """GenerateRandomMAC's shape (locally administered, unicast), drawn from the id so it repeats."""
    raw = bytearray(hashlib.sha256(("mac" + container.id).encode()).digest()[:6])
    raw[0] = (raw[0] & 0xFE) | 0x02
    return ":".join(f"{b:02x}" for b in raw)


def veth_name(container: Container) -> str:
    """`veth` and seven hex digits, as libnetwork names the host end."""
    return "veth" + hashlib.sha256(("veth" + container.id).encode()).hexdigest()[:7]


def up(ctx: ShellContext, container: Container, net: Network | None, image: Image) -> None:
    """Create the namespace and plumb it (bridge networks), then start the image's app."""
    world = ctx.worldview
    if container.network == "host":
        _start_app(world.root, container, image)
        return
    ns = world.add_unnamed(key(container))
    system.run(ctx, ns, ["ip", "link", "set", "lo", "up"])
    if net is not None and net.driver == "bridge":
        container.veth = veth_name(container)
        host_end, inner = world.add_veth(world.root, container.veth, "eth0", ns)
        inner.mac = container.mac = random_mac(container)
        set_master(world.root, host_end, net.bridge)
        system.run(ctx, world.root, ["ip", "link", "set", container.veth, "up"])
        prefix = net.subnet.split("/")[1]
        system.run(ctx, ns, ["ip", "addr", "add", f"{container.ip}/{prefix}", "dev", "eth0"])
        system.run(ctx, ns, ["ip", "link", "set", "eth0", "up"])
        system.run(ctx, ns, ["ip", "route", "add", "default", "via", net.gateway])
    _start_app(ns, container, image)


def down(ctx: ShellContext, container: Container) -> None:
    """The app exits, the namespace goes and its veth with it."""
    world = ctx.worldview
    if container.network == "host":
        _stop_app(world.root, container)
        return
    ns = world.unnamed.get(key(container))
    if ns is not None:
        _stop_app(ns, container)
        world.delete_unnamed(key(container))
    container.veth = ""


def listens(container: Container, image: Image) -> tuple[tuple[str, int], ...]:
    """What the container's app listens on: the image's ports, or a `nc -l -p N` / `httpd -p N` CMD."""
    words = shlex.split(container.command) if container.command else []
    if words and words[0].split("/")[-1] in ("nc", "httpd") and "-p" in words[:-1]:
        port = words[words.index("-p") + 1]
        return (("tcp", int(port)),) if is_decimal(port) and len(port) <= 5 and int(port) <= 65535 else ()
    return image.listens if container.command == image.command else ()


def keeps_running(container: Container, image: Image) -> bool:
    """A shell image's `sh` exits at once without a terminal; a server, `sleep` or a listener stays."""
    first = shlex.split(container.command)[0].split("/")[-1] if container.command.strip() else ""
    return bool(listens(container, image)) or first in ("sleep", "top", "tail") or bool(image.listens)


def _start_app(ns: Host, container: Container, image: Image) -> None:
    ports = listens(container, image)
    if not ports:
        return
    name = image.app if container.command == image.command else shlex.split(container.command)[0].split("/")[-1]
    proc = ns.sockets.spawn(name)
    container.pids.append(proc.pid)
    for proto, port in ports:
        sock = ns.sockets.bind(proc, proto, 0, port, now=ns.clock)
        if proto == "tcp":
            ns.sockets.listen(sock, 511, ns.sysctl.int("net.core.somaxconn"))


def _stop_app(ns: Host, container: Container) -> None:
    _kill(ns, container.pids)


def _kill(ns: Host, pids: list[int]) -> None:
    for pid in pids:
        proc = ns.sockets.processes.get(pid)
        if proc is not None and proc.alive:
            ns.sockets.kill(proc, ns.clock)
    pids.clear()


def start_proxies(root: Host, container: Container) -> None:
    """docker-proxy: one process per published port, listening on the host address (it serves what
    the DNAT does not see, such as connections to 127.0.0.1 from the host itself)."""
    for binding in container.ports:
        proc = root.sockets.spawn("docker-proxy")
        container.proxy_pids.append(proc.pid)
        sock = root.sockets.bind(proc, binding.proto, parse_ipv4(binding.host_ip), binding.host_port, now=root.clock)
        if binding.proto == "tcp":
            root.sockets.listen(sock, 4096, root.sysctl.int("net.core.somaxconn"))


def stop_proxies(root: Host, container: Container) -> None:
    """The container's docker-proxy processes exit."""
    _kill(root, container.proxy_pids)


def address(net: Network, offset: int) -> str:
    """The address `offset` hosts into the network's subnet."""
    return str(ipaddress.IPv4Network(net.subnet).network_address + offset)
