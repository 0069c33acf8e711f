"""Generation numbers: what caches of derived data (rule indexes, hook order, whether conntrack is
loaded) compare against to know the configuration they were built from has not changed.

One counter for the whole process, so a number is never reused: a chain that moves between
rulesets (iptables-restore's staging copy) cannot meet a cache stamped with its new owner's number.
"""

from __future__ import annotations

import itertools

_COUNTER = itertools.count(1)


def next_generation() -> int:
    """A number no configuration change has had before."""
    return next(_COUNTER)
