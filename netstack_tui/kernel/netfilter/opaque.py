"""Extensions real rulesets use that the simulator parses and prints but does not evaluate.

string, policy, sctp, helper, u32, dscp, ... and targets such
as TCPMSS, CHECKSUM, NFLOG, TRACE, NETMAP, NFQUEUE. Each keeps its options as text in the order
its libxt save function prints them, so `iptables-save` still equals the kernel's output. At
evaluation an opaque match never matches (the trace says `-m NAME (not simulated)`), and an opaque
target lets the packet continue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .extension import Check, Match, Opt, RuleInfo, Spec, register_match, register_target
from .state import RulesetState
from .targets import Target
from .values import (
    Refused,
    format_address_mask,
    format_port_range,
    parse_address_mask,
    parse_port_range,
    problem,
    save_string,
)

Normalise = Callable[[tuple[str, ...]], tuple[str, ...]]


def _quoted(args: tuple[str, ...]) -> tuple[str, ...]:
    return (save_string(args[0]),)


def sctp_ports(args: tuple[str, ...]) -> tuple[str, ...]:
    """libxt_sctp's ports: numbers 0-65535 only, min <= max; printed as `a` or `a:b`."""
    return (format_port_range(*parse_port_range(args[0], "sctp")),)


def _net(args: tuple[str, ...]) -> tuple[str, ...]:
    return (format_address_mask(*parse_address_mask(args[0])),)


OptionTable = tuple[tuple[str, int, "Normalise | None"], ...]

# Options in the order each module's save function prints them; aliases map to the printed name.
OPAQUE_MATCHES: dict[str, OptionTable] = {
    "sctp": (("--sport", 1, sctp_ports), ("--dport", 1, sctp_ports), ("--chunk-types", 2, None)),
    "helper": (("--helper", 1, _quoted),),
    "socket": (("--transparent", 0, None), ("--nowildcard", 0, None), ("--restore-skmark", 0, None)),
    "dscp": (("--dscp", 1, None), ("--dscp-class", 1, None)),
    "ecn": (("--ecn-tcp-cwr", 0, None), ("--ecn-tcp-ece", 0, None), ("--ecn-ip-ect", 1, None)),
    "u32": (("--u32", 1, _quoted),),
    "esp": (("--espspi", 1, None),),
    "ah": (("--ahspi", 1, None),),
    "tcpmss": (("--mss", 1, None),),
    "devgroup": (("--src-group", 1, None), ("--dst-group", 1, None)),
    "cgroup": (("--path", 1, None), ("--cgroup", 1, None)),
    "realm": (("--realm", 1, None),),
    "cpu": (("--cpu", 1, None),),
    "nfacct": (("--nfacct-name", 1, None),),
}
# policy elements are order-sensitive (--next separates them), so they keep the order written.
ORDER_KEPT = {
    "policy": (
        ("--dir", 1),
        ("--pol", 1),
        ("--strict", 0),
        ("--reqid", 1),
        ("--spi", 1),
        ("--proto", 1),
        ("--mode", 1),
        ("--tunnel-src", 1),
        ("--tunnel-dst", 1),
        ("--next", 0),
    )
}
DEFAULTS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {}
"""Per module, option: (value, unless-any-of) printed even when not written, as the save function does."""

