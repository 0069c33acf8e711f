"""The simulator side of the multi-host tests: ``run_sim(case) -> MultiObservation``.

Contract: feed ``case.commands`` to a fresh world's shell as written (a ``! `` prefix means the line
is expected to fail; strip it and record its status and output), open ``case.listeners``, run every
action, then fill a `MultiObservation` with the same normalization as real.py.

How the simulator stands in for the kernel side
-----------------------------------------------
* **The root.** real.py's root is a fresh namespace standing in for the machine's, so the world's
  root host here is one too (`Host.namespace`: only ``lo``, DOWN, fresh-namespace sysctls), not the
  shell's connected machine.
* **Commands** run through `Shell` exactly as written; a failed line's output is its stderr.
* **Listeners**: the shell's ``listen`` verb in their namespace (an accepting app: it closes each
  connection when the client's FIN arrives, so the server's ACK and FIN leave as two packets, as
  real.py's delayed close makes them).
* **Actions**: ``ping`` is the shell's ``ping``. ``nc`` is not in the shell yet (commands/nc.py is
  being written), so `_tcp` / `_udp` realise it with kernel calls: a socket bound to the fixed
  source port, the SYN (retransmitted at 1 s, 3 s... while within ``-w``) or the datagram sent with
  `stack.transmit`, and the outcome read from the socket and the journey's answers. Replace them
  with ``ip netns exec NS nc ...`` once nc lands.
* **Observation**: per namespace the shell's own ``iptables-save -c``, ``conntrack -L``, ``ip
  neigh``, ``bridge fdb show`` and ``ip link show`` (text: the shell has no ``-j``), parsed into the
  entries real.py reads from JSON, then through the same `observe` functions; MACs the case did
  not set become ``<mac-N>`` by the same `MacNormalizer`, fed in the same order.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel import stack
from netstack_tui.kernel.addr import format_ipv4, parse_ipv4
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.packet import ACK, FIN, ICMP_DEST_UNREACH, IPPROTO_TCP, IPPROTO_UDP, SYN, Packet
from netstack_tui.kernel.sockets import Socket
from netstack_tui.kernel.trace import Disposition, Trace
from netstack_tui.kernel.world import ROOT_NAME, World

from .case import ROOT, Action, MultiCase
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
from .real import MacNormalizer

SYN_OPTIONS = 20
"""A Linux SYN's options: MSS, SACK permitted, timestamps, window scale."""
TIMESTAMP_OPTION = 12
"""The timestamps option (with its padding) every later segment of such a connection carries."""
SYN_RETRIES_AT = (1.0, 3.0, 7.0, 15.0)
"""When an unanswered SYN is sent again (initial RTO 1 s, doubling)."""
NC_ERRORS = {
    0: "Network is unreachable",
    1: "No route to host",
    3: "Connection refused",
    9: "Network is unreachable",
    10: "No route to host",
    13: "No route to host",
}
"""nc's words for the errno an ICMP destination-unreachable code becomes (icmp_err_convert)."""


