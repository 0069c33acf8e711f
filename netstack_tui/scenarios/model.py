"""The scenario file format as typed models: what a YAML scenario may contain, field by field.

These models are the single source of truth for the format: the loader validates files with
them, `schema.json` is generated from them (`python -m netstack_tui.scenarios.schema`), and every
field's docstring becomes its description in the schema, so an editor shows it while you type.

A goal, a symptom and a hint's premise are lists of *checks*. A check is a mapping with exactly
one kind key, from a small closed set (see `Check`), optionally with `given:` commands to run
first and a `label:` to show instead of the generated description::

    goal:
      text: {en: "...", ru: "..."}
      checks:
        - delivered: {packet: https, to: nginx}
        - replies: {packet: closed-port, kind: rst}
        - sysctl: {key: net.ipv4.ip_forward, equals: "1"}
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from ..kernel.packet import PacketSpecError, parse_packet
from ..kernel.stages import STAGE_BY_ID
from ..kernel.trace import DropReason

LANGUAGES = ("en", "ru")
"""Every text of a scenario exists in each of these languages."""

LEVELS = ("beginner", "intermediate", "advanced")

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
"""Scenario ids and packet names: lowercase letters, digits and dashes."""

REPLY_KINDS = ("none", "any", "syn-ack", "rst", "ack", "echo-reply", "icmp-port-unreachable",
               "icmp-host-unreachable", "icmp-net-unreachable", "icmp-admin-prohibited",
               "icmp-host-prohibited", "icmp-net-prohibited", "icmp-time-exceeded")
"""What a client sees come back: `none` means silence (the packet was dropped quietly)."""

_OUTCOME = re.compile(r"^(delivered|forwarded|sent|dropped|rejected)(?: (at|to|via) (\S+))?$")

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=64)]
Namespace = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", max_length=64)]
"""A network namespace's name, as `ip netns add` was given it (e.g. `test_ns`, `web1`)."""
Endpoint = Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$")]
"""`ADDR:PORT`, e.g. `0.0.0.0:80` or `172.18.0.3:80`."""
Command = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Text(_Model):
    """A text in English and in Russian; both are required and may not be empty."""

    en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    """English text."""
    ru: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    """Russian text."""

    def as_dict(self) -> dict[str, str]:
        """The texts keyed by language code."""
        return {"en": self.en, "ru": self.ru}


# ---- checks -------------------------------------------------------------------------------------


class PacketRef(_Model):
    """A check about one named packet, sent afresh on a copy of the host."""

    packet: Name
    """Name of one of the scenario's `packets`."""


class Delivered(PacketRef):
    """The packet reaches a local socket (or the stack itself, for ICMP echo)."""

    to: str | None = None
    """Name of the application that must receive it (e.g. `nginx`); any receiver when omitted."""


class Dropped(PacketRef):
    """The packet is dropped silently (no REJECT answer)."""

    at: str | None = None
    """Stage id where it must be dropped, e.g. `input.filter`, `route_input`, `xdp_generic`."""
    reason: str | None = None
    """The kernel's drop reason, e.g. `NETFILTER_DROP`, `IP_RPFILTER`, `TCP_LISTEN_OVERFLOW`."""

    @field_validator("at")
    @classmethod
    def _stage(cls, value: str | None) -> str | None:
        return _check_stage(value)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        if value is not None and value not in DropReason.__members__:
            raise ValueError(f"'{value}' is not a drop reason the simulator knows; use one of: "
                             + ", ".join(DropReason.__members__))
        return value


class Rejected(PacketRef):
    """A REJECT rule drops the packet and answers the sender."""

    at: str | None = None
    """Stage id of the rejecting table, e.g. `input.filter`."""

    @field_validator("at")
    @classmethod
    def _stage(cls, value: str | None) -> str | None:
        return _check_stage(value)


