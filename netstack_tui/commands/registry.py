"""Every command the shell knows, by name, and the real tools it deliberately does not simulate."""

from __future__ import annotations

from . import (
    bpftool,
    bridge_cmd,
    conntrack_cmd,
    curl,
    docker,
    filters,
    ip,
    iptables,
    legacy,
    nc,
    nft,
    nstat,
    persistent,
    pidof,
    ping,
    sim,
    ss,
    sysctl_cmd,
    system,
    tcpdump,
    timers,
)
from .base import CommandResult, Handler, ShellContext
from .system import FILTERS, SHELL_SYNTAX, SIMULATOR_VERBS

COMMANDS: dict[str, Handler] = {}
COMMANDS.update(sim.COMMANDS)
COMMANDS.update(ip.COMMANDS)
COMMANDS.update(iptables.COMMANDS)
COMMANDS.update(nft.COMMANDS)
COMMANDS.update(sysctl_cmd.COMMANDS)
COMMANDS.update(ss.COMMANDS)
COMMANDS.update(conntrack_cmd.COMMANDS)
COMMANDS.update(system.COMMANDS)
COMMANDS.update(tcpdump.COMMANDS)
COMMANDS.update(bpftool.COMMANDS)
COMMANDS.update(nstat.COMMANDS)
COMMANDS.update(persistent.COMMANDS)
COMMANDS.update(pidof.COMMANDS)
COMMANDS.update(filters.COMMANDS)
COMMANDS.update(legacy.COMMANDS)
COMMANDS.update(timers.COMMANDS)
COMMANDS.update(ping.COMMANDS)
COMMANDS.update(bridge_cmd.COMMANDS)
COMMANDS.update(nc.COMMANDS)
COMMANDS.update(curl.COMMANDS)
COMMANDS.update(docker.COMMANDS)

NOT_SIMULATED: dict[str, str] = {
    "ip6tables": "IPv6 is not simulated",
    "ip6tables-save": "IPv6 is not simulated",
    "ip6tables-restore": "IPv6 is not simulated",
    "ebtables": "bridge filtering is not simulated",
    "arptables": "ARP filtering is not simulated",
    "systemctl": "services are simulated with 'listen' and 'kill'",
    "modprobe": "kernel modules are built in here",
    "perf": "kernel tracing is not simulated; each step of 'trace' names the kernel function and drop reason",
    "dropwatch": "kernel tracing is not simulated; 'trace' shows where and why a packet was dropped",
}


def help_cmd(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`help`: every command this shell simulates, and the simulator's own verbs."""
    registered = COMMANDS
    described = dict(SIMULATOR_VERBS)
    for name, handler in sim.COMMANDS.items():  # verbs added later still get a line: their docstring's first
        described.setdefault(name, (handler.__doc__ or name).strip().splitlines()[0])
    verbs = set(described)
    names = sorted(n for n in registered if n not in verbs and n not in FILTERS)
    lines = ["Linux commands (they answer as the real tools do):"]
    lines += [f"  {' '.join(names[i:i + 6])}" for i in range(0, len(names), 6)]
    lines += ["", "Text filters for pipes:", f"  {' '.join(f for f in FILTERS if f in registered)}"]
    lines += ["", "Shell syntax:"] + [f"  {text}" for text in SHELL_SYNTAX]
    lines += ["", "Simulator verbs:"] + [f"  {name:<8} {text}" for name, text in described.items()
                                         if name in registered]
    lines += ["", "Known but not simulated (each answers with one line saying what to use instead):",
              f"  {' '.join(sorted(NOT_SIMULATED))}"]
    return CommandResult("\n".join(lines))


COMMANDS["help"] = help_cmd
