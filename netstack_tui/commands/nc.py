"""`nc` (OpenBSD netcat, Debian's netcat-openbsd 1.219): connect tests and sending data, as journeys.

`nc -z` tests TCP ports: the handshake happens between the namespaces (see `tcp_client`) and nc
closes the connection at once with a FIN; its socket stays with the kernel (FIN-WAIT-1, FIN-WAIT-2,
then TIME-WAIT for 60 s once the server's FIN is ACKed, as `ss -tan` shows afterwards).
`nc -u` writes datagrams: with `-v`/`-z -v` it first writes "X" to the port (up to four times) and a
port-unreachable that came back in between makes the next write fail, so nc exits 1 without a
word, as the real one does. Without `-z` nc sends its standard input on the connection and the
listening app receives it.

Simplified on purpose: nc does not wait to read an answer (the simulated apps send none): it closes
once its input is sent, as with `-N`/`-q 0`; `-l` (listening) is `listen` in this shell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..kernel.trace import Trace
from . import tcp_client
from .base import CommandError, CommandResult, ShellContext
from .numbers import is_decimal, number
from .tcp_client import ClientError, Connection
from .tcpdump_print import service_name, service_port

USAGE = ("usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n"
         "\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n"
         "\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n"
         "\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n"
         "\t  [destination] [port]")
_FLAGS = "46CDdFhklNnrStUuvZz"
_VALUED = "IiMmOPpqsTVWwXx"
UDP_PROBES = 4
"""udptest() writes "X" this many times."""
NOT_WAITING = "(simulated: nc closed the connection once its input was sent; it does not wait for an answer)"


@dataclass(slots=True)
class Options:
    """The options this nc understands (others are accepted and change nothing)."""

    zero: bool = False
    verbose: bool = False
    udp: bool = False
    listen: bool = False
    wait: float | None = None
    sport: int | None = None
    source: int | None = None
    words: list[str] = field(default_factory=list)


def nc(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`nc [-zuvn] [-w S] [-p PORT] [-s ADDR] HOST PORT[-PORT]...`."""
    opts = _parse(argv[1:])
    if opts.listen:
        raise CommandError("nc: listening (-l) is not simulated here: use 'listen tcp|udp ADDR:PORT'", 1)
    if len(opts.words) < 2:
        raise CommandError("nc: missing port number", 1)
    name, ports = opts.words[0], [p for word in opts.words[1:] for p in _ports(word, opts.udp)]
    dst = tcp_client.resolve(name)
    if dst is None:
        why = "Name or service not known" if ctx.host.routing.lookup(0x08080808).route else \
            "Temporary failure in name resolution"
        raise CommandError(f'nc: getaddrinfo for host "{name}" port {opts.words[1]}: {why}', 1)
    errors: list[str] = []
    notes: list[str] = []
    traces: list[Trace] = []
    status = 1
    data = ctx.stdin if not opts.zero else None
    for port in ports:
        ok = _udp(ctx, opts, dst, port, data, errors, traces) if opts.udp else \
            _tcp(ctx, opts, dst, port, data, errors, traces, notes)
        status = 0 if ok else status
    return CommandResult("", status, traces, changed=True, stderr="\n".join(errors),
                         stderr_tail="\n".join(dict.fromkeys(notes)))


def _succeeded(dst_text: str, port: int, proto: str) -> str:
    number = 6 if proto == "tcp" else 17
    return f"Connection to {dst_text} {port} port [{proto}/{service_name(port, number) or '*'}] succeeded!"


def _open(ctx: ShellContext, opts: Options, proto: str, dst: int, port: int, errors: list[str]) -> Connection | None:
    try:
        return tcp_client.open_socket(ctx.host, "nc", proto, dst, port, src=opts.source, sport=opts.sport)
    except ClientError as exc:
        if exc.errno_name in ("EADDRNOTAVAIL", "EADDRINUSE") and exc.call == "bind":
            raise CommandError(f"nc: bind failed: {exc.text}", 1) from None
        if opts.verbose:
            errors.append(f"nc: connect to {_text(dst)} port {port} ({proto}) failed: {exc.text}")
        return None


