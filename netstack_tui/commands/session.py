"""A session: a host set up by a script, a list of named packets, and the journey of the current one.

Viewers (the TUI, scenario checks) drive a `Session`; it never draws anything. A command that
changes the host is applied to the host *as it was before the current packet*, and the packet is
sent again, so the learner sees the same packet's journey under the new configuration and what
changed (`Session.changed_step`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

from ..kernel.host import Host
from ..kernel.packet import PacketSpecError, parse_packet
from ..kernel.trace import Trace
from .base import CommandResult
from .named_packet import NamedPacket as NamedPacket  # re-exported: viewers import it from here
from .shell import PACKET_VERBS, Shell

WorldKind = Literal["bare", "connected"]
"""What a session's setup starts from: a bare host, or a machine on the simulated Internet."""


@dataclass(frozen=True, slots=True)
class StepChange:
    """The first step where a re-run journey differs from the previous one."""

    index: int
    stage: str
    before: str
    after: str


class Session:
    """A host, its setup, the packets to send, and the current journey."""

    def __init__(self, setup: list[str] | tuple[str, ...] = (),
                 packets: list[NamedPacket] | tuple[NamedPacket, ...] = (), *, host: Host | None = None,
                 world: WorldKind = "bare") -> None:
        self.setup = list(setup)
        self.packets = list(packets)
        self.world: WorldKind = world
        """What the setup starts from (`World()` or `World.connected()`), kept for rebuilding."""
        if host is None and world == "connected":
            from ..kernel.world import World

            host = World.connected().root
        self.shell = Shell(host)
        self.setup_errors: list[str] = []
        for line in self.setup:
            result = self.shell.run(line)
            if result.status != 0:
                self.setup_errors.append(f"{line}: {result.output}")
        self.commands: list[str] = []
        """Commands the learner typed, in order."""
        self.index = -1
        """Index of the current packet in `packets` (-1: none sent yet)."""
        self.trace: Trace | None = None
        self.previous_trace: Trace | None = None
        self._before: Host | None = None
        """The root namespace (and through it the whole world) as it was before the current packet."""
        self._current_spec: str | None = None
        self._current_ns: str | None = None
        self.viewed: set[str] = set()
        """Names of the scenario packets whose journey the learner has followed to its last step
        (`journey_viewed`); a tour's `followed:` goal check reads it."""

    @property
    def host(self) -> Host:
        """The live root namespace, where the scenario's packets arrive (after the current packet)."""
        return self.shell.world.root

    def _run_in(self, namespace: str | None, line: str) -> CommandResult:
        """Run `line` in namespace `namespace` (None: the root), whichever one the learner is in."""
        shell = self.shell
        here = shell.host
        shell.host = shell.world.namespaces.get(namespace or "", shell.world.root)
        try:
            return shell.run(line)
        finally:
            shell.host = here

    def enter_namespace(self, name: str | None) -> None:
        """Run the learner's commands in namespace `name` from now on (None, or the root's own name: the
        root), as `ip netns exec NAME bash` does until `exit`; raises KeyError for an unknown name."""
        world = self.shell.world
        if name is None or name == world.label(world.root):
            self.shell._enter(None)
        else:
            self.shell._enter(world.namespaces[name])

    @property
    def has_next_packet(self) -> bool:
        """Whether another scenario packet is waiting."""
        return self.index + 1 < len(self.packets)

    @property
    def current_name(self) -> str | None:
        """Name of the current packet, if it is one of the scenario's."""
        if 0 <= self.index < len(self.packets) and self._current_spec == self.packets[self.index].spec:
            return self.packets[self.index].name
        return None

    def journey_viewed(self, index: int | None = None) -> bool:
        """Record that the learner has stepped the journey of scenario packet `index` (default: the
        current packet, if it is one of the scenario's) to its end. True when this is news, i.e.
        when the goal is worth evaluating again."""
        if index is None:
            name = self.current_name
        else:
            name = self.packets[index].name if 0 <= index < len(self.packets) else None
        if name is None or name in self.viewed:
            return False
        self.viewed.add(name)
        return True

    def send_spec(self, spec: str, namespace: str | None = None) -> Trace:
        """Send a packet (it becomes the current one) in `namespace` (None: the root, where scenario
        packets arrive); raises PacketSpecError when malformed."""
        parse_packet(spec)
        self._before = copy.deepcopy(self.shell.world.root)
        result = self._run_in(namespace, "send " + spec)
        if result.status != 0 or not result.traces:
            raise PacketSpecError(result.output)
        self._current_spec, self._current_ns = spec, namespace
        self.previous_trace, self.trace = None, result.traces[0]
        return self.trace

    def current_send(self) -> tuple[Host, str, str | None] | None:
        """The current packet as something to send again: a copy of the root namespace (and through it
        the world) as it was before the packet, its spec, and the namespace it was sent in; None before
        the first packet. The model is deterministic, so sending it there repeats the journey (exports
        do, to watch every tap it passes)."""
        if self._before is None or self._current_spec is None:
            return None
        return copy.deepcopy(self._before), self._current_spec, self._current_ns

    def next_packet(self) -> Trace | None:
        """Send the scenario's next packet, or return None when all were sent."""
        if not self.has_next_packet:
            return None
        self.index += 1
        packet = self.packets[self.index]
        return self.send_spec(packet.spec, packet.namespace)

    def send_named(self, name: str) -> Trace:
        """Send the scenario packet called `name`."""
        for i, packet in enumerate(self.packets):
            if packet.name == name:
                self.index = i
                return self.send_spec(packet.spec, packet.namespace)
        raise KeyError(name)

    def run_command(self, line: str) -> CommandResult:
        """Run a learner's command; if it changes the host, re-run the current packet's journey."""
        words = line.split()
        if words and words[0] in PACKET_VERBS and words[0] == "send":
            spec = line.strip()[len("send") :].strip()
            try:
                trace = self.send_spec(spec, self.shell.namespace)  # a learner's packet: where they are
            except PacketSpecError as exc:
                return CommandResult(str(exc), 2)
            self.commands.append(line)
            from .sim import send_lines

            return CommandResult("\n".join(send_lines(trace)), 0, [trace], changed=True)
        if self._before is None or self._current_spec is None:
            result = self.shell.run(line)
            if result.status == 0:
                self.commands.append(line)
            return result
        before = copy.deepcopy(self._before)
        trial = Shell(before)
        where = self.shell.namespace
        if where is not None and where in trial.world.namespaces:
            trial.host = trial.world.namespaces[where]  # still inside `ip netns exec NS bash`
        trial.last_traces = self.shell.last_traces
        trial.progress = self.shell.progress
        result = trial.run(line)
        if not result.changed:
            # Read-only: answer from the live host, which shows the state after the packet.
            return self.shell.run(line)
        self.commands.append(line)
        self._before = copy.deepcopy(trial.world.root)
        self.shell = trial
        rerun = self._run_in(self._current_ns, "send " + self._current_spec)
        self.previous_trace, self.trace = self.trace, rerun.traces[0] if rerun.traces else self.trace
        return result

    def changed_step(self) -> StepChange | None:
        """The first step whose outcome differs between the previous and the current journey."""
        old, new = self.previous_trace, self.trace
        if old is None or new is None:
            return None
        # The journeys may differ in length; the tail is compared below.
        for i, (a, b) in enumerate(zip(old.steps, new.steps, strict=False)):
            if (a.stage, a.verdict, a.rule_index) != (b.stage, b.verdict, b.rule_index):
                return StepChange(
                    i, b.stage, f"{a.verdict} {a.rule or ''}".strip(), f"{b.verdict} {b.rule or ''}".strip()
                )
        if len(old.steps) != len(new.steps) or old.disposition != new.disposition:
            i = min(len(old.steps), len(new.steps)) - 1
            return StepChange(
                max(i, 0), new.steps[i].stage if new.steps else "", str(old.disposition), str(new.disposition)
            )
        return None

    def restart(self) -> Trace | None:
        """Back to the setup plus every command typed so far, then resend the first packet."""
        return self.go_to_packet(0)

    def reset(self) -> Trace | None:
        """Back to the scenario as it was set up (the typed commands forgotten), first packet sent."""
        self.commands = []
        return self.go_to_packet(0)

    def go_to_packet(self, index: int) -> Trace | None:
        """Rebuild the host from the setup and the typed commands, then send the scenario's packets
        up to `index` in order, so packet `index` meets the host its predecessors left behind."""
        commands = [c for c in self.commands if c.split()[0] not in PACKET_VERBS]
        fresh = Session(self.setup, self.packets, world=self.world)
        for line in commands:
            fresh.shell.run(line)
        fresh.commands = commands
        fresh.viewed = self.viewed  # journeys the learner has followed stay followed
        self.__dict__.update(fresh.__dict__)
        trace = self.next_packet()
        while self.index < index and self.has_next_packet:
            trace = self.next_packet()
        return trace

    def packet_fates(self, commands: list[str] | None = None) -> list[str]:
        """Each scenario packet's fate (its journey's summary line), sent in order on the host built
        from the setup and `commands` (default: the commands typed so far)."""
        fresh = Session(self.setup, self.packets, world=self.world)
        for line in self.commands if commands is None else commands:
            if line.split()[0] not in PACKET_VERBS:
                fresh.shell.run(line)
        fates = []
        while fresh.next_packet() is not None:
            fates.append(fresh.trace.summary_line() if fresh.trace else "")
        return fates

    def other_packets_changed(self) -> list[str]:
        """Names of the scenario's other packets whose fate the last typed command changed."""
        if not self.commands or len(self.packets) < 2:
            return []
        before, after = self.packet_fates(self.commands[:-1]), self.packet_fates()
        return [p.name for i, p in enumerate(self.packets) if i != self.index and before[i] != after[i]]
