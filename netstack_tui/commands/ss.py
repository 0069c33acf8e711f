"""`ss` (iproute2 6.1): -t -u -l -a -n -p -H -s -o -m -i, `state` filters and filter expressions.

The columns are laid out by ss's own algorithm for output that is not a terminal (render_calc_width in
compact mode): each column is as wide as its widest cell plus its one-space left delimiter; address
columns are right-aligned, the rest left-aligned.
"""

from __future__ import annotations

from ..kernel.addr import format_ipv4
from ..kernel.app import diag, runner
from ..kernel.app.queues import unread
from ..kernel.host import Host
from ..kernel.sockets import Socket
from .base import CommandError, CommandResult, ShellContext, short_flags
from .ss_filter import parse_filter

# (header, left delimiter, right-aligned)
COLUMNS = (("Netid", "", False), ("State", " ", False), ("Recv-Q", " ", False), ("Send-Q", " ", False),
           ("Local Address:", " ", True), ("Port", "", False), ("Peer Address:", " ", True), ("Port", "", False),
           ("Process", "", False))
CONNECTED = {"ESTAB", "SYN-SENT", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "LAST-ACK", "CLOSING"}
ALL_STATES = CONNECTED | {"LISTEN", "UNCONN", "TIME-WAIT", "SYN-RECV"}
STATE_NAMES = {
    "established": {"ESTAB"}, "syn-sent": {"SYN-SENT"}, "syn-recv": {"SYN-RECV"}, "fin-wait-1": {"FIN-WAIT-1"},
    "fin-wait-2": {"FIN-WAIT-2"}, "time-wait": {"TIME-WAIT"}, "closed": {"UNCONN"}, "close-wait": {"CLOSE-WAIT"},
    "last-ack": {"LAST-ACK"}, "listening": {"LISTEN"}, "closing": {"CLOSING"}, "all": ALL_STATES,
    "connected": CONNECTED, "synchronized": CONNECTED - {"SYN-SENT"}, "bucket": {"SYN-RECV", "TIME-WAIT"},
    "big": ALL_STATES - {"SYN-RECV", "TIME-WAIT"},
}
# /etc/services names ss prints without -n (Debian's netbase), for the ports scenarios use.
SERVICES = {21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "domain", 67: "bootps", 68: "bootpc", 80: "http",
            110: "pop3", 123: "ntp", 143: "imap2", 161: "snmp", 179: "bgp", 389: "ldap", 443: "https",
            465: "submissions", 514: "syslog", 587: "submission", 636: "ldaps", 993: "imaps", 995: "pop3s",
            1194: "openvpn", 1812: "radius", 3306: "mysql", 5432: "postgresql", 5353: "mdns", 6379: "redis",
            8080: "http-alt", 9100: "jetdirect", 11211: "memcache"}
LONG_FLAGS = {"--tcp": "t", "--udp": "u", "--listening": "l", "--all": "a", "--numeric": "n", "--processes": "p",
              "--summary": "s", "--no-header": "H", "--ipv4": "4", "--memory": "m", "--info": "i"}