class Leaves(PacketRef):
    """The packet leaves the host (forwarded, or sent by a local application)."""

    via: str | None = None
    """Interface it must leave on, e.g. `eth1`."""
    src: str | None = None
    """Source it must carry on the wire, `ADDR` or `ADDR:PORT` (checks SNAT/MASQUERADE)."""
    dst: str | None = None
    """Destination it must carry on the wire, `ADDR` or `ADDR:PORT` (checks DNAT)."""


class Replies(PacketRef):
    """What the sender gets back from this host."""

    kind: Literal[REPLY_KINDS]  # type: ignore[valid-type]
    """`syn-ack`, `rst`, `icmp-port-unreachable`, ..., `any`, or `none` for silence."""
    src: str | None = None
    """Source the answer must carry when it reaches the sender's side, `ADDR` or `ADDR:PORT`: checks
    the un-NAT of a reply (a container's answer leaves with the host's address and published port)."""

    @model_validator(mode="after")
    def _src_needs_an_answer(self) -> Replies:
        if self.src is not None and self.kind == "none":
            raise ValueError("`src:` names the source of an answer; with `kind: none` there is none")
        return self


class Visits(PacketRef):
    """The packet's journey passes a stage, optionally with a given verdict there, optionally in one
    namespace of the journey."""

    stage: str
    """Stage id, e.g. `xdp` (native XDP) or `xdp_generic`."""
    verdict: Literal["pass", "ACCEPT", "DROP", "REJECT", "skip", "deliver", "transmit"] | None = None
    """The verdict the stage must give; any verdict but `skip` when omitted."""
    host: str | None = None
    """The namespace the stage must be passed in, as the journey names it: `host` for the root
    namespace, else the netns name (`test_ns`, `internet`); any namespace when omitted."""

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        return _check_stage(value) or value


class Cost(PacketRef):
    """The journey's estimated CPU cost (sum of the stages' `cost_ns`)."""

    ns: int = Field(gt=0)
    """A number of nanoseconds."""


class SysctlEquals(_Model):
    """A sysctl has a value."""

    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.\-]+$")]
    """Dotted name as `sysctl` prints it, e.g. `net.ipv4.ip_forward`."""
    equals: str
    """The value as `sysctl -n` prints it (quote numbers: `"1"`)."""

    @field_validator("equals", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("write the value as the kernel prints it, in quotes, e.g. \"1\"")
        return str(value) if isinstance(value, int) else value


class Listening(_Model):
    """A socket listens on a port (TCP) or is bound to it (UDP)."""

    port: int = Field(ge=1, le=65535)
    """Port number."""
    proto: Literal["tcp", "udp"] = "tcp"
    """`tcp` or `udp`."""
    app: str | None = None
    """Name of the process that must own the socket."""
    in_: Namespace | None = Field(default=None, alias="in")
    """The namespace to look in (its netns name); the root namespace when omitted."""


class Ping(_Model):
    """`ping -c 1 -W 1 ADDR`, run in a namespace: whether a reply comes back, and what ping says."""

    from_: Namespace | None = Field(default=None, alias="from")
    """The namespace ping runs in (its netns name); the root namespace when omitted."""
    to: Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,3}){3}$")]
    """The address pinged, e.g. `8.8.8.8`."""
    reply: bool = True
    """`true`: an echo reply comes back; `false`: none does (loss or an error)."""
    says: str | None = Field(default=None, min_length=1)
    """Text ping's output must contain, e.g. `Network is unreachable` or `100% packet loss`."""


class Connection(_Model):
    """An application in one namespace connects to `to` (the `connect` verb), and the listener on that
    port in namespace `in` gets the connection (an established socket)."""

    from_: Namespace | None = Field(default=None, alias="from")
    """The namespace the client runs in; the root namespace when omitted."""
    to: Endpoint
    """Where it connects, `ADDR:PORT`."""
    in_: Namespace | None = Field(default=None, alias="in")
    """The namespace whose listener must hold the connection; the root namespace when omitted."""
    app: str | None = None
    """The listening application that must own it (e.g. `nginx`); any when omitted."""


