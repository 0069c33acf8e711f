"""`tcpdump`: the frames that passed the host's packet taps, in tcpdump 4.99's notation.

The shell runs one command at a time, so tcpdump cannot sit and wait: it prints what the taps saw
of the packets traced so far (the host keeps the last thousand frames; see `kernel.capture`), as if
it had been started before them. `-w FILE` saves them as a pcap file in the session's memory and
`-r FILE` reads one back, or a real capture from disk (decoded with scapy; IPv4 only).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

from .base import CommandError, CommandResult, ShellContext, short_flags
from .numbers import number
from .userland import absolute

if TYPE_CHECKING:
    from .pcap_filter import Filter
    from .tcpdump_print import LinePrinter

_USAGE = ("Usage: tcpdump [-enStv] [-c count] [-i interface] [-r file] [-w file] [expression]\n"
          "(the simulator's tcpdump prints the frames its host's taps saw so far; see 'help')")


_VALUED_LETTERS = "icwr"


class _Options:
    """The parsed command line."""

    def __init__(self) -> None:
        self.iface: str | None = None
        self.count: int | None = None
        self.numeric = False
        self.link = False
        self.timestamps = True
        self.verbose = False
        self.write: str | None = None
        self.read: str | None = None
        self.list_interfaces = False
        self.expression: list[str] = []


def tcpdump(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`tcpdump [-i IFACE|any] [-n] [-e] [-t] [-v] [-c N] [-w FILE] [-r FILE] [EXPRESSION]`."""
    # The filter compiler, the printer and the pcap code load on first use: most sessions never
    # capture, and the shell's start-up time is a budget.
    from . import pcap_file
    from .pcap_filter import FilterError, compile_filter
    from .tcpdump_print import footer, header

    opts = _parse(argv[1:])
    if opts.list_interfaces:
        return CommandResult(_list_interfaces(ctx))
    iface = _interface(ctx, opts.iface) if opts.read is None else ""
    try:
        # Frame lengths (`less`, `greater`) count the link header: 20 bytes cooked, 14 Ethernet.
        wanted = compile_filter(opts.expression, link_header_len=20 if iface == "any" else 14)
    except FilterError as exc:
        raise CommandError(str(exc), 1) from None
    if opts.read is not None:
        return _read(ctx, opts, wanted)
    frames = [f for f in ctx.host.capture.frames if iface == "any" or f.iface == iface]
    matched = list(islice((f for f in frames if wanted(f)), opts.count))
    counts = "\n".join(footer(len(matched), len(frames)) + _unlisted(ctx, iface))
    if opts.write is not None:
        pcap_file.save(ctx.host, opts.write, matched, cooked=iface == "any")
        link = "LINUX_SLL2 (Linux cooked v2)" if iface == "any" else "EN10MB (Ethernet)"
        listening = f"tcpdump: listening on {iface}, link-type {link}, snapshot length 262144 bytes"
        where = absolute(opts.write)
        saved = f"(saved as {where} in this session's memory, not on disk: 'tcpdump -r {where}' reads it)"
        return CommandResult("", changed=True, stderr=listening, stderr_tail=f"{counts}\n{saved}")
    printer = _printer(ctx, opts, cooked=iface == "any")
    return CommandResult("\n".join(printer.line(f) for f in matched),
                         stderr="\n".join(header(iface, iface == "any", verbose=opts.verbose)), stderr_tail=counts)


def _parse(args: list[str]) -> _Options:
    """getopt(3) rules: short options cluster (`-ni eth0` is `-n -i eth0`, `-c5` is `-c 5`); an
    option that takes a value ends its cluster, the value being the rest of the word or the next word."""
    opts = _Options()
    words = iter(args)
    for word in words:
        if word in ("-D", "--list-interfaces"):
            opts.list_interfaces = True
        elif word == "--interface" or word.startswith("--interface="):
            value = word.partition("=")[2] if "=" in word else next(words, None)
            if value is None:
                raise CommandError(f"tcpdump: option '--interface' requires an argument\n{_USAGE}", 1)
            _set_valued(opts, "-i", value)
        elif word.startswith("--"):
            raise CommandError(f"tcpdump: unrecognized option '{word}'\n{_USAGE}", 1)
        elif word.startswith("-") and len(word) > 1:
            _cluster(opts, word, words)
        else:
            opts.expression.append(word)
    return opts


