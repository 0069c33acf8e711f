"""`ethtool -k DEV` and `ethtool -K DEV NAME on|off ...` (ethtool 6.1 over netlink, kernel 6.18).

The listing and what a change does to packets live in `kernel.offload`; this module reads the
command line and answers with ethtool's own words and exit statuses (measured on a veth and lo).
"""

from __future__ import annotations

from ..kernel import offload
from ..kernel.interfaces import Interface
from .base import CommandError, CommandResult

NO_DEVICE = "netlink error: no device matches name (offset 24)\nnetlink error: No such device"


def features(iface: Interface) -> str:
    """The `ethtool -k` listing for `iface`."""
    return offload.listing(iface)


def set_features(iface: Interface | None, name: str, rest: list[str]) -> CommandResult:
    """`ethtool -K DEV NAME on|off [NAME on|off ...]` with NAME one of rx, tx, sg, tso, gso, gro,
    lro (or ethtool's long names, or the kernel's feature names)."""
    requests: list[tuple[str, bool]] = []
    words = list(rest)
    if not words:
        raise CommandError("ethtool (-K): flag '(null)' for parameter '(null)' is not followed by 'on' or 'off'", 1)
    while words:
        flag = words.pop(0)
        value = words.pop(0) if words else None
        if value not in ("on", "off"):
            shown = value if value is not None else "(null)"
            raise CommandError(f"ethtool (-K): flag '{shown}' for parameter '(null)' is not followed by 'on' or 'off'"
                               if value is not None else
                               "ethtool (-K): flag '(null)' for parameter '(null)' is not followed by 'on' or 'off'", 1)
        short = flag if flag in offload.FEATURES else offload.LONG_NAMES.get(flag)
        if short is None:
            if iface is None:
                raise CommandError(NO_DEVICE, 92)
            raise CommandError("netlink error: bit name not found (offset 52)\n"
                               f"netlink error: Operation not supported ('{flag}' is not a feature simulated here;"
                               f" these are: {', '.join(offload.FEATURES)})", 92)
        requests.append((short, value == "on"))
    if iface is None:
        raise CommandError(NO_DEVICE, 92)
    try:
        report = offload.change(iface, requests)
    except offload.FeatureError as exc:
        raise CommandError(str(exc), 1) from None
    return CommandResult(report, changed=True)
