"""What the docker client prints: its tables (Go's tabwriter: three spaces of padding, ten columns
at least), `docker port` lines, and the JSON of `inspect` (the network part of it)."""

from __future__ import annotations

import json

from .images import IMAGES
from .state import Container, Daemon, Network


def table(header: list[str], rows: list[list[str]]) -> str:
    """Columns as the client's tabwriter pads them; the last column is not padded."""
    widths = [max(10, max(len(r[i]) for r in [header, *rows]) + 3) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append(("".join(cells) + row[-1]).rstrip())
    return "\n".join(lines)


def human_duration(seconds: float) -> str:
    """go-units HumanDuration, as `docker ps` uses it."""
    if seconds < 1:
        return "Less than a second"
    if seconds < 2:
        return "1 second"
    if seconds < 60:
        return f"{int(seconds)} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(seconds / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"


def ellipsis(text: str, width: int) -> str:
    """The client's truncation: `width` characters, the last one `…`."""
    return text if len(text) <= width else text[: width - 1] + "…"


def port_strings(c: Container) -> list[str]:
    """`0.0.0.0:8080->80/tcp` and its IPv6 twin per binding; exposed but unpublished ports as `80/tcp`."""
    out: list[str] = []
    for b in c.ports:
        out.append(f"{b.host_ip}:{b.host_port}->{b.container_port}/{b.proto}")
        if b.host_ip == "0.0.0.0":
            out.append(f"[::]:{b.host_port}->{b.container_port}/{b.proto}")
    image = IMAGES[c.image.split(":")[0]]
    published = {(b.container_port, b.proto) for b in c.ports}
    out += [f"{port}/{proto}" for proto, port in image.listens if (port, proto) not in published]
    return out


def ps(state: Daemon, now: float, show_all: bool) -> str:
    """`docker ps [-a]`: newest first."""
    rows = []
    for c in reversed(list(state.containers.values())):
        if c.status != "running" and not show_all:
            continue
        if c.status == "running":
            status = "Up " + human_duration(now - c.started)
        elif c.status == "exited":
            status = f"Exited ({c.exit_code}) {human_duration(now - c.finished)} ago"
        else:
            status = "Created"
        ports = ", ".join(port_strings(c)) if c.status == "running" else ""
        rows.append([c.id[:12], c.image, '"' + ellipsis(c.command, 20) + '"', human_duration(now - c.created) + " ago",
                     status, ports, c.name])
    return table(["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"], rows)


def port(c: Container) -> str:
    """`docker port NAME`: one line per host binding."""
    lines = []
    for b in c.ports if c.status == "running" else []:
        lines.append(f"{b.container_port}/{b.proto} -> {b.host_ip}:{b.host_port}")
        if b.host_ip == "0.0.0.0":
            lines.append(f"{b.container_port}/{b.proto} -> [::]:{b.host_port}")
    return "\n".join(lines)


def images() -> str:
    """`docker images`: the stand-ins."""
    rows = [[i.repository, "latest", i.image_id, i.created, i.size] for i in sorted(IMAGES.values(),
                                                                                   key=lambda i: i.repository)]
    return table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], rows)


def network_ls(state: Daemon) -> str:
    """`docker network ls`: by name."""
    rows = [[n.id[:12], n.name, n.driver, "local"] for n in sorted(state.networks.values(), key=lambda n: n.name)]
    return table(["NETWORK ID", "NAME", "DRIVER", "SCOPE"], rows)


def _dump(obj: object) -> str:
    return json.dumps([obj], indent=4)


def network_inspect(state: Daemon, net: Network) -> str:
    """`docker network inspect NAME`: the fields a learner reads (IPAM, Containers, Options)."""
    members = {c.id: {"Name": c.name, "EndpointID": c.endpoint, "MacAddress": c.mac,
                      "IPv4Address": f"{c.ip}/{net.subnet.split('/')[1]}", "IPv6Address": ""}
               for c in state.containers.values() if c.network == net.name and c.status == "running" and c.ip}
    options: dict[str, str] = {}
    if net.name == "bridge":
        options = {"com.docker.network.bridge.default_bridge": "true",
                   "com.docker.network.bridge.enable_icc": "true",
                   "com.docker.network.bridge.enable_ip_masquerade": "true",
                   "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
                   "com.docker.network.bridge.name": "docker0",
                   "com.docker.network.driver.mtu": "1500"}
    config = [{"Subnet": net.subnet, "Gateway": net.gateway}] if net.subnet else []
    return _dump({"Name": net.name, "Id": net.id, "Scope": "local", "Driver": net.driver, "EnableIPv4": True,
                  "EnableIPv6": False, "IPAM": {"Driver": "default", "Options": None if net.predefined else {},
                                                "Config": config},
                  "Internal": False, "Attachable": False, "Ingress": False, "ConfigFrom": {"Network": ""},
                  "ConfigOnly": False, "Containers": members, "Options": options, "Labels": {}})


def inspect(state: Daemon, c: Container) -> str:
    """`docker inspect NAME`: id, name, state, image, and NetworkSettings as the daemon reports them."""
    net = state.networks.get(c.network)
    running = c.status == "running"
    ports: dict[str, list[dict[str, str]] | None] = {}
    for b in c.ports if running else []:
        ports.setdefault(f"{b.container_port}/{b.proto}", []).append(  # type: ignore[union-attr]
            {"HostIp": b.host_ip, "HostPort": str(b.host_port)})
        if b.host_ip == "0.0.0.0":
            ports[f"{b.container_port}/{b.proto}"].append({"HostIp": "::", "HostPort": str(b.host_port)})  # type: ignore[union-attr]
    prefix = int(net.subnet.split("/")[1]) if net is not None and net.subnet and running else 0
    gateway = net.gateway if net is not None and running else ""
    endpoint = {"IPAMConfig": None, "Links": None, "Aliases": None, "MacAddress": c.mac, "DriverOpts": None,
                "GwPriority": 0, "NetworkID": net.id if net else "", "EndpointID": c.endpoint, "Gateway": gateway,
                "IPAddress": c.ip, "IPPrefixLen": prefix, "IPv6Gateway": "", "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0, "DNSNames": None}
    default = c.network == "bridge"
    settings = {"SandboxID": state_sandbox(c), "SandboxKey": f"/var/run/docker/netns/{c.id[:12]}" if running else "",
                "Ports": ports,
                "EndpointID": c.endpoint if default else "", "Gateway": gateway if default else "",
                "IPAddress": c.ip if default else "", "IPPrefixLen": prefix if default else 0,
                "MacAddress": c.mac if default else "", "Networks": {c.network: endpoint}}
    status = {"running": "running", "exited": "exited", "created": "created"}[c.status]
    return _dump({"Id": c.id, "Name": "/" + c.name, "State": {"Status": status, "Running": running,
                                                              "ExitCode": c.exit_code},
                  "Image": c.image, "Config": {"Image": c.image, "Cmd": c.command.split()},
                  "HostConfig": {"NetworkMode": c.network, "AutoRemove": c.auto_remove,
                                 "PortBindings": {f"{b.container_port}/{b.proto}": [
                                     {"HostIp": "" if b.host_ip == "0.0.0.0" else b.host_ip,
                                      "HostPort": str(b.host_port)}] for b in c.ports}},
                  "NetworkSettings": settings})


def state_sandbox(c: Container) -> str:
    """The sandbox id (here derived from the container's, since it lives as long as the endpoint)."""
    return c.endpoint[::-1] if c.endpoint else ""
