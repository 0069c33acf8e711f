"""`curl` (7.88): HTTP to a listening app, over a TCP connection that really happens between namespaces.

The handshake is traced as `nc` traces it (see `tcp_client`); curl's errors follow what happened:
refused (7), timed out (28, with `-m` or `--connect-timeout`), no route (7), an unknown name (6).
A connection that is accepted gets a stand-in answer: the simulated app does not speak HTTP, so
the request is sent, the app receives it, and a fixed page naming that app comes back through the
stack (its `Server:` header says it is a stand-in). HTTPS stops after the TCP handshake: TLS is
not simulated. curl's progress meter (shown only when output is not a terminal) is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..kernel import stack
from ..kernel.addr import format_ipv4
from ..kernel.host import Host
from ..kernel.numbers import parse_int
from ..kernel.packet import ACK, IPPROTO_TCP, PSH, Packet
from ..kernel.trace import Trace
from . import tcp_client
from .base import CommandError, CommandResult, ShellContext
from .numbers import is_decimal, real_number
from .tcp_client import ClientError, Connection

VERSION = "7.88.1"
TRY_HELP = "curl: try 'curl --help' or 'curl --manual' for more information"
_URL = re.compile(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<host>[^/:?#]*)(?::(?P<port>[^/?#]*))?"
                  r"(?P<path>[/?#].*)?$")
_WEEKDAYS = ("Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed")
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(slots=True)
class Options:
    """curl's options this shell understands."""

    silent: bool = False
    show_error: bool = False
    verbose: bool = False
    head: bool = False
    max_time: float | None = None
    connect_timeout: float | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed URL."""

    scheme: str
    name: str
    port: int
    path: str

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.name if self.port == default else f"{self.name}:{self.port}"


class _Exit(Exception):
    """curl gives up: its error number and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def curl(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`curl [-s] [-S] [-v] [-I] [-m S] [--connect-timeout S] URL`."""
    opts = _parse(argv[1:])
    verbose: list[str] = []
    traces: list[Trace] = []
    try:
        target = _target(opts.url or "")
        dst = tcp_client.resolve(target.name)
        if dst is None:
            if opts.verbose:
                verbose.append(f"* Could not resolve host: {target.name}")
            raise _Exit(6, f"Could not resolve host: {target.name}")
        out, tail = _fetch(ctx.host, opts, target, dst, verbose, traces)
    except _Exit as exc:
        if opts.verbose:
            verbose.append("* Closing connection 0")
        error = f"curl: ({exc.code}) {exc.message}" if not opts.silent or opts.show_error else ""
        return CommandResult("", exc.code, traces, changed=bool(traces),
                             stderr="\n".join(verbose), stderr_tail=error)
    return CommandResult(out, 0, traces, changed=True, stderr="\n".join(verbose), stderr_tail="\n".join(tail))


def _fetch(host: Host, opts: Options, target: Target, dst: int, verbose: list[str],
           traces: list[Trace]) -> tuple[str, list[str]]:
    """Connect, send the request, read the stand-in answer; (stdout, stderr after it)."""
    address = format_ipv4(dst)
    if opts.verbose:
        verbose.append(f"*   Trying {address}:{target.port}...")
    limits = [t for t in (opts.max_time, opts.connect_timeout) if t]
    try:
        conn = tcp_client.open_socket(host, "curl", "tcp", dst, target.port)
    except ClientError as exc:
        _refused(opts, target, address, exc.text, 0, verbose)
        raise AssertionError from None  # _refused always raises
    tcp_client.connect(conn, min(limits) if limits else None)
    syn = conn.traces[-1]
    traces.append(syn)
    if conn.errno_name is not None:
        _failed(opts, target, address, conn, verbose)
    if opts.verbose:
        verbose.append(f"* Connected to {target.name} ({address}) port {target.port} (#0)")
    if target.scheme == "https":
        traces.append(tcp_client.close(conn))
        tls = (f"(simulated: the TCP handshake with {target.name} port {target.port} succeeded; TLS is not "
               "simulated, so no HTTPS request was sent and the connection was closed)")
        return "", ["* Closing connection 0", tls] if opts.verbose else [tls]
    method = "HEAD" if opts.head else "GET"
    request = [f"{method} {target.path} HTTP/1.1", f"Host: {target.host_header}", f"User-Agent: curl/{VERSION}",
               "Accept: */*", ""]
    traces.append(tcp_client.send(conn, len("\r\n".join(request + [""]).encode())))
    app = _app_name(conn)
    body = _page(app, conn)
    headers = _headers(app, host.clock, len(body.encode()))
    traces.append(_answer(conn, syn, len(("\r\n".join(headers + [""]) + ("" if opts.head else body)).encode())))
    traces.append(tcp_client.close(conn))
    if opts.verbose:
        verbose += [f"> {line}" for line in request] + [f"< {line}" for line in headers] + ["< "]
    tail = [f"* Connection #0 to host {target.name} left intact"] if opts.verbose else []
    if opts.head:
        return "\n".join(headers) + "\n", tail
    return body, tail


def _refused(opts: Options, target: Target, address: str, why: str, ms: int, verbose: list[str]) -> None:
    message = f"Failed to connect to {target.name} port {target.port} after {ms} ms: Couldn't connect to server"
    if opts.verbose:
        verbose += [f"* connect to {address} port {target.port} failed: {why}", f"* {message}"]
    raise _Exit(7, message)


def _failed(opts: Options, target: Target, address: str, conn: Connection, verbose: list[str]) -> None:
    ms = round(conn.elapsed * 1000)
    if conn.errno_name != "ETIMEDOUT":
        _refused(opts, target, address, tcp_client.ERRNO_TEXT[conn.errno_name or "ECONNREFUSED"], ms, verbose)
    limits = [t for t in (opts.max_time, opts.connect_timeout) if t]
    if not limits or conn.elapsed < min(limits):  # the kernel gave up first (ETIMEDOUT)
        message = f"Failed to connect to {target.name} port {target.port} after {ms} ms: Couldn't connect to server"
        if opts.verbose:
            verbose += [f"* connect to {address} port {target.port} failed: Connection timed out", f"* {message}"]
        raise _Exit(28, message)
    if opts.max_time is not None and opts.max_time <= (opts.connect_timeout or opts.max_time):
        message = f"Connection timed out after {ms} milliseconds"
    else:
        message = f"Failed to connect to {target.name} port {target.port} after {ms} ms: Timeout was reached"
    if opts.verbose:
        verbose.append(f"* {message}")
    raise _Exit(28, message)


def _app_name(conn: Connection) -> str:
    """The listening app's name, from where the handshake was delivered (`nginx (pid 7) ...`)."""
    return (conn.server or "the app").split(" (pid", 1)[0]


def _page(app: str, conn: Connection) -> str:
    return (f"<!DOCTYPE html>\n<html><head><title>{app} (stand-in)</title></head>\n<body>\n"
            f"<p>{conn.server or app} accepted this connection and received the request.</p>\n"
            "<p>The simulated app does not speak HTTP: every request gets this stand-in page.</p>\n"
            "</body></html>\n")


def _headers(app: str, clock: float, length: int) -> list[str]:
    return ["HTTP/1.1 200 OK", f"Server: {app} (stand-in)", f"Date: {_http_date(clock)}",
            "Content-Type: text/html", f"Content-Length: {length}", "Connection: keep-alive"]


def _http_date(clock: float) -> str:
    """The simulated clock as an HTTP date (the machine boots at 1970-01-01 00:00:00 UTC)."""
    seconds = int(clock)
    days, rest = divmod(seconds, 86400)
    weekday = _WEEKDAYS[days % 7]
    year = 1970
    while days >= (366 if _leap(year) else 365):
        days -= 366 if _leap(year) else 365
        year += 1
    month = 0
    while days >= _MONTH_DAYS[month] + (month == 1 and _leap(year)):
        days -= _MONTH_DAYS[month] + (month == 1 and _leap(year))
        month += 1
    hours, rest = divmod(rest, 3600)
    return f"{weekday}, {days + 1:02d} {_MONTHS[month]} {year} {hours:02d}:{rest // 60:02d}:{rest % 60:02d} GMT"


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _answer(conn: Connection, syn: Trace, length: int) -> Trace:
    """The app's response, sent from its own namespace back through the stack to curl: from the
    socket the handshake's SYN reached, to the client as that SYN arrived there (after any NAT)."""
    step = next((s for s in reversed(syn.steps) if s.stage == "socket"), None)
    world = conn.host.world
    server = next((h for h in world.hosts() if step is not None and h.name == step.host), None) if world else None
    if step is None or server is None:
        server, seen = conn.host, Packet(IPPROTO_TCP, conn.src, conn.dst, conn.sport, conn.dport)
    else:
        seen = step.packet
    reply = Packet(IPPROTO_TCP, seen.dst, seen.src, seen.dport, seen.sport, flags=PSH | ACK, seq=conn.ack,
                   ack_seq=conn.seq, payload_len=length, opt_len=tcp_client.segment_options(conn))
    conn.ack = (conn.ack + length) & 0xFFFFFFFF
    trace = stack.transmit(server, reply, owner=conn.server.rsplit(" ", 1)[0] if conn.server else "app")
    conn.traces.append(trace)
    return trace


def _target(url: str) -> Target:
    match = _URL.match(url)
    if not url or match is None or not match.group("host"):
        raise _Exit(3, "URL using bad/illegal format or missing URL")
    scheme = (match.group("scheme") or "http").lower()
    if scheme not in ("http", "https"):
        raise _Exit(1, f'Protocol "{scheme}" not supported or disabled in libcurl')
    port_text = match.group("port")
    default = 443 if scheme == "https" else 80
    if port_text is None or port_text == "":
        port = default
    elif not is_decimal(port_text) or not 0 < parse_int(port_text, high=65536, clamp=True) < 65536:
        raise _Exit(3, "URL using bad/illegal format or missing URL")
    else:
        port = parse_int(port_text)
    path = match.group("path") or "/"
    return Target(scheme, match.group("host"), port, path if path.startswith("/") else "/" + path)


def _parse(words: list[str]) -> Options:
    opts = Options()
    it = iter(words)
    for word in it:
        if word in ("-m", "--max-time", "--connect-timeout"):
            value = next(it, None)
            if value is None:
                raise CommandError(f"curl: option {word}: requires parameter\n{TRY_HELP}", 2)
            seconds = _seconds(word, value)
            if word == "--connect-timeout":
                opts.connect_timeout = seconds
            else:
                opts.max_time = seconds
        elif word in ("--silent", "--verbose", "--head", "--show-error"):
            _flag(opts, {"--silent": "s", "--verbose": "v", "--head": "I", "--show-error": "S"}[word])
        elif word.startswith("-") and not word.startswith("--") and len(word) > 1:
            for n, letter in enumerate(word[1:], start=1):
                if letter == "m":
                    value = word[n + 1:] or next(it, None)
                    if value is None:
                        raise CommandError(f"curl: option -m: requires parameter\n{TRY_HELP}", 2)
                    opts.max_time = _seconds("-m", value)
                    break
                if letter not in "svIS":
                    raise CommandError(f"curl: option -{letter}: is unknown\n{TRY_HELP}", 2)
                _flag(opts, letter)
        elif word.startswith("--"):
            raise CommandError(f"curl: option {word}: is unknown\n{TRY_HELP}", 2)
        elif opts.url is None:
            opts.url = word
        else:
            raise CommandError("curl: only one URL at a time in this shell", 2)
    if opts.url is None:
        raise CommandError(TRY_HELP, 2)
    return opts


def _flag(opts: Options, letter: str) -> None:
    opts.silent |= letter == "s"
    opts.verbose |= letter == "v"
    opts.head |= letter == "I"
    opts.show_error |= letter == "S"


def _seconds(option: str, value: str) -> float:
    refusal = f"curl: option {option}: expected a proper numerical parameter\n{TRY_HELP}"
    return real_number(value, 0, 2**31 - 1, refusal, 2)


COMMANDS = {"curl": curl}
