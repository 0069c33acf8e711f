"""Which sysctl keys exist on a real Linux host, so that a key the model leaves out is said to be not
simulated rather than missing (sysctl's "cannot stat ... No such file or directory" stays for keys that
do not exist on Linux at all).

The list (netstack_tui/data/linux_sysctl_keys.txt) was read off a fresh network namespace on kernel 6.18
with `sysctl -a -N`; per-device keys are written `net.ipv4.conf.*.KEY` (and likewise for neigh and ipv6).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from ..kernel.host import Host

KEYS_FILE = Path(__file__).resolve().parent.parent / "data" / "linux_sysctl_keys.txt"
_PER_DEVICE = re.compile(r"^(net\.ipv[46]\.(?:conf|neigh))\.([^.]+)\.(.+)$")


@cache
def _keys() -> frozenset[str]:
    return frozenset(line.strip() for line in KEYS_FILE.read_text(encoding="utf-8").splitlines() if line.strip())


def is_real_key(host: Host, key: str) -> bool:
    """Whether `key` (dotted) exists on a real Linux host with this host's interfaces."""
    found = _PER_DEVICE.match(key)
    if found is not None:
        device = found.group(2)
        if device not in ("all", "default") and device not in host.interfaces:
            return False
        return f"{found.group(1)}.*.{found.group(3)}" in _keys()
    return key in _keys()


def not_modelled(key: str, prog: str = "sysctl") -> str:
    """The one line for a real key the simulator does not model."""
    return f"{prog}: {key}: exists on Linux, but is not simulated here (the model has no such setting)"
