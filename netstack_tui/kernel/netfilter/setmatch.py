"""-m set --match-set NAME FLAGS and -j SET --add-set/--del-set: rules that read and write IP sets.

The flags (`src`, `dst,src`, ...) say which side of the packet each dimension of the set is taken
from. A rule naming a set that does not exist is refused when it is added, as libxt_set does
("Set NAME doesn't exist."), and a set in use by a rule cannot be destroyed (`references`).
Printing follows libxt_set revision 4 (match) and 3 (target) of iptables 1.8.9.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..ipset import DIMENSIONS, IpSet, packet_member
from ..packet import Packet
from .api import MatchContext
from .extension import Check, Match, Opt, RuleInfo, Spec, register_match, register_target
from .run import Run
from .state import RulesetState
from .targets import Target
from .values import parse_uint, problem

MAX_DIMENSIONS = 6


def _flags(text: str, module: str) -> tuple[str, ...]:
    words = tuple(text.split(","))
    if len(words) > MAX_DIMENSIONS:
        raise problem(f"Can't be more src/dst options than {MAX_DIMENSIONS}.")
    if any(w not in ("src", "dst") for w in words):
        raise problem(f"{module}: You must specify (the comma separated list of) 'src' or 'dst'.")
    return words


def _must_exist(state: RulesetState, name: str) -> None:
    if name not in state.ipsets.sets:
        raise problem(f"Set {name} doesn't exist.\n")


def _member(ipset: IpSet, flags: tuple[str, ...], p: Packet) -> object:
    """ip_set_test()'s view of the packet: None when the flags give fewer dimensions than the set has."""
    if len(flags) < DIMENSIONS[ipset.kind]:
        return None
    addrs = tuple(p.src if f == "src" else p.dst for f in flags)
    ports = tuple(p.sport if f == "src" else p.dport for f in flags)
    return packet_member(ipset, addrs, ports, p.proto)


@dataclass(frozen=True, slots=True)
class SetMatch(Match):
    """-m set [!] --match-set NAME FLAGS [--return-nomatch] [--update-counters ...]."""

    name: ClassVar[str] = "set"
    set_name: str
    flags: tuple[str, ...]
    invert: bool = False
    extra: tuple[tuple[str, bool, tuple[str, ...]], ...] = ()
    """The other options as written, printed after the set (they change nothing we simulate)."""

    def save(self) -> str:
        """` ! --match-set NAME src,dst --return-nomatch`."""
        text = f"{' !' if self.invert else ''} --match-set {self.set_name} {','.join(self.flags)}"
        return text + "".join(f"{' !' if inv else ''} {n}" + "".join(f" {a}" for a in args)
                              for n, inv, args in self.extra)

    def listing(self, numeric: bool) -> str:
        """` ! match-set NAME src,dst return-nomatch`."""
        return self.save().replace(" --", " ")

    def checkentry(self, state: RulesetState) -> None:
        """libxt_set's get_set_byname(): the set must exist when the rule is added."""
        _must_exist(state, self.set_name)

    def checks(self, state: RulesetState) -> list[Check]:
        """set_match_v4(): the packet's member in the set, inverted by `!`."""
        name, flags, invert = self.set_name, self.flags, self.invert

        def check(p: Packet, c: MatchContext) -> bool:
            assert c.rules is not None
            ipset = c.rules.ipsets.sets.get(name)
            if ipset is None:
                return invert
            member = _member(ipset, flags, p)
            return (member is not None and ipset.contains(member)) != invert  # type: ignore[arg-type]

        return [(check, self.save().strip())]


_MATCH_OPTIONS = {"--match-set": 2, "--return-nomatch": 0, "--update-counters": 0, "--update-subcounters": 0,
                  "--packets-eq": 1, "--packets-lt": 1, "--packets-gt": 1, "--bytes-eq": 1, "--bytes-lt": 1,
                  "--bytes-gt": 1}


def _build_match(opts: list[Opt], info: RuleInfo) -> SetMatch:
    sets = [o for o in opts if o.name == "--match-set"]
    if not sets:
        raise problem("You must specify `--match-set' with proper arguments")
    if len(sets) > 1:
        raise problem("--match-set can be specified only once")
    given = sets[0]
    extra = tuple((o.name, o.invert, o.args) for name in _MATCH_OPTIONS for o in opts
                  if o.name == name and name != "--match-set")
    return SetMatch(given.args[0], _flags(given.args[1], "set match"), given.invert, extra)