class Bind(_Model):
    """A new socket in a namespace binds an address: it succeeds, or fails with an errno."""

    in_: Namespace | None = Field(default=None, alias="in")
    """The namespace the socket is created in; the root namespace when omitted."""
    addr: Endpoint
    """`ADDR:PORT` to bind, e.g. `0.0.0.0:80`."""
    proto: Literal["tcp", "udp"] = "tcp"
    """`tcp` or `udp`."""
    error: Literal["EADDRINUSE"] | None = None
    """The errno bind() must fail with; bind() must succeed when omitted."""


class Output(_Model):
    """A command's output contains (or lacks) a piece of text."""

    command: Command
    """The command line to run, e.g. `iptables -S INPUT`."""
    text: str = Field(min_length=1)
    """The text to look for (plain text, case-sensitive)."""


class RuleAt(_Model):
    """Rule N of a chain, as `iptables -S CHAIN` lists it."""

    chain: str
    """Chain name, e.g. `INPUT`."""
    index: int = Field(ge=1)
    """1-based position, as `iptables -L --line-numbers` numbers it."""
    table: Literal["filter", "nat", "mangle", "raw", "security"] = "filter"
    """iptables table."""
    target: str | None = None
    """The rule's target (`-j` value), e.g. `DROP`."""
    contains: str | None = None
    """Text the rule's `-A ...` line must contain, e.g. `--dport 443`."""


class Policy(_Model):
    """A built-in chain's policy."""

    chain: Literal["INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING"]
    """Built-in chain name."""
    table: Literal["filter", "nat", "mangle", "raw", "security"] = "filter"
    """iptables table."""
    is_: Literal["ACCEPT", "DROP"] = Field(alias="is")
    """`ACCEPT` or `DROP`."""


class ProcessState(_Model):
    """A process's fd table and limits."""

    app: str
    """Process name (as given to `listen --app`)."""
    alive: bool | None = None
    """Whether it must be running (or must have exited)."""
    fds_below: int | None = Field(default=None, ge=1)
    """Open file descriptors must be fewer than this."""
    nofile_at_least: int | None = Field(default=None, ge=1)
    """Its RLIMIT_NOFILE soft limit must be at least this."""


