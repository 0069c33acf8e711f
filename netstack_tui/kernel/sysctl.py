"""Network sysctls with the values a fresh network namespace has on a 6.x kernel.

Values are kept as the text /proc/sys shows, keyed by the dotted name `sysctl` prints. Per-interface
`net.ipv4.conf.IFACE.*` keys appear when the interface does, copied from `conf.default`.

`net.bridge.bridge-nf-*` are br_netfilter's, per namespace. They exist only while that module is
loaded; here it is built in, as on the kernel the facts were measured on, so every namespace has
them (a stock Debian host gets them once Docker or `modprobe br_netfilter` loads the module).
"""

from __future__ import annotations

import builtins

from .generation import next_generation
from .numbers import NumberError, parse_int

# Read off a fresh namespace on kernel 6.18 (sysctl -a); nf_conntrack_max scales with RAM there,
# 262144 is what a 24 GiB machine gets.
GLOBAL_DEFAULTS: dict[str, str] = {
    "net.core.somaxconn": "4096",
    "net.core.netdev_budget": "300",
    "net.core.netdev_budget_usecs": "2000",
    "net.core.netdev_max_backlog": "1000",
    "net.core.rmem_default": "212992",
    "net.core.rmem_max": "4194304",
    "net.core.wmem_default": "212992",
    "net.core.wmem_max": "4194304",
    "net.core.optmem_max": "131072",
    "net.ipv4.ip_forward": "0",
    "net.ipv4.ip_default_ttl": "64",
    "net.ipv4.ip_local_port_range": "32768\t60999",
    "net.ipv4.ip_nonlocal_bind": "0",
    "net.ipv4.icmp_echo_ignore_all": "0",
    "net.ipv4.icmp_echo_ignore_broadcasts": "1",
    "net.ipv4.icmp_ratelimit": "1000",
    "net.ipv4.tcp_fin_timeout": "60",
    "net.ipv4.tcp_max_syn_backlog": "2048",
    "net.ipv4.tcp_syncookies": "1",
    "net.ipv4.tcp_abort_on_overflow": "0",
    "net.ipv4.tcp_tw_reuse": "2",
    "net.ipv4.tcp_timestamps": "1",
    "net.ipv4.tcp_syn_retries": "6",
    "net.ipv4.tcp_syn_linear_timeouts": "4",
    "net.ipv4.tcp_rmem": "4096\t131072\t33554432",
    "net.ipv4.tcp_wmem": "4096\t16384\t4194304",
    "net.ipv4.tcp_keepalive_time": "7200",
    "net.ipv4.tcp_keepalive_intvl": "75",
    "net.ipv4.tcp_keepalive_probes": "9",
    # IPv6 is not simulated; these keys only store what is written, so scripts that set them run.
    "net.ipv6.conf.all.forwarding": "0",
    "net.ipv6.conf.default.forwarding": "0",
    "net.ipv4.tcp_synack_retries": "5",
    "net.netfilter.nf_conntrack_max": "262144",
    "net.netfilter.nf_conntrack_buckets": "262144",
    "net.netfilter.nf_conntrack_count": "0",
    "net.netfilter.nf_conntrack_acct": "0",
    "net.netfilter.nf_conntrack_checksum": "1",
    "net.netfilter.nf_conntrack_log_invalid": "0",
    "net.netfilter.nf_conntrack_tcp_loose": "1",
    "net.netfilter.nf_conntrack_tcp_be_liberal": "0",
    "net.netfilter.nf_conntrack_generic_timeout": "600",
    "net.netfilter.nf_conntrack_icmp_timeout": "30",
    "net.netfilter.nf_conntrack_udp_timeout": "30",
    "net.netfilter.nf_conntrack_udp_timeout_stream": "120",
    "net.netfilter.nf_conntrack_tcp_timeout_syn_sent": "120",
    "net.netfilter.nf_conntrack_tcp_timeout_syn_recv": "60",
    "net.netfilter.nf_conntrack_tcp_timeout_established": "432000",
    "net.netfilter.nf_conntrack_tcp_timeout_fin_wait": "120",
    "net.netfilter.nf_conntrack_tcp_timeout_close_wait": "60",
    "net.netfilter.nf_conntrack_tcp_timeout_last_ack": "30",
    "net.netfilter.nf_conntrack_tcp_timeout_time_wait": "120",
    "net.netfilter.nf_conntrack_tcp_timeout_close": "10",
    # br_netfilter (br_netfilter_sysctl_default): only bridge-nf-call-iptables acts in the model;
    # ip6tables/arptables are stored (IPv6 and ARP filtering are not simulated), VLAN/PPPoE too.
    "net.bridge.bridge-nf-call-arptables": "1",
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.bridge.bridge-nf-call-ip6tables": "1",
    "net.bridge.bridge-nf-filter-vlan-tagged": "0",
    "net.bridge.bridge-nf-filter-pppoe-tagged": "0",
    "net.bridge.bridge-nf-pass-vlan-input-dev": "0",
    "fs.file-max": "2466170",
    "fs.nr_open": "1048576",
    # allocated, free (always 0 since 2.6), max; the first field is filled in by whoever counts fds.
    "fs.file-nr": "0\t0\t2466170",
}

