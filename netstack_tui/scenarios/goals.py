"""Evaluating checks: goals, symptoms and hint premises, over fresh journeys on copies of a host.

A check never touches the learner's host. The state a goal is judged on is rebuilt from the
scenario's setup plus the learner's configuration commands (packets the learner sent are left
out, so re-sending a scenario packet behaves as it would for a new client); each check then runs on
its own deep copy of that state, after its `given:` commands, and sends its packet afresh. So a
goal is about the host's state, never about which keys were pressed.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..commands.shell import PACKET_VERBS, Shell
from ..i18n import message
from ..kernel.addr import format_ipv4, parse_ipv4
from ..kernel.host import Host
from ..kernel.packet import ACK, IPPROTO_ICMP, IPPROTO_TCP, RST, SYN, Packet
from ..kernel.trace import Disposition, Trace
from ..kernel.world import World
from .model import Check, Cost, Leaves, parse_outcome

if TYPE_CHECKING:
    from ..commands.session import NamedPacket, Session
    from .library import Scenario


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One evaluated check: how it reads, whether it holds, and what was actually seen."""

    label: str
    ok: bool
    detail: str = ""
    """What happened instead (or the failing command), for error messages."""


@dataclass(frozen=True, slots=True)
class GoalStatus:
    """Whether the goal is reached, and each check with its outcome (label, holds)."""

    reached: bool
    checks: list[tuple[str, bool]]


# ---- building the state to judge ------------------------------------------------------------------


def build_host(setup: list[str], commands: list[str] = (),  # type: ignore[assignment]
               world: str = "bare") -> tuple[Host, list[str]]:
    """A fresh host after `setup` and `commands`, in a bare world or (`world="connected"`) one on the
    simulated Internet; also the failures as `command: output` lines. The host is the root
    namespace; the other namespaces hang off it (`host.world`)."""
    shell = Shell(world=World.connected() if world == "connected" else World())
    failures: list[str] = []
    for line in list(setup) + [c for c in commands if not _is_packet_verb(c)]:
        result = shell.run(line)
        if result.status != 0:
            failures.append(f"{line}: {result.output.strip() or f'exit status {result.status}'}")
    return shell.host, failures


def _is_packet_verb(line: str) -> bool:
    words = line.split()
    return bool(words) and words[0] in PACKET_VERBS


_cache: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Host] = {}


def session_state(session: Session) -> Host:
    """The state a goal is judged on: the session's setup plus the learner's commands, rebuilt."""
    setup, commands = getattr(session, "setup", None), getattr(session, "commands", None)
    if setup is None or commands is None:
        return copy.deepcopy(session.host)
    world = str(getattr(session, "world", "bare"))
    key = (world, tuple(setup), tuple(c for c in commands if not _is_packet_verb(c)))
    if key not in _cache:
        _cache.clear()
        _cache[key] = build_host(list(key[1]), list(key[2]), world)[0]
    return _cache[key]


def evaluate(scenario: Scenario, session: Session, lang: str = "en") -> GoalStatus:
    """Is the scenario's goal reached in this session? Never changes the session's host.

    A `followed:` check reads which journeys the learner has stepped to their end: the viewer
    reports each with `Session.journey_viewed()`.
    """
    followed = frozenset(getattr(session, "viewed", ()))
    results = run_checks(scenario.source.goal.checks, session_state(session), scenario.packets, lang,
                         followed=followed)
    return GoalStatus(all(r.ok for r in results), [(r.label, r.ok) for r in results])


# ---- checks ------------------------------------------------------------------------------------------


def run_checks(checks: list[Check], host: Host, packets: list[NamedPacket], lang: str = "en", *,
               followed: frozenset[str] = frozenset()) -> list[CheckResult]:
    """Evaluate each check on its own copy of `host`; `followed` names the packets whose journeys the
    learner has stepped to their end."""
    specs = {p.name: p for p in packets}
    return [run_check(check, host, specs, lang, followed=followed) for check in checks]