class Check(_Model):
    """One condition over the host's state or a packet's fresh journey: exactly one kind key.

    The host is never the learner's: each check runs on its own copy, after its `given` commands.
    """

    delivered: Delivered | None = None
    """The packet reaches a local socket (optionally of one application)."""
    dropped: Dropped | None = None
    """The packet is dropped silently (optionally at a stage, for a reason)."""
    rejected: Rejected | None = None
    """A REJECT rule drops the packet and answers."""
    forwarded: Leaves | None = None
    """The packet is routed through the host and leaves (optionally via a device, with an address)."""
    sent: Leaves | None = None
    """A locally sent packet leaves the host."""
    replies: Replies | None = None
    """What the sender gets back: a SYN-ACK, an RST, an ICMP error, or nothing."""
    visits: Visits | None = None
    """The journey passes a stage (optionally with a given verdict)."""
    cost_below: Cost | None = None
    """The journey's estimated CPU cost is below `ns`."""
    cost_above: Cost | None = None
    """The journey's estimated CPU cost is at least `ns`."""
    sysctl: SysctlEquals | None = None
    """A sysctl has a value."""
    listening: Listening | None = None
    """Something listens on a port (optionally in a namespace)."""
    ping: Ping | None = None
    """`ping` from a namespace to an address gets a reply (or does not)."""
    connection: Connection | None = None
    """A client connects and the listener in a namespace holds the connection."""
    bind: Bind | None = None
    """bind() of a new socket in a namespace succeeds, or fails with `EADDRINUSE`."""
    command_succeeds: Command | None = None
    """This command exits with status 0 (on the copy)."""
    command_fails: Command | None = None
    """This command exits with a non-zero status (on the copy)."""
    output_contains: Output | None = None
    """A command's output contains a text."""
    output_lacks: Output | None = None
    """A command's output does not contain a text."""
    rule: RuleAt | None = None
    """Rule N of a chain has a target and/or contains a text."""
    policy: Policy | None = None
    """A built-in chain has a policy."""
    conntrack_count_below: int | None = Field(default=None, ge=1)
    """Fewer than this many conntrack entries."""
    conntrack_count_at_least: int | None = Field(default=None, ge=0)
    """At least this many conntrack entries."""
    dmesg_contains: str | None = None
    """The kernel log contains this text."""
    process: ProcessState | None = None
    """A process's state: alive, open fds, RLIMIT_NOFILE."""
    job_ran: Annotated[str, StringConstraints(min_length=1)] | None = None
    """An at(1) job whose command contains this text has run (e.g. a timed rollback)."""
    followed: Literal["all"] | list[Name] | None = None
    """The learner has stepped these packets' journeys to their end in the explorer (`all`: every
    packet of the scenario). Goals only; a tour's goal needs one, so it is not reached before the
    learner has looked."""
    not_: Check | None = Field(default=None, alias="not")
    """The inner check must be false."""
    given: list[Command] = []
    """Commands run on the copy before this check (e.g. a burst of connections)."""
    label: Text | None = None
    """How the check is shown to the learner; generated from the check when omitted."""

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("a check is a mapping with one kind key, e.g. `delivered: {packet: https}`")
        kinds = [k for k in data if k not in ("given", "label")]
        if not kinds:
            raise ValueError("a check needs one kind key, e.g. `delivered:`, `dropped:` or `sysctl:`; known kinds: "
                             + ", ".join(CHECK_KINDS))
        unknown = [k for k in kinds if k not in CHECK_KINDS]
        if unknown:
            from difflib import get_close_matches

            close = get_close_matches(str(unknown[0]), CHECK_KINDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"'{unknown[0]}' is not a kind of check{hint}; known kinds: " + ", ".join(CHECK_KINDS))
        if len(kinds) > 1:
            raise ValueError(f"a check has one kind key, this one has {len(kinds)} ({', '.join(map(str, kinds))}); "
                             "put each in its own list item")
        return data

    @property
    def kind(self) -> str:
        """The kind key this check uses (`delivered`, `sysctl`, ..., `not`)."""
        for name in CHECK_KINDS:
            if getattr(self, _attr(name)) is not None:
                return name
        raise AssertionError("validated check without a kind")

    @property
    def body(self) -> Any:
        """The value under the kind key."""
        return getattr(self, _attr(self.kind))

    def packets(self) -> list[str]:
        """Names of the packets this check sends (for validation)."""
        body = self.body
        if isinstance(body, PacketRef):
            return [body.packet]
        if isinstance(body, Check):
            return body.packets()
        return []


CHECK_KINDS = ("delivered", "dropped", "rejected", "forwarded", "sent", "replies", "visits", "cost_below",
               "cost_above", "sysctl", "listening", "ping", "connection", "bind", "command_succeeds", "command_fails",
               "output_contains", "output_lacks", "rule", "policy", "conntrack_count_below", "conntrack_count_at_least",
               "dmesg_contains", "process", "job_ran", "followed", "not")
"""Every check kind, in the order the documentation lists them."""


def _attr(kind: str) -> str:
    return "not_" if kind == "not" else kind


def _check_stage(value: str | None) -> str | None:
    if value is not None and value not in STAGE_BY_ID:
        from difflib import get_close_matches

        close = get_close_matches(value, list(STAGE_BY_ID), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"'{value}' is not a stage{hint}; stages are: " + ", ".join(STAGE_BY_ID))
    return value


# ---- the scenario -------------------------------------------------------------------------------


