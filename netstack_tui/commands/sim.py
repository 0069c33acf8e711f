"""Simulator verbs: send, flood, listen, kill, sleep, trace, nic.

These are the few commands with no real-tool equivalent: they put packets on the wire, start and
stop applications, and move the simulated clock.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from ..kernel import deliver, retransmit, ring, stack, teardown
from ..kernel.addr import AddressError, parse_ipv4
from ..kernel.app import ports
from ..kernel.host import Host
from ..kernel.interfaces import NATIVE_XDP_DRIVERS
from ..kernel.link import neigh
from ..kernel.packet import IPPROTO_TCP, SYN, Packet, PacketSpecError, parse_packet
from ..kernel.sockets import Socket, SocketError
from ..kernel.trace import Disposition, Outcome, Trace
from ..kernel.varied import VariedFlood
from . import tcp_client
from .base import CommandError, CommandResult, ProgressReporter, ShellContext
from .numbers import number, real_number
from .render import render_trace

DEFAULT_BACKLOG = 128


def _parse(spec_words: list[str], verb: str) -> tuple[object, str | None]:
    if not spec_words:
        raise CommandError(f"{verb}: missing packet, e.g. '{verb} tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]'", 2)
    try:
        return parse_packet(" ".join(spec_words))
    except PacketSpecError as exc:
        raise CommandError(f"{verb}: {exc}", 2) from None


def run_packet(ctx: ShellContext, spec_words: list[str], verb: str = "send") -> Trace:
    """Parse a packet spec and trace it: from the wire on `iface=` or, with a local source, from an app."""
    pkt, iface = _parse(spec_words, verb)
    host = ctx.host
    if iface is None and host.is_local(pkt.src):  # type: ignore[attr-defined]
        assert isinstance(pkt, Packet)
        owner = _connecting(host, pkt) if pkt.proto == IPPROTO_TCP and pkt.flags == SYN else None
        return stack.transmit(host, pkt, owner=owner or "app")
    iface = iface or "eth0"
    if iface not in host.interfaces:
        raise CommandError(f'{verb}: Cannot find device "{iface}"', 1)
    assert isinstance(pkt, Packet)
    neigh.note_sender(host, iface, pkt.src, pkt.src_mac)
    return stack.receive(host, pkt, iface)


def _connecting(host: Host, pkt: Packet) -> str | None:
    """A local SYN is what connect() sends: the socket in SYN-SENT it comes from (made for process `app`
    when none has this 4-tuple), so an answer finds it; its owner, or None when the port is taken."""
    table = host.sockets
    local, peer = (pkt.src, pkt.sport), (pkt.dst, pkt.dport)
    for sock in table.sockets:
        if sock.proto == "tcp" and sock.local == local and sock.peer == peer and sock.pid is not None:
            proc = table.processes.get(sock.pid)
            return f"{proc.name} (pid {proc.pid})" if proc is not None else None
    proc = table.find_process("app") or table.spawn("app")
    try:
        sock = table.bind(proc, "tcp", pkt.src, pkt.sport, now=host.clock)
    except SocketError:
        return None
    sock.peer, sock.state = peer, "SYN-SENT"
    return f"{proc.name} (pid {proc.pid})"


def send_lines(trace: Trace) -> list[str]:
    """The disposition line, then one line per reply that went back out where the packet came in,
    as it left there (after any un-NAT: what tcpdump on that device would show)."""
    lines = [trace.summary_line()]
    for reply in trace.replies:
        out = _left_from(reply, trace.host)
        if out is not None:
            lines.append(str(out))
    return lines


def _left_from(reply: Trace, host: str) -> Packet | None:
    """The reply as it last left namespace `host` on a device, if it did."""
    sent = [s.packet for s in reply.steps if s.stage == "tx" and s.host == host and s.note != "tx.loopback"]
    if sent:
        return sent[-1]
    return reply.final_packet if reply.disposition == Disposition.SENT else None


def send(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """send PACKET: one packet through the host."""
    trace = run_packet(ctx, argv[1:])
    return CommandResult("\n".join(send_lines(trace)), 0, [trace], changed=True)


MAX_FLOOD = 1_000_000
"""The largest flood: about a minute and a half at the slowest (every packet a new flow)."""


def flood(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """flood PACKET --count N [--vary sport|src] [--burst]: many packets, summarised by outcome. With
    --burst they arrive back to back at line rate and can overflow the RX ring (`kernel.ring`);
    without it they come spaced out and NAPI empties the ring before each one."""
    words, count, vary, burst = [], 1000, "sport", False
    args = iter(argv[1:])
    for word in args:
        if word == "--burst":
            burst = True
            continue
        if word == "--count":
            text = next(args, "")
            count = number(text, 1, MAX_FLOOD, f"--count needs a number, got {text!r}", 2,
                           out_of_range=f"flood: --count must be between 1 and {MAX_FLOOD:,}: a flood that does not "
                           "settle runs ~10,000 packets a second here, so a bigger one would take minutes")
        elif word == "--vary":
            vary = next(args, "")
            if vary not in ("sport", "src", "none"):
                raise CommandError("flood: --vary takes sport, src or none", 2)
        else:
            words.append(word)
    pkt, iface = _parse(words, "flood")
    iface = iface or "eth0"
    if iface not in ctx.host.interfaces:
        raise CommandError(f'flood: Cannot find device "{iface}"', 1)
    # The packets as they arrive on `iface` (what the receive path would set on each one anyway).
    pkt = pkt.replace(iif=iface, oif=None)  # type: ignore[attr-defined]
    device = ctx.host.interfaces[iface]
    if burst and device.kind != "ether":
        raise CommandError(f"flood: --burst needs a NIC with an RX ring; {iface} is a {device.kind} device", 1)
    if burst:
        ring.start_burst(device)
    try:
        first = _flood_outcomes(ctx.host, pkt, iface, count, vary)
        last = _varied(pkt, vary, count - 1)
        tally, done, trace = run_batch(ctx.host, first, last, iface, count, ctx.progress() if ctx.progress else None)
    finally:
        if burst:
            ring.end_burst(device)
    lines = [f"{n:>8}  {what}" for what, n in sorted(tally.items(), key=lambda kv: -kv[1])]
    if done < count:
        lines.append(f"interrupted after {done} of {count} packets (the {done} sent stay sent)")
    return CommandResult("\n".join(lines), 130 if done < count else 0, [trace] if trace else [], changed=True)


def _varied(pkt: Packet, vary: str, i: int) -> Packet:
    """The flood's `i`-th packet: the source port or address counted up from the given one."""
    if vary == "sport":
        return pkt.replace(sport=_sport(pkt, i))
    if vary == "src":
        return pkt.replace(src=_src(pkt, i))
    return pkt