class SimRun:
    """One case in a fresh world: its shell, listeners, and the observation being filled."""

    def __init__(self, case: MultiCase) -> None:
        self.case = case
        self.world = World(Host.namespace(ROOT_NAME))
        self.shell = Shell(world=self.world)
        self.obs = MultiObservation()
        self.macs = MacNormalizer.for_lines(case.commands)
        self.to_close: list[tuple[str, Packet]] = []
        """Connections the listeners still hold (CLOSE-WAIT), each with its ACK of the client's FIN."""

    def clean(self, text: str) -> str:
        return normalize_output(self.macs.sub(text))

    def host(self, ns: str) -> Host | None:
        return self.world.root if ns == ROOT else self.world.namespaces.get(ns)

    def run(self, line: str, ns: str = ROOT) -> tuple[int, str, str]:
        """Run ``line`` in ``ns``: (status, stdout, stderr) — a failure's output is its stderr."""
        full = line if ns == ROOT else f"ip netns exec {ns} {line}"
        result = self.shell.run(full)
        out = result.output + ("\n" if result.output else "")
        if result.status == 0 or out.startswith("PING "):  # ping's report is stdout, also on failure
            return result.status, out, ""
        return result.status, "", out

    # phases ---------------------------------------------------------------------------------------
    def setup(self) -> None:
        for line in self.case.commands:
            text = line.removeprefix("! ")
            status, out, err = self.run(text)
            self.obs.setup.append(CommandResult(line, _line_ns(text), status, self.clean(out), self.clean(err)))

    def open_listeners(self) -> None:
        for number, spec in enumerate(self.case.listeners, 1):
            status, _out, err = self.run(f"listen {spec.proto} {spec.addr}:{spec.port} --app listener{number} --leak",
                                         spec.ns)
            if status:
                raise RuntimeError(f"listener {spec.label}: {err}")

    def act(self, action: Action) -> None:
        if action.kind == "ping":
            status, out, err = self.run(action.command, action.ns)
            result = ping_result(self.clean(out), self.clean(err))
        else:
            status, err = (_tcp if action.kind == "tcp" else _udp)(self, action)
            out = ""
            result = nc_result(action.kind, status, err)
        self.obs.actions.append(ActionResult(action.line, action.ns, status, self.clean(out), self.clean(err),
                                             kind=action.kind, result=result))

    def close_accepted(self) -> None:
        """The listeners close their connections after the actions (real.py's delayed close): each
        sends its FIN from LAST-ACK, and the client's last ACK finds the socket still there."""
        for label, ack in self.to_close:
            host = self.host(self._ns_of(label))
            assert host is not None
            local, peer = (ack.src, ack.sport), (ack.dst, ack.dport)
            sock = host.sockets.lookup_established("tcp", local, peer)
            if sock is None:
                continue
            sock.state = "LAST-ACK"
            stack.transmit(host, Packet(IPPROTO_TCP, ack.src, ack.dst, ack.sport, ack.dport, flags=FIN | ACK,
                                        seq=ack.seq, ack_seq=ack.ack_seq, opt_len=TIMESTAMP_OPTION), owner="listener")
            proc = host.sockets.processes.get(sock.pid) if sock.pid is not None else None
            if proc is not None and sock.fd is not None:
                proc.fds.pop(sock.fd, None)
            if sock in host.sockets.sockets:
                host.sockets.sockets.remove(sock)
        self.to_close.clear()

    def observe(self) -> None:
        self.close_accepted()
        for ns in self.case.namespaces:
            if self.host(ns) is None:
                continue
            save = self.run("iptables-save -c", ns)[1]
            conntrack = self.run("conntrack -L", ns)[1]
            neigh = self.clean(self.run("ip neigh show", ns)[1])
            fdb = self.clean(self.run("bridge fdb show", ns)[1])
            links, stats = link_lines(_link_entries(self.clean(self.run("ip -s link show", ns)[1])))
            self.obs.namespaces[ns] = NamespaceState(
                iptables=parse_iptables_save(save),
                conntrack=parse_conntrack(conntrack),
                neigh=neigh_lines(_neigh_entries(neigh)),
                fdb=fdb_lines(_fdb_entries(fdb)),
                links=links,
                stats=stats,
            )

    def deliveries(self, trace: Trace) -> None:
        """Datagrams a listener's socket got on this journey (and the answers it caused)."""
        for done in _tree(trace):
            if done.disposition != Disposition.DELIVERED or not done.steps:
                continue
            last = done.steps[-1]
            pkt = last.packet
            if pkt.proto != IPPROTO_UDP or not done.delivered_to or "listener" not in done.delivered_to:
                continue
            ns = self._ns_of(last.host)
            self.obs.delivered.append(f"{ns}: udp {format_ipv4(pkt.src)}:{pkt.sport} > {format_ipv4(pkt.dst)}:"
                                      f"{pkt.dport} len={pkt.payload_len}")

    def _ns_of(self, label: str) -> str:
        return ROOT if label == self.world.root.name else label