OPAQUE_TARGETS: dict[str, OptionTable] = {
    "TCPMSS": (("--set-mss", 1, None), ("--clamp-mss-to-pmtu", 0, None)),
    "CHECKSUM": (("--checksum-fill", 0, None),),
    "NFLOG": (
        ("--nflog-prefix", 1, _quoted),
        ("--nflog-group", 1, None),
        ("--nflog-size", 1, None),
        ("--nflog-range", 1, None),
        ("--nflog-threshold", 1, None),
    ),
    "TRACE": (),
    "NETMAP": (("--to", 1, _net),),
    "NFQUEUE": (
        ("--queue-num", 1, None),
        ("--queue-balance", 1, None),
        ("--queue-bypass", 0, None),
        ("--fail-open", 0, None),
        ("--queue-cpu-fanout", 0, None),
    ),
    "TPROXY": (("--on-port", 1, None), ("--on-ip", 1, None), ("--tproxy-mark", 1, None)),
    "DSCP": (("--set-dscp", 1, None), ("--set-dscp-class", 1, None)),
    "CLASSIFY": (("--set-class", 1, None),),
    "TTL": (("--ttl-set", 1, None), ("--ttl-dec", 1, None), ("--ttl-inc", 1, None)),
    "AUDIT": (("--type", 1, None),),
    "SECMARK": (("--selctx", 1, None),),
    "CONNSECMARK": (("--save", 0, None), ("--restore", 0, None)),
    "TEE": (("--gateway", 1, None),),
    "ULOG": (
        ("--ulog-nlgroup", 1, None),
        ("--ulog-prefix", 1, _quoted),
        ("--ulog-cprange", 1, None),
        ("--ulog-qthreshold", 1, None),
    ),
    "SYNPROXY": (
        ("--sack-perm", 0, None),
        ("--timestamp", 0, None),
        ("--wscale", 1, None),
        ("--mss", 1, None),
        ("--ecn", 0, None),
    ),
    "IDLETIMER": (("--timeout", 1, None), ("--label", 1, None)),
}


def items_text(items: tuple[tuple[str, bool, tuple[str, ...]], ...]) -> str:
    return "".join(f"{' !' if inv else ''} {name}" + "".join(f" {a}" for a in args) for name, inv, args in items)


@dataclass(frozen=True, slots=True)
class OpaqueMatch(Match):
    """A match we print faithfully but do not evaluate."""

    module: str
    items: tuple[tuple[str, bool, tuple[str, ...]], ...]
    simulated = False

    @property
    def name(self) -> str:  # type: ignore[override]
        """The `-m` name."""
        return self.module

    def save(self) -> str:
        """Options in the module's own print order."""
        return items_text(self.items)

    def listing(self, numeric: bool) -> str:
        """` NAME options`; libxt_string's own words for string."""
        if self.module == "string":
            return _string_listing(self.items)
        return f" {self.module}" + items_text(self.items).replace(" --", " ")

    def checks(self, state: RulesetState) -> list[Check]:
        """Never matches: the trace names the module so nobody is misled."""
        return [((lambda p, c: False), f"-m {self.module} (not simulated)")]


@dataclass(frozen=True, slots=True)
class OpaqueTarget(Target):
    """A target we print faithfully but do not carry out (the packet continues)."""

    target: str
    items: tuple[tuple[str, bool, tuple[str, ...]], ...]
    simulated = False

    @property
    def name(self) -> str:  # type: ignore[override]
        """The `-j` name."""
        return self.target

    def save(self) -> str:
        """Options in the target's own print order."""
        return items_text(self.items)

    def listing(self, numeric: bool) -> str:
        """` NAME options`."""
        return f" {self.target}" + items_text(self.items).replace(" --", " ")


Defaults = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]


Items = tuple[tuple[str, bool, tuple[str, ...]], ...]


def ordered_items(table: OptionTable, opts: list[Opt], defaults: Defaults) -> Items:
    """The options given, normalised, in the table's print order, with the defaults the save function adds."""
    given = {o.name: o for o in opts}
    items: list[tuple[str, bool, tuple[str, ...]]] = []
    for name, _, norm in table:
        if name in given:
            opt = given[name]
            items.append((name, opt.invert, norm(opt.args) if norm else opt.args))
        elif name in defaults and not any(u in given for u in defaults[name][1]):
            items.append((name, False, defaults[name][0]))
    return tuple(items)


_PROTOCOL_MATCHES = {"sctp": 132}
"""Opaque matches of one protocol: the kernel refuses them unless `-p` names it (not negated)."""


