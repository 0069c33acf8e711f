"""`ipset` (ipset 7.17): create, add, del, test, list, save, restore, flush, destroy.

Set types hash:ip, hash:net, hash:ip,port and bitmap:port (see `kernel.ipset`). Messages and exit
statuses are the real tool's: 1 for what the kernel refuses, 2 (with the help hint) for bad syntax.
`ipset test` writes its verdict on stderr, as the real tool does.
"""

from __future__ import annotations

from ..kernel.host import Host
from ..kernel.ipset import REVISIONS, IpSet, IpsetError
from ..kernel.netfilter.setmatch import references
from .base import CommandError, CommandResult, ShellContext

PREFIX = "ipset v7.17: "
HINT = "Try `ipset help' for more information."
COMMAND_NAMES = {
    "create": "create", "n": "create", "-N": "create", "add": "add", "-A": "add", "del": "del", "-D": "del",
    "test": "test", "-T": "test", "list": "list", "-L": "list", "save": "save", "-S": "save",
    "restore": "restore", "-R": "restore", "flush": "flush", "-F": "flush", "destroy": "destroy", "x": "destroy",
    "-X": "destroy", "version": "version", "-v": "version", "-V": "version",
}
NOT_SIMULATED = ("rename", "-E", "e", "swap", "-W", "w", "help", "-h")
_CREATE_OPTIONS = ("timeout", "counters", "comment", "skbinfo", "forceadd", "netmask", "markmask", "bucketsize",
                   "initval")


class _Usage(Exception):
    """A syntax error: printed with the help hint, status 2."""


