"""The mutable scratchpad of one chain traversal, which targets write their effects into."""

from __future__ import annotations

from ..packet import Packet
from .api import MatchContext, NatAction


class Run:
    """What has happened to the packet so far in this traversal (one per `Ruleset.traverse`)."""

    __slots__ = ("pkt", "ctx", "chain", "ct_mark", "ct_mark_set", "notrack", "logs", "reject", "nat")

    def __init__(self, pkt: Packet, ctx: MatchContext, chain: str) -> None:
        self.pkt = pkt
        """The packet as targets have changed it (MARK, TOS)."""
        self.ctx = ctx
        self.chain = chain
        """The base chain being traversed (LOG needs the hook)."""
        self.ct_mark = ctx.ct_mark
        self.ct_mark_set = False
        self.notrack = False
        self.logs: list[str] = []
        self.reject: str | None = None
        self.nat: NatAction | None = None