PacketSpecs = Mapping[str, "str | NamedPacket"]
"""Scenario packets by name: a spec (sent at the root namespace) or a NamedPacket (with its namespace)."""


def run_check(check: Check, host: Host, specs: PacketSpecs, lang: str = "en", *,
              followed: frozenset[str] = frozenset()) -> CheckResult:
    """Evaluate one check on a copy of `host` (after its `given` commands)."""
    label = describe(check, lang)
    if check.kind == "followed":
        names = list(specs) if check.body == "all" else list(check.body)
        missing = [name for name in names if name not in followed]
        return CheckResult(label, not missing, f"not followed to the end yet: {', '.join(missing)}" if missing else "")
    shell = Shell(copy.deepcopy(host))
    for line in check.given:
        result = shell.run(line)
        if result.status != 0:
            return CheckResult(label, False, f"given command '{line}' failed: {result.output.strip()}")
    ok, detail = _holds(check, shell, specs)
    return CheckResult(label, ok, detail)


def send(shell: Shell, spec: str | NamedPacket, namespace: str | None = None) -> Trace | str:
    """Send a packet on the shell's world: at the root namespace, or in `namespace` (a NamedPacket
    brings its own); the trace, or the error text."""
    if not isinstance(spec, str):
        namespace = spec.namespace
        spec = spec.spec
    here = _namespace(shell, namespace)
    if isinstance(here, str):
        return f"send {spec}: {here}"
    shell.host = here
    result = shell.run("send " + spec)
    if result.status != 0 or not result.traces:
        return f"send {spec}: {result.output.strip()}"
    return result.traces[0]


def _namespace(shell: Shell, name: str | None) -> Host | str:
    """The namespace `name` of the shell's world (None: the root), or why there is none."""
    if name is None:
        return shell.world.root
    found = shell.world.namespaces.get(name)
    if found is None:
        known = ", ".join(shell.world.namespaces) or "none"
        return f"there is no namespace '{name}' (namespaces: {known})"
    return found


def _holds(check: Check, shell: Shell, specs: PacketSpecs) -> tuple[bool, str]:
    kind, body = check.kind, check.body
    host = shell.host
    if kind == "not":
        for line in body.given:
            result = shell.run(line)
            if result.status != 0:
                return False, f"given command '{line}' failed: {result.output.strip()}"
        ok, detail = _holds(body, shell, specs)
        return (not ok), detail
    if hasattr(body, "packet"):
        traced = send(shell, specs[body.packet])
        if isinstance(traced, str):
            return False, traced
        return _trace_holds(kind, body, traced)
    if kind == "sysctl":
        try:
            value = host.sysctl.get(body.key)
        except ValueError as exc:
            return False, str(exc)
        return " ".join(value.split()) == " ".join(body.equals.split()), f"{body.key} = {value}"
    if kind == "listening":
        where = _namespace(shell, body.in_)
        return (False, where) if isinstance(where, str) else _listening(where, body)
    if kind == "ping":
        return _ping(shell, body)
    if kind == "connection":
        return _connection(shell, body)
    if kind == "bind":
        return _bind(shell, body)
    if kind in ("command_succeeds", "command_fails"):
        result = shell.run(body)
        ok = (result.status == 0) == (kind == "command_succeeds")
        return ok, f"'{body}' exited with status {result.status}: {_excerpt(result.output)}"
    if kind in ("output_contains", "output_lacks"):
        result = shell.run(body.command)
        if result.status != 0 and kind == "output_contains":
            return False, f"'{body.command}' failed: {_excerpt(result.output)}"
        found = body.text in result.output
        return found == (kind == "output_contains"), f"'{body.command}' printed: {_excerpt(result.output)}"
    if kind == "rule":
        return _rule(shell, body)
    if kind == "policy":
        result = shell.run(f"iptables -t {body.table} -S {body.chain}")
        if result.status != 0:
            return False, f"'iptables -t {body.table} -S {body.chain}' failed: {result.output.strip()}"
        first = result.output.splitlines()[0] if result.output else ""
        return first.split()[-1:] == [body.is_], first
    if kind in ("conntrack_count_below", "conntrack_count_at_least"):
        count = host.conntrack.count(host.clock)
        ok = count < body if kind == "conntrack_count_below" else count >= body
        return ok, f"conntrack has {count} entries"
    if kind == "dmesg_contains":
        return any(body in line for _, line in host.dmesg), f"dmesg has {len(host.dmesg)} lines"
    if kind == "job_ran":
        ran = list(getattr(getattr(host, "userland", None), "ran", []))
        return any(body in job.command for job in ran), f"at jobs run: {len(ran)}"
    if kind == "process":
        return _process(host, body)
    raise AssertionError(f"unhandled check kind {kind}")


