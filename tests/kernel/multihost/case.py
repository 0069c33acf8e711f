"""A multi-host differential case: a topology built by real command lines, listeners, actions.

Format
------
A `MultiCase` is what a learner would type, in order:

``commands``
    Shell lines exactly as a real shell (bash) takes them, without pipes or redirections, e.g.::

        ip netns add a
        ip link add veth-a type veth peer name veth-b
        ip link set veth-b netns b
        ip -n a addr add 10.0.0.1/24 dev veth-a
        ip netns exec r sysctl -w net.ipv4.ip_forward=1
        ip netns exec r iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o eth0 -j MASQUERADE

    A line runs in the namespace it names (``ip netns exec NS ...``, ``ip -n NS ...``,
    ``bridge -n NS ...``); a prefix-less line runs in the case's *root* namespace (`ROOT`). A line
    written ``! CMD`` (bash's negation) is expected to fail: its error is part of the observation.
``listeners``
    Sockets opened by the harness in a namespace (`Listener`); a TCP listener accepts every
    connection and closes them all 0.25 s after the last action (so its ACK of a client's FIN
    always leaves on its own, never piggybacked on its FIN: the delayed ACK has fired); a UDP one
    reads every datagram. Neither ever sends data.
``actions``
    What is done once the topology is built (`Action`): ``ping -c 1 -W 1 DST``, ``nc -zv -w 1 -p
    SPORT DST PORT`` (TCP connect), ``nc -u -w 1 -p SPORT DST PORT`` with ``hi`` on stdin (one UDP
    datagram), each run ``ip netns exec NS ...`` in its namespace. Source ports are fixed so that
    conntrack entries and listener deliveries are deterministic.
``expect``
    A subset of the observation's facts (`MultiObservation.facts`), checked against the kernel.

Namespaces are written with short names (``a``, ``r``, ``inet``...); the real runner maps them to
``nstui-<pid>-<rand>-<name>`` (the simulator uses them as written). The case's root namespace is
a fresh namespace standing in for the machine's own (the runner never touches this machine's real
root namespace, except for ``ip netns identify`` without arguments, which only reads).

Implicit per-namespace preamble (`PREAMBLE`): every namespace, the root included, gets IPv6
disabled right after its creation (no ND/MLD/DAD noise in neighbours, FDBs and counters) and no
IGMP reports for link-local groups (a bridge with multicast snooping joins 224.0.0.106 and reports
it to 224.0.0.22 at a random moment: an ``unknown`` conntrack entry and stray counts otherwise).
The simulator may replay the same lines or simply model neither IPv6 nor IGMP.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ROOT = "root"
"""Name of the case's root namespace in observations (prefix-less commands run there)."""

PREAMBLE: tuple[str, ...] = (
    "sysctl -q -w net.ipv6.conf.all.disable_ipv6=1",
    "sysctl -q -w net.ipv6.conf.default.disable_ipv6=1",
    "sysctl -q -w net.ipv4.igmp_link_local_mcast_reports=0",
)
"""Run inside every namespace right after it is created (and in the root before the first line)."""

ActionKind = Literal["ping", "tcp", "udp"]


@dataclass(frozen=True)
class Listener:
    """A socket the harness opens in ``ns`` bound to ``addr:port`` (``0.0.0.0`` = any)."""

    ns: str
    proto: Literal["tcp", "udp"]
    addr: str
    port: int

    @property
    def label(self) -> str:
        return f"{self.ns} {self.proto} {self.addr}:{self.port}"


@dataclass(frozen=True)
class Action:
    """One client command run in ``ns`` after the topology is built."""

    ns: str
    kind: ActionKind
    dst: str
    port: int = 0
    sport: int = 0
    """TCP/UDP source port (``nc -p``); fixed so that conntrack and deliveries are deterministic."""
    wait: int = 1
    """``ping -W`` / ``nc -w`` seconds."""
    payload: str = "hi\n"
    """UDP: what nc reads from stdin and sends (one datagram)."""

    def __post_init__(self) -> None:
        if self.kind not in ("ping", "tcp", "udp"):
            raise ValueError(f"action kind must be ping, tcp or udp, not {self.kind!r}")
        if self.kind != "ping" and not (self.port and self.sport):
            raise ValueError(f"{self.kind} action to {self.dst} needs port and sport")

    @property
    def command(self) -> str:
        """The command line as typed inside the namespace."""
        if self.kind == "ping":
            return f"ping -c 1 -W {self.wait} {self.dst}"
        if self.kind == "tcp":
            return f"nc -zv -w {self.wait} -p {self.sport} {self.dst} {self.port}"
        return f"nc -u -w {self.wait} -p {self.sport} {self.dst} {self.port}"

    @property
    def line(self) -> str:
        """The full shell line (``ip netns exec NS ...``, bare in the root namespace)."""
        return self.command if self.ns == ROOT else f"ip netns exec {self.ns} {self.command}"

    @property
    def stdin(self) -> str | None:
        return self.payload if self.kind == "udp" else None


@dataclass(frozen=True)
class MultiCase:
    """A multi-namespace scenario and what the real kernel is expected to do with it."""

    name: str
    commands: tuple[str, ...]
    listeners: tuple[Listener, ...] = ()
    actions: tuple[Action, ...] = ()
    expect: Mapping[str, Any] = field(default_factory=dict)
    """``{fact key: value}`` — see `MultiObservation.facts` for the keys."""
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "commands", tuple(self.commands))
        object.__setattr__(self, "listeners", tuple(self.listeners))
        object.__setattr__(self, "actions", tuple(self.actions))
        names = self.namespaces
        if ROOT in names[1:]:
            raise ValueError(f"{self.name}: {ROOT!r} is reserved for the case's root namespace")
        for item in (*self.listeners, *self.actions):
            if item.ns not in names:
                raise ValueError(f"{self.name}: namespace {item.ns!r} is never created (ip netns add)")
        for line in self.commands:
            shlex.split(line.removeprefix("! "))  # raises on unbalanced quotes

    @property
    def namespaces(self) -> tuple[str, ...]:
        """``root`` then every namespace the commands create (``ip netns add NAME``), in order."""
        out = [ROOT]
        for line in self.commands:
            words = shlex.split(line.removeprefix("! "))
            if words[:3] == ["ip", "netns", "add"] and len(words) > 3 and words[3] not in out:
                out.append(words[3])
        return tuple(out)

    def script(self) -> str:
        """The whole case as a shell session: commands, then the actions."""
        lines = list(self.commands)
        lines += [f"# listener: {lst.label}" for lst in self.listeners]
        lines += [act.line for act in self.actions]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["expect"] = dict(self.expect)
        return data
