"""The simulated dockerd's state: networks, containers and their port bindings, as plain data.

It lives on the world's root namespace (`host.docker`), so copying the world (sessions deepcopy it)
copies the daemon with the namespaces, bridges and rules it made, and the two stay consistent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ...kernel.world import World

DEFAULT_NETWORK = "bridge"
DEFAULT_BRIDGE = "docker0"
DEFAULT_SUBNET = "172.17.0.0/16"
USER_POOL_FIRST = 18
"""User-defined networks get 172.18.0.0/16, 172.19.0.0/16, ... (the default address pools)."""


@dataclass(slots=True)
class PortBinding:
    """One `-p [IP:]HOSTPORT:CONTAINERPORT[/PROTO]`."""

    host_ip: str
    """`0.0.0.0` unless the user named one."""
    host_port: int
    container_port: int
    proto: str


@dataclass(slots=True)
class Network:
    """A Docker network: `bridge` drives a Linux bridge; `host` and `none` are the predefined others."""

    name: str
    id: str
    driver: str
    subnet: str = ""
    gateway: str = ""
    bridge: str = ""
    created: float = 0.0
    predefined: bool = False
    next_host: int = 2
    """The next address the IPAM hands out, as an offset in the subnet."""
    free: list[int] = field(default_factory=list)
    """Offsets released by stopped containers, handed out again lowest first."""


@dataclass(slots=True)
class Container:
    """A container record: its config, state and, while running, its network endpoint."""

    id: str
    name: str
    image: str
    command: str
    network: str
    ports: list[PortBinding]
    created: float
    auto_remove: bool = False
    status: str = "created"
    """`created`, `running` or `exited`."""
    exit_code: int = 0
    started: float = 0.0
    finished: float = 0.0
    ip: str = ""
    mac: str = ""
    veth: str = ""
    endpoint: str = ""
    """The endpoint id (a real daemon names it in port-binding errors)."""
    pids: list[int] = field(default_factory=list)
    """The app's process in the container's namespace."""
    proxy_pids: list[int] = field(default_factory=list)
    """The docker-proxy processes in the root namespace."""


@dataclass(slots=True)
class Daemon:
    """Everything dockerd remembers."""

    started: bool = False
    networks: dict[str, Network] = field(default_factory=dict)
    containers: dict[str, Container] = field(default_factory=dict)
    """By id, in creation order."""
    serial: int = 0
    """Counts the ids handed out, so they are predictable (the real ones are random)."""

    def new_id(self, what: str) -> str:
        """A 64-hex id, as random-looking as the real ones but the same from run to run."""
        self.serial += 1
        return hashlib.sha256(f"netstack-tui {what} {self.serial}".encode()).hexdigest()


def daemon(world: World) -> Daemon:
    """The world's dockerd state, created (not started) on first use."""
    state = getattr(world.root, "docker", None)
    if not isinstance(state, Daemon):
        state = Daemon()
        world.root.docker = state  # type: ignore[attr-defined]
    return state
