"""Classic tools the seeds use: netstat (net-tools 2.10) and lsof (4.95) (`tc` lives in `commands.tc`).

Layouts were captured from the real tools in a scratch network namespace (see tests/shell/); where
the simulator has no data for a column (lsof's DEVICE for non-sockets) it prints a fixed plausible value.
`netstat -s` prints the namespace's MIB counters (`kernel.mib`) as net-tools does.
"""

from __future__ import annotations

from ..kernel.addr import format_ipv4
from ..kernel.host import Host
from ..kernel.interfaces import Interface
from ..kernel.sockets import Socket
from .base import CommandError, CommandResult, ShellContext, short_flags
from .numbers import is_decimal, number
from .procfs import netstat as proc_netstat
from .procfs import snmp
from .ss import SERVICES, _sockets
from .system import _inode

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
    """`netstat -s`: net-tools walks /proc/net/snmp and /proc/net/netstat and prints each counter with
    its sentence: always for the main ones, only when non-zero for the optional ones, and as
    `Name: N` (non-zero only) for the counters it has no sentence for."""
    rows = (snmp(host) + "\n" + proc_netstat(host)).splitlines()
    lines: list[str] = []
    for header, numbers in zip(rows[::2], rows[1::2], strict=True):
        title = header.split(":", 1)[0]
        values = [int(v) for v in numbers.split()[1:]]
        lines.append(f"{title}:")
        lines += _statistics_section(title, dict(zip(header.split()[1:], values, strict=True)))
    return "\n".join(lines)


def _statistics_section(title: str, values: dict[str, int]) -> list[str]:
    if title == "Icmp":
        out = [f"    {values['InMsgs']} ICMP messages received", f"    {values['InErrors']} input ICMP message failed",
               "    ICMP input histogram:"]
        out += [f"        {text}: {values['In' + name]}" for name, text in _ICMP_HISTOGRAM if values.get("In" + name)]
        out += [f"    {values['OutMsgs']} ICMP messages sent", f"    {values['OutErrors']} ICMP messages failed",
                "    ICMP output histogram:"]
        out += [f"        {text}: {values['Out' + name]}" for name, text in _ICMP_HISTOGRAM if values.get("Out" + name)]
        return out
    if title == "IcmpMsg":
        return [f"        {name}: {value}" for name, value in values.items()]
    out = []
    sentences = _SENTENCES.get(title, {})
    for name, value in values.items():
        known = sentences.get(name)
        if name == "Forwarding":
            out.append(f"    Forwarding: {value}")
        elif known is not None and (known[1] or value):
            out.append(f"    {known[0] % value}")
        elif known is None and value and name not in _UNPRINTED:
            out.append(f"    {name}: {value}")
    return out


_ICMP_HISTOGRAM = (("DestUnreachs", "destination unreachable"), ("TimeExcds", "timeout in transit"),
                   ("Redirects", "redirects"), ("Echos", "echo requests"), ("EchoReps", "echo replies"))
_UNPRINTED = frozenset({"DefaultTTL", "RtoAlgorithm", "RtoMin", "RtoMax", "MaxConn"})
_SENTENCES: dict[str, dict[str, tuple[str, bool]]] = {
    # name: (sentence, printed even when 0)
    "Ip": {"InReceives": ("%d total packets received", True), "InHdrErrors": ("%d with invalid headers", False),
           "InAddrErrors": ("%d with invalid addresses", False), "ForwDatagrams": ("%d forwarded", True),
           "InUnknownProtos": ("%d with unknown protocol", False),
           "InDiscards": ("%d incoming packets discarded", True),
           "InDelivers": ("%d incoming packets delivered", True), "OutRequests": ("%d requests sent out", True),
           "OutDiscards": ("%d outgoing packets dropped", False),
           "OutNoRoutes": ("%d dropped because of missing route", False)},
    "Tcp": {"ActiveOpens": ("%d active connection openings", True),
            "PassiveOpens": ("%d passive connection openings", True),
            "AttemptFails": ("%d failed connection attempts", True),
            "EstabResets": ("%d connection resets received", True),
            "CurrEstab": ("%d connections established", True), "InSegs": ("%d segments received", True),
            "OutSegs": ("%d segments sent out", True), "RetransSegs": ("%d segments retransmitted", True),
            "InErrs": ("%d bad segments received", True), "OutRsts": ("%d resets sent", True)},
    "Udp": {"InDatagrams": ("%d packets received", True), "NoPorts": ("%d packets to unknown port received", True),
            "InErrors": ("%d packet receive errors", True), "OutDatagrams": ("%d packets sent", True),
            "RcvbufErrors": ("%d receive buffer errors", True), "SndbufErrors": ("%d send buffer errors", True)},
    "TcpExt": {"SyncookiesSent": ("%d SYN cookies sent", False),
               "EmbryonicRsts": ("%d resets received for embryonic SYN_RECV sockets", False),
               "TW": ("%d TCP sockets finished time wait in fast timer", False),
               "ListenOverflows": ("%d times the listen queue of a socket overflowed", False),
               "ListenDrops": ("%d SYNs to LISTEN sockets dropped", False),
               "TCPHPHits": ("%d packet headers predicted", True),
               "TCPPureAcks": ("%d acknowledgments not containing data payload received", False),
               "TCPAbortOnData": ("%d connections reset due to unexpected data", False),
               "TCPAbortOnClose": ("%d connections reset due to early user close", False),
               "TCPAbortOnTimeout": ("%d connections aborted due to timeout", False)},
}


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
            pids = [number(v, 0, 2**31 - 1, f"lsof: illegal process ID: {value}") for v in value.split(",")]
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
    if port and not is_decimal(port):
        by_name = {name: port_number for port_number, name in SERVICES.items()}
        if port not in by_name:
            raise CommandError(f"lsof: unknown service {port} in: -i {value}", 1)
        return (None if proto == "4" else proto), by_name[port]
    if not port:
        return (None if proto == "4" else proto), None
    # lsof refuses a port too long to be one; any other number it looks for (and finds nothing past 65535).
    wanted = number(port, 0, 2**31 - 1, "", out_of_range=f"lsof: incomplete Internet address specification: -i {value}")
    return (None if proto == "4" else proto), wanted


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
    for row, fd_number in zip(rows, fd_numbers, strict=True):
        lines.append(line(row, fd_number, row[3][len(fd_number):]))
    return "\n".join(lines)


COMMANDS = {"netstat": netstat, "lsof": lsof}
