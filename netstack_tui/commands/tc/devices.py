"""The device a tc command names (`dev DEV`), or tc's own refusal."""

from __future__ import annotations

from ...kernel.host import Host
from ...kernel.interfaces import Interface
from ..base import CommandError


def device(host: Host, name: str | None) -> Interface:
    """The device called `name`; tc's message when it is missing or was not given."""
    iface = host.interfaces.get(name) if name is not None else None
    if iface is None:
        raise CommandError(f'Cannot find device "{name or ""}"', 1)
    return iface
