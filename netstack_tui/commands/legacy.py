"""Classic tools the seeds use: netstat (net-tools 2.10), lsof (4.95), tc qdisc (iproute2 6.1).

Layouts were captured from the real tools in a scratch network namespace (see tests/shell/); where
the simulator has no data for a column (lsof's DEVICE for non-sockets, netstat -s counters the model
does not keep) it prints a fixed plausible value or 0 and says so once.
"""

from __future__ import annotations

from ..kernel.addr import format_ipv4
from ..kernel.host import Host
from ..kernel.interfaces import Interface
from ..kernel.sockets import Socket
from .base import CommandError, CommandResult, ShellContext, short_flags
from .ss import SERVICES, _sockets
from .system import _inode
from .userland import userland

# ---- netstat --------------------------------------------------------------------------------------

NETSTAT_STATES = {"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV", "FIN-WAIT-1": "FIN_WAIT1",
                  "FIN-WAIT-2": "FIN_WAIT2", "TIME-WAIT": "TIME_WAIT", "CLOSE-WAIT": "CLOSE_WAIT",
                  "LAST-ACK": "LAST_ACK", "CLOSING": "CLOSING", "LISTEN": "LISTEN", "UNCONN": "CLOSE"}
NETSTAT_LONG = {"--tcp": "t", "--udp": "u", "--listening": "l", "--all": "a", "--numeric": "n", "--program": "p",
                "--statistics": "s", "--interfaces": "i", "--route": "r", "--extend": "e", "--wide": "W"}


