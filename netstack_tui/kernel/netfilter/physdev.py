"""-m physdev: the bridge ports a bridged IPv4 packet came in on and goes out of (xt_physdev).

Only a frame that entered a bridge while br_netfilter called iptables (`bridge-nf-call-iptables`
1) carries the ports; `-i`/`-o` then see the bridge device itself. The port out is known from the
bridge's FORWARD hook on, so in PREROUTING (and in INPUT, for a frame that went up to the host)
`--physdev-out` never matches and `--physdev-is-bridged` is false. A packet that never crossed a
bridge port matches only a rule whose every option is negated (physdev_mt()).

Options, checks and printing follow iptables 1.8.9's libxt_physdev and the kernel's
physdev_mt_check(): `--physdev-out`/`--physdev-is-out` are refused in OUTPUT unless the rule also
says `--physdev-is-bridged`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..packet import Packet
from .api import MatchContext
from .extension import Check, Match, Opt, RuleInfo, Spec, register_match
from .state import RulesetState
from .values import problem

IFNAMSIZ = 16
# libxt_physdev's save order: is-in, in, is-out, out, is-bridged.
OPTIONS = ("--physdev-is-in", "--physdev-in", "--physdev-is-out", "--physdev-out", "--physdev-is-bridged")


def _name_matches(dev: str, pattern: str) -> bool:
    """ifname_compare_aligned() with the mask xtables_parse_interface() made: `veth+` is a prefix."""
    return dev.startswith(pattern[:-1]) if pattern.endswith("+") else dev == pattern


@dataclass(frozen=True, slots=True)
class PhysdevMatch(Match):
    """The options given, each with its `!`, in libxt_physdev's print order."""

    name: ClassVar[str] = "physdev"
    items: tuple[tuple[str, bool, str], ...]
    """(option, inverted, interface name or '') for each option written."""

    def save(self) -> str:
        """` --physdev-in veth1 ! --physdev-is-bridged`, as iptables-save prints it."""
        return "".join(f"{' !' if inv else ''} {opt}{' ' + arg if arg else ''}" for opt, inv, arg in self.items)

    def listing(self, numeric: bool) -> str:
        """` PHYSDEV match --physdev-in veth1`, as iptables -L prints it."""
        return " PHYSDEV match" + self.save()

    def check_hooks(self, chain: str) -> bool:
        """physdev_mt_check(): the port out is unknown in OUTPUT, unless the rule is only for
        bridged packets (`--physdev-is-bridged` without `!`)."""
        given = {opt: inv for opt, inv, _ in self.items}
        wants_out = "--physdev-out" in given or "--physdev-is-out" in given
        only_bridged = given.get("--physdev-is-bridged") is False
        return not (chain == "OUTPUT" and wants_out and not only_bridged)

    def checks(self, state: RulesetState) -> list[Check]:
        """One test over the ports br_netfilter recorded (`MatchContext.physdev`)."""
        items = self.items

        def check(p: Packet, c: MatchContext) -> bool:
            return physdev_matches(items, c.physdev)

        return [(check, self.save().strip())]


def physdev_matches(items: tuple[tuple[str, bool, str], ...], ports: tuple[str | None, str | None] | None) -> bool:
    """physdev_mt() of kernel 6.x, option by option."""
    if ports is None:
        return all(inv for _, inv, _ in items)
    indev, outdev = ports
    for opt, inv, arg in items:
        if opt == "--physdev-is-bridged" and (outdev is not None) == inv:
            return False
        if opt == "--physdev-is-in" and (indev is not None) == inv:
            return False
        if opt == "--physdev-is-out" and (outdev is not None) == inv:
            return False
        if opt == "--physdev-in" and indev is not None and _name_matches(indev, arg) == inv:
            return False
        if opt == "--physdev-out" and (outdev is None or _name_matches(outdev, arg) == inv):
            return False
    return True


def _build(opts: list[Opt], info: RuleInfo) -> PhysdevMatch:
    if not opts:
        raise problem("PHYSDEV: no physdev option specified")
    given: dict[str, Opt] = {}
    for opt in opts:
        if opt.name in given:
            raise problem(f'physdev: option "{opt.name}" can only be used once.\n')
        if opt.args and len(opt.arg) >= IFNAMSIZ:
            raise problem(f"interface name `{opt.arg}' must be shorter than IFNAMSIZ ({IFNAMSIZ - 1})")
        given[opt.name] = opt
    return PhysdevMatch(tuple((name, given[name].invert, given[name].arg) for name in OPTIONS if name in given))


_SPEC = {"--physdev-is-in": 0, "--physdev-in": 1, "--physdev-is-out": 0, "--physdev-out": 1, "--physdev-is-bridged": 0}
register_match(Spec("physdev", _SPEC, _build, frozenset(_SPEC)))