def _sport(pkt: Packet, i: int) -> int:
    return 1024 + (pkt.sport - 1024 + i) % 64512


def _src(pkt: Packet, i: int) -> int:
    return (pkt.src + i) & 0xFFFFFFFF


def _flood_outcomes(host: Host, pkt: Packet, iface: str, count: int, vary: str) -> Iterator[tuple[Outcome, int]]:
    """All but the last packet of the flood, as outcomes with how many packets each stands for:
    identical packets through `stack.receive_repeated`, varied ones through `kernel.varied`."""
    if vary == "none":
        return stack.receive_repeated(host, pkt, iface, count - 1)
    step = _sport if vary == "sport" else _src
    return VariedFlood(host, pkt, iface, vary).run(step(pkt, i) for i in range(count - 1))


def run_batch(host: Host, outcomes: Iterable[tuple[Outcome, int]], last: Packet, iface: str, total: int,
              progress: ProgressReporter | None = None) -> tuple[dict[str, int], int, Trace | None]:
    """Send `total` packets from the wire: all but the last as `outcomes` produces them (each
    with how many packets it stands for), then `last`, traced; return the outcome tally, how many
    were sent, and that trace (the only journey whose steps are recorded: `trace` shows it).

    Ctrl-C stops the batch between two packets: every packet before it has had all its effects
    (counters, conntrack, sockets), and none after it has had any. Progress goes to `progress`,
    which the caller draws (the CLI shows a bar for runs longer than a second).
    """
    tally: dict[str, int] = {}
    done = 0
    trace: Trace | None = None
    interrupted = _DeferredInterrupt()
    try:
        for outcome, n in outcomes:
            key = outcome.summary_line()
            tally[key] = tally.get(key, 0) + n
            if progress is not None and (done + n) >> 10 != done >> 10 and progress.update(done + n, total):
                interrupted.pending = True  # the viewer asked to stop: as Ctrl-C, between packets
            done += n
            if interrupted.pending:
                break
        else:
            trace = stack.receive(host, last, iface)
            key = trace.summary_line()
            tally[key] = tally.get(key, 0) + 1
            done += 1
    except KeyboardInterrupt:
        pass  # raised between packets where no handler could be installed (not the main thread)
    finally:
        interrupted.restore()
        if progress is not None:
            progress.close()
    return tally, done, trace


