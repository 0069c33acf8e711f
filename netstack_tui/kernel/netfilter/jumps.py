"""How deep jumps and gotos may nest in one table, as nf_tables checks it on every change.

nft_table_validate() walks each base chain of a table and follows every jump and goto one level
deeper (nft_chain_validate); a chain reached at level NFT_JUMP_STACK_SIZE fails the change with
EMLINK, which iptables-nft and nft print as "Too many links". A loop that a base chain reaches
therefore always fails, while a loop that no base chain reaches is accepted: no packet can enter it.
The same bound guards the traversals (nft_do_chain's jump stack), so no ruleset can make a packet's
walk run away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

JUMP_STACK_SIZE = 16
"""NFT_JUMP_STACK_SIZE: base chains are level 0, so at most 15 user chains nest below one."""

TOO_MANY_LINKS = "Too many links"
"""strerror(EMLINK), the errno nf_tables answers a too-deep or looping ruleset with."""


class _TooDeep(Exception):
    pass


def too_deep(bases: Iterable[str], targets: Callable[[str], Iterable[str]]) -> bool:
    """Whether a chain jumped or gone to from `bases` sits at level JUMP_STACK_SIZE (loops always do).

    `targets(name)` gives the chains `name`'s rules jump or go to. Each chain's height (its longest
    path of jumps) is computed once, so the walk is linear in chains and jumps, and the recursion
    never goes deeper than JUMP_STACK_SIZE.
    """
    heights: dict[str, int] = {}
    path: set[str] = set()

    def height(name: str, level: int) -> int:
        if level >= JUMP_STACK_SIZE or name in path:
            raise _TooDeep
        known = heights.get(name)
        if known is None:
            path.add(name)
            known = 0
            for target in set(targets(name)):
                known = max(known, 1 + height(target, level + 1))
            path.discard(name)
            heights[name] = known
        if level + known >= JUMP_STACK_SIZE:
            raise _TooDeep
        return known

    try:
        for base in bases:
            height(base, 0)
    except _TooDeep:
        return True
    return False


def first_failing(count: int, fails_with: Callable[[int], bool]) -> int:
    """The fewest of a batch's first `count` additions that already fail (`fails_with(count)` must
    hold, and failing stays failing as more are added): the addition to name in the error, found by
    bisection, so a 200,000-rule batch needs ~18 checks rather than one per rule."""
    low, high = 1, count
    while low < high:
        middle = (low + high) // 2
        if fails_with(middle):
            high = middle
        else:
            low = middle + 1
    return low
