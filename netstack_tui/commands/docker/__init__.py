"""A simulated `docker` client and daemon: containers as network namespaces behind a bridge, with
the iptables rules Docker Engine 28.2.2 writes (see `rules`, and tests/commands/docker_reference/)."""

from __future__ import annotations

from ..base import Handler
from .cli import docker

COMMANDS: dict[str, Handler] = {"docker": docker}