def _line_ns(line: str) -> str:
    words = shlex.split(line)
    if words[:3] == ["ip", "netns", "exec"] and len(words) > 3:
        return words[3]
    if words[:2] in (["ip", "-n"], ["bridge", "-n"]) and len(words) > 2:
        return words[2]
    return ROOT


# -- nc, with kernel calls (until commands/nc.py lands) ----------------------------------------------


def _source(host: Host, dst: int) -> int | None:
    found = host.routing.lookup(dst)
    if found.route is None or found.error is not None:
        return None
    route = found.route
    dev = "lo" if route.type == "local" else route.dev or ""
    return route.src or host.primary_address(dev, dst)


def _icmp_error(trace: Trace, host: Host) -> str | None:
    """nc's error for an ICMP destination-unreachable delivered back to ``host``, if one came."""
    for done in _tree(trace):
        if done.disposition != Disposition.DELIVERED or not done.steps or done.steps[-1].host != host.name:
            continue
        pkt = done.steps[-1].packet
        if pkt.proto == 1 and pkt.icmp_type == ICMP_DEST_UNREACH:
            return NC_ERRORS.get(pkt.icmp_code, "No route to host")
    return None


def _tcp(run: SimRun, action: Action) -> tuple[int, str]:
    """``nc -zv -w W -p SPORT DST PORT``: connect, then close at once (FIN); (status, stderr)."""
    host = run.host(action.ns)
    assert host is not None
    dst = parse_ipv4(action.dst)
    src = _source(host, dst)
    if src is None:
        return 1, f"nc: connect to {action.dst} port {action.port} (tcp) failed: Network is unreachable\n"
    table = host.sockets
    proc = table.spawn("nc")
    sock = table.bind(proc, "tcp", src, action.sport, now=host.clock)
    sock.peer, sock.state = (dst, action.port), "SYN-SENT"
    syn = Packet(IPPROTO_TCP, src, dst, action.sport, action.port, flags=SYN, seq=1000, opt_len=SYN_OPTIONS)
    listeners = _accepted(run)
    elapsed, error = 0.0, None
    for at in (0.0, *SYN_RETRIES_AT):
        if at >= action.wait:
            break
        run.world.advance(at - elapsed)
        elapsed = at
        trace = stack.transmit(host, syn, owner=f"nc (pid {proc.pid})")
        error = _icmp_error(trace, host)
        if sock.state != "SYN-SENT" or error or sock not in table.sockets:
            break
    where = f"{action.dst} port {action.port} [tcp/*]"
    if sock.state == "ESTAB":
        for ns, child in _accepted(run):
            if (ns, child) not in listeners:
                run.obs.delivered.append(f"{ns}: tcp {format_ipv4(child.peer[0])}:{child.peer[1]} > "
                                         f"{format_ipv4(child.local[0])}:{child.local[1]} accepted")
        synack = next((p for p in _packets(trace) if p.proto == IPPROTO_TCP and p.flags == SYN | ACK), None)
        table.close(sock, host.clock, active=True)
        table.kill(proc, host.clock)
        fin = stack.transmit(host, Packet(IPPROTO_TCP, src, dst, action.sport, action.port, flags=FIN | ACK,
                                          seq=1001, ack_seq=(synack.seq + 1) & 0xFFFFFFFF if synack else 0,
                                          opt_len=TIMESTAMP_OPTION), owner="nc")
        for done in _tree(fin)[1:]:
            pkt = done.packet
            if pkt.proto == IPPROTO_TCP and pkt.flags == ACK and (pkt.src, pkt.sport) != (src, action.sport):
                run.to_close.append((done.host, done.packet))
                break
        return 0, f"Connection to {action.dst} {action.port} port [tcp/*] succeeded!\n"
    reset = sock not in table.sockets  # a RST closed it (tcp_reset)
    table.kill(proc, host.clock)
    if sock in table.sockets:
        table.sockets.remove(sock)
    if reset and error is None:
        error = "Connection refused"
    if error is not None:
        return 1, f"nc: connect to {where} failed: {error}\n"
    run.world.advance(action.wait - elapsed)
    return 1, f"nc: connect to {where} failed: Connection timed out\n"


