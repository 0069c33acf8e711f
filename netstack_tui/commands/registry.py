"""Every command the shell knows, by name, and the real tools it deliberately does not simulate."""

from __future__ import annotations

from .base import Handler
from . import sim
from . import conntrack_cmd, ip, iptables, ss, sysctl_cmd, system

COMMANDS: dict[str, Handler] = {}
COMMANDS.update(sim.COMMANDS)
COMMANDS.update(ip.COMMANDS)
COMMANDS.update(iptables.COMMANDS)
COMMANDS.update(sysctl_cmd.COMMANDS)
COMMANDS.update(ss.COMMANDS)
COMMANDS.update(conntrack_cmd.COMMANDS)
COMMANDS.update(system.COMMANDS)

NOT_SIMULATED: dict[str, str] = {
    "ip6tables": "IPv6 is not simulated",
    "ip6tables-save": "IPv6 is not simulated",
    "ip6tables-restore": "IPv6 is not simulated",
    "ebtables": "bridge filtering is not simulated",
    "arptables": "ARP filtering is not simulated",
    "tc": "traffic control is shown as the qdisc stage but tc commands are not simulated",
    "tcpdump": "use 'send' and 'trace' to watch packets",
    "ping": "use 'send icmp SRC > DST echo-request'",
    "curl": "use 'send tcp SRC:PORT > DST:PORT [S]'",
    "nc": "use 'send' and 'listen'",
    "systemctl": "services are simulated with 'listen' and 'kill'",
    "modprobe": "kernel modules are built in here",
    "bpftool": "XDP programs attach with 'ip link set dev DEV xdp obj NAME'",
    "netstat": "use 'ss', which this shell simulates",
    "iptables-apply": "use 'iptables-restore' with a timed rollback: see the ssh-lockout scenario",
    "at": "timers are not simulated; use 'sleep' to advance the clock",
}
