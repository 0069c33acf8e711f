"""The simulator side of the multi-host tests: ``run_sim(case) -> MultiObservation``.

Contract for the adapter (to be written with the simulator's multi-host world): feed
``case.commands`` to a fresh world's shell as written (a ``! `` prefix means the line is expected to
fail; strip it and record its status and output), open ``case.listeners`` (accept and close at once
/ read every datagram), run every ``action.line`` (``ip netns exec NS ping ...`` / ``nc ...``, with
``action.stdin``), then fill a `MultiObservation` with the same normalization as real.py: per
namespace ``iptables-save -c`` parsed by `observe.parse_iptables_save`, ``conntrack -L`` through
`observe.parse_conntrack`, ``ip -j neigh`` / ``bridge -j fdb show`` / ``ip -s -j link`` through
`observe.neigh_lines` / `fdb_lines` / `link_lines` (or equivalent data), and the actions' results
through `observe.ping_result` / `nc_result`. Namespace ``root`` is the world's default host. The
per-namespace `case.PREAMBLE` (IPv6 off) may be ignored if the world does not model IPv6.
"""

from __future__ import annotations

from .case import MultiCase
from .observe import MultiObservation


def run_sim(case: MultiCase) -> MultiObservation:
    """Not written yet: raises NotImplementedError (the comparison test skips on it)."""
    raise NotImplementedError("the multi-host simulator adapter (tests/kernel/multihost/simside.py) is not written yet")
