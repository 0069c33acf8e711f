"""`ping` (iputils 20221126): echo requests that really travel, and the replies or errors that come back.

Each request is traced from the namespace that runs ping (`ip netns exec NS ping ...`) through every
namespace it crosses; the answer is whatever of its journey's answers arrives back here: an echo
reply, or an ICMP error (host unreachable after an unanswered ARP, TTL exceeded, a REJECT).
Round-trip times come from the stages' modelled costs, not from a clock.

Simplified on purpose: a ping without `-c` stops after four requests (a real one runs until Ctrl-C),
and an unanswered ARP's "Destination Host Unreachable" shows only when ping runs for at least the
three seconds the kernel spends asking, as on a real machine (`-c 1 -W 1` ends before).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..kernel import stack
from ..kernel.addr import AddressError, format_ipv4, parse_ipv4
from ..kernel.host import Host
from ..kernel.link.neigh import SOLICIT_TRIES
from ..kernel.numbers import NumberError, parse_float
from ..kernel.packet import ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_TIME_EXCEEDED, Packet
from ..kernel.trace import Disposition, Trace
from .base import CommandError, CommandResult, ShellContext
from .numbers import number

USAGE = "Usage\n  ping [options] <destination>"
DEFAULT_COUNT = 4
PAYLOAD = 56
WAKEUP_MS = 0.035
"""What a round trip costs beyond the stages the journey shows: ping's sendmsg(), the softirq and
its own wake-up (0.03-0.06 ms measured for ping over lo and a veth pair on this kind of machine)."""
ICMP_ID = 0x1234
"""The first ping's echo identifier (the kernel's are random; predictable ones keep traces the same from run
to run); each later run in the world takes the next (`World.echo_id`)."""

UNREACH_TEXT = {
    0: "Destination Net Unreachable",
    1: "Destination Host Unreachable",
    3: "Destination Port Unreachable",
    9: "Destination Net Prohibited",
    10: "Destination Host Prohibited",
    13: "Packet filtered",
}


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back for one echo request."""

    kind: str
    """`reply`, `error` or `none`."""
    source: int = 0
    ttl: int = 0
    text: str = ""
    rtt_ms: float = 0.0


@dataclass(slots=True)
class Options:
    """ping's options this shell understands."""

    count: int | None = None
    wait: float | None = None
    interval: float = 1.0
    ttl: int = 64
    device: str | None = None
    quiet: bool = False