class Packet(_Model):
    """A named packet of the scenario, in the tcpdump-like notation `send` reads."""

    name: Name
    """Short name used by checks and shown in the packet list, e.g. `https`."""
    spec: str
    """The packet, e.g. `tcp 203.0.113.7:51000 > 10.0.0.1:443 [S] iface=eth0`."""
    from_: Namespace | None = Field(default=None, alias="from")
    """The namespace the packet is sent in (its netns name). Its source is then an address of that
    namespace, so an application there sends it, and its journey starts there; without `from:` the
    packet arrives at the root namespace from the wire."""
    about: Text | None = None
    """What this packet stands for (e.g. "a browser opening the site")."""

    @field_validator("spec")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            parse_packet(value)
        except PacketSpecError as exc:
            raise ValueError(f"the packet does not parse: {exc}") from None
        return value


class Goalish(_Model):
    """A text for the learner and the checks that prove it."""

    text: Text
    """What the learner sees (the symptom) or must achieve (the goal), in plain words."""
    checks: list[Check] = Field(min_length=1)
    """Conditions that must all hold."""


class Hint(_Model):
    """One hint; hints are shown in order, one at a time."""

    text: Text
    """The hint itself."""
    premise: Check | None = None
    """A check that must hold in the broken state, so the hint never points at something untrue."""