def netstat(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`netstat [-tulanpW]`, `netstat -s`, `netstat -i` (net-tools layout)."""
    flags: set[str] = set()
    for word in argv[1:]:
        if word in NETSTAT_LONG:
            flags.add(NETSTAT_LONG[word])
        elif word.startswith("-") and not word.startswith("--") and len(word) > 1:
            flags.update(short_flags(word, "tulanpsiWe4r", "netstat: option '-{letter}' is not simulated here "
                                                           "(use -t -u -l -a -n -p, -s, -i)", 1))
        else:
            raise CommandError(f"netstat: '{word}' is not simulated here (use -t -u -l -a -n -p, -s, -i)", 1)
    host = ctx.host
    if "r" in flags:
        raise CommandError("netstat: -r is not simulated here (use 'ip route', which this shell simulates)", 1)
    if "i" in flags:
        return CommandResult(_netstat_interfaces(host, "a" in flags))
    if "s" in flags:
        return CommandResult(_netstat_statistics(host))
    return CommandResult(_netstat_sockets(host, flags))


def _netstat_sockets(host: Host, flags: set[str]) -> str:
    protos = [p for p, f in (("tcp", "t"), ("udp", "u")) if f in flags] or ["tcp", "udp"]
    if "a" in flags:
        title, wanted = "servers and established", None
    elif "l" in flags:
        title, wanted = "only servers", True
    else:
        title, wanted = "w/o servers", False
    numeric = "n" in flags
    programs = "p" in flags
    lines = [f"Active Internet connections ({title})",
             "Proto Recv-Q Send-Q Local Address           Foreign Address         State      "
             + (" PID/Program name    " if programs else "")]
    for proto in protos:
        for sock in _sockets(host, [proto]):
            server = sock.state == "LISTEN" or (proto == "udp" and sock.state == "UNCONN")
            if wanted is not None and server != wanted:
                continue
            if sock.state == "LISTEN":
                recv_q, send_q = len(sock.accept_queue), 0
            else:
                recv_q, send_q = sock.recv_q, sock.send_q
            local = _netstat_addr(sock.local, numeric)
            foreign = _netstat_addr(sock.peer, numeric, peer=True)
            state = "" if proto == "udp" and sock.state == "UNCONN" else NETSTAT_STATES.get(sock.state, sock.state)
            line = (f"{proto:<4}  {recv_q:>6} {send_q:>6} {local:<{max(23, len(local))}} "
                    f"{foreign:<{max(23, len(foreign))}} {state:<11}")
            if programs:
                line += f" {_program(host, sock):<20}"
            lines.append(line)
    return "\n".join(lines)


def _program(host: Host, sock: Socket) -> str:
    if sock.pid is None or sock.fd is None:
        return "-"
    proc = host.sockets.processes.get(sock.pid)
    return f"{proc.pid}/{proc.name}" if proc is not None and proc.alive else "-"


def _netstat_addr(endpoint: tuple[int, int], numeric: bool, *, peer: bool = False) -> str:
    addr, port = endpoint
    if numeric or addr in (0,):
        host = format_ipv4(addr)
    else:
        host = "localhost" if addr == 0x7F000001 else format_ipv4(addr)
    if port == 0:
        return f"{host}:*"
    return f"{host}:{port if numeric else SERVICES.get(port, port)}"


def _flags(iface: Interface) -> str:
    letters = ""
    if not iface.is_loopback:
        letters += "B"
    if iface.is_loopback:
        letters += "L"
    if not iface.is_loopback:
        letters += "M"
    if iface.promisc:
        letters += "P"
    if iface.up:
        letters += "RU"
    return letters


def _netstat_interfaces(host: Host, all_devices: bool) -> str:
    lines = ["Kernel Interface table",
             "Iface             MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg"]
    for name in sorted(host.interfaces):
        iface = host.interfaces[name]
        if not iface.up and not all_devices:
            continue
        s = iface.stats
        lines.append(f"{name:<16}{iface.mtu:>5} {s.rx_packets:>8} {s.rx_errors:>6} {s.rx_dropped:>6} "
                     f"{s.rx_missed:<6} {s.tx_packets:>8} {s.tx_errors:>6} {s.tx_dropped:>6} {0:>6} {_flags(iface)}")
    return "\n".join(lines)


def _netstat_statistics(host: Host) -> str:
    """`netstat -s`: the counters the model keeps; the others print 0 (said once at the end)."""
    rx = sum(i.stats.rx_packets for i in host.interfaces.values())
    tx = sum(i.stats.tx_packets for i in host.interfaces.values())
    drops = sum(i.stats.rx_dropped for i in host.interfaces.values())
    socks = host.sockets.sockets
    established = sum(1 for s in socks if s.proto == "tcp" and s.state in ("ESTAB", "CLOSE-WAIT"))
    forwarding = 1 if host.sysctl.int("net.ipv4.ip_forward") else 2
    lines = ["Ip:", f"    Forwarding: {forwarding}", f"    {rx} total packets received", "    0 forwarded",
             f"    {drops} incoming packets discarded", "    0 incoming packets delivered",
             f"    {tx} requests sent out", f"    OutTransmits: {tx}",
             "Icmp:", "    0 ICMP messages received", "    0 input ICMP message failed", "    ICMP input histogram:",
             "    0 ICMP messages sent", "    0 ICMP messages failed", "    ICMP output histogram:",
             "Tcp:", "    0 active connection openings", "    0 passive connection openings",
             "    0 failed connection attempts", "    0 connection resets received",
             f"    {established} connections established", "    0 segments received", "    0 segments sent out",
             "    0 segments retransmitted", "    0 bad segments received", "    0 resets sent",
             "Udp:", "    0 packets received", "    0 packets to unknown port received",
             "    0 packet receive errors", "    0 packets sent", "    0 receive buffer errors",
             "    0 send buffer errors", "UdpLite:", "TcpExt:", "IpExt:", "MPTcpExt:",
             "(simulated: only packet totals, drops and established connections are counted here; "
             "per-protocol counters print 0)"]
    return "\n".join(lines)


# ---- lsof -----------------------------------------------------------------------------------------

LSOF_HEADER = ("COMMAND", "PID", "USER", "FD", "TYPE", "DEVICE", "SIZE/OFF", "NODE", "NAME")


def lsof(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`lsof [-n] [-P] -p PID` and `lsof [-n] [-P] -i [tcp|udp][:PORT]` (status 1 when nothing matches)."""
    host = ctx.host
    numeric_host = numeric_port = False
    pids: list[int] | None = None
    inet: tuple[str | None, int | None] | None = None
    args = iter(argv[1:])
    for word in args:
        if word in ("-n", "-P", "-nP", "-Pn"):
            numeric_host |= "n" in word
            numeric_port |= "P" in word
        elif word == "-p" or word.startswith("-p"):
            value = word[2:] or next(args, "")
            try:
                pids = [int(v) for v in value.split(",")]
            except ValueError:
                raise CommandError(f"lsof: illegal process ID: {value}", 1) from None
        elif word == "-i" or word.startswith("-i"):
            value = word[2:]
            if not value:
                following = next(args, None)
                value = following if following is not None else ""
            inet = _inet_filter(value)
        else:
            raise CommandError(f"lsof: '{word}' is not simulated here (use -p PID or -i [tcp|udp][:PORT], -n, -P)", 1)
    if pids is None and inet is None:
        raise CommandError("lsof: listing every open file is not simulated here (use -p PID or -i :PORT)", 1)
    rows: list[list[str]] = []
    for pid in sorted(host.sockets.processes):
        proc = host.sockets.processes[pid]
        if not proc.alive or (pids is not None and pid not in pids):
            continue
        if inet is None:
            rows += [[proc.name[:9], str(pid), "root", fd, kind, "254,1", "4096", node, path]
                     for fd, kind, node, path in (("cwd", "DIR", "2", "/"), ("rtd", "DIR", "2", "/"),
                                                  ("txt", "REG", "131090", f"/usr/sbin/{proc.name}"))]
        for fd, obj in sorted(proc.fds.items()):
            if isinstance(obj, Socket):
                if inet is not None and not _inet_match(obj, inet):
                    continue
                name = _lsof_name(obj, numeric_host, numeric_port)
                rows.append([proc.name[:9], str(pid), "root", f"{fd}u", "IPv4", str(_inode(host, obj)), "0t0",
                             obj.proto.upper(), name])
            elif inet is None:
                rows.append([proc.name[:9], str(pid), "root", f"{fd}u", "CHR", "136,0", "0t0", "3", str(obj)])
    if not rows:
        return CommandResult("", 1)
    return CommandResult(_lsof_table(rows))


def _inet_filter(value: str) -> tuple[str | None, int | None]:
    proto_text, _, port = value.partition(":")
    proto = proto_text.lower() or None
    if proto not in (None, "tcp", "udp", "4"):
        raise CommandError(f"lsof: unacceptable Internet address: {value}", 1)
    if port and not port.isdigit():
        numbers = {name: number for number, name in SERVICES.items()}
        if port not in numbers:
            raise CommandError(f"lsof: unknown service {port} in: -i {value}", 1)
        return (None if proto == "4" else proto), numbers[port]
    return (None if proto == "4" else proto), int(port) if port else None


def _inet_match(sock: Socket, inet: tuple[str | None, int | None]) -> bool:
    proto, port = inet
    return (proto is None or sock.proto == proto) and (port is None or port in (sock.local[1], sock.peer[1]))


def _lsof_endpoint(endpoint: tuple[int, int], numeric_host: bool, numeric_port: bool) -> str:
    addr, port = endpoint
    host = "*" if addr == 0 else ("localhost" if addr == 0x7F000001 and not numeric_host else format_ipv4(addr))
    return f"{host}:{port if numeric_port else SERVICES.get(port, port)}"


def _lsof_name(sock: Socket, numeric_host: bool, numeric_port: bool) -> str:
    local = _lsof_endpoint(sock.local, numeric_host, numeric_port)
    if sock.proto == "udp" and sock.state == "UNCONN":
        return local + " "
    if sock.state == "LISTEN":
        return f"{local} (LISTEN)"
    peer = _lsof_endpoint(sock.peer, numeric_host, numeric_port)
    return f"{local}->{peer} ({NETSTAT_STATES.get(sock.state, sock.state)})"


def _lsof_table(rows: list[list[str]]) -> str:
    """lsof's columns: widths from the widest cell; COMMAND, USER, NAME left-aligned, the rest right;
    FD is the number right-aligned (at least 4 wide) followed by its mode and lock characters."""
    fd_numbers = [r[3][:-1] if r[3][-1:] in "urw" and r[3][:-1].isdigit() else r[3] for r in rows]
    fd_width = max(4, *(len(f) for f in fd_numbers))
    widths = [max(len(LSOF_HEADER[i]), *(len(r[i]) for r in rows)) for i in range(len(LSOF_HEADER))]

    def line(cells: list[str], fd_text: str, mode: str) -> str:
        out = [f"{cells[0]:<{widths[0]}}", f"{cells[1]:>{widths[1]}}", f"{cells[2]:<{widths[2]}}",
               f"{fd_text:>{fd_width}}{mode:<2}", f"{cells[4]:>{widths[4]}}", f"{cells[5]:>{widths[5]}}",
               f"{cells[6]:>{widths[6]}}", f"{cells[7]:>{widths[7]}}", cells[8]]
        return " ".join(out)

    lines = [line(list(LSOF_HEADER), "FD", "")]
    for row, number in zip(rows, fd_numbers, strict=True):
        lines.append(line(row, number, row[3][len(number):]))
    return "\n".join(lines)


# ---- tc qdisc -------------------------------------------------------------------------------------

QDISC_PARAMS = {
    "fq_codel": "limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64 ",
    "pfifo_fast": "bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1",
    "pfifo": "limit {txqueuelen}p",
    "noqueue": "",
}
"""What `tc qdisc show` prints after `refcnt N ` for each qdisc kind this shell can attach."""
KNOWN_QDISCS = frozenset({"fq", "sfq", "tbf", "netem", "htb", "hfsc", "prio", "cake", "red", "choke", "codel",
                          "bfifo", "drr", "qfq", "mq", "mqprio", "multiq", "pie", "fq_pie", "hhf", "sfb", "gred",
                          "cbs", "etf", "taprio", "ets", "skbprio", "plug", "ingress", "clsact"})
"""Real qdiscs this shell does not model (one clear line says so)."""


def _default_qdisc(iface: Interface) -> str:
    return "noqueue" if iface.is_loopback or iface.kind in ("veth", "dummy", "bridge") else "fq_codel"


def _qdisc_line(host: Host, iface: Interface, with_dev: bool, stats: bool) -> str:
    handle = userland(host).qdisc_handles.get(iface.name, 0)
    params = QDISC_PARAMS.get(iface.qdisc, "").format(txqueuelen=iface.txqueuelen)
    dev = f"dev {iface.name} " if with_dev else ""
    line = f"qdisc {iface.qdisc} {handle:x}: {dev}root refcnt 2 {params}"
    if stats:
        s = iface.stats
        line += (f"\n Sent {s.tx_bytes} bytes {s.tx_packets} pkt (dropped {s.tx_dropped}, overlimits 0 requeues 0) "
                 "\n backlog 0b 0p requeues 0")
        if iface.qdisc == "fq_codel":
            line += ("\n  maxpacket 0 drop_overlimit 0 new_flow_count 0 ecn_mark 0"
                     "\n  new_flows_len 0 old_flows_len 0")
    return line


def tc(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`tc [-s] qdisc show|list|ls [dev DEV]`, `tc qdisc add|replace|change|del DEV root QDISC`."""
    args = argv[1:]
    stats = False
    while args and args[0].startswith("-"):
        if args[0] in ("-s", "-stats", "-statistics"):
            stats = True
            args = args[1:]
        else:
            raise CommandError(f'Option "{args[0]}" is unknown, try "tc -help".', 255)
    if not args:
        raise CommandError("Usage: tc [ OPTIONS ] OBJECT { COMMAND | help }\nwhere  OBJECT := { qdisc | class | "
                           "filter | chain | action | monitor | exec }", 255)
    obj, rest = args[0], args[1:]
    if obj in ("class", "filter", "chain", "action", "actions", "monitor", "exec"):
        raise CommandError(f"tc: '{obj}' is not simulated here (only 'tc qdisc'; the qdisc is the egress "
                           "stage of every journey)", 1)
    if obj not in ("qdisc", "qd", "q"):
        raise CommandError(f'Object "{obj}" is unknown, try "tc help".', 255)
    host = ctx.host
    verb = rest[0] if rest else "show"
    words = rest[1:]
    if verb in ("show", "list", "ls", "sh", "l"):
        dev = _dev_arg(words)
        if dev is not None:
            iface = host.interfaces.get(dev)
            if iface is None:
                raise CommandError(f'Cannot find device "{dev}"', 1)
            return CommandResult(_qdisc_line(host, iface, False, stats))
        ordered = sorted(host.interfaces.values(), key=lambda i: i.index)
        return CommandResult("\n".join(_qdisc_line(host, i, True, stats) for i in ordered))
    if verb not in ("add", "replace", "change", "del", "delete", "a", "r", "d"):
        raise CommandError(f'Command "{verb}" is unknown, try "tc qdisc help".', 255)
    dev = _dev_arg(words)
    if dev is None:
        raise CommandError('Cannot find device ""' if "dev" in words else "Error: qdisc requires a device.", 1)
    iface = host.interfaces.get(dev)
    if iface is None:
        raise CommandError(f'Cannot find device "{dev}"', 1)
    tail = [w for i, w in enumerate(words) if w != "dev" and (i == 0 or words[i - 1] != "dev")]
    if "ingress" in tail or "clsact" in tail:
        raise CommandError(f"tc: the {'ingress' if 'ingress' in tail else 'clsact'} qdisc is not simulated here "
                           "(the tc_ingress stage shows that no ingress qdisc is attached)", 1)
    if "root" not in tail:
        raise CommandError("tc: only root qdiscs are simulated here ('tc qdisc add dev DEV root QDISC')", 1)
    tail.remove("root")
    if tail[:1] == ["handle"]:
        tail = tail[2:]
    state = userland(host)
    current = state.qdisc_handles.get(dev, 0)
    if verb in ("del", "delete", "d"):
        if current == 0:
            raise CommandError("Error: Cannot delete qdisc with handle of zero.", 2)
        del state.qdisc_handles[dev]
        iface.qdisc = _default_qdisc(iface)
        return CommandResult(changed=True)
    if not tail:
        raise CommandError('Unknown qdisc "", hence option "" is unparsable', 1)
    kind, params = tail[0], tail[1:]
    if kind in KNOWN_QDISCS:
        raise CommandError(f"tc: qdisc '{kind}' is not simulated here (only fq_codel, pfifo_fast, pfifo, noqueue)", 1)
    if kind not in QDISC_PARAMS:
        raise CommandError("Error: Specified qdisc kind is unknown.", 2)
    if params:
        raise CommandError(f"tc: qdisc parameters ('{' '.join(params)}') are not simulated here; "
                           "the defaults are used", 1)
    if kind == "noqueue" and not (iface.is_loopback or iface.kind in ("veth", "dummy", "bridge")):
        raise CommandError("Error: Can't use noqueue on this device: it has a transmit queue.", 2)
    if verb in ("add", "a") and current != 0:
        raise CommandError("Error: Exclusivity flag on, cannot modify.", 2)
    if verb == "change" and (current == 0 or iface.qdisc != kind):
        raise CommandError("Error: Specified qdisc not found." if current == 0 else
                           "Error: Invalid qdisc name.", 2)
    if current == 0 or iface.qdisc != kind:
        current = state.next_qdisc_handle
        state.next_qdisc_handle += 1
    state.qdisc_handles[dev] = current
    iface.qdisc = kind
    return CommandResult(changed=True)


def _dev_arg(words: list[str]) -> str | None:
    for i, word in enumerate(words):
        if word == "dev" and i + 1 < len(words):
            return words[i + 1]
    return None


COMMANDS = {"netstat": netstat, "lsof": lsof, "tc": tc}