def ping(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`ping [-c N] [-W S] [-i S] [-t TTL] [-I DEV|ADDR] [-n] [-q] DEST`."""
    opts, target = _parse(argv[1:])
    host = ctx.host
    try:
        dst = parse_ipv4(target)
    except AddressError:
        raise CommandError(f"ping: {target}: Temporary failure in name resolution", 2) from None
    src = _source(host, dst, opts)
    count = opts.count if opts.count is not None else DEFAULT_COUNT
    wait = opts.wait if opts.wait is not None else 10.0
    reports_errors = (count - 1) * opts.interval + wait >= SOLICIT_TRIES
    via = f" from {format_ipv4(src)} {opts.device}:" if opts.device else ""
    lines = [f"PING {target} ({target}){via} {PAYLOAD}({PAYLOAD + 28}) bytes of data."]
    answers: list[Answer] = []
    traces: list[Trace] = []
    left_on_wire: set[str] = set()
    world = host.world
    echo_id = world.echo_id(ICMP_ID) if world is not None else ICMP_ID
    for seq in range(1, count + 1):
        if seq > 1:
            (world.advance if world is not None else host.advance)(opts.interval)
        request = Packet(1, src, dst, icmp_type=ICMP_ECHO_REQUEST, icmp_id=echo_id, ttl=opts.ttl,
                         payload_len=PAYLOAD, oif=opts.device if opts.device in host.interfaces else None)
        trace = stack.transmit(host, request, owner="ping")
        traces.append(trace)
        answer = _answer(host, trace)
        if answer.kind == "error" and answer.text == UNREACH_TEXT[1] and not reports_errors:
            answer = Answer("none")
        if answer.kind == "none" and trace.disposition == Disposition.DROPPED and _dropped_on_output(trace):
            answer = Answer("error", text="ping: sendmsg: Operation not permitted")
        if answer.kind == "none" and trace.disposition in (Disposition.SENT, Disposition.FORWARDED):
            left_on_wire.add(f"{trace.final_packet.oif or 'the wire'} in {trace.steps[-1].host}")
        answers.append(answer)
        if opts.quiet:
            continue
        if answer.kind == "error" and answer.source == 0:
            lines.append(answer.text)
        elif answer.kind == "reply":
            lines.append(f"{PAYLOAD + 8} bytes from {format_ipv4(answer.source)}: icmp_seq={seq} "
                         f"ttl={answer.ttl} time={answer.rtt_ms:.3f} ms")
        elif answer.kind == "error":
            lines.append(f"From {format_ipv4(answer.source)} icmp_seq={seq} {answer.text}")
    _wait_out(host, answers[-1], wait)
    received = sum(a.kind == "reply" for a in answers)
    errors = sum(a.kind == "error" for a in answers)
    loss = 100 - received * 100 // count if received else 100
    elapsed = int((count - 1) * opts.interval * 1000)
    lines += ["", f"--- {target} ping statistics ---",
              f"{count} packets transmitted, {received} received, " + (f"+{errors} errors, " if errors else "")
              + f"{loss}% packet loss, time {elapsed}ms"]
    rtts = [a.rtt_ms for a in answers if a.kind == "reply"]
    if rtts:
        mean = sum(rtts) / len(rtts)
        mdev = (sum((r - mean) ** 2 for r in rtts) / len(rtts)) ** 0.5
        lines.append(f"rtt min/avg/max/mdev = {min(rtts):.3f}/{mean:.3f}/{max(rtts):.3f}/{mdev:.3f} ms")
    if left_on_wire:
        lines.append(f"(simulated: the echo requests left on {', '.join(sorted(left_on_wire))}; nothing simulated "
                     f"there answers for {target} — 'trace' shows their way out)")
    if opts.count is None:
        lines.append(f"(simulated: ping stops after {DEFAULT_COUNT} packets here, as if you pressed Ctrl-C; use -c N)")
    return CommandResult("\n".join(lines), 0 if received else 1, traces[-1:], changed=True)


def _seconds(value: str, low: float, refusal: str) -> float:
    """A time in seconds as iputils reads it (strtod): garbage, out of range and too small each worded."""
    try:
        seconds = parse_float(value, low, 2**31 - 1)
    except NumberError as exc:
        if exc.reason == "invalid" and value.lower().lstrip("+-") not in ("nan", "inf", "infinity"):
            raise CommandError(f"ping: option argument contains garbage: {value}", 1) from None
        if exc.reason == "range" and _below(value, low):
            raise CommandError(refusal.replace("{value}", value), 1) from None
        raise CommandError(refusal.replace("{value}", value) + ": Numerical result out of range", 1) from None
    return seconds


def _below(value: str, low: float) -> bool:
    try:
        return parse_float(value) < low
    except NumberError:
        return False


def _wait_out(host: Host, last: Answer, wait: float) -> None:
    """Time passes while ping waits for its last answer: `-W` seconds for one that never comes, the
    kernel's three ARP probes for a "Destination Host Unreachable" (so `ip neigh` shows FAILED)."""
    if last.kind == "none":
        waited = wait
    elif last.kind == "error" and last.text == UNREACH_TEXT[1]:
        waited = min(wait, float(SOLICIT_TRIES))
    else:
        return
    world = host.world
    (world.advance if world is not None else host.advance)(waited)


def _dropped_on_output(trace: Trace) -> bool:
    """Whether a netfilter rule on the way out dropped it (sendmsg() then fails with EPERM)."""
    return bool(trace.steps) and trace.steps[-1].stage.startswith(("output.", "postrouting."))


def _parse(words: list[str]) -> tuple[Options, str]:
    opts = Options()
    target = None
    i = 0
    takes = {"c", "W", "i", "t", "I", "s", "w"}
    while i < len(words):
        word = words[i]
        if word.startswith("-") and len(word) > 1:
            flag, value = word[1], word[2:]
            if flag in takes and not value:
                if i + 1 >= len(words):
                    raise CommandError(f"ping: option requires an argument -- '{flag}'\n{USAGE}", 2)
                value, i = words[i + 1], i + 1
            _apply(opts, flag, value)
        elif target is None:
            target = word
        else:
            raise CommandError(f"ping: {word}: unexpected argument\n{USAGE}", 2)
        i += 1
    if target is None:
        raise CommandError(f"ping: usage error: Destination address required\n{USAGE}", 1)
    return opts, target


MAX_COUNT = 1000
"""The most echo requests one simulated ping sends (each is walked through the stack and printed)."""


def _apply(opts: Options, flag: str, value: str) -> None:
    # iputils' own words: integers through strtol (`invalid argument`), times through strtod
    # (`option argument contains garbage`, `bad ... : Numerical result out of range`).
    invalid = f"ping: invalid argument: '{value}'"
    if flag == "c":
        opts.count = number(value, 1, 2**63 - 1, invalid,
                            out_of_range=invalid + ": out of range: 1 <= value <= 9223372036854775807")
        if opts.count > MAX_COUNT:
            raise CommandError(f"ping: -c {value}: this simulation sends at most {MAX_COUNT} echo requests a run", 1)
    elif flag == "w":
        opts.wait = number(value, 0, 2**31 - 1, invalid, out_of_range=invalid + ": Numerical result out of range")
    elif flag == "W":
        opts.wait = _seconds(value, 0, "ping: bad linger time: {value}")
    elif flag == "i":
        opts.interval = _seconds(value, 0.002, "ping: bad timing interval: {value}")
    elif flag == "t":
        opts.ttl = number(value, 1, 255, invalid, out_of_range=invalid + ": out of range: 1 <= value <= 255")
    elif flag == "I":
        opts.device = value
    elif flag == "q":
        opts.quiet = True
    elif flag in ("n", "s"):
        pass  # numeric output is all this shell prints; the payload size stays 56
    else:
        raise CommandError(f"ping: invalid option -- '{flag}'\n{USAGE}", 2)


def _source(host: Host, dst: int, opts: Options) -> int:
    """The source address routing picks (`ping: connect: Network is unreachable` when none)."""
    if opts.device is not None:
        try:
            return parse_ipv4(opts.device)
        except AddressError:
            if opts.device not in host.interfaces:
                raise CommandError(f"ping: SO_BINDTODEVICE {opts.device}: No such device", 2) from None
    found = host.routing.lookup(dst, oif=opts.device if opts.device in host.interfaces else None)
    if found.route is None or found.error is not None:
        raise CommandError("ping: connect: Network is unreachable", 2)
    route = found.route
    dev = "lo" if route.type == "local" else route.dev or ""
    src = route.src or host.primary_address(dev, dst)
    if src is None:
        raise CommandError("ping: connect: Network is unreachable", 2)
    return src


def _answer(host: Host, trace: Trace) -> Answer:
    """The first answer to this request that was delivered back in `host`."""
    for reply in _all_replies(trace):
        if reply.disposition != Disposition.DELIVERED or not reply.steps or reply.steps[-1].host != host.name:
            continue
        pkt = reply.packet
        received = next((s.packet for s in reversed(reply.steps) if s.host == host.name and s.stage == "ip_rcv"),
                        pkt)
        rtt = WAKEUP_MS + (sum(s.cost_ns for s in trace.steps) + sum(s.cost_ns for s in reply.steps)) / 1e6
        if pkt.icmp_type == ICMP_ECHO_REPLY and pkt.proto == 1:
            return Answer("reply", received.src, received.ttl, rtt_ms=rtt)  # as it arrived: after any un-NAT
        if pkt.proto == 1 and pkt.icmp_type == ICMP_DEST_UNREACH:
            return Answer("error", received.src, text=UNREACH_TEXT.get(pkt.icmp_code, "Destination Unreachable"))
        if pkt.proto == 1 and pkt.icmp_type == ICMP_TIME_EXCEEDED:
            return Answer("error", received.src, text="Time to live exceeded")
    return Answer("none")


def _all_replies(trace: Trace) -> list[Trace]:
    out: list[Trace] = []
    for reply in trace.replies:
        out.append(reply)
        out += _all_replies(reply)
    return out


COMMANDS = {"ping": ping}
