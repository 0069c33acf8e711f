"""Small system commands: dmesg, ulimit, ethtool (-i -S -g -G -k -K), cat, echo, ls, help.

ethtool layouts follow ethtool 6.1 (netlink) on kernel 6.18; `ulimit` answers as bash does.
"""

from __future__ import annotations

from ..kernel.host import Host
from ..kernel.interfaces import DRIVER_INFO, Interface
from ..kernel.sockets import Process, Socket
from .base import CommandError, CommandResult, ShellContext
from .conntrack_cmd import proc_line
from .ethtool_features import features, set_features
from .files import list_paths
from .numbers import is_decimal, number
from .procfs import read_proc
from .sysctl_cmd import read_value
from .sysctl_known import is_real_key, not_modelled
from .userland import read_file

NOFILE_HARD = 524288
RING_MAX = {"virtio_net": 256, "mlx5_core": 8192, "i40e": 4096, "ixgbe": 4096, "ice": 8160, "igb": 4096,
            "e1000e": 4096, "r8169": 256, "bnxt_en": 2047}
SIMULATOR_VERBS = (
    ("send", "send a packet: send tcp 203.0.113.7:51000 > 10.0.0.1:443 [S] iface=eth0"),
    ("listen", "start an app on a socket: listen tcp 0.0.0.0:80 [options]"),
    ("trace", "show the last packet's journey again"),
    ("sleep", "advance the simulated clock: sleep SECONDS"),
    ("kill", "stop a simulated app: kill PID|NAME"),
    ("flood", "many packets at once: flood PACKET --count N [--vary sport|src|none] [--burst]"),
    ("accept", "an app accepts its queued connections: accept NAME|PID"),
    ("nic", "set the simulated NIC's facts: nic DEV [driver NAME] [ring N] [promisc on|off]"),
    ("xsk", "an AF_XDP socket on a queue: xsk open DEV queue 0 | xsk show | xsk read DEV queue 0"),
    ("app", "run a program of socket calls and watch it: app run NAME|FILE, app show, app step, app programs"),
    ("pyramid", "the speed pyramid for the last flood: packets/s per layer (NIC, XDP, tc, netfilter, socket, app)"),
)
FILTERS = ("grep", "wc", "head", "tail", "sort", "uniq", "awk")
SHELL_SYNTAX = (
    "cmd | grep PATTERN | wc -l     pipes, with the filters above",
    "cmd > FILE, cmd >> FILE        files live in memory (> /proc/sys/... writes a sysctl)",
    "cmd < FILE                     standard input from a file",
    "a ; b    a && b    a || b      sequences",
)


# ---- dmesg ------------------------------------------------------------------------------------