class _DeferredInterrupt:
    """Holds Ctrl-C until the packet in flight has finished, so no packet is left half-processed."""

    def __init__(self) -> None:
        self.pending = False
        self.previous: Any = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._note)

    def _note(self, signum: int, frame: object) -> None:
        self.pending = True

    def restore(self) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)




def _int(text: str, what: str, low: int, high: int) -> int:
    return number(text, low, high, f"{what} needs a number, got {text!r}", 2,
                  out_of_range=f"{what} must be between {low} and {high}")


def listen(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """listen tcp|udp ADDR:PORT [--backlog N] [--reuseaddr] [--reuseport] [--app NAME] [--no-accept] [--leak]."""
    if len(argv) < 3 or argv[1] not in ("tcp", "udp"):
        raise CommandError("usage: listen tcp|udp ADDR:PORT [--backlog N] [--reuseaddr] [--reuseport] "
                           "[--app NAME] [--no-accept] [--leak]", 2)
    proto, endpoint = argv[1], argv[2]
    addr_text, _, port_text = endpoint.rpartition(":")
    try:
        addr = parse_ipv4(addr_text or "0.0.0.0")
    except AddressError as exc:
        raise CommandError(f"listen: {exc}", 2) from None
    port = _int(port_text, "port", 1, 65535)
    backlog, app, reuseaddr, reuseport, accept, leak = DEFAULT_BACKLOG, None, False, False, True, False
    args = iter(argv[3:])
    for word in args:
        if word == "--backlog":
            backlog = _int(next(args, ""), "--backlog", 0, 1 << 20)
        elif word == "--app":
            app = next(args, None)
            if not app:
                raise CommandError("listen: --app needs a name", 2)
        elif word == "--reuseaddr":
            reuseaddr = True
        elif word == "--reuseport":
            reuseport = True
        elif word == "--no-accept":
            accept = False
        elif word == "--leak":
            leak = True
        else:
            raise CommandError(f"listen: unknown option {word!r}", 2)
    host = ctx.host
    table = host.sockets
    name = app or ("server" if proto == "tcp" else "udp-server")
    proc = table.find_process(name)
    if proc is None:
        proc = table.spawn(name, leaks=leak, auto_accept=accept)
    if addr and not host.is_local(addr) and not host.sysctl.int("net.ipv4.ip_nonlocal_bind"):
        raise CommandError(f"{name}: bind: Cannot assign requested address", 1)
    try:
        sock = table.bind(proc, proto, addr, port, reuseaddr=reuseaddr, reuseport=reuseport, now=host.clock)
    except SocketError as exc:
        holder = table.bind_conflict(proto, addr, port, reuseaddr, reuseport, host.clock)
        why = f" (held by a {holder.state} socket {holder.local_text()} ↔ {holder.peer_text()})" if holder else ""
        if not proc.fds or all(isinstance(v, str) for v in proc.fds.values()):
            proc.alive = False
        raise CommandError(f"{name}: {exc.message}{why}", 1) from None
    if proto == "tcp":
        table.listen(sock, backlog, host.sysctl.int("net.core.somaxconn"))
        extra = f" (backlog {sock.backlog})"
    else:
        extra = ""
    return CommandResult(f"{name} (pid {proc.pid}) listening on {proto} {sock.local_text()}{extra}, fd {sock.fd}",
                         changed=True)


def connect(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """connect tcp DST:PORT [--from ADDR[:PORT]] [--app NAME]: an application opens a connection (SYN out)."""
    if len(argv) < 3 or argv[1] != "tcp":
        raise CommandError("usage: connect tcp DST:PORT [--from ADDR[:PORT]] [--app NAME]", 2)
    host = ctx.host
    dst, dport = _endpoint(argv[2], "connect")
    src, sport, app = 0, 0, "client"
    args = iter(argv[3:])
    for word in args:
        if word == "--from":
            text = next(args, "")
            src, sport = _endpoint(text if ":" in text else text + ":0", "connect", allow_zero=True)
        elif word == "--app":
            app = next(args, "") or app
        else:
            raise CommandError(f"connect: unknown option {word!r}", 2)
    route = host.routing.lookup(dst, src)
    if route.route is None or route.error:
        raise CommandError(f"{app}: connect: Network is unreachable", 1)
    if not src:
        src = route.route.src or host.primary_address(route.route.dev or "", dst) or (dst if host.is_local(dst) else 0)
    table = host.sockets
    proc = table.find_process(app) or table.spawn(app)
    if sport:
        try:
            sock = table.bind(proc, "tcp", src, sport, now=host.clock)
        except SocketError as exc:
            raise CommandError(f"{app}: {exc.message}", 1) from None
    else:
        # An ephemeral port needs only a unique 4-tuple (__inet_hash_connect), not a free port:
        # it skips bind()'s conflict rules, which a TIME-WAIT to another destination would trip.
        sport = _ephemeral_port(host, src, dst, dport)
        sock = Socket("tcp", (src, sport), pid=proc.pid)
        try:
            sock.fd = proc.alloc_fd(sock)
        except SocketError:
            raise CommandError(f"{app}: socket: Too many open files", 1) from None
        table.sockets.append(sock)
    sock.peer = (dst, dport)
    syn = Packet(IPPROTO_TCP, src, dst, sport, dport, flags=SYN, seq=1000)
    trace = retransmit.send_syn(host, sock, syn, f"{proc.name} (pid {proc.pid})")
    return CommandResult("\n".join(send_lines(trace)), 0, [trace], changed=True)


def _endpoint(text: str, verb: str, *, allow_zero: bool = False) -> tuple[int, int]:
    addr_text, _, port_text = text.rpartition(":")
    try:
        addr = parse_ipv4(addr_text)
    except AddressError as exc:
        raise CommandError(f"{verb}: {exc}", 2) from None
    return addr, _int(port_text, "port", 0 if allow_zero else 1, 65535)


def _ephemeral_port(host: Host, src: int, dst: int, dport: int) -> int:
    """The first port of ip_local_port_range whose 4-tuple toward DST:DPORT is free, or held by a
    TIME-WAIT that net.ipv4.tcp_tw_reuse hands over (`kernel.app.ports`)."""
    port = ports.connect_port(host, src, (dst, dport))
    if port is None:
        raise CommandError("connect: Cannot assign requested address (no free ephemeral port)", 1)
    return port


KILL_LISTED = 6
"""Segments `kill` lists by name (a server with many connections sends one per connection)."""


def kill(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """kill NAME|PID: the process exits and all its sockets close, as tcp_close() closes them: a FIN on
    each established connection (a reset where data is unread), journeys of their own."""
    if len(argv) != 2:
        raise CommandError("usage: kill NAME|PID", 2)
    table = ctx.host.sockets
    proc = table.find_process(argv[1].lstrip("%"))
    if proc is None:
        raise CommandError(f"kill: ({argv[1]}) - No such process", 1)
    closed, traces = teardown.kill(ctx.host, proc)
    lines = [f"{proc.name} (pid {proc.pid}) exited; {closed} socket(s) closed"]
    # Each segment the kernel sent (and a peer's answer) is a journey; a few are listed by name.
    lines += [str(trace.packet) for trace in traces[:KILL_LISTED]]
    if len(traces) > KILL_LISTED:
        lines.append(f"... and {len(traces) - KILL_LISTED} more segment(s) (tcpdump shows them all)")
    return CommandResult("\n".join(lines), 0, traces, changed=True)


def accept(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """accept NAME: the app calls accept() on its listeners until the queue is empty or EMFILE."""
    if len(argv) != 2:
        raise CommandError("usage: accept NAME|PID", 2)
    table = ctx.host.sockets
    proc = table.find_process(argv[1])
    if proc is None:
        raise CommandError(f"accept: ({argv[1]}) - No such process", 1)
    total, waiting = 0, 0
    for sock in list(table.sockets):
        if sock.pid == proc.pid and sock.state == "LISTEN":
            total += deliver.accept_pending(ctx.host, sock)
            waiting += len(sock.accept_queue)
    line = f"{proc.name}: accepted {total} connection(s)"
    if waiting:
        line += f"; accept: Too many open files ({waiting} still queued, limit {proc.nofile})"
    return CommandResult(line, 1 if waiting else 0, changed=total > 0)


def sleep(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """sleep SECONDS: advance the simulated clock (timers: conntrack, TIME-WAIT, limit)."""
    if len(argv) != 2:
        raise CommandError("usage: sleep SECONDS", 2)
    # GNU sleep refuses `nan`; it would wait forever on `inf`, which a simulation cannot, so both
    # (and anything past ten years) are refused with its message.
    seconds = real_number(argv[1].removesuffix("s"), 0, 10 * 365 * 86400,
                          f"sleep: invalid time interval '{argv[1]}'")
    # TCP's timers fire on the way: their retransmissions are this command's journeys.
    fired = tcp_client.advance(ctx.host, seconds)
    return CommandResult("", 0, fired, changed=True)


def trace(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """trace [--json]: the last packet's journey, step by step."""
    if not ctx.last_traces:
        raise CommandError("trace: no packet sent yet (use 'send PACKET')", 1)
    if "--json" in argv[1:]:
        data = [t.to_json() for t in ctx.last_traces]
        return CommandResult(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    unknown = [a for a in argv[1:] if a != "--json"]
    if unknown:
        raise CommandError(f"trace: unknown option {unknown[0]!r}", 2)
    return CommandResult("\n\n".join(render_trace(t) for t in ctx.last_traces))


def nic(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """nic DEV [driver NAME] [ring N] [promisc on|off]: set the simulated hardware's facts."""
    if len(argv) < 2:
        raise CommandError("usage: nic DEV [driver NAME] [ring N] [promisc on|off]", 2)
    host = ctx.host
    if argv[1] not in host.interfaces:
        raise CommandError(f'nic: Cannot find device "{argv[1]}"', 1)
    iface = host.interfaces[argv[1]]
    # Every setting is checked before any is applied: a refused line changes nothing.
    driver, ring, promisc = iface.driver, iface.rx_ring, iface.promisc
    args = iter(argv[2:])
    for word in args:
        value = next(args, None)
        if value is None:
            raise CommandError(f"nic: {word} needs a value", 2)
        if word == "driver":
            if iface.xdp is not None:
                raise CommandError(f"nic: {iface.name} has an XDP program attached; detach it first "
                                   f"(ip link set dev {iface.name} xdp off)", 1)
            driver = value
        elif word == "ring":
            ring = _int(value, "ring", 1, 16384)
        elif word == "promisc":
            promisc = value == "on"
        else:
            raise CommandError(f"nic: unknown setting {word!r} (driver, ring, promisc)", 2)
    iface.driver, iface.rx_ring, iface.promisc = driver, ring, promisc
    native = "native XDP" if iface.driver in NATIVE_XDP_DRIVERS else "generic XDP only"
    return CommandResult(f"{iface.name}: driver {iface.driver} ({native}), rx ring {iface.rx_ring}", changed=True)


COMMANDS = {
    "send": send,
    "flood": flood,
    "listen": listen,
    "connect": connect,
    "kill": kill,
    "accept": accept,
    "sleep": sleep,
    "trace": trace,
    "nic": nic,
}