def _excerpt(output: str) -> str:
    """A command's output as part of a one-line verdict: its lines joined by " | ", bounded."""
    return " | ".join(line.strip() for line in output.strip().splitlines())[:300]


def reply_kind(pkt: Packet) -> str:
    """What a reply is, in the words checks use: `syn-ack`, `rst`, `icmp-port-unreachable`, ..."""
    if pkt.proto == IPPROTO_TCP:
        if pkt.flags & RST:
            return "rst"
        if pkt.flags & SYN and pkt.flags & ACK:
            return "syn-ack"
        return "ack"
    if pkt.proto == IPPROTO_ICMP:
        if pkt.icmp_type == 0:
            return "echo-reply"
        if pkt.icmp_type == 11:
            return "icmp-time-exceeded"
        if pkt.icmp_type == 3:
            return {0: "icmp-net-unreachable", 1: "icmp-host-unreachable", 3: "icmp-port-unreachable",
                    9: "icmp-net-prohibited", 10: "icmp-host-prohibited", 13: "icmp-admin-prohibited"}.get(
                        pkt.icmp_code, f"icmp-unreachable-{pkt.icmp_code}")
        return f"icmp-{pkt.icmp_type}"
    return "other"


def reply_left(reply: Trace) -> bool:
    """Whether a reply reached the sender's side: it left the host on the wire, or (across
    namespaces) its journey went on from the namespace that sent it and was forwarded or delivered
    there, as a container's answer crosses the host and the `internet` namespace."""
    if reply.disposition == Disposition.SENT:
        return True
    crossed = any(step.host != reply.host for step in reply.steps)
    return crossed and reply.disposition in (Disposition.FORWARDED, Disposition.DELIVERED)


def sent_replies(trace: Trace) -> list[str]:
    """Kinds of the replies that actually left the host."""
    return [reply_kind(r.final_packet) for r in trace.replies if reply_left(r)]


def _endpoint(addr: int, port: int) -> str:
    return f"{format_ipv4(addr)}:{port}" if port else format_ipv4(addr)


def _endpoint_matches(want: str, addr: int, port: int) -> bool:
    host, _, want_port = want.partition(":")
    return host == format_ipv4(addr) and (not want_port or int(want_port) == port)