def _tcp(ctx: ShellContext, opts: Options, dst: int, port: int, data: str | None, errors: list[str],
         traces: list[Trace], notes: list[str]) -> bool:
    conn = _open(ctx, opts, "tcp", dst, port, errors)
    if conn is None:
        return False
    tcp_client.connect(conn, opts.wait)
    traces += conn.traces
    if conn.errno_name is not None:
        # netcat reports a failed connect only with -v (the exit status says it anyway).
        # -w's own limit ("timed out") unless the kernel's ETIMEDOUT came first ("failed").
        if opts.verbose and conn.errno_name == "ETIMEDOUT" and opts.wait is not None and conn.elapsed >= opts.wait:
            errors.append(f"nc: connect to {_text(dst)} port {port} (tcp) timed out: Operation now in progress")
        elif opts.verbose:
            errors.append(f"nc: connect to {_text(dst)} port {port} (tcp) failed: "
                          f"{tcp_client.ERRNO_TEXT[conn.errno_name]}")
        return False
    if opts.verbose:
        errors.append(_succeeded(_text(dst), port, "tcp"))
    if data:
        traces.append(tcp_client.send(conn, len(data.encode())))
    if not opts.zero:
        notes.append(NOT_WAITING)
    traces.append(tcp_client.close(conn))
    return True


def _udp(ctx: ShellContext, opts: Options, dst: int, port: int, data: str | None, errors: list[str],
         traces: list[Trace]) -> bool:
    conn = _open(ctx, opts, "udp", dst, port, errors)
    if conn is None:
        return False
    try:
        if opts.verbose:
            # udptest(): "X" written until one fails; an ICMP error that came back fails the next.
            pending = None
            for _ in range(UDP_PROBES):
                if pending is not None:
                    return False
                trace, pending = tcp_client.send_datagram(conn, 1)
                traces.append(trace)
            errors.append(_succeeded(_text(dst), port, "udp"))
        if data and not opts.zero:
            trace, _ = tcp_client.send_datagram(conn, len(data.encode()))
            traces.append(trace)
        if opts.wait:
            tcp_client.advance(ctx.host, opts.wait)
        return True
    finally:
        tcp_client.finish(conn)


def _text(addr: int) -> str:
    from ..kernel.addr import format_ipv4

    return format_ipv4(addr)


def _ports(word: str, udp: bool) -> list[int]:
    """A port, a service name or a range LOW-HIGH, with nc's wording for a bad one."""
    low_text, dash, high_text = word.partition("-")
    if dash and is_decimal(low_text) and is_decimal(high_text):
        low, high = _port(low_text, udp), _port(high_text, udp)
        return list(range(min(low, high), max(low, high) + 1))
    return [_port(word, udp)]


def _port(text: str, udp: bool) -> int:
    if not is_decimal(text):
        service = service_port(text)
        if service is None or service[1] not in (None, 17 if udp else 6):
            raise CommandError(f"nc: port number invalid: {text}", 1)
        return service[0]
    value = number(text, 0, 65536, "", clamp=True)  # past 65535 it only matters that it is too large
    if value < 1:
        raise CommandError(f"nc: port number too small: {text}", 1)
    if value > 65535:
        raise CommandError(f"nc: port number too large: {text}", 1)
    return value


def _parse(words: list[str]) -> Options:
    """getopt(3): clustered flags, a valued option takes the rest of its word or the next word."""
    opts = Options()
    it = iter(words)
    for word in it:
        if not word.startswith("-") or word == "-":
            opts.words.append(word)
            continue
        for n, letter in enumerate(word[1:], start=1):
            if letter in _VALUED:
                value = word[n + 1:] or next(it, None)
                if value is None:
                    raise CommandError(f"nc: option requires an argument -- '{letter}'\n{USAGE}", 1)
                _valued(opts, letter, value)
                break
            if letter not in _FLAGS:
                raise CommandError(f"nc: invalid option -- '{letter}'\n{USAGE}", 1)
            opts.zero |= letter == "z"
            opts.verbose |= letter == "v"
            opts.udp |= letter == "u"
            opts.listen |= letter == "l"
    return opts


def _valued(opts: Options, letter: str, value: str) -> None:
    if letter == "w":
        opts.wait = number(value, 0, 2**31 - 1, "nc: timeout invalid: {value}") or None
    elif letter == "p":
        # nc stores the port in 16 bits (-p 99999 binds 34463)
        opts.sport = number(value, 0, 2**63 - 1, "nc: port number invalid: {value}", clamp=True) & 0xFFFF or None
    elif letter == "s":
        source = tcp_client.resolve(value)
        if source is None:
            raise CommandError(f'nc: getaddrinfo for host "{value}" port 0: Name or service not known', 1)
        opts.source = source


COMMANDS = {"nc": nc, "netcat": nc}