class Expect(_Model):
    """Outcomes per packet, as `send` would summarise them: `delivered`, `dropped at input.filter`,
    `delivered to nginx`, `forwarded via eth1`, `rejected`, `sent`."""

    broken: dict[Name, str] | None = None
    """Each packet's outcome after the setup (problems only)."""
    fixed: dict[Name, str] | None = None
    """Each packet's outcome after the reference solution (problems only)."""
    observed: dict[Name, str] | None = None
    """Each packet's outcome in a guided tour."""

    @field_validator("broken", "fixed", "observed")
    @classmethod
    def _outcomes(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for name, outcome in (value or {}).items():
            match = _OUTCOME.match(outcome)
            if not match:
                raise ValueError(f"outcome of '{name}' is '{outcome}'; write e.g. 'delivered', 'delivered to nginx', "
                                 "'dropped at input.filter', 'forwarded via eth1', 'rejected' or 'sent'")
            if match.group(2) == "at":
                _check_stage(match.group(3))
        return value


def parse_outcome(text: str) -> tuple[str, str | None, str | None]:
    """`dropped at input.filter` → (`dropped`, `at`, `input.filter`)."""
    match = _OUTCOME.match(text)
    if not match:
        raise ValueError(text)
    return match.group(1), match.group(2), match.group(3)


class ScenarioFile(_Model):
    """One scenario: a host to set up, packets to send, a symptom, a goal, hints and a solution."""

    id: Name
    """Unique id, also the file name without `.yaml`, e.g. `rule-order`."""
    kind: Literal["problem", "tour"] = "problem"
    """`problem`: something is broken and the learner fixes it; `tour`: a guided walk, nothing to fix."""
    title: Text
    """A short title for the scenario picker."""
    summary: Text
    """One or two sentences: what the learner will see and learn."""
    lesson: Text
    """The explanation shown beside the pipeline (may be long; plain text with blank lines)."""
    level: Literal[LEVELS]  # type: ignore[valid-type]
    """`beginner`, `intermediate` or `advanced`."""
    topics: list[Annotated[str, StringConstraints(pattern=NAME_PATTERN)]] = Field(min_length=1)
    """Keywords for the picker, e.g. `iptables`, `conntrack`, `xdp`."""
    seed: str = Field(min_length=1)
    """Which section of the seed documents this teaches, e.g. `000 · Ошибка 2`."""
    world: Literal["bare", "connected"] = "bare"
    """What the setup starts from: `bare`, one host whose eth0 has no address and faces an
    unsimulated wire; `connected`, a fresh machine on the Internet (eth0 192.168.1.10/24, a default
    route via 192.168.1.1, and the simulated `internet` namespace behind it answering on 8.8.8.8,
    1.1.1.1 and 93.184.215.14)."""
    setup: list[Command] = []
    """Shell commands that build the host, as a learner would type them."""
    packets: list[Packet] = Field(min_length=1)
    """The scenario's packets, in the order `next packet` sends them."""
    symptom: Goalish | None = None
    """What the learner observes in the broken state (required for problems)."""
    goal: Goalish
    """What must be true when the scenario is solved."""
    hints: list[Hint] = []
    """Hints in the order they are revealed."""
    solution: list[Command] = []
    """A reference solution: commands that reach the goal from the broken state."""
    expect: Expect
    """Per-packet outcomes before and after the solution (or, in a tour, as observed)."""

    @field_validator("topics")
    @classmethod
    def _unique_topics(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a topic is listed twice")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ScenarioFile:
        names = [p.name for p in self.packets]
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                raise LocatedError(("packets", i, "name"), f"two packets are called '{name}'; names must differ")
            seen.add(name)
        if self.kind == "problem":
            if self.symptom is None:
                raise LocatedError(("symptom",), "a problem scenario needs a `symptom:` (what the learner sees)")
            if not self.solution:
                raise LocatedError(("solution",), "a problem scenario needs a reference `solution:`")
            if self.expect.broken is None or self.expect.fixed is None:
                raise LocatedError(("expect",), "a problem scenario's `expect:` needs both `broken:` and `fixed:`")
        elif self.expect.observed is None:
            raise LocatedError(("expect",), "a tour's `expect:` needs `observed:`")

        def check_refs(where: tuple[Any, ...], check: Check) -> None:
            for name in check.packets():
                if name not in seen:
                    raise LocatedError(where + (check.kind, "packet"),
                                       f"there is no packet called '{name}' in this scenario; the packets are: "
                                       + ", ".join(names))

        groups: list[tuple[str, Goalish | None]] = [("symptom", self.symptom), ("goal", self.goal)]
        for field, block in groups:
            for i, check in enumerate(block.checks if block else []):
                check_refs((field, "checks", i), check)
                _followed_only_in_goal((field, "checks", i), check, field == "goal", names)
        for i, hint in enumerate(self.hints):
            if hint.premise is not None:
                check_refs(("hints", i, "premise"), hint.premise)
                _followed_only_in_goal(("hints", i, "premise"), hint.premise, False, names)
        if self.kind == "tour" and not any(c.kind == "followed" for c in self.goal.checks):
            raise LocatedError(("goal", "checks"), "a tour's goal needs a `followed: all` check, or it is reached "
                               "before the learner has stepped through a single journey")
        for part in ("broken", "fixed", "observed"):
            for name in getattr(self.expect, part) or {}:
                if name not in seen:
                    raise LocatedError(("expect", part, name), f"there is no packet called '{name}' in this "
                                       "scenario; the packets are: " + ", ".join(names))
        return self


def _followed_only_in_goal(where: tuple[Any, ...], check: Check, in_goal: bool, names: list[str]) -> None:
    """`followed:` is about what the learner has looked at: only a goal's own checks may ask it."""
    if check.kind == "not":
        _followed_only_in_goal(where + ("not",), check.body, False, names)
        return
    if check.kind != "followed":
        return
    if not in_goal or check.given:
        raise LocatedError(where + ("followed",), "`followed:` says what the learner has looked at; it belongs in "
                           "the goal's checks, without `given:` or `not:`")
    for name in [] if check.body == "all" else check.body:
        if name not in names:
            raise LocatedError(where + ("followed",), f"there is no packet called '{name}' in this scenario; the "
                               "packets are: " + ", ".join(names))


class LocatedError(ValueError):
    """A cross-field problem found after parsing, with the path of the field it is about."""

    def __init__(self, loc: tuple[Any, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message