def _cluster(opts: _Options, word: str, words: Iterator[str]) -> None:
    """One word of clustered short options."""
    for n, letter in enumerate(word[1:], start=1):
        if letter in _VALUED_LETTERS:
            value = word[n + 1:] or next(words, None)
            if value is None:
                raise CommandError(f"tcpdump: option requires an argument -- '{letter}'\n{_USAGE}", 1)
            _set_valued(opts, f"-{letter}", value)
            return
        # -l (line buffering), -S (absolute sequence numbers), -q (quiet) change nothing here.
        short_flags(f"-{letter}", "netvlSqD", "tcpdump: invalid option -- '{letter}'\n" + _USAGE, 1)
        opts.numeric |= letter == "n"
        opts.link |= letter == "e"
        opts.timestamps &= letter != "t"
        opts.verbose |= letter == "v"
        opts.list_interfaces |= letter == "D"


def _set_valued(opts: _Options, flag: str, value: str) -> None:
    if flag in ("-i", "--interface"):
        opts.iface = value
    elif flag == "-c":
        # tcpdump reads the count as a C long and refuses 0, negatives and overflow alike.
        opts.count = number(value, 1, 2**63 - 1, "tcpdump: invalid packet count {value}")
    elif flag == "-w":
        opts.write = value
    else:
        opts.read = value


def _interface(ctx: ShellContext, name: str | None) -> str:
    interfaces = ctx.host.interfaces
    if name is None:
        # pcap_lookupdev(): the first interface that is up and not a loopback.
        for iface in interfaces.values():
            if iface.up and not iface.is_loopback:
                return iface.name
        return "lo"
    if name != "any" and name not in interfaces:
        raise CommandError(f"tcpdump: {name}: No such device exists\n(No such device exists)", 1)
    return name


def _list_interfaces(ctx: ShellContext) -> str:
    lines: list[str] = []
    ordered = [i for i in ctx.host.interfaces.values() if not i.is_loopback]
    for iface in ordered:
        state = "[Up, Running, Connected]" if iface.up else "[none]"
        lines.append(f"{len(lines) + 1}.{iface.name} {state}")
    lines.append(f"{len(lines) + 1}.any (Pseudo-device that captures on all interfaces) [Up, Running]")
    lines.append(f"{len(lines) + 1}.lo [Up, Running, Loopback]")
    return "\n".join(lines)


def _unlisted(ctx: ShellContext, iface: str) -> list[str]:
    """A note for the frames floods sent past the taps (they are counted, not kept)."""
    counts = ctx.host.capture.unlisted
    n = sum(counts.values()) if iface == "any" else counts.get(iface, 0)
    if not n:
        return []
    return [f"({n} flood frames passed this tap too; floods are counted, not kept: see 'ip -s link')"]


def _printer(ctx: ShellContext, opts: _Options, *, cooked: bool) -> LinePrinter:
    from .tcpdump_print import LinePrinter

    return LinePrinter(numeric=opts.numeric, any_iface=cooked, timestamps=opts.timestamps, verbose=opts.verbose,
                       link=opts.link, ifindexes={name: i.index for name, i in ctx.host.interfaces.items()})


def _read(ctx: ShellContext, opts: _Options, wanted: Filter) -> CommandResult:
    assert opts.read is not None
    from . import pcap_file

    capture = pcap_file.load(ctx.host, opts.read)
    printer = _printer(ctx, opts, cooked=capture.cooked)
    frames = [f for f in capture.frames if wanted(f)]
    if opts.count is not None:
        frames = frames[: opts.count]
    lines = [printer.line(f) for f in frames]
    notes = [f"({capture.skipped} frames that are not IPv4 TCP, UDP, ICMP or ARP were skipped)"] \
        if capture.skipped else []
    return CommandResult("\n".join(lines), stderr=f"reading from file {opts.read}, link-type {capture.link}, "
                         "snapshot length 262144", stderr_tail="\n".join(notes))


COMMANDS = {"tcpdump": tcpdump}