def _trace_holds(kind: str, body: Any, trace: Trace) -> tuple[bool, str]:
    seen = trace.summary_line()
    last = trace.steps[-1] if trace.steps else None
    if kind == "delivered":
        ok = trace.disposition == Disposition.DELIVERED
        if ok and body.to is not None:
            ok = (trace.delivered_to or "").split(" (")[0] == body.to
        return ok, seen
    if kind in ("dropped", "rejected"):
        want = Disposition.DROPPED if kind == "dropped" else Disposition.REJECTED
        ok = trace.disposition == want and (body.at is None or (last is not None and last.stage == body.at))
        if kind == "dropped" and body.reason is not None:
            ok = ok and str(trace.drop_reason) == body.reason
        return ok, f"{seen} [stage {last.stage if last else '-'}]"
    if kind in ("forwarded", "sent"):
        want = Disposition.FORWARDED if kind == "forwarded" else Disposition.SENT
        out = trace.final_packet
        ok = trace.disposition == want
        assert isinstance(body, Leaves)
        if body.via is not None:
            ok = ok and out.oif == body.via
        if body.src is not None:
            ok = ok and _endpoint_matches(body.src, out.src, out.sport)
        if body.dst is not None:
            ok = ok and _endpoint_matches(body.dst, out.dst, out.dport)
        return ok, f"{seen}; on the wire: {out}"
    if kind == "replies":
        left = [r.final_packet for r in trace.replies if reply_left(r)]
        kinds = [reply_kind(pkt) for pkt in left]
        if body.kind == "none":
            ok = not kinds
        elif body.src is not None:
            ok = any((body.kind == "any" or reply_kind(pkt) == body.kind) and _endpoint_matches(body.src, pkt.src,
                                                                                                pkt.sport)
                     for pkt in left)
        elif body.kind == "any":
            ok = bool(kinds)
        else:
            ok = body.kind in kinds
        shown = ", ".join(f"{reply_kind(pkt)} from {_endpoint(pkt.src, pkt.sport)}" if body.src else reply_kind(pkt)
                          for pkt in left)
        return ok, f"{seen}; replies: {shown or 'none'}"
    if kind == "visits":
        for step in trace.steps:
            if step.stage == body.stage and (body.host is None or step.host == body.host) and (
                    step.verdict == body.verdict if body.verdict else step.verdict != "skip"):
                return True, seen
        at = [f"{s.stage}={s.verdict} in {s.host}" for s in trace.steps if s.stage == body.stage]
        where = f" in {body.host}" if body.host else ""
        return False, f"{seen}; {body.stage}{where}: {', '.join(at) or 'not reached'}"
    if kind in ("cost_below", "cost_above"):
        assert isinstance(body, Cost)
        total = trace.total_cost_ns
        return (total < body.ns if kind == "cost_below" else total >= body.ns), f"{seen}; cost {total} ns"
    raise AssertionError(kind)


def _listening(host: Host, body: Any) -> tuple[bool, str]:
    table = host.sockets
    for sock in table.sockets:
        if sock.proto != body.proto or sock.local[1] != body.port or sock.pid is None:
            continue
        if body.proto == "tcp" and sock.state != "LISTEN":
            continue
        proc = table.processes.get(sock.pid)
        if proc is None or not proc.alive:
            continue
        if body.app is None or proc.name == body.app:
            return True, f"{proc.name} listens on {sock.local_text()}"
    return False, f"nothing listens on {body.proto} port {body.port}" + (f" in {body.app}" if body.app else "")


def _ping(shell: Shell, body: Any) -> tuple[bool, str]:
    """`[ip netns exec FROM] ping -c 1 -W 1 TO`, typed in the root namespace as a learner would: exit
    status 0 means a reply came back (and a missing namespace gets `ip netns exec`'s own error)."""
    shell.host = shell.world.root
    prefix = f"ip netns exec {body.from_} " if body.from_ else ""
    result = shell.run(f"{prefix}ping -c 1 -W 1 {body.to}")
    lines = [line.strip() for line in result.output.splitlines() if line.strip()]
    said = next((line for line in lines if "ping:" in line or "packet loss" in line or "netns" in line),
                lines[-1] if lines else "")
    ok = (result.status == 0) == body.reply and (body.says is None or body.says in result.output)
    return ok, f"ping {body.to} from {body.from_ or 'the host'}: {said or f'exit status {result.status}'}"