CONF_DEFAULTS: dict[str, str] = {
    "forwarding": "0",
    "rp_filter": "0",
    "accept_local": "0",
    "log_martians": "0",
    "arp_ignore": "0",
    "accept_source_route": "1",
    "send_redirects": "1",
    "shared_media": "1",
}
"""Keys under net.ipv4.conf.{all,default,IFACE} (the `default` and per-interface values)."""

ALL_OVERRIDES: dict[str, str] = {"accept_source_route": "0"}
"""Keys whose `conf.all` value differs from `conf.default` in a fresh namespace."""

# Sysctls whose value is not a single integer.
_MULTI_VALUE = {"net.ipv4.ip_local_port_range": 2, "net.ipv4.tcp_rmem": 3, "net.ipv4.tcp_wmem": 3, "fs.file-nr": 3}
# Integer vectors the kernel lets you write partly (proc_dointvec: "4096" sets only the first value).
_PARTIAL_WRITE = frozenset({"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"})
# br_netfilter's keys: proc_dointvec over one int, then brnf_sysctl_call_tables() turns any
# non-zero value into 1 (measured: `sysctl -w ...=5` answers `= 5`, and reading gives 1).
BRIDGE_NF_KEYS = frozenset(k for k in GLOBAL_DEFAULTS if k.startswith("net.bridge.bridge-nf-"))
BRIDGE_NF_CALL_IPTABLES = "net.bridge.bridge-nf-call-iptables"
# Read-only, as in the kernel.
READ_ONLY = frozenset({"net.netfilter.nf_conntrack_count", "fs.file-nr"})


class SysctlError(ValueError):
    """An unknown key or an invalid value; the message is what sysctl(8) would say."""