register_match(Spec("set", _MATCH_OPTIONS, _build_match,
                    frozenset({"--match-set", "--update-counters", "--update-subcounters", "--packets-eq",
                               "--bytes-eq"})))


@dataclass(frozen=True, slots=True)
class SetTarget(Target):
    """-j SET --add-set/--del-set NAME FLAGS [--timeout N] [--exist]: change a set, then continue."""

    name: ClassVar[str] = "SET"
    add: tuple[str, tuple[str, ...]] | None = None
    delete: tuple[str, tuple[str, ...]] | None = None
    timeout: int | None = None
    exist: bool = False
    map_set: tuple[str, ...] | None = None
    """--map-set is printed faithfully but its skb info (mark, priority, queue) is not applied."""

    def save(self) -> str:
        """` --add-set NAME src --timeout 10 --exist`, in libxt_SET's order."""
        text = ""
        for option, value in (("--add-set", self.add), ("--del-set", self.delete)):
            if value is not None:
                text += f" {option} {value[0]} {','.join(value[1])}"
        if self.map_set is not None:
            text += " --map-set " + " ".join(self.map_set)
        text += f" --timeout {self.timeout}" if self.timeout is not None else ""
        return text + (" --exist" if self.exist else "")

    def listing(self, numeric: bool) -> str:
        """` add-set NAME src timeout 10`."""
        return self.save().replace(" --", " ")

    def checkentry(self, state: RulesetState) -> None:
        """Both sets must exist when the rule is added."""
        for value in (self.add, self.delete):
            if value is not None:
                _must_exist(state, value[0])

    def fire(self, run: Run) -> str | None:
        """set_target_v3(): add or delete the packet's member; the packet always continues."""
        assert run.ctx.rules is not None
        sets = run.ctx.rules.ipsets.sets
        for value, adding in ((self.add, True), (self.delete, False)):
            ipset = sets.get(value[0]) if value is not None else None
            if ipset is None or value is None:
                continue
            member = _member(ipset, value[1], run.pkt)
            if member is None:
                continue
            if adding:
                ipset.add(member)  # type: ignore[arg-type]
            else:
                ipset.members.pop(member, None)  # type: ignore[call-overload]
        return None


def _build_target(opts: list[Opt], info: RuleInfo) -> SetTarget:
    fields: dict[str, object] = {}
    for opt in opts:
        if opt.name in ("--add-set", "--del-set"):
            key = "add" if opt.name == "--add-set" else "delete"
            fields[key] = (opt.args[0], _flags(opt.args[1], "SET target"))
        elif opt.name == "--map-set":
            fields["map_set"] = opt.args
        elif opt.name == "--timeout":
            value = parse_uint(opt.arg, 0, 0xFFFFFFFF)
            if value is None:
                raise problem(f"Invalid value for option --timeout or out of range 0-{0xFFFFFFFF}.")
            fields["timeout"] = value
        elif opt.name == "--exist":
            fields["exist"] = True
    if "add" not in fields and "delete" not in fields and "map_set" not in fields:
        raise problem("You must specify either `--add-set' or `--del-set'")
    if "add" not in fields:
        for flag in ("timeout", "exist"):
            if flag in fields:
                raise problem(f"Flag `--{flag}' can be used with `--add-set' only")
    return SetTarget(**fields)  # type: ignore[arg-type]


register_target(Spec("SET", {"--add-set": 2, "--del-set": 2, "--map-set": 2, "--timeout": 1, "--exist": 0},
                     _build_target))


def references(tables: object, name: str) -> int:
    """How many rules name the set (`References:` in `ipset list`; a set in use cannot be destroyed)."""
    count = 0
    for table in getattr(tables, "tables", {}).values():
        for chain in table.chains.values():
            for entry in chain.entries:
                rule = entry.rule
                for ext in (*rule.matches, rule.target):
                    if isinstance(ext, SetMatch) and ext.set_name == name:
                        count += 1
                    elif isinstance(ext, SetTarget):
                        count += sum(1 for v in (ext.add, ext.delete) if v is not None and v[0] == name)
    return count
