"""The shape every iptables extension (match or target) shares, and the registries of them.

An extension is parsed once from its options into a frozen record that knows how to print itself
(`save()` as iptables-save does, `listing()` as `iptables -L` does) and how to compile itself
into predicates on the packet's ints. Nothing here parses text per packet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from ..packet import Packet
from .api import MatchContext

if TYPE_CHECKING:
    from .state import RulesetState

Predicate = Callable[[Packet, MatchContext], bool]
"""A compiled test: does the packet (in this context) pass?"""

Check = tuple[Predicate, str]
"""A compiled test and the canonical text shown when it fails (`--dport 22`)."""


@dataclass(frozen=True, slots=True)
class Opt:
    """One option as written on the command line: `! --dport 22` is Opt('--dport', True, ('22',))."""

    name: str
    invert: bool
    args: tuple[str, ...] = ()

    @property
    def arg(self) -> str:
        """The first argument ('' when the option takes none)."""
        return self.args[0] if self.args else ""


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What an extension may need to know about the rule it belongs to while it is parsed."""

    proto: int = 0
    """-p value (0 = all)."""
    proto_inv: bool = False
    table: str = "filter"


class Extension:
    """Base of parsed matches and targets."""

    __slots__ = ()

    name: ClassVar[str] = ""
    hooks: ClassVar[frozenset[str] | None] = None
    """Built-in chains the kernel allows this extension in (None: any)."""
    tables: ClassVar[frozenset[str] | None] = None
    """Tables the kernel allows this extension in (None: any)."""

    def save(self) -> str:
        """Options as iptables-save prints them, each with a leading space."""
        return ""

    def listing(self, numeric: bool) -> str:
        """The text `iptables -L` prints for this extension, with a leading space."""
        return ""

    def check_hooks(self, chain: str) -> bool:
        """Whether the kernel accepts this extension in built-in `chain` (checkentry)."""
        return self.hooks is None or chain in self.hooks

    def checkentry(self, state: RulesetState) -> None:
        """Refuse the rule against the host's state when it is added (a `-m set` naming no set)."""


class Match(Extension):
    """A parsed `-m NAME` instance."""

    __slots__ = ()
    simulated: ClassVar[bool] = True

    def checks(self, state: RulesetState) -> list[Check]:
        """Compiled predicates; the rule matches when all pass."""
        return []


@dataclass(frozen=True, slots=True)
class Spec:
    """How to parse one extension: its options (name -> argument count) and its builder."""

    name: str
    options: dict[str, int]
    build: Callable[[list[Opt], RuleInfo], Extension]
    invertible: frozenset[str] = field(default=frozenset())
    """Options that accept a leading `!` (others refuse it)."""


MATCHES: dict[str, Spec] = {}
"""Match extensions by `-m` name."""
TARGETS: dict[str, Spec] = {}
"""Target extensions by `-j` name."""


def register_match(spec: Spec) -> Spec:
    """Add a match extension to the registry."""
    MATCHES[spec.name] = spec
    return spec


def register_target(spec: Spec) -> Spec:
    """Add a target extension to the registry."""
    TARGETS[spec.name] = spec
    return spec


def once(opts: list[Opt], name: str, module: str) -> None:
    """Refuse an option given twice, as xtables' XTOPT_MAND/once checks do."""
    if sum(1 for o in opts if o.name == name) > 1:
        from .values import problem

        raise problem(f'{module}: "{name}" option may only be specified once')
