"""Every command the shell knows, by name, and the real tools it deliberately does not simulate."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module

from .base import CommandResult, Handler, ShellContext
from .system import FILTERS, SHELL_SYNTAX, SIMULATOR_VERBS

PROVIDERS: dict[str, tuple[str, ...]] = {
    "sim": ("send", "flood", "listen", "connect", "kill", "accept", "sleep", "trace", "nic"),
    "ip": ("ip", "exit"),
    "iptables": ("iptables", "iptables-nft", "iptables-legacy", "iptables-save", "iptables-nft-save",
                 "iptables-legacy-save", "iptables-restore", "iptables-nft-restore", "iptables-legacy-restore"),
    "ip6tables": ("ip6tables", "ip6tables-nft", "ip6tables-save", "ip6tables-nft-save", "ip6tables-restore",
                  "ip6tables-nft-restore"),
    "nft": ("nft",),
    "sysctl_cmd": ("sysctl",),
    "ss": ("ss",),
    "conntrack_cmd": ("conntrack",),
    "system": ("dmesg", "ulimit", "ethtool", "cat", "ls"),
    "printf": ("printf", "echo"),
    "tcpdump": ("tcpdump",),
    "bpftool": ("bpftool",),
    "nstat": ("nstat",),
    "persistent": ("netfilter-persistent",),
    "pidof": ("pidof",),
    "filters": ("grep", "wc", "head", "tail", "sort", "uniq", "awk"),
    "legacy": ("netstat", "lsof"),
    "tc": ("tc",),
    "timers": ("at", "atq", "atrm", "iptables-apply"),
    "ping": ("ping",),
    "bridge_cmd": ("bridge",),
    "nc": ("nc", "netcat"),
    "curl": ("curl",),
    "docker": ("docker",),
    "app_cmd": ("app",),
    "ipset": ("ipset",),
    "pyramid": ("pyramid",),
    "xsk_cmd": ("xsk",),
}
"""Which module of this package implements each command (its `COMMANDS` dict), so a command's module
is imported the first time the command runs: a scenario's setup needs a handful of the 21 modules,
and importing them all held the first screen back (tests check this table against the modules)."""

_MODULE_OF = {name: module for module, names in PROVIDERS.items() for name in names}


class _Registry(Mapping[str, Handler]):
    """Every command by name; a command's module is imported when the command is first looked up."""

    def __init__(self, own: dict[str, Handler]) -> None:
        self._own = own
        """Commands defined in this module (no module to import)."""
        self._loaded: dict[str, Handler] = dict(own)

    def __getitem__(self, name: str) -> Handler:
        handler = self._loaded.get(name)
        if handler is None:
            module = _MODULE_OF.get(name)
            if module is None:
                raise KeyError(name)
            handler = self._loaded[name] = import_module(f".{module}", __package__).COMMANDS[name]
        return handler

    def __iter__(self) -> Iterator[str]:
        return iter((*_MODULE_OF, *self._own))

    def __len__(self) -> int:
        return len(_MODULE_OF) + len(self._own)

    def __contains__(self, name: object) -> bool:
        return name in _MODULE_OF or name in self._own

NOT_SIMULATED: dict[str, str] = {
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
    for name in PROVIDERS["sim"]:  # verbs added later still get a line: their docstring's first
        handler = COMMANDS[name]
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


COMMANDS: Mapping[str, Handler] = _Registry({"help": help_cmd})
