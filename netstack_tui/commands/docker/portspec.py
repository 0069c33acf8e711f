"""`-p [IP:][HOSTPORT:]CONTAINERPORT[/PROTO]` as the docker client parses it (go-connections'
nat.ParsePortSpec), with its error wording."""

from __future__ import annotations

import ipaddress

from ...kernel.numbers import NumberError, parse_int
from .state import PortBinding

EPHEMERAL_FIRST = 32768
"""Where an unnamed host port starts (the first of net.ipv4.ip_local_port_range)."""


class PortSpecError(ValueError):
    """The client refused the spec; the message follows `docker: `."""


def parse(spec: str, taken: set[tuple[str, int]]) -> PortBinding:
    """One binding; `taken` holds (proto, host port) already used, for an ephemeral pick."""
    parts = spec.split(":")
    if len(parts) == 1:
        raw_ip, host, container = "", "", parts[0]
    elif len(parts) == 2:
        raw_ip, host, container = "", parts[0], parts[1]
    else:
        raw_ip, host, container = ":".join(parts[:-2]), parts[-2], parts[-1]
    if raw_ip:
        try:
            ip = ipaddress.ip_address(raw_ip.strip("[]"))
        except ValueError:
            raise PortSpecError(f"invalid IP address: {raw_ip}") from None
        if ip.version != 4:
            raise PortSpecError(f"{raw_ip}: IPv6 is not simulated")
    port_text, _, proto = container.partition("/")
    proto = proto or "tcp"
    if not port_text:
        raise PortSpecError(f"no port specified: {container}<empty>")
    if proto not in ("tcp", "udp", "sctp"):
        raise PortSpecError(f"invalid proto: {proto}")
    if "-" in port_text or "-" in host:
        raise PortSpecError("port ranges are not simulated here; publish each port with its own -p")
    container_port = _port(port_text, "containerPort")
    if host:
        host_port = _port(host, "hostPort")
    else:
        host_port = EPHEMERAL_FIRST
        while (proto, host_port) in taken:
            host_port += 1
    return PortBinding(raw_ip.strip("[]") or "0.0.0.0", host_port, container_port, proto)


def _port(text: str, what: str) -> int:
    try:
        return parse_int(text, 1, 65535)
    except NumberError:
        raise PortSpecError(f"invalid {what}: {text}") from None