def dmesg(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`dmesg [-c|-C]`: the kernel log with [seconds.micro] stamps."""
    flags = set(argv[1:])
    if flags - {"-c", "-C", "--clear", "--read-clear"}:
        raise CommandError(f"dmesg: '{sorted(flags)[0]}' is not simulated here", 1)
    log = ctx.host.dmesg
    text = "\n".join(f"[{stamp:12.6f}] {message}" for stamp, message in log)
    if flags & {"-c", "--read-clear", "-C", "--clear"}:
        ctx.host.dmesg = []
        return CommandResult("" if flags & {"-C", "--clear"} else text, changed=True)
    return CommandResult(text)


# ---- ulimit -----------------------------------------------------------------------------------


def ulimit(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`ulimit -n [N]`, `ulimit -Hn`, `ulimit -Sn`, `ulimit -a` (bash's builtin)."""
    table = ctx.host.sockets
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-"))
    values = [a for a in argv[1:] if not a.startswith("-")]
    if "a" in flags:
        return CommandResult(f"open files                          (-n) {table.shell_nofile}")
    if flags.replace("H", "").replace("S", "") not in ("n", ""):
        raise CommandError(f"bash: ulimit: -{flags}: not simulated here (only -n)", 1)
    hard = "H" in flags
    if not values:
        return CommandResult(str(NOFILE_HARD if hard else table.shell_nofile))
    text = values[0]
    limit = NOFILE_HARD if text in ("unlimited", "hard") else table.shell_nofile if text == "soft" else None
    if limit is None:
        # bash reads a limit as rlim_t: a number past it is a limit the kernel refuses.
        limit = number(text, 0, 2**64 - 1, "bash: ulimit: {value}: invalid number",
                       out_of_range="bash: ulimit: open files: cannot modify limit: Invalid argument")
    if limit > NOFILE_HARD or (hard and limit != NOFILE_HARD):
        raise CommandError("bash: ulimit: open files: cannot modify limit: Operation not permitted", 1)
    table.shell_nofile = limit
    return CommandResult(changed=True)


# ---- ethtool ----------------------------------------------------------------------------------


def ethtool(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`ethtool -i|-S|-g|-k DEV`, `ethtool -G DEV rx N`, `ethtool -K DEV FEATURE on|off`."""
    args = argv[1:]
    if len(args) < 2 or not args[0].startswith("-"):
        if len(args) == 1 and not args[0].startswith("-"):
            raise CommandError(f"ethtool: '{args[0]}' (link settings) is not simulated here; use -i, -S, -g", 1)
        raise CommandError("ethtool: bad command line argument(s)\nFor more information run ethtool -h", 1)
    option, name = args[0], args[1]
    handler = {"-i": _driver_info, "--driver": _driver_info, "-S": _stats, "--statistics": _stats,
               "-g": _rings, "--show-ring": _rings, "-G": _set_rings, "--set-ring": _set_rings,
               "-k": _features, "--show-features": _features, "--show-offload": _features,
               "-K": _set_features, "--features": _set_features, "--offload": _set_features}.get(option)
    if handler is None:
        raise CommandError(f"ethtool: '{option}' is not simulated here", 1)
    iface = ctx.host.interfaces.get(name)
    return handler(ctx.host, iface, name, args[2:])


def _driver_info(host: Host, iface: Interface | None, name: str, rest: list[str]) -> CommandResult:
    if iface is None:
        raise CommandError("Cannot get driver information: No such device", 71)
    if iface.is_loopback:
        raise CommandError("Cannot get driver information: Operation not supported", 71)
    version, bus = DRIVER_INFO.get(iface.driver, ("6.18.0", "0000:00:00.0"))
    physical = iface.kind == "ether" and iface.driver != "virtio_net"
    lines = [f"driver: {iface.driver}", f"version: {version}",
             f"firmware-version: {'1.0.0' if physical else ''}", "expansion-rom-version: ", f"bus-info: {bus}",
             "supports-statistics: yes", "supports-test: no", "supports-eeprom-access: no",
             "supports-register-dump: no", "supports-priv-flags: no"]
    return CommandResult("\n".join(lines))


def _stats(host: Host, iface: Interface | None, name: str, rest: list[str]) -> CommandResult:
    if iface is None:
        raise CommandError("Cannot get stats strings information: No such device", 96)
    if iface.is_loopback:
        raise CommandError("no stats available", 94)
    s = iface.stats
    if iface.kind == "veth":
        peer = host.interfaces.get(iface.peer or "")
        pairs = [("peer_ifindex", peer.index if peer else 0), ("rx_queue_0_xdp_packets", s.xdp_pass + s.xdp_drop),
                 ("rx_queue_0_xdp_bytes", 0), ("rx_queue_0_drops", s.rx_dropped),
                 ("rx_queue_0_xdp_redirect", 0), ("rx_queue_0_xdp_drops", s.xdp_drop), ("rx_queue_0_xdp_tx", 0),
                 ("rx_queue_0_xdp_tx_errors", 0), ("tx_queue_0_xdp_xmit", 0), ("tx_queue_0_xdp_xmit_errors", 0)]
    else:
        pairs = [("rx_packets", s.rx_packets), ("rx_bytes", s.rx_bytes), ("rx_dropped", s.rx_dropped),
                 ("rx_missed_errors", s.rx_missed), ("rx_fifo_errors", s.rx_missed), ("rx_errors", s.rx_errors),
                 ("tx_packets", s.tx_packets), ("tx_bytes", s.tx_bytes), ("tx_dropped", s.tx_dropped),
                 ("rx_xdp_pass", s.xdp_pass), ("rx_xdp_drop", s.xdp_drop)]
    return CommandResult("\n".join(["NIC statistics:"] + [f"     {k}: {v}" for k, v in pairs]))


def _features(host: Host, iface: Interface | None, name: str, rest: list[str]) -> CommandResult:
    if iface is None:
        raise CommandError("netlink error: no device matches name (offset 24)\nnetlink error: No such device", 1)
    return CommandResult(features(iface))


def _set_features(host: Host, iface: Interface | None, name: str, rest: list[str]) -> CommandResult:
    return set_features(iface, name, rest)


def _rings(host: Host, iface: Interface | None, name: str, rest: list[str]) -> CommandResult:
    if iface is None:
        raise CommandError("netlink error: no device matches name (offset 24)\nnetlink error: No such device", 1)
    if iface.kind != "ether":
        raise CommandError("netlink error: Operation not supported", 1)
    top = RING_MAX.get(iface.driver, 4096)
    lines = [f"Ring parameters for {iface.name}:", "Pre-set maximums:", f"RX:\t\t{top}", "RX Mini:\tn/a",
             "RX Jumbo:\tn/a", f"TX:\t\t{top}", "Current hardware settings:", f"RX:\t\t{iface.rx_ring}",
             "RX Mini:\tn/a", "RX Jumbo:\tn/a", f"TX:\t\t{min(top, 256) if iface.driver == 'virtio_net' else 512}",
             "RX Buf Len:\tn/a", "CQE Size:\tn/a", "TX Push:\toff", "TCP data split:\tn/a"]
    return CommandResult("\n".join(lines))


def _set_rings(host: Host, iface: Interface | None, name: str, rest: list[str]) -> CommandResult:
    if iface is None:
        raise CommandError("netlink error: no device matches name (offset 24)\nnetlink error: No such device", 1)
    if len(rest) != 2 or rest[0] != "rx":
        raise CommandError("ethtool: only 'ethtool -G DEV rx N' is simulated here", 1)
    size = number(rest[1], 0, 2**32 - 1, "ethtool (-G): invalid value '{value}' for parameter 'rx'")
    if iface.kind != "ether":
        raise CommandError("netlink error: Operation not supported", 1)
    if size > RING_MAX.get(iface.driver, 4096):
        raise CommandError("netlink error: requested ring size exceeds maximum\nnetlink error: Invalid argument", 1)
    iface.rx_ring = size
    iface.rx_ring_used = 0  # the driver frees and reallocates its rings
    return CommandResult(changed=True)


# ---- cat / ls: the /proc files the shell knows ------------------------------------------------


def cat(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`cat FILE...` for /proc/sys/*, /proc/net/nf_conntrack, /proc/net/snmp and netstat, /proc/PID/limits,
    /proc/sys/fs/file-nr."""
    if len(argv) < 2:
        return CommandResult(ctx.stdin or "")
    outputs, status = [], 0
    for path in argv[1:]:
        try:
            outputs.append(_proc_file(ctx.host, path))
        except CommandError as exc:
            outputs.append(exc.message)
            status = exc.status
    return CommandResult("\n".join(o for o in outputs if o), status)


def _proc_file(host: Host, path: str) -> str:
    missing = CommandError(f"cat: {path}: No such file or directory", 1)
    written = read_file(host, path)
    if written is not None:
        return written.removesuffix("\n")
    if path.startswith("/proc/sys/"):
        key = path[len("/proc/sys/"):].replace("/", ".")
        if key == "fs.file-nr":
            used = sum(len(p.fds) for p in host.sockets.processes.values() if p.alive)
            return f"{used}\t0\t{host.sysctl.get('fs.file-max')}"
        try:
            return read_value(host, key)
        except ValueError:
            if is_real_key(host, key):
                raise CommandError(not_modelled(path, "cat"), 1) from None
            raise missing from None
    known = read_proc(host, path)
    if known is not None:
        return known
    if path == "/proc/net/nf_conntrack":
        return "\n".join(proc_line(e, host.clock) for e in host.conntrack.entries(host.clock))
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "proc" and parts[2] == "limits":
        proc = _process(host, parts[1])
        if proc is None:
            raise missing
        return _limits(proc.nofile, proc.nofile_hard)
    if path.startswith("/proc/") or path.startswith("/sys/") or path.startswith("/etc/"):
        raise CommandError(f"cat: {path}: not simulated here (try /proc/sys/..., /proc/net/nf_conntrack,"
                           " /proc/net/snmp, /proc/net/netstat, /proc/PID/limits, /proc/interrupts,"
                           " /proc/net/softnet_stat)", 1)
    raise missing


def _process(host: Host, key: str) -> Process | None:
    if key == "self":
        return None
    proc = host.sockets.processes.get(int(key)) if is_decimal(key) and len(key) < 20 else None
    return proc if proc is not None and proc.alive else None


def _limits(soft: int, hard: int) -> str:
    header = f"{'Limit':<26}{'Soft Limit':<21}{'Hard Limit':<21}{'Units':<10}"
    return f"{header}\n{'Max open files':<26}{soft:<21}{hard:<21}{'files':<10}"


def ls(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`ls [-l|-1] /proc/PID/fd`: the process's descriptors (sockets as socket:[inode]); other paths
    list the files the session wrote (see `files`)."""
    long = any(a.startswith("-") and "l" in a for a in argv[1:])
    one_per_line = any(a.startswith("-") and "1" in a for a in argv[1:])
    paths = [a for a in argv[1:] if not a.startswith("-")]
    parts = paths[0].strip("/").split("/") if len(paths) == 1 else []
    if len(parts) != 3 or parts[0] != "proc" or parts[2] != "fd":
        if any(p.startswith("/proc/") for p in paths):
            raise CommandError(f"ls: {paths[0]}: not simulated here (only /proc/PID/fd)", 1)
        return list_paths(ctx.host, paths, long=long, one_per_line=one_per_line)
    proc = _process(ctx.host, parts[1])
    if proc is None:
        raise CommandError(f"ls: cannot access '{paths[0]}': No such file or directory", 2)
    fds = sorted(proc.fds.items())
    if not long:
        return CommandResult(("\n" if one_per_line else "  ").join(str(fd) for fd, _ in fds))
    lines = ["total 0"]
    for fd, obj in fds:
        target = f"socket:[{_inode(ctx.host, obj)}]" if isinstance(obj, Socket) else str(obj)
        lines.append(f"lrwx------ 1 root root 64 Jan  1 00:00 {fd} -> {target}")
    return CommandResult("\n".join(lines))


def _inode(host: Host, sock: Socket) -> int:
    """A stable stand-in inode number for a socket (its place in the socket table)."""
    try:
        return 40000 + host.sockets.sockets.index(sock)
    except ValueError:
        return 49999


COMMANDS = {"dmesg": dmesg, "ulimit": ulimit, "ethtool": ethtool, "cat": cat, "ls": ls}
