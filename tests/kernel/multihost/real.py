"""Run a `MultiCase` in real network namespaces: ``run_real(case) -> MultiObservation``.

How a line is run
-----------------
Every namespace name of a case is mapped to ``nstui-<pid>-<rand>-<name>`` (every non-numeric
name: also one the case never creates, so an error case cannot reach a namespace of this
machine), then:

* ``ip netns add|del|delete|attach|set NS ...`` and ``ip netns exec NS CMD...`` run as they are
  (they only touch /run/netns or run inside NS); after a successful ``ip netns add`` the
  `PREAMBLE` runs inside the new namespace;
* ``ip -n NS ...`` / ``bridge -n NS ...`` run as they are;
* ``ip netns list`` runs inside the case's root (so ``(id: N)`` is the root's view) and prints only
  the case's namespaces; ``ip netns identify`` without a PID, in the root, runs in this machine's
  real root namespace (read-only; prints an empty line there, as on any machine);
* anything else runs in the case's root namespace, a fresh namespace standing in for the
  machine's: ``ip netns exec nstui-...-root CMD...``. So nothing is ever changed in this machine's
  own namespace.

Inside a line, ``netns NAME`` (``ip link set DEV netns NAME``, ``... peer name P netns NAME``)
and ``-n NAME`` are mapped too.

Output normalization: the ``nstui-<pid>-<rand>-`` prefix is removed (the root substitute prints as
``root``: where a real root namespace has no name, iproute2 prints ``link-netnsid N``, here it
prints ``link-netns root``); MACs the case did not set (``address XX:...`` in its lines) become
``<mac-1>``, ``<mac-2>``... in order of appearance; ping's timings are masked (`normalize_output`).

Cleanup: every namespace whose name starts with the run's prefix is deleted in ``finally`` (and
by an atexit hook; stale ones of dead pids by `cleanup_stale`). Deleting a namespace destroys its
veths (and their peers elsewhere) and bridges.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import re
import shlex
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field

from ..netns import in_netns  # the single-host harness's setns(): one way into a namespace
from .case import PREAMBLE, ROOT, Action, Listener, MultiCase
from .observe import (
    ActionResult,
    CommandResult,
    MultiObservation,
    NamespaceState,
    fdb_lines,
    link_lines,
    nc_result,
    neigh_lines,
    normalize_output,
    parse_conntrack,
    parse_iptables_save,
    ping_result,
)

PREFIX = "nstui-"
NETNS_DIR = "/run/netns"
COMMAND_TIMEOUT = 15.0
SETTLE = 0.02
"""Seconds given to the last packets (a FIN after a listener's close) before observing."""
DELACK_WAIT = 0.25
"""Seconds between the last action and the listeners' close (longer than a delayed ACK)."""
TOOLS = ("ip", "bridge", "iptables", "iptables-save", "conntrack", "ping", "nc", "sysctl")
IP_PKTINFO = 8
_MAC = re.compile(r"\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b")
_KEEP_MACS = {"ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"}
_SEP = "@@nstui-observe@@"

_live_prefixes: set[str] = set()


class Unavailable(RuntimeError):
    """Real namespaces cannot be used here."""


class SetupFailed(RuntimeError):
    """A case's command failed on the real kernel although the case did not expect it (a bad case)."""


def unavailable_reason() -> str | None:
    """Why real multi-namespace runs are impossible here, or None."""
    if os.geteuid() != 0:
        return "needs root (creates network namespaces)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return (
            f"missing tools: {', '.join(missing)} (apt-get install iproute2 iptables conntrack iputils-ping "
            "netcat-openbsd)"
        )
    probe = f"{PREFIX}{os.getpid()}-probe"
    proc = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if proc.returncode != 0:
        return f"ip netns add failed: {proc.stderr.strip()}"
    try:
        check = subprocess.run(["ip", "netns", "exec", probe, "iptables-save"], capture_output=True, text=True)
        if check.returncode != 0:
            return f"iptables unusable in a namespace: {check.stderr.strip()}"
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


_REASON: list[str | None] = []


def cached_reason() -> str | None:
    if not _REASON:
        _REASON.append(unavailable_reason())
    return _REASON[0]