def ss(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`ss [-tulanpsH4] [state STATE]... [exclude STATE]... [EXPRESSION]` (see `ss_filter`)."""
    flags, states, expression = _parse(argv[1:])
    host = ctx.host
    wanted = parse_filter(expression, SERVICES) if expression else None
    if "s" in flags:
        return CommandResult(summary(host))
    protos = [p for p, f in (("udp", "u"), ("tcp", "t")) if f in flags] or ["udp", "tcp"]
    if states is None:
        states = ALL_STATES if "a" in flags else {"LISTEN", "UNCONN"} if "l" in flags else CONNECTED
    rows = [_row(host, s, flags) for s in _sockets(host, protos)
            if s.state in states and (wanted is None or wanted(s))]
    show_netid = len(protos) > 1
    show_state = len(states) > 1
    return CommandResult(render(rows, show_netid, show_state, "H" not in flags))


def _parse(words: list[str]) -> tuple[set[str], set[str] | None, list[str]]:
    """Options, the state filter, and the words of the filter expression (what follows them)."""
    flags: set[str] = set()
    states: set[str] | None = None
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("state", "exclude") and i + 1 < len(words):
            name = words[i + 1]
            if name not in STATE_NAMES:
                raise CommandError(f'ss: wrong state name: {name}', 255)
            if word == "state":
                states = (states or set()) | STATE_NAMES[name]
            else:
                states = (states if states is not None else set(ALL_STATES)) - STATE_NAMES[name]
            i += 2
            continue
        if word in LONG_FLAGS:
            flags.add(LONG_FLAGS[word])
        elif word.startswith("-") and not word.startswith("--") and len(word) > 1:
            flags.update(short_flags(word, "tulanpsoH4mi", "ss: '-{letter}' is not simulated here", 1))
        else:
            return flags, states, words[i:]
        i += 1
    return flags, states, []


def _sockets(host: Host, protos: list[str]) -> list[Socket]:
    """UDP first, then TCP: listeners, then every other socket (children of listeners included)."""
    out: list[Socket] = []
    seen: set[int] = set()
    for proto in protos:
        mine = [s for s in host.sockets.sockets if s.proto == proto]
        listeners = [s for s in mine if s.state == "LISTEN"]
        children = [c for s in listeners for c in s.syn_queue + s.accept_queue]
        for item in listeners + children + [s for s in mine if s.state != "LISTEN"]:
            if id(item) not in seen:
                seen.add(id(item))
                out.append(item)
    return out


def _service(port: int, numeric: bool) -> str:
    if port == 0:
        return "*"
    if numeric or 32768 <= port <= 60999:
        return str(port)
    return SERVICES.get(port, str(port))


def _row(host: Host, sock: Socket, flags: set[str]) -> list[str]:
    numeric = "n" in flags
    if sock.state == "LISTEN":
        recv_q, send_q = len(sock.accept_queue), sock.backlog
    else:
        # A program's socket (`app run`) counts unread bytes as Linux does: rcv_nxt - copied_seq.
        recv_q, send_q = unread(sock) if sock.copied_seq is not None else sock.recv_q, sock.send_q
    local_addr = "0.0.0.0" if sock.local[0] == 0 else format_ipv4(sock.local[0])
    peer_addr = "0.0.0.0" if sock.peer[0] == 0 else format_ipv4(sock.peer[0])
    process = ""
    if "p" in flags and sock.pid is not None and sock.fd is not None:
        proc = host.sockets.processes.get(sock.pid)
        if proc is not None:
            process = f' users:(("{proc.name}",pid={proc.pid},fd={sock.fd}))'
    if "o" in flags and sock.state == "TIME-WAIT":
        # tcp_timewait_sk's timer, as `ss -o` shows it: what is left of TCP_TIMEWAIT_LEN.
        process += f" timer:(timewait,{ms_timer(sock.expires_at - host.clock)},0)"
    elif "o" in flags and sock.rtx_due is not None:
        # The retransmission timer of a SYN (SYN-SENT) or a request's SYN-ACK (SYN-RECV), and how many
        # times it has fired.
        process += f" timer:(on,{ms_timer(sock.rtx_due - host.clock)},{sock.retransmits})"
    elif "o" in flags and sock.copied_seq is not None:
        # A program's socket with SO_KEEPALIVE: the keepalive timer and the probes sent unanswered.
        info = runner.file_of(host, sock)
        if info is not None and info.keepalive_due is not None and sock.state in ("ESTAB", "CLOSE-WAIT"):
            process += f" timer:(keepalive,{ms_timer(info.keepalive_due - host.clock)},{info.keepalive_probes})"
    if flags & {"m", "i"} and sock.proto == "tcp" and sock.state in CONNECTED | {"LISTEN"}:
        # -m/-i: a second line, "\t " and then skmem and tcp_info, printed in the last column (so
        # the header's Process stretches over it, as ss lays it out).
        info = runner.file_of(host, sock) if sock.copied_seq is not None else None
        extra = [diag.skmem(host, sock, info)] if "m" in flags else []
        extra += [diag.tcp_info(host, sock, info, numeric)] if "i" in flags else []
        process += "\n\t " + " ".join(extra)
    return [sock.proto, sock.state, f"{recv_q:<6}", f"{send_q:<6}", local_addr + ":",
            _service(sock.local[1], numeric), peer_addr + ":", _service(sock.peer[1], numeric), process]


def ms_timer(seconds: float) -> str:
    """ss's print_ms_timer(): `220ms`, `1.004ms` (sic: seconds and milliseconds), `12sec`, `1min`,
    nothing at all for 0."""
    total = max(0, round(seconds * 1000))
    secs, msecs, minutes = total // 1000 % 60, total % 1000, total // 60000
    text = ""
    if minutes:
        msecs = 0
        text = f"{minutes}min"
        if minutes > 9:
            secs = 0
    if secs:
        if secs > 9:
            msecs = 0
        text += f"{secs}{'.' if msecs else 'sec'}"
    if msecs:
        text += f"{msecs:03d}ms"
    return text


def render(rows: list[list[str]], show_netid: bool, show_state: bool, header: bool) -> str:
    """Lay the cells out as ss does when its output is not a terminal."""
    enabled = [i for i in range(len(COLUMNS)) if (i != 0 or show_netid) and (i != 1 or show_state)]
    table = ([[COLUMNS[i][0] for i in range(len(COLUMNS))]] if header else []) + rows
    widths: dict[int, int] = {}
    first = True
    for i in enabled:
        longest = max((len(r[i]) for r in table), default=0)
        widths[i] = longest + (len(COLUMNS[i][1]) if longest and not first else 0)
        first = first and not widths[i]
    return "\n".join(_line(r, enabled, widths) for r in table)


def _line(row: list[str], enabled: list[int], widths: dict[int, int]) -> str:
    out: list[str] = []
    for n, i in enumerate(enabled):
        text, delim, right = row[i], COLUMNS[i][1], COLUMNS[i][2]
        printed = len(delim) if n else 0
        cell = delim if n else ""
        if right and widths[i]:
            cell += " " * max(0, widths[i] - len(text) - printed)
        cell += text
        if not right and widths[i]:
            cell += " " * max(0, widths[i] - printed - len(text))
        out.append(cell)
    return "".join(out)


def summary(host: Host) -> str:
    """`ss -s`: the sockstat-based summary."""
    socks = host.sockets.sockets
    children = [c for s in socks if s.state == "LISTEN" for c in s.syn_queue + s.accept_queue if c not in socks]
    tcp = [s for s in socks + children if s.proto == "tcp"]
    tw = sum(1 for s in tcp if s.state == "TIME-WAIT")
    full = [s for s in tcp if s.state not in ("TIME-WAIT", "SYN-RECV")]
    estab = sum(1 for s in full if s.state in ("ESTAB", "CLOSE-WAIT"))
    orphans = sum(1 for s in full if s.fd is None and s.parent is None and s.state != "LISTEN")
    udp = sum(1 for s in socks if s.proto == "udp")
    hashed = len(full)
    total = len(full) + udp
    rows = [("RAW", 0), ("UDP", udp), ("TCP", hashed), ("INET", hashed + udp), ("FRAG", 0)]
    lines = [f"Total: {total}",
             f"TCP:   {len(full) + tw} (estab {estab}, closed {len(full) - (hashed - tw)}, orphaned {orphans}, "
             f"timewait {tw})", "", "Transport Total     IP        IPv6"]
    lines += [f"{name}\t  {n:<9} {n:<9} {0:<9}" for name, n in rows]
    return "\n".join(lines) + "\n"


COMMANDS = {"ss": ss}