def _udp(run: SimRun, action: Action) -> tuple[int, str]:
    """``nc -u -w W -p SPORT DST PORT`` with one line on stdin: one datagram; (status, stderr)."""
    host = run.host(action.ns)
    assert host is not None
    dst = parse_ipv4(action.dst)
    src = _source(host, dst)
    if src is None:
        return 1, ""  # connect() fails with ENETUNREACH; without -v nc -u says nothing
    table = host.sockets
    proc = table.spawn("nc")
    table.bind(proc, "udp", src, action.sport, now=host.clock)
    pkt = Packet(IPPROTO_UDP, src, dst, action.sport, action.port, payload_len=len(action.payload.encode()))
    trace = stack.transmit(host, pkt, owner=f"nc (pid {proc.pid})")
    run.deliveries(trace)
    refused = _icmp_error(trace, host) == "Connection refused"
    table.kill(proc, host.clock)
    if not refused:
        run.world.advance(action.wait)
    return 0, ""


def _accepted(run: SimRun) -> list[tuple[str, Socket]]:
    """Every connection a listener of the case has accepted so far."""
    out = []
    for spec in run.case.listeners:
        host = run.host(spec.ns)
        if host is None:
            continue
        for sock in host.sockets.sockets:
            if sock.proto == "tcp" and sock.state != "LISTEN" and sock.local[1] == spec.port and sock.peer:
                out.append((spec.ns, sock))
    return out


def _tree(trace: Trace) -> list[Trace]:
    out = [trace]
    for reply in trace.replies:
        out += _tree(reply)
    return out


def _packets(trace: Trace) -> list[Packet]:
    return [t.packet for t in _tree(trace)]


# -- the shell's text outputs → the entries real.py reads from ip/bridge -j --------------------------

_STATES = {"PERMANENT", "REACHABLE", "STALE", "DELAY", "PROBE", "INCOMPLETE", "FAILED", "NOARP", "NONE"}


def _neigh_entries(text: str) -> list[dict[str, Any]]:
    entries = []
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        entry: dict[str, Any] = {"dst": words[0]}
        for key, field in (("dev", "dev"), ("lladdr", "lladdr")):
            if key in words:
                entry[field] = words[words.index(key) + 1]
        entry["state"] = [w for w in words if w in _STATES]
        entries.append(entry)
    return entries


def _fdb_entries(text: str) -> list[dict[str, Any]]:
    entries = []
    for line in text.splitlines():
        words = line.split()
        if len(words) < 3:
            continue
        entry: dict[str, Any] = {"mac": words[0], "ifname": words[words.index("dev") + 1]}
        if "master" in words:
            entry["master"] = words[words.index("master") + 1]
        entry["state"] = "permanent" if "permanent" in words else ""
        entries.append(entry)
    return entries


_LINK_HEAD = re.compile(r"^\d+: ([^:@]+)(?:@\S+)?: <([^>]*)>(.*)$")


def _link_entries(text: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for line in text.splitlines():
        match = _LINK_HEAD.match(line)
        if match:
            rest = match.group(3).split()
            entry: dict[str, Any] = {"ifname": match.group(1), "flags": match.group(2).split(",")}
            if "master" in rest:
                entry["master"] = rest[rest.index("master") + 1]
            entries.append(entry)
        elif entries and line.strip().startswith("link/"):
            words = line.split()
            if len(words) > 1:
                entries[-1]["address"] = words[1]
    return entries


def run_sim(case: MultiCase) -> MultiObservation:
    """Run the case in a fresh simulated world and observe it as real.py observes the kernel."""
    run = SimRun(case)
    run.setup()
    run.open_listeners()
    for action in case.actions:
        run.act(action)
    run.observe()
    return run.obs