def _match_builder(module: str, table: OptionTable) -> Callable[[list[Opt], RuleInfo], OpaqueMatch]:
    def build(opts: list[Opt], info: RuleInfo) -> OpaqueMatch:
        items = ordered_items(table, opts, DEFAULTS.get(module, {}))
        if module in _PROTOCOL_MATCHES and (info.proto != _PROTOCOL_MATCHES[module] or info.proto_inv):
            raise Refused()
        return OpaqueMatch(module, items)

    return build


def _string_build(opts: list[Opt], info: RuleInfo) -> OpaqueMatch:
    given = {o.name: o for o in opts}
    pattern = given.get("--string") or given.get("--hex-string")
    if pattern is None or "--algo" not in given:
        raise problem(
            'string: option "--algo" must be specified\n'
            if pattern
            else "STRING match: You must specify `--string' or `--hex-string'"
        )
    data = pattern.arg.encode("latin-1") if pattern.name == "--string" else _hex_bytes(pattern.arg)
    # libxt_string prints a printable pattern in quotes, and anything else (quotes and backslashes
    # included, measured with 1.8.9) as hex.
    printable = all(32 <= b < 127 and b not in b'"\\' for b in data)
    if printable:
        value = ("--string", pattern.invert, ('"' + data.decode("latin-1") + '"',))
    else:
        value = ("--hex-string", pattern.invert, ('"|' + data.hex() + '|"',))
    items = [value, ("--algo", False, given["--algo"].args)]
    # The defaults (--from 0, --to 65535) are not printed; `--to 0` is.
    for name, default in (("--from", "0"), ("--to", "65535")):
        if name in given and given[name].arg != default:
            items.append((name, False, given[name].args))
    if "--icase" in given:
        items.append(("--icase", False, ()))
    return OpaqueMatch("string", tuple(items))


def _string_listing(items: Items) -> str:
    """` STRING match ! "GET /" ALGO name kmp FROM 2 TO 100 ICASE`."""
    (_, invert, (pattern,)), *rest = items
    text = f" STRING match {'!' if invert else ''} {pattern}"
    for name, _, args in rest:
        text += {"--algo": " ALGO name", "--from": " FROM", "--to": " TO", "--icase": " ICASE"}[name]
        text += "".join(f" {a}" for a in args)
    return text


def _hex_bytes(text: str) -> bytes:
    """libxt_string's parse_hex_string: `|hex|` runs in literal text."""
    out = bytearray()
    hex_mode = False
    pending = ""
    for ch in text:
        if ch == "|":
            hex_mode = not hex_mode
            continue
        if hex_mode:
            if ch == " ":
                continue
            pending += ch
            if len(pending) == 2:
                out.append(int(pending, 16))
                pending = ""
        else:
            out += ch.encode("latin-1")
    return bytes(out)


for _name, _table in OPAQUE_MATCHES.items():
    register_match(
        Spec(_name, {n: a for n, a, _ in _table}, _match_builder(_name, _table), frozenset(n for n, _, _ in _table))
    )
register_match(
    Spec(
        "string",
        {"--string": 1, "--hex-string": 1, "--algo": 1, "--from": 1, "--to": 1, "--icase": 0},
        _string_build,
        frozenset({"--string", "--hex-string"}),
    )
)


def _policy_build(opts: list[Opt], info: RuleInfo) -> OpaqueMatch:
    return OpaqueMatch("policy", tuple((o.name, o.invert, o.args) for o in opts))


register_match(Spec("policy", dict(ORDER_KEPT["policy"]), _policy_build, frozenset(dict(ORDER_KEPT["policy"]))))


def _target_builder(name: str, table: OptionTable) -> Callable[[list[Opt], RuleInfo], OpaqueTarget]:
    def build(opts: list[Opt], info: RuleInfo) -> OpaqueTarget:
        return OpaqueTarget(name, ordered_items(table, opts, DEFAULTS.get(name, {})))

    return build


for _name, _table in OPAQUE_TARGETS.items():
    register_target(Spec(_name, {n: a for n, a, _ in _table}, _target_builder(_name, _table)))