# -- namespaces ---------------------------------------------------------------------------------


def _netns_names() -> list[str]:
    try:
        return sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []


def delete_prefixed(prefix: str) -> None:
    """Delete every namespace whose name starts with ``prefix``."""
    for name in _netns_names():
        if name.startswith(prefix):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
    _live_prefixes.discard(prefix)


def cleanup_all() -> None:
    for prefix in list(_live_prefixes):
        delete_prefixed(prefix)


def cleanup_stale() -> None:
    """Delete ``nstui-<pid>-...`` namespaces of harness processes that no longer exist."""
    for name in _netns_names():
        match = re.match(rf"^{PREFIX}(\d+)-", name)
        if not match or int(match.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        except PermissionError:
            pass


atexit.register(cleanup_all)

# -- command lines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """How one case line is run on this machine."""

    argv: list[str]
    ns: str
    """The case namespace the line acts in (``root`` for prefix-less lines)."""
    created: str | None = None
    """``ip netns add NAME``: the case name of the namespace it creates."""
    list_netns: bool = False
    """``ip netns list``: filter the output to the case's namespaces."""


class Namer:
    """Maps a case's namespace names to this run's real names and back."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def real(self, name: str) -> str:
        return name if name.isdigit() else self.prefix + name

    @property
    def root(self) -> str:
        return self.prefix + ROOT

    def map_words(self, words: list[str]) -> list[str]:
        """Map ``netns NAME`` and ``-n NAME`` arguments inside one command's words."""
        out = list(words)
        tool = os.path.basename(out[0]) if out else ""
        for index in range(1, len(out) - 1):
            prev = out[index - 1] if index > 0 else ""
            if tool in ("ip", "bridge") and out[index] in ("-n", "-netns", "--netns") and index + 1 < len(out):
                out[index + 1] = self.real(out[index + 1])
            elif tool == "ip" and out[index] == "netns" and prev not in ("ip",) and not out[index - 1].startswith("-"):
                out[index + 1] = self.real(out[index + 1])
        return out

    def plan(self, line: str) -> Planned:
        words = shlex.split(line)
        if words and words[0] == "!":
            words = words[1:]
        if not words:
            raise ValueError("empty command line")
        tool = words[0]
        if tool in ("ip", "bridge"):
            index, ns = 1, None
            while index < len(words) and words[index].startswith("-"):
                if words[index] in ("-n", "-netns", "--netns") and index + 1 < len(words):
                    ns = words[index + 1]
                    index += 2
                else:
                    index += 1
            rest = words[index:]
            if tool == "ip" and ns is None and rest[:1] == ["netns"]:
                sub = rest[1] if len(rest) > 1 else "list"
                head = words[: index + 1]
                if sub == "exec" and len(rest) > 2:
                    inner = self.map_words(rest[3:])
                    return Planned(head + ["exec", self.real(rest[2])] + inner, rest[2])
                if sub in ("add", "del", "delete", "attach", "set") and len(rest) > 2:
                    created = rest[2] if sub == "add" else None
                    return Planned(head + [sub, self.real(rest[2])] + rest[3:], ROOT, created=created)
                if sub == "identify" and len(rest) == 2:
                    return Planned(words, ROOT)  # this machine's real root: read-only
                if sub in ("list", "show", "list-id"):
                    return Planned(["ip", "netns", "exec", self.root] + words, ROOT, list_netns=True)
                return Planned(["ip", "netns", "exec", self.root] + self.map_words(words), ROOT)
            if ns is not None:
                return Planned(self.map_words(words), ns)
        return Planned(["ip", "netns", "exec", self.root] + self.map_words(words), ROOT)


class MacNormalizer:
    """MACs the case did not set become ``<mac-N>`` (same MAC, same N, for the whole run)."""

    def __init__(self, fixed: set[str]) -> None:
        self.fixed = {mac.lower() for mac in fixed} | _KEEP_MACS
        self.seen: dict[str, str] = {}

    @classmethod
    def for_lines(cls, lines: tuple[str, ...] | list[str]) -> MacNormalizer:
        return cls({mac for line in lines for mac in _MAC.findall(line.lower())})

    def sub(self, text: str) -> str:
        def repl(match: re.Match[str]) -> str:
            mac = match.group(0)
            if mac in self.fixed or int(mac[:2], 16) & 1:
                return mac
            if mac not in self.seen:
                self.seen[mac] = f"<mac-{len(self.seen) + 1}>"
            return self.seen[mac]

        return _MAC.sub(repl, text)


# -- a run ----------------------------------------------------------------------------------------


@dataclass
class _ListenerSocket:
    spec: Listener
    sock: socket.socket


@dataclass
class Lab:
    """One run of one case: its namespaces, listeners and observation."""

    case: MultiCase
    prefix: str = field(default_factory=lambda: f"{PREFIX}{os.getpid()}-{random.randrange(16**4):04x}-")
    obs: MultiObservation = field(default_factory=MultiObservation)
    sockets: list[_ListenerSocket] = field(default_factory=list)
    accepted: list[socket.socket] = field(default_factory=list)
    """Accepted connections, closed together after the actions (see `close_accepted`)."""
    strict: bool = True
    """Raise `SetupFailed` when a line fails that the case did not mark with ``!``."""

    def __post_init__(self) -> None:
        self.namer = Namer(self.prefix)
        self.macs = MacNormalizer.for_lines(self.case.commands)

    # text ---------------------------------------------------------------------------------------
    def clean(self, text: str) -> str:
        text = text.replace(self.namer.root, ROOT).replace(self.prefix, "")
        return normalize_output(self.macs.sub(text))

    def _exec(self, argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                argv,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT,
                stdin=None if stdin is not None else subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            return subprocess.CompletedProcess(argv, 124, str(exc.stdout or ""), f"timeout after {exc.timeout}s")

    def _preamble(self, real_ns: str) -> None:
        for line in PREAMBLE:
            proc = self._exec(["ip", "netns", "exec", real_ns, *shlex.split(line)])
            if proc.returncode != 0:
                raise SetupFailed(f"preamble `{line}` in {real_ns}: {proc.stderr.strip()}")

    def run_line(self, line: str, stdin: str | None = None) -> CommandResult:
        plan = self.namer.plan(line)
        proc = self._exec(plan.argv, stdin)
        stdout = proc.stdout
        if plan.list_netns:
            stdout = "".join(
                row
                for row in stdout.splitlines(keepends=True)
                if row.startswith(self.prefix) and not row.startswith(self.namer.root)
            )
        if plan.created and proc.returncode == 0:
            self._preamble(self.namer.real(plan.created))
        return CommandResult(
            line=line, ns=plan.ns, exit=proc.returncode, stdout=self.clean(stdout), stderr=self.clean(proc.stderr)
        )

    # phases -------------------------------------------------------------------------------------
    def setup(self) -> None:
        _live_prefixes.add(self.prefix)
        proc = self._exec(["ip", "netns", "add", self.namer.root])
        if proc.returncode != 0:
            raise SetupFailed(f"cannot create the root substitute: {proc.stderr.strip()}")
        self._preamble(self.namer.root)
        for number, line in enumerate(self.case.commands, 1):
            result = self.run_line(line)
            self.obs.setup.append(result)
            expected_failure = line.startswith("! ")
            if self.strict and (result.exit != 0) != expected_failure:
                what = "failed" if result.exit else "succeeded although marked `!`"
                raise SetupFailed(
                    f"{self.case.name}: line {number} `{line}` {what} (exit {result.exit}): {result.stderr.strip()}"
                )

    def open_listeners(self) -> None:
        for spec in self.case.listeners:
            with in_netns(self.namer.real(spec.ns)):
                if spec.proto == "tcp":
                    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    sock.bind((spec.addr, spec.port))
                    sock.listen(64)
                else:
                    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
                    sock.bind((spec.addr, spec.port))
            sock.setblocking(False)
            self.sockets.append(_ListenerSocket(spec, sock))

    def drain(self) -> None:
        """Accept every pending connection (kept open until `close_accepted`); read every datagram."""
        for item in self.sockets:
            spec, sock = item.spec, item.sock
            while True:
                try:
                    if spec.proto == "tcp":
                        conn, peer = sock.accept()
                        local = conn.getsockname()
                        self.accepted.append(conn)
                        self.obs.delivered.append(
                            f"{spec.ns}: tcp {peer[0]}:{peer[1]} > {local[0]}:{local[1]} accepted"
                        )
                    else:
                        data, anc, _flags, peer = sock.recvmsg(65535, socket.CMSG_SPACE(12))
                        dst = sock.getsockname()[0]
                        for level, kind, cdata in anc:
                            if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(cdata) >= 12:
                                dst = socket.inet_ntoa(cdata[8:12])
                        self.obs.delivered.append(
                            f"{spec.ns}: udp {peer[0]}:{peer[1]} > {dst}:{spec.port} len={len(data)}"
                        )
                except (BlockingIOError, InterruptedError):
                    break

    def act(self, action: Action) -> None:
        started = time.monotonic()
        res = self.run_line(action.line, stdin=action.stdin)
        if action.kind == "ping":
            outcome = ping_result(res.stdout, res.stderr)
        else:
            outcome = nc_result(action.kind, res.exit, res.stderr)
        self.obs.actions.append(
            ActionResult(
                line=res.line,
                ns=res.ns,
                exit=res.exit,
                stdout=res.stdout,
                stderr=res.stderr,
                kind=action.kind,
                result=outcome,
            )
        )
        self.drain()
        self.obs.notes.append(f"action `{action.line}` took {time.monotonic() - started:.3f}s")

    def close_accepted(self) -> None:
        """Close every accepted connection, ``DELACK_WAIT`` after the last action.

        A server socket that has received the client's FIN delays its ACK (pingpong mode, 40 ms
        and more); closing at once would piggyback that ACK on our FIN or not depending on the
        scheduler (8 or 9 packets through a bridge). Waiting makes it always a separate ACK.
        """
        self.drain()
        if self.accepted:
            time.sleep(DELACK_WAIT)
            for conn in self.accepted:
                conn.close()
            self.accepted.clear()

    def observe(self) -> None:
        self.close_accepted()
        time.sleep(SETTLE)
        self.drain()
        alive = set(_netns_names())
        script = (
            f"iptables-save -c; echo {_SEP}; conntrack -L 2>/dev/null; echo {_SEP}; ip -j neigh show; "
            f"echo {_SEP}; bridge -j fdb show; echo {_SEP}; ip -s -j link show"
        )
        for ns in self.case.namespaces:
            real = self.namer.real(ns)
            if real not in alive:
                continue
            proc = self._exec(["ip", "netns", "exec", real, "sh", "-c", script])
            parts = proc.stdout.split(_SEP + "\n")
            if len(parts) != 5:
                raise RuntimeError(f"observing {ns}: unexpected output {proc.stdout!r} {proc.stderr!r}")
            save, ct, neigh, fdb, links = (self.clean(part) for part in parts)
            link_text, stats = link_lines(_json_list(links))
            self.obs.namespaces[ns] = NamespaceState(
                iptables=parse_iptables_save(save),
                conntrack=parse_conntrack(ct),
                neigh=neigh_lines(_json_list(neigh)),
                fdb=fdb_lines(_json_list(fdb)),
                links=link_text,
                stats=stats,
            )

    def destroy(self) -> None:
        for conn in self.accepted:
            conn.close()
        self.accepted.clear()
        for item in self.sockets:
            item.sock.close()
        self.sockets.clear()
        delete_prefixed(self.prefix)


def _json_list(text: str) -> list[dict]:
    text = text.strip()
    return json.loads(text) if text else []


def run_real(case: MultiCase, *, strict: bool = True) -> MultiObservation:
    """Run the case in fresh namespaces; every namespace it made is deleted afterwards."""
    reason = cached_reason()
    if reason:
        raise Unavailable(reason)
    lab = Lab(case, strict=strict)
    started = time.monotonic()
    try:
        lab.setup()
        lab.open_listeners()
        acted = time.monotonic()
        for action in case.actions:
            lab.act(action)
        lab.observe()
        lab.obs.notes.append(f"setup {acted - started:.3f}s, actions+observe {time.monotonic() - acted:.3f}s")
        return lab.obs
    finally:
        lab.destroy()