def ipset(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """Run one ipset command line."""
    try:
        return _run(ctx, argv[1:])
    except IpsetError as exc:
        raise CommandError(PREFIX + exc.message, exc.status) from None
    except _Usage as exc:
        raise CommandError(f"{PREFIX}{exc}\n{HINT}", 2) from None


def _run(ctx: ShellContext, args: list[str]) -> CommandResult:
    flags = {a for a in args if a in ("-exist", "-!", "-q", "-quiet", "-n", "-name", "-t", "-terse")}
    words = [a for a in args if a not in flags]
    output_save = False
    if "-o" in words or "-output" in words:
        at = words.index("-o") if "-o" in words else words.index("-output")
        mode = words[at + 1] if at + 1 < len(words) else ""
        if mode not in ("save", "plain"):
            raise _Usage(f"Syntax error: unknown output mode '{mode}'")
        output_save = mode == "save"
        del words[at:at + 2]
    if not words:
        raise _Usage("No command specified.")
    if words[0] in NOT_SIMULATED:
        raise CommandError(f"ipset: '{words[0]}' is not simulated here", 1)
    command = COMMAND_NAMES.get(words[0])
    if command is None:
        raise _Usage(f"No command specified: unknown argument {words[0]}")
    exist = bool(flags & {"-exist", "-!"})
    host = ctx.host
    rest = words[1:]
    if command == "version":
        return CommandResult("ipset v7.17, protocol version: 7")
    if command == "list":
        if output_save:
            return CommandResult(_save(host, rest))
        return CommandResult(_list(host, rest, names="-n" in flags or "-name" in flags,
                                   terse="-t" in flags or "-terse" in flags))
    if command == "save":
        return CommandResult(_save(host, rest))
    if command == "restore":
        _restore(host, ctx.stdin or "", exist)
        return CommandResult(changed=True)
    result = _change(host, command, rest, exist)
    if "-q" in flags or "-quiet" in flags:
        return CommandResult(changed=result.changed)
    return result


def _change(host: Host, command: str, rest: list[str], exist: bool) -> CommandResult:
    """create, add, del, test, flush and destroy (also the lines of `ipset restore`)."""
    sets = host.ipsets
    if command == "create":
        sets.create(_create(rest), exist)
        return CommandResult(changed=True)
    if command in ("flush", "destroy"):
        chosen = [sets.get(rest[0])] if rest else list(sets.sets.values())
        if command == "flush":
            for one in chosen:
                one.members.clear()
            return CommandResult(changed=True)
        if any(references(host.iptables, one.name) for one in chosen):
            raise IpsetError("Set cannot be destroyed: it is in use by a kernel component")
        for one in chosen:
            del sets.sets[one.name]
        return CommandResult(changed=True)
    if not rest:
        raise _Usage(f"Missing mandatory argument to command {command}")
    if len(rest) < 2:
        raise _Usage(f"Missing second mandatory argument to command {command}")
    target = sets.get(rest[0])
    members = target.parse(rest[1])
    if len(rest) > 2:
        raise _Usage(f"Unknown argument: `{rest[2]}'")
    if command == "test":
        found = target.contains(members[0]) if target.kind == "hash:net" and "/" not in rest[1] else all(
            m in target.members for m in members)
        if not found:
            raise CommandError(f"{rest[1]} is NOT in set {target.name}.", 1)  # no banner, as the real tool
        return CommandResult(stderr=f"Warning: {rest[1]} is in set {target.name}.")
    if command == "add":
        present = [m for m in members if m in target.members]
        if present and not exist:
            raise IpsetError("Element cannot be added to the set: it's already added")
        for member in members:
            if member not in target.members:
                if len(target.members) >= target.maxelem:
                    raise IpsetError("Hash is full, cannot add more elements")
                target.members[member] = None
        return CommandResult(changed=True)
    missing = [m for m in members if m not in target.members]
    if missing and not exist:
        raise IpsetError("Element cannot be deleted from the set: it's not added")
    for member in members:
        target.members.pop(member, None)
    return CommandResult(changed=True)


def _create(rest: list[str]) -> IpSet:
    if not rest:
        raise _Usage("Missing mandatory argument to command create")
    if len(rest) < 2:
        raise _Usage("Missing second mandatory argument to command create")
    name, kind, options = rest[0], rest[1], rest[2:]
    if len(name) > 31:
        raise IpsetError(f"Syntax error: setname '{name}' is longer than 31 characters")
    if kind not in REVISIONS:
        raise IpsetError(f"Syntax error: typename '{kind}' is unknown")
    ipset = IpSet(name, kind)
    i = 0
    while i < len(options):
        word = options[i]
        value = options[i + 1] if i + 1 < len(options) else None
        if kind.startswith("hash:") and word == "family" and value in ("inet", "inet6"):
            if value == "inet6":
                raise CommandError("ipset: family inet6 is not simulated here (IPv6 packets are not traced)", 1)
        elif kind.startswith("hash:") and word in ("hashsize", "maxelem") and value is not None:
            number = _number(value, word)
            if word == "hashsize":
                ipset.hashsize = max(64, 1 << max(0, number - 1).bit_length())
            else:
                ipset.maxelem = number
        elif kind == "bitmap:port" and word == "range" and value is not None:
            low, _, high = value.partition("-")
            ipset.port_range = (_number(low, "range"), _number(high or low, "range"))
        elif word in _CREATE_OPTIONS:
            raise CommandError(f"ipset: create option `{word}' is not simulated here", 1)
        else:
            raise _Usage(f"Unknown argument: `{word}'")
        i += 2
    if kind == "bitmap:port" and ipset.port_range == (0, 0):
        raise _Usage("Mandatory option `range' is missing")
    return ipset


def _number(text: str, option: str) -> int:
    if not text.isdigit() or int(text) > 0xFFFFFFFF:
        raise IpsetError(f"Syntax error: '{text}' is invalid as number")
    return int(text)


def _chosen(host: Host, rest: list[str]) -> list[IpSet]:
    return [host.ipsets.get(rest[0])] if rest else list(host.ipsets.sets.values())


def _list(host: Host, rest: list[str], *, names: bool, terse: bool) -> str:
    chosen = _chosen(host, rest)
    if names:
        return "\n".join(one.name for one in chosen)
    blocks = []
    for one in chosen:
        lines = [f"Name: {one.name}", f"Type: {one.kind}", f"Revision: {REVISIONS[one.kind]}",
                 f"Header: {one.header()}", f"Size in memory: {one.memory()}",
                 f"References: {references(host.iptables, one.name)}", f"Number of entries: {len(one.members)}"]
        if not terse:
            lines.append("Members:")
            lines += [one.member_text(m) for m in one.ordered()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _save(host: Host, rest: list[str]) -> str:
    lines = []
    for one in _chosen(host, rest):
        lines.append(f"create {one.name} {one.kind} {one.header()}")
        lines += [f"add {one.name} {one.member_text(m)}" for m in one.ordered()]
    return "\n".join(lines)


def _restore(host: Host, text: str, exist: bool) -> None:
    """Each line is one command without the program name; the first failure stops, naming its line."""
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words or words[0].startswith("#") or words[0] == "COMMIT":
            continue
        line_exist = exist or "-exist" in words or "-!" in words
        words = [w for w in words if w not in ("-exist", "-!")]
        command = COMMAND_NAMES.get(words[0])
        try:
            if command not in ("create", "add", "del", "test", "flush", "destroy"):
                raise IpsetError(f"Syntax error: unknown command {words[0]}")
            _change(host, command, words[1:], line_exist)
        except (IpsetError, _Usage) as exc:
            raise IpsetError(f"Error in line {number}: {exc}",
                             exc.status if isinstance(exc, IpsetError) else 2) from None


COMMANDS = {"ipset": ipset}