def _connection(shell: Shell, body: Any) -> tuple[bool, str]:
    """A client in `from` runs `connect tcp TO`; a socket of the listener in `in` must then be
    established (accepted, or waiting in the accept queue) with that client."""
    client = _namespace(shell, body.from_)
    server = _namespace(shell, body.in_)
    for found in (client, server):
        if isinstance(found, str):
            return False, found
    assert isinstance(client, Host) and isinstance(server, Host)
    shell.host = client
    result = shell.run(f"connect tcp {body.to} --app probe-client")
    said = result.output.strip().splitlines()[0] if result.output.strip() else f"exit status {result.status}"
    port = int(body.to.rpartition(":")[2])
    table = server.sockets
    for sock in table.sockets:
        if sock.proto != "tcp" or sock.local[1] != port or sock.state != "ESTAB":
            continue
        owner = sock.pid if sock.pid is not None else (sock.parent.pid if sock.parent is not None else None)
        proc = table.processes.get(owner) if owner is not None else None
        if body.app is None or (proc is not None and proc.name == body.app):
            return True, f"{said}; in {body.in_ or 'the host'}: ESTAB {sock.local_text()} ↔ {sock.peer_text()}"
    return False, f"{said}; no established connection on port {port} in {body.in_ or 'the host'}" + (
        f" held by {body.app}" if body.app else "")


def _bind(shell: Shell, body: Any) -> tuple[bool, str]:
    """bind() of a fresh socket (no SO_REUSEADDR) in namespace `in`, as inet_bind_conflict() judges it."""
    where = _namespace(shell, body.in_)
    if isinstance(where, str):
        return False, where
    addr, _, port = body.addr.rpartition(":")
    holder = where.sockets.bind_conflict(body.proto, parse_ipv4(addr), int(port), False, False, where.clock)
    ns = body.in_ or "the host"
    if holder is None:
        return body.error is None, f"bind {body.proto} {body.addr} in {ns} succeeds"
    proc = where.sockets.processes.get(holder.pid) if holder.pid is not None else None
    owner = f" ({proc.name})" if proc is not None else ""
    return body.error == "EADDRINUSE", (f"bind {body.proto} {body.addr} in {ns} fails with EADDRINUSE: "
                                        f"{holder.state} {holder.local_text()}{owner} holds it")


def _rule(shell: Shell, body: Any) -> tuple[bool, str]:
    command = f"iptables -t {body.table} -S {body.chain}"
    result = shell.run(command)
    if result.status != 0:
        return False, f"'{command}' failed: {result.output.strip()}"
    rules = [line for line in result.output.splitlines() if line.startswith(f"-A {body.chain} ")]
    if body.index > len(rules):
        return False, f"{body.chain} has {len(rules)} rule(s)"
    line = rules[body.index - 1]
    words = line.split()
    target = words[words.index("-j") + 1] if "-j" in words[:-1] else (
        words[words.index("-g") + 1] if "-g" in words[:-1] else "")
    ok = (body.target is None or target == body.target) and (body.contains is None or body.contains in line)
    return ok, f"rule {body.index}: {line}"


def _process(host: Host, body: Any) -> tuple[bool, str]:
    proc = host.sockets.find_process(body.app)
    if body.alive is not None and (proc is not None) != body.alive:
        return False, f"{body.app} is {'running' if proc else 'not running'}"
    if proc is None:
        return body.alive is False or (body.fds_below is None and body.nofile_at_least is None), \
            f"{body.app} is not running"
    ok = True
    if body.fds_below is not None:
        ok = ok and len(proc.fds) < body.fds_below
    if body.nofile_at_least is not None:
        ok = ok and proc.nofile >= body.nofile_at_least
    return ok, f"{body.app} has {len(proc.fds)} open fds, limit {proc.nofile}"


# ---- expected outcomes ---------------------------------------------------------------------------------


def outcome_holds(outcome: str, trace: Trace) -> bool:
    """Whether a trace matches an `expect:` outcome such as `dropped at input.filter`."""
    word, prep, arg = parse_outcome(outcome)
    if str(trace.disposition) != word:
        return False
    if prep == "at":
        return bool(trace.steps) and trace.steps[-1].stage == arg
    if prep == "to":
        return (trace.delivered_to or "").split(" (")[0] == arg
    if prep == "via":
        return trace.final_packet.oif == arg
    return True


# ---- descriptions ----------------------------------------------------------------------------------------


