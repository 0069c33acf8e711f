"""Test setup for the shell's system commands.

`kernel/netfilter/ruleset.py` and `commands/sim.py` are written in parallel by others; while either
is missing, a tiny stand-in module is registered so `Host()` and the registry still import. The
stand-ins are used only when the real module cannot be imported.
"""

from __future__ import annotations

import importlib
import sys
import types


def _stub(name: str, **attrs: object) -> None:
    try:
        importlib.import_module(name)
    except ImportError:
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        sys.modules[name] = module


class _Ruleset:
    """Stand-in for the netfilter Ruleset (empty, ACCEPT policies)."""


_stub("netstack_tui.kernel.netfilter.ruleset", Ruleset=_Ruleset)
_stub("netstack_tui.commands.sim", COMMANDS={})
