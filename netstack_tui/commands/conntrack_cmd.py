"""`conntrack` (conntrack-tools 1.4.7): -L with -p/--state/-s/-d filters, -S, -F, -C.

The real tool prints its `N flow entries have been shown.` line on stderr; here it is the last line.
"""

from __future__ import annotations

from collections.abc import Callable

from ..kernel.addr import AddressError, parse_ipv4
from ..kernel.conntrack import CtEntry
from ..kernel.numbers import NumberError, parse_int
from ..kernel.packet import IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP
from .base import CommandError, CommandResult, ShellContext

PREFIX = "conntrack v1.4.7 (conntrack-tools): "
HINT = "Try `conntrack -h' or 'conntrack --help' for more information."
PROTOS = {"tcp": IPPROTO_TCP, "udp": IPPROTO_UDP, "icmp": IPPROTO_ICMP}
TCP_STATES = ("NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
              "CLOSE", "LISTEN", "SYN_SENT2")
STATS_KEYS = ("found", "invalid", "insert", "insert_failed", "drop", "early_drop", "error", "search_restart",
              "clash_resolve", "chaintoolong")


def fail(message: str) -> CommandError:
    """A conntrack usage error: the message and the --help hint, status 2."""
    return CommandError(f"{PREFIX}{message}\n{HINT}", 2)


def conntrack(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`conntrack -L|-S|-F|-C [filters]`."""
    args = argv[1:]
    if not args:
        raise fail("no command specified")
    command, rest = args[0], args[1:]
    host = ctx.host
    if command in ("-L", "--dump"):
        keep = _filter(rest)
        entries = [e for e in host.conntrack.entries(host.clock) if keep(e)]
        lines = [e.describe(host.clock) for e in entries]
        lines.append(f"{PREFIX}{len(entries)} flow entries have been shown.")
        return CommandResult("\n".join(lines))
    if command in ("-S", "--stats"):
        stats = host.conntrack.stats
        return CommandResult("cpu=0   \t" + " ".join(f"{k}={stats.get(k, 0)}" for k in STATS_KEYS) + " ")
    if command in ("-F", "--flush"):
        host.conntrack.flush()
        return CommandResult(f"{PREFIX}connection tracking table has been emptied.", changed=True)
    if command in ("-C", "--count"):
        return CommandResult(str(host.conntrack.count(host.clock)))
    if command in ("-E", "-D", "-I", "-U", "-G", "-R", "--event", "--delete", "--create", "--update", "--get"):
        raise CommandError(f"conntrack: '{command}' is not simulated here", 1)
    raise fail(f"unknown option `{command}'")


def _filter(args: list[str]) -> Callable[[CtEntry], bool]:
    """Parse -p/--state/-s/-d/--mark into a predicate over entries (options in the order conntrack wants)."""
    proto: int | None = None
    checks: list[Callable[[CtEntry], bool]] = []
    i = 0
    while i < len(args):
        word = args[i]
        value = args[i + 1] if i + 1 < len(args) else None
        if value is None:
            raise fail(f"option `{word}' requires an argument")
        if word in ("-p", "--proto", "--protonum"):
            if value not in PROTOS:
                raise fail(f"`{value}' unsupported protocol")
            proto = PROTOS[value]

            def proto_check(e: CtEntry, p: int = proto) -> bool:
                return e.proto == p

            checks.append(proto_check)
        elif word == "--state" and proto == IPPROTO_TCP:
            if value.upper() not in TCP_STATES:
                raise fail(f"unknown state `{value}'")
            state = value.upper()

            def state_check(e: CtEntry, s: str = state) -> bool:
                return e.tcp_state == s

            checks.append(state_check)
        elif word in ("-s", "--src", "--orig-src", "-d", "--dst", "--orig-dst"):
            addr = _addr(value)
            field = "src" if word in ("-s", "--src", "--orig-src") else "dst"

            def addr_check(e: CtEntry, a: int = addr, f: str = field) -> bool:
                found: int = getattr(e.orig, f)
                return found == a

            checks.append(addr_check)
        elif word in ("-m", "--mark"):
            try:  # strtoul: a huge mark saturates (and matches nothing)
                mark = parse_int(value, 0, 2**64 - 1, base=0, clamp=True)
            except NumberError:
                raise fail(f"mark `{value}' is not a number") from None

            def mark_check(e: CtEntry, m: int = mark) -> bool:
                return e.mark == m

            checks.append(mark_check)
        else:
            raise fail(f"unknown option `{word}'")
        i += 2
    return lambda entry: all(check(entry) for check in checks)


def _addr(text: str) -> int:
    try:
        return parse_ipv4(text)
    except AddressError:
        raise fail(f"Bad parameter `{text}'") from None


def proc_line(entry: CtEntry, now: float) -> str:
    """The entry as /proc/net/nf_conntrack prints it (l3 proto first, zone and use=2)."""
    text = entry.describe(now)
    return "ipv4     2 " + text.replace(" use=1", " zone=0 use=2")


COMMANDS = {"conntrack": conntrack}
