"""What dockerd does for each request: start itself, create and remove networks, create, start,
stop and remove containers. Every check that can fail runs before anything changes, so a refused
request leaves the world as it was (except where the real daemon, too, leaves a created container
behind: `docker run` is create then start, and a start that fails keeps the record)."""

from __future__ import annotations

import ipaddress

from ...kernel.addr import parse_ipv4
from ...kernel.world import World
from ..base import ShellContext
from . import rules, sandbox, system
from .images import IMAGES
from .state import (
    DEFAULT_BRIDGE,
    DEFAULT_NETWORK,
    DEFAULT_SUBNET,
    USER_POOL_FIRST,
    Container,
    Daemon,
    Network,
    PortBinding,
    daemon,
)


class DaemonError(Exception):
    """The daemon refused: `message` is what follows `Error response from daemon: `."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


START_NOTE = ("(dockerd started: docker0 172.17.0.1/16, net.ipv4.ip_forward=1 and its iptables chains, "
              "as the real daemon does at boot)")


def ensure_started(ctx: ShellContext) -> str:
    """Start the daemon on the first docker command; returns the note to show once (else "")."""
    state = daemon(ctx.worldview)
    if state.started:
        return ""
    state.started = True
    root = ctx.worldview.root
    system.iptables(ctx, rules.daemon_start())
    for name, driver in (("host", "host"), ("none", "null")):
        state.networks[name] = Network(name, state.new_id("network"), driver, predefined=True)
    forwarding_was_off = root.sysctl.get("net.ipv4.ip_forward") != "1"
    _add_bridge_network(ctx, state, DEFAULT_NETWORK, DEFAULT_SUBNET, DEFAULT_BRIDGE, predefined=True)
    if forwarding_was_off:
        system.run(ctx, root, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        system.iptables(ctx, [rules.forward_drop()])
    return START_NOTE


def _add_bridge_network(ctx: ShellContext, state: Daemon, name: str, subnet: str, bridge: str, *,
                        predefined: bool = False) -> Network:
    world, root = ctx.worldview, ctx.worldview.root
    net_id = state.new_id("network")
    gateway = str(ipaddress.IPv4Network(subnet).network_address + 1)
    net = Network(name, net_id, "bridge", subnet, gateway, bridge or f"br-{net_id[:12]}", root.clock, predefined)
    world.add_bridge(root, net.bridge)
    system.run(ctx, root, ["ip", "addr", "add", f"{gateway}/{subnet.split('/')[1]}", "dev", net.bridge])
    system.run(ctx, root, ["ip", "link", "set", net.bridge, "up"])
    system.iptables(ctx, rules.network(net.bridge, subnet, add=True))
    state.networks[name] = net
    return net


def find_network(state: Daemon, ref: str) -> Network:
    """A network by name, full id or id prefix."""
    for net in state.networks.values():
        if ref in (net.name, net.id) or (len(ref) >= 1 and net.id.startswith(ref)):
            return net
    raise DaemonError(f"network {ref} not found")


def create_network(ctx: ShellContext, name: str, subnet: str | None) -> Network:
    """`docker network create [--subnet CIDR] NAME` (bridge driver)."""
    state = daemon(ctx.worldview)
    if name in ("bridge", "host", "none"):
        raise DaemonError(f"operation is not permitted on predefined {name} network ")
    if name in state.networks:
        raise DaemonError(f"network with name {name} already exists")
    taken = [ipaddress.IPv4Network(n.subnet) for n in state.networks.values() if n.subnet]
    if subnet is not None:
        wanted = ipaddress.IPv4Network(subnet, strict=False)
        if any(wanted.overlaps(t) for t in taken):
            raise DaemonError("invalid pool request: Pool overlaps with other one on this address space")
        subnet = str(wanted)
    else:
        subnet = next(str(c) for c in (ipaddress.IPv4Network(f"172.{n}.0.0/16") for n in range(USER_POOL_FIRST, 32))
                      if not any(c.overlaps(t) for t in taken))
    return _add_bridge_network(ctx, state, name, subnet, "")


def remove_network(ctx: ShellContext, ref: str) -> Network:
    """`docker network rm NAME`."""
    state = daemon(ctx.worldview)
    net = find_network(state, ref)
    if net.predefined:
        raise DaemonError(f"{net.name} is a pre-defined network and cannot be removed")
    users = [c.name for c in state.containers.values() if c.network == net.name and c.status == "running"]
    if users:
        raise DaemonError(f"error while removing network: network {net.name} has active endpoints "
                          f"({', '.join(users)})")
    system.iptables(ctx, rules.network(net.bridge, net.subnet, add=False))
    ctx.worldview.root.delete_interface(net.bridge)
    del state.networks[net.name]
    return net


def find_container(state: Daemon, ref: str) -> Container:
    """A container by name, full id or unique id prefix."""
    for c in state.containers.values():
        if ref.lstrip("/") == c.name or ref == c.id:
            return c
    matches = [c for c in state.containers.values() if ref and c.id.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    raise DaemonError(f"No such container: {ref}")


def create(ctx: ShellContext, name: str | None, image: str, command: str, network: str,
           ports: list[PortBinding], auto_remove: bool) -> Container:
    """ContainerCreate: a record, nothing on the network yet."""
    state = daemon(ctx.worldview)
    cid = state.new_id("container")
    if name is not None:
        for other in state.containers.values():
            if other.name == name:
                raise DaemonError(f'Conflict. The container name "/{name}" is already in use by container '
                                  f'"{other.id}". You have to remove (or rename) that container to be able to '
                                  "reuse that name.")
    else:
        name = _generated_name(state)
    container = Container(cid, name, image, command, network, ports, ctx.worldview.root.clock,
                          auto_remove=auto_remove)
    state.containers[cid] = container
    return container


def _generated_name(state: Daemon) -> str:
    adjectives = ("admiring", "bold", "busy", "clever", "eager", "focused", "gifted", "happy")
    scientists = ("turing", "hopper", "lovelace", "shannon", "dijkstra", "knuth", "ritchie", "thompson")
    n = state.serial
    return f"{adjectives[n % len(adjectives)]}_{scientists[n // len(adjectives) % len(scientists)]}"


def start(ctx: ShellContext, container: Container) -> None:
    """ContainerStart: connect to the network (an address, the sandbox, the rules), start the app."""
    world = ctx.worldview
    state = daemon(world)
    if container.status == "running":
        return
    net = find_network(state, container.network) if container.network not in ("host", "none") else None
    if container.network in ("host", "none"):
        net = state.networks[container.network]
    assert net is not None
    container.network = net.name
    image = IMAGES[container.image.split(":")[0]]
    endpoint = state.new_id("endpoint")
    if net.driver == "bridge":
        offset = _next_offset(net, state)
        container.ip = sandbox.address(net, offset)
        _check_ports(world, state, container, endpoint)
        _take_offset(net, offset)
    container.endpoint = endpoint
    sandbox.up(ctx, container, net if net.driver == "bridge" else None, image)
    if net.driver == "bridge":
        system.iptables(ctx, rules.endpoint(net.bridge, container.ip, add=True))
        for b in container.ports:
            system.iptables(ctx, rules.port(net.bridge, container.ip, b.host_ip, b.host_port, b.container_port,
                                            b.proto, add=True))
        sandbox.start_proxies(world.root, container)
    container.status, container.started = "running", world.root.clock
    if not sandbox.keeps_running(container, image):
        stop(ctx, container, exit_code=0)


def _next_offset(net: Network, state: Daemon) -> int:
    return min(net.free) if net.free else net.next_host


def _take_offset(net: Network, offset: int) -> None:
    if offset in net.free:
        net.free.remove(offset)
    else:
        net.next_host += 1


def _check_ports(world: World, state: Daemon, container: Container, endpoint: str) -> None:
    """The port allocator's refusal, or the host's own bind() refusal, for any published port."""
    root = world.root
    where = f"driver failed programming external connectivity on endpoint {container.name} ({endpoint})"
    for b in container.ports:
        for other in state.containers.values():
            if other.status != "running" or other is container:
                continue
            for o in other.ports:
                if (o.proto, o.host_port) == (b.proto, b.host_port) and "0.0.0.0" in (o.host_ip, b.host_ip) or (
                        (o.proto, o.host_port, o.host_ip) == (b.proto, b.host_port, b.host_ip)):
                    raise DaemonError(f"{where}: Bind for {b.host_ip}:{b.host_port} failed: port is already "
                                      "allocated")
        if root.sockets.bind_conflict(b.proto, parse_ipv4(b.host_ip), b.host_port, False, False, root.clock):
            raise DaemonError(f"{where}: failed to bind host port for {b.host_ip}:{b.host_port}:"
                              f"{container.ip}:{b.container_port}/{b.proto}: address already in use")


def stop(ctx: ShellContext, container: Container, exit_code: int | None = None) -> None:
    """ContainerStop: the app gets SIGTERM and exits; the endpoint, its rules and address go."""
    world = ctx.worldview
    state = daemon(world)
    if container.status != "running":
        return
    net = state.networks.get(container.network)
    image = IMAGES[container.image.split(":")[0]]
    if net is not None and net.driver == "bridge" and container.ip:
        sandbox.stop_proxies(world.root, container)
        for b in container.ports:
            system.iptables(ctx, rules.port(net.bridge, container.ip, b.host_ip, b.host_port, b.container_port,
                                            b.proto, add=False))
        system.iptables(ctx, rules.endpoint(net.bridge, container.ip, add=False))
        net.free.append(int(ipaddress.IPv4Address(container.ip)) - int(ipaddress.IPv4Network(net.subnet)[0]))
    sandbox.down(ctx, container)
    container.ip = container.mac = container.endpoint = ""
    # A shell as pid 1 ignores SIGTERM and is killed after the 10 s grace: 137.
    container.exit_code = exit_code if exit_code is not None else (0 if image.listens else 137)
    container.status, container.finished = "exited", world.root.clock
    if container.auto_remove:
        del state.containers[container.id]


def remove(ctx: ShellContext, container: Container, force: bool, ref: str) -> None:
    """ContainerRm: refused while running unless forced (`ref` is how the user named it)."""
    state = daemon(ctx.worldview)
    if container.status == "running":
        if not force:
            raise DaemonError(f'cannot remove container "{ref}": container is running: stop the '
                              "container before removing or force remove")
        stop(ctx, container, exit_code=137)
    state.containers.pop(container.id, None)
