"""`sysctl` (procps-ng 4.0): read, -n, -w, -q, -a, -p FILE, --system, KEY=VALUE.

Wording and exit statuses were captured from procps-ng sysctl on kernel 6.18. Like the real tool,
`sysctl KEY=VALUE` sets the value even without -w, and a line that fails does not stop the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..kernel.host import Host
from ..kernel.sysctl import SysctlError
from .base import CommandError, CommandResult, ShellContext, short_flags
from .sysctl_known import is_real_key, not_modelled
from .userland import userland

CONNTRACK_COUNT = "net.netfilter.nf_conntrack_count"
USAGE_HINT = "Try `sysctl --help' for more information."


@dataclass
class Run:
    """What one sysctl invocation printed and whether anything failed or changed."""

    lines: list[str] = field(default_factory=list)
    failed: bool = False
    changed: bool = False


def read_value(host: Host, key: str) -> str:
    """A sysctl's text as /proc/sys shows it; nf_conntrack_count is read live from the table."""
    key = host.sysctl.normalise(key)
    if key == CONNTRACK_COUNT:
        return str(host.conntrack.count(host.clock))
    return host.sysctl.get(key)


def _parse(argv: list[str]) -> tuple[set[str], list[str], str | None]:
    flags: set[str] = set()
    args: list[str] = []
    load: str | None = None
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in ("-p", "--load", "-f") or word.startswith("--load="):
            flags.add("p")
            if "=" in word:
                load = word.split("=", 1)[1]
            elif i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                load, i = argv[i + 1], i + 1
        elif word.startswith("-p") and len(word) > 2:
            flags.add("p")
            load = word[2:]
        elif word.startswith("--"):
            long = {"--all": "a", "--values": "n", "--write": "w", "--quiet": "q", "--names": "N",
                    "--ignore": "e", "--system": "S"}.get(word)
            if long is None:
                raise CommandError(f"sysctl: '{word}' is not simulated here", 1)
            flags.add(long)
        elif word.startswith("-") and len(word) > 1:
            letters = short_flags(word, "anwqNeAXox", "sysctl: '-{letter}' is not simulated here", 1)
            flags.update("a" if letter in "AX" else letter for letter in letters)
        else:
            args.append(word)
        i += 1
    return flags, args, load


def sysctl(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`sysctl [-n] [-q] [-w] KEY[=VALUE]... | -a | -p [FILE] | --system`."""
    flags, args, load = _parse(argv[1:])
    host = ctx.host
    run = Run()
    if "a" in flags:
        run.lines = [_format(host, key, read_value(host, key), flags) for key in _all_keys(host)]
    elif "S" in flags:
        _system(host, flags, run)
    elif "p" in flags:
        _load(host, load or "/etc/sysctl.conf", flags, run)
    elif not args:
        raise CommandError(f"sysctl: no variables specified\n{USAGE_HINT}", 1)
    else:
        for arg in args:
            _one(host, arg, flags, run)
    return CommandResult("\n".join(run.lines), 1 if run.failed else 0, changed=run.changed)


def _all_keys(host: Host) -> list[str]:
    return host.sysctl.keys()


def _format(host: Host, key: str, value: str, flags: set[str]) -> str:
    if "n" in flags:
        return value
    if "N" in flags:
        return key
    return f"{key} = {value}"


def _one(host: Host, arg: str, flags: set[str], run: Run) -> None:
    if "=" in arg:
        key, value = arg.split("=", 1)
        _write(host, key.strip(), value.strip(), flags, run)
    elif "w" in flags:
        run.lines.append("sysctl: command line(0): invalid syntax, continuing...")
        run.failed = True
    else:
        _read(host, arg, flags, run)


def _read(host: Host, key: str, flags: set[str], run: Run) -> None:
    try:
        run.lines.append(_format(host, host.sysctl.normalise(key), read_value(host, key), flags))
    except SysctlError as exc:
        if "e" not in flags:
            run.lines.append(_unknown(host, key, exc))
            run.failed = True


def _write(host: Host, key: str, value: str, flags: set[str], run: Run) -> None:
    key = host.sysctl.normalise(key)
    if key == CONNTRACK_COUNT:
        # The file is read-only; procps reports EINVAL from the write and still exits 0.
        run.lines.append(f'sysctl: setting key "{key}": Invalid argument')
        return
    try:
        host.sysctl.set(key, value)
    except SysctlError as exc:
        if "e" not in flags or "cannot stat" not in str(exc):
            run.lines.append(_unknown(host, key, exc))
            run.failed = True
        return
    run.changed = True
    if "q" not in flags:
        run.lines.append(_format(host, key, value, flags))


def _unknown(host: Host, key: str, exc: SysctlError) -> str:
    """sysctl's own message, except for a real Linux key the model leaves out (see `sysctl_known`)."""
    key = host.sysctl.normalise(key)
    return not_modelled(key) if "cannot stat" in str(exc) and is_real_key(host, key) else str(exc)


SYSTEM_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")


def _system(host: Host, flags: set[str], run: Run) -> None:
    """`sysctl --system`: every *.conf of the sysctl.d directories, by file name (a name in an earlier
    directory hides the same name in a later one), then /etc/sysctl.conf; each announced as procps does.
    Only the files this session wrote exist here."""
    files = userland(host).files
    chosen: dict[str, str] = {}
    for directory in SYSTEM_DIRS:
        for path in files:
            parent, _, name = path.rpartition("/")
            if parent == directory and name.endswith(".conf"):
                chosen.setdefault(name, path)
    paths = [chosen[name] for name in sorted(chosen)]
    if "/etc/sysctl.conf" in files:
        paths.append("/etc/sysctl.conf")
    for path in paths:
        run.lines.append(f"* Applying {path} ...")
        _load(host, path, flags, run)


def _load(host: Host, path: str, flags: set[str], run: Run) -> None:
    from .userland import read_input_file

    try:
        text = read_input_file(path)
    except CommandError as exc:
        reason = exc.message.split(": ", 1)[-1]
        raise CommandError(f'sysctl: cannot open "{path}": {reason}', 1) from None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if "=" not in line:
            run.lines.append(f"sysctl: {path}({number}): invalid syntax, continuing...")
            run.failed = True
            continue
        key, value = line.split("=", 1)
        key = key.strip().lstrip("-")
        _write(host, key, value.strip(), flags, run)


COMMANDS = {"sysctl": sysctl}
