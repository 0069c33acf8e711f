"""Every command the shell knows, by name, and the real tools it deliberately does not simulate."""

from __future__ import annotations

from . import bpftool, conntrack_cmd, ip, iptables, nft, nstat, persistent, pidof, sim, ss, sysctl_cmd, system, tcpdump
from .base import Handler

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
from . import filters, legacy, timers  # noqa: E402, I001  (pipes' filters, netstat/lsof/tc/ping, at/iptables-apply)
COMMANDS.update(filters.COMMANDS)
COMMANDS.update(legacy.COMMANDS)
COMMANDS.update(timers.COMMANDS)
from . import bridge_cmd, ping  # noqa: E402, I001  (namespaces: ping between them, the bridge tool)
COMMANDS.update(ping.COMMANDS)
COMMANDS.update(bridge_cmd.COMMANDS)
from . import curl, nc  # noqa: E402, I001  (clients whose connections cross the namespaces)
COMMANDS.update(nc.COMMANDS)
COMMANDS.update(curl.COMMANDS)
from . import docker  # noqa: E402, I001  (containers: namespaces, a bridge and the rules dockerd writes)
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