def describe(check: Check, lang: str = "en") -> str:
    """How the check reads to a learner (its `label`, or generated from the catalog's `goal.*` texts)."""
    if check.label is not None:
        return check.label.as_dict().get(lang) or check.label.en
    text = _describe(check.kind, check.body, lang)
    if check.given:
        text += _text(lang, "after", commands="; ".join(check.given))
    return text


def _text(lang: str, key: str, /, **params: object) -> str:
    """The catalog's `goal.KEY` text in `lang` (positional-only, so a placeholder may be called `key`)."""
    return message(f"goal.{key}", {name: str(value) for name, value in params.items()}, lang)


def _describe(kind: str, b: Any, lang: str) -> str:
    t = functools.partial(_text, lang)
    if kind == "not":
        return t("not", inner=describe(b, lang))
    p = f"`{b.packet}`" if hasattr(b, "packet") else ""
    if kind == "delivered":
        return t("delivered", packet=p) + (t("to", where=b.to) if b.to else "")
    if kind in ("dropped", "rejected"):
        text = t(kind, packet=p) + (t("at", where=b.at) if b.at else "")
        return text + (t("reason", reason=b.reason) if getattr(b, "reason", None) else "")
    if kind in ("forwarded", "sent"):
        return (t(kind, packet=p) + (t("via", dev=b.via) if b.via else "") + (t("from", addr=b.src) if b.src else "")
                + (t("dst", addr=b.dst) if b.dst else ""))
    if kind == "replies":
        return t(f"replies.{b.kind}" if b.kind in ("none", "any") else "replies", packet=p, answer=b.kind) + (
            t("from", addr=b.src) if b.src else "")
    if kind == "visits":
        return t("visits", packet=p, stage=b.stage, verdict=f" ({b.verdict})" if b.verdict else "") + (
            t("in", ns=b.host) if b.host else "")
    if kind in ("cost_below", "cost_above"):
        return t(kind, packet=p, ns=b.ns)
    if kind == "sysctl":
        return t("sysctl", key=b.key, value=b.equals)
    if kind == "listening":
        return t("listening", who=f" ({b.app})" if b.app else "", proto=b.proto, port=b.port) + (
            t("in", ns=b.in_) if b.in_ else "")
    if kind == "ping":
        text = t("ping.reply" if b.reply else "ping.none", to=b.to, where=b.from_ or t("root.from"))
        return text + (t("ping.says", text=b.says) if b.says else "")
    if kind == "connection":
        return t("connection", where=b.from_ or t("root.from"), to=b.to, who=b.app or t("connection.any"),
                 ns=b.in_ or t("root.in"))
    if kind == "bind":
        return t("bind.error" if b.error else "bind.ok", proto=b.proto, addr=b.addr, ns=b.in_ or t("root.in"),
                 error=b.error or "")
    if kind in ("command_succeeds", "command_fails"):
        return t(kind, command=b)
    if kind in ("output_contains", "output_lacks"):
        return t(kind, command=b.command, text=b.text)
    if kind == "rule":
        what = " ".join(x for x in (b.target, b.contains) if x)
        return t("rule", index=b.index, table=b.table, chain=b.chain, what=what)
    if kind == "policy":
        return t("policy", table=b.table, chain=b.chain, target=b.is_)
    if kind in ("conntrack_count_below", "conntrack_count_at_least"):
        return t(kind, n=b)
    if kind == "dmesg_contains":
        return t("dmesg_contains", text=b)
    if kind == "job_ran":
        return t("job_ran", text=b)
    if kind == "followed":
        return t("followed.all") if b == "all" else t("followed", packets=", ".join(f"`{n}`" for n in b))
    if kind == "process":
        parts = []
        if b.alive is not None:
            parts.append(t("process.running" if b.alive else "process.exited"))
        if b.fds_below is not None:
            parts.append(t("process.fds_below", n=b.fds_below))
        if b.nofile_at_least is not None:
            parts.append(t("process.nofile_at_least", n=b.nofile_at_least))
        return t("process", app=b.app, parts=t("process.and").join(parts))
    return kind
