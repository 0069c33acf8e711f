"""A scenario's packet by name: plain data, importable without the simulator (listing scenarios
needs it, and nothing of the kernel)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NamedPacket:
    """A packet of a scenario: a short name and its spec in packet notation."""

    name: str
    spec: str
    namespace: str | None = None
    """The namespace it is sent in (an application there sends it); None: it arrives at the root
    namespace from the wire."""