class Sysctls:
    """The host's sysctl table."""

    __slots__ = ("_values", "generation")

    def __init__(self) -> None:
        self.generation = next_generation()
        """Changes with every write: caches of values derived from sysctls key on it."""
        self._values: dict[str, str] = dict(GLOBAL_DEFAULTS)
        for scope in ("all", "default"):
            for key, value in CONF_DEFAULTS.items():
                self._values[f"net.ipv4.conf.{scope}.{key}"] = value
        for key, value in ALL_OVERRIDES.items():
            self._values[f"net.ipv4.conf.all.{key}"] = value

    def add_interface(self, name: str) -> None:
        """Create net.ipv4.conf.NAME.* from the current `default` values."""
        self.generation = next_generation()
        for key in CONF_DEFAULTS:
            self._values[f"net.ipv4.conf.{name}.{key}"] = self._values[f"net.ipv4.conf.default.{key}"]

    def remove_interface(self, name: str) -> None:
        """Drop net.ipv4.conf.NAME.*."""
        self.generation = next_generation()
        for key in CONF_DEFAULTS:
            self._values.pop(f"net.ipv4.conf.{name}.{key}", None)

    @staticmethod
    def normalise(key: str) -> str:
        """Accept both `net.ipv4.ip_forward` and `net/ipv4/ip_forward`."""
        return key.strip().replace("/", ".")

    def keys(self) -> list[str]:
        """All keys, sorted as `sysctl -a` prints them."""
        return sorted(self._values)

    def get(self, key: str) -> str:
        """The value as /proc/sys shows it; SysctlError for an unknown key."""
        key = self.normalise(key)
        if key not in self._values:
            raise SysctlError(f'sysctl: cannot stat /proc/sys/{key.replace(".", "/")}: No such file or directory')
        if key == "fs.file-nr":  # its maximum is fs.file-max, whatever that was set to
            return f"{self._values[key].split()[0]}\t0\t{self._values['fs.file-max']}"
        return self._values[key]

    def int(self, key: str) -> int:
        """A single-integer value."""
        return int(self._values[key])

    def set(self, key: str, value: str) -> str:
        """Set a value, checking it as the kernel's proc handler would; return the stored text."""
        key = self.normalise(key)
        if key not in self._values:
            raise SysctlError(f'sysctl: cannot stat /proc/sys/{key.replace(".", "/")}: No such file or directory')
        if key in READ_ONLY:
            raise SysctlError(f'sysctl: permission denied on key "{key}"')
        words = value.split()
        if key in BRIDGE_NF_KEYS:
            return self._set_bridge_nf(key, words)
        expected = _MULTI_VALUE.get(key, 1)
        if key in _PARTIAL_WRITE and 0 < len(words) < expected:
            words += self._values[key].split()[len(words):]
        values = [_c_int(w) for w in words]
        if len(words) != expected or None in values:
            raise SysctlError(f'sysctl: setting key "{key}": Invalid argument')
        stored = "\t".join(str(v) for v in values)
        if key == "net.ipv4.ip_local_port_range" and values[0] > values[1]:  # type: ignore[operator]
            raise SysctlError(f'sysctl: setting key "{key}": Invalid argument')
        self._values[key] = stored
        self.generation = next_generation()
        self._propagate(key, stored)
        return stored

    def _set_bridge_nf(self, key: str, words: list[str]) -> str:
        """brnf_sysctl_call_tables(): the first integer counts (what follows it is ignored, as
        proc_dointvec does for a one-int table), and any non-zero value is stored as 1."""
        first = _c_int(words[0]) if words else None
        if first is None:
            raise SysctlError(f'sysctl: setting key "{key}": Invalid argument')
        stored = "1" if first else "0"
        self._values[key] = stored
        self.generation = next_generation()
        return stored

    def bridge_nf_call_iptables(self) -> bool:
        """Whether br_netfilter passes bridged IPv4 frames to this namespace's iptables."""
        return self._values[BRIDGE_NF_CALL_IPTABLES] != "0"

    def _propagate(self, key: str, value: str) -> None:
        # Writing ip_forward (or conf.all.forwarding) sets forwarding on every interface,
        # exactly as devinet_ctl_forward/inet_forward_change does.
        if key in ("net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding"):
            flag = "1" if value != "0" else "0"
            self._values["net.ipv4.ip_forward"] = flag
            for name in list(self._values):
                if name.startswith("net.ipv4.conf.") and name.endswith(".forwarding"):
                    self._values[name] = flag

    def conf(self, iface: str, key: str) -> builtins.int:
        """Per-interface value of net.ipv4.conf.IFACE.KEY as an int."""
        return int(self._values.get(f"net.ipv4.conf.{iface}.{key}", self._values[f"net.ipv4.conf.default.{key}"]))

    def rp_filter(self, iface: str) -> builtins.int:
        """Effective rp_filter mode: the max of conf.all and the interface (IN_DEV_RPFILTER)."""
        return max(int(self._values["net.ipv4.conf.all.rp_filter"]), self.conf(iface, "rp_filter"))

    def forwarding(self, iface: str) -> bool:
        """Whether the interface forwards (IN_DEV_FORWARD)."""
        return self.conf(iface, "forwarding") != 0

    def snapshot(self) -> dict[str, str]:
        """A copy of every value."""
        return dict(self._values)


def _c_int(word: str) -> int | None:
    """proc_dointvec's reading of one value: a decimal that fits a C int; None for anything else."""
    try:
        return parse_int(word, -(2**31), 2**31 - 1, signed=True)
    except NumberError:
        return None
