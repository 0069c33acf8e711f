"""Extensions real rulesets use that the simulator parses and prints but does not evaluate.

hashlimit, connlimit, string, policy, rpfilter, sctp, helper, set, ... and targets such
as TCPMSS, CHECKSUM, NFLOG, TRACE, NETMAP, NFQUEUE. Each keeps its options as text in the order
its libxt save function prints them, so `iptables-save` still equals the kernel's output. At
evaluation an opaque match never matches (the trace says `-m NAME (not simulated)`), and an opaque
target lets the packet continue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .extension import Check, Match, Opt, RuleInfo, Spec, register_match, register_target
from .rate import parse_rate, rate_text
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


def _hash_rate(args: tuple[str, ...]) -> tuple[str, ...]:
    # hashlimit stores rates with XT_HASHLIMIT_SCALE_v2 (10^6) and prints them like limit does.
    return (rate_text(parse_rate(args[0], 1_000_000), 1_000_000),)


def _hash_mode(args: tuple[str, ...]) -> tuple[str, ...]:
    words = set(args[0].split(","))
    return (",".join(w for w in ("srcip", "srcport", "dstip", "dstport") if w in words),)


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
    "hashlimit": (
        ("--hashlimit-upto", 1, _hash_rate),
        ("--hashlimit-above", 1, _hash_rate),
        ("--hashlimit-burst", 1, None),
        ("--hashlimit-mode", 1, _hash_mode),
        ("--hashlimit-name", 1, None),
        ("--hashlimit-htable-size", 1, None),
        ("--hashlimit-htable-max", 1, None),
        ("--hashlimit-htable-gcinterval", 1, None),
        ("--hashlimit-htable-expire", 1, None),
        ("--hashlimit-srcmask", 1, None),
        ("--hashlimit-dstmask", 1, None),
        ("--hashlimit-rate-match", 0, None),
        ("--hashlimit-rate-interval", 1, None),
    ),
    "connlimit": (
        ("--connlimit-upto", 1, None),
        ("--connlimit-above", 1, None),
        ("--connlimit-mask", 1, None),
        ("--connlimit-saddr", 0, None),
        ("--connlimit-daddr", 0, None),
    ),
    "rpfilter": (("--loose", 0, None), ("--validmark", 0, None), ("--accept-local", 0, None), ("--invert", 0, None)),
    "sctp": (("--sport", 1, sctp_ports), ("--dport", 1, sctp_ports), ("--chunk-types", 2, None)),
    "helper": (("--helper", 1, _quoted),),
    "set": (
        ("--match-set", 2, None),
        ("--return-nomatch", 0, None),
        ("--update-counters", 0, None),
        ("--packets-eq", 1, None),
        ("--bytes-eq", 1, None),
    ),
    "socket": (("--transparent", 0, None), ("--nowildcard", 0, None), ("--restore-skmark", 0, None)),
    "statistic": (("--mode", 1, None), ("--probability", 1, None), ("--every", 1, None), ("--packet", 1, None)),
    "quota": (("--quota", 1, None),),
    "dscp": (("--dscp", 1, None), ("--dscp-class", 1, None)),
    "ecn": (("--ecn-tcp-cwr", 0, None), ("--ecn-tcp-ece", 0, None), ("--ecn-ip-ect", 1, None)),
    "u32": (("--u32", 1, _quoted),),
    "esp": (("--espspi", 1, None),),
    "ah": (("--ahspi", 1, None),),
    "tcpmss": (("--mss", 1, None),),
    "connbytes": (("--connbytes", 1, None), ("--connbytes-dir", 1, None), ("--connbytes-mode", 1, None)),
    "devgroup": (("--src-group", 1, None), ("--dst-group", 1, None)),
    "cgroup": (("--path", 1, None), ("--cgroup", 1, None)),
    "realm": (("--realm", 1, None),),
    "cpu": (("--cpu", 1, None),),
    "nfacct": (("--nfacct-name", 1, None),),
    "time": (
        ("--datestart", 1, None),
        ("--datestop", 1, None),
        ("--timestart", 1, None),
        ("--timestop", 1, None),
        ("--monthdays", 1, None),
        ("--weekdays", 1, None),
        ("--kerneltz", 0, None),
        ("--contiguous", 0, None),
    ),
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
DEFAULTS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    # option: (value, unless-any-of) printed even when not written, as the save function does.
    "connlimit": {"--connlimit-mask": (("32",), ()), "--connlimit-saddr": ((), ("--connlimit-daddr",))},
    "hashlimit": {"--hashlimit-burst": (("5",), ())},
}

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
    "SET": (
        ("--add-set", 2, None),
        ("--del-set", 2, None),
        ("--map-set", 2, None),
        ("--timeout", 1, None),
        ("--exist", 0, None),
    ),
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


def _text(items: tuple[tuple[str, bool, tuple[str, ...]], ...]) -> str:
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
        return _text(self.items)

    def listing(self, numeric: bool) -> str:
        """The module's -L text for hashlimit and connlimit; ` NAME options` for the others."""
        opts = {name: args for name, _, args in self.items}
        if self.module == "hashlimit":
            mode = "above" if "--hashlimit-above" in opts else "upto"
            text = f" limit: {mode} {opts.get('--hashlimit-' + mode, ('',))[0]} burst {opts['--hashlimit-burst'][0]}"
            if "--hashlimit-mode" in opts:
                text += f" mode {opts['--hashlimit-mode'][0]}"
            return text
        if self.module == "connlimit":
            side = "dst" if "--connlimit-daddr" in opts else "src"
            limit = opts.get("--connlimit-above") or opts.get("--connlimit-upto") or ("0",)
            op = ">" if "--connlimit-above" in opts else "<="
            return f" #conn {side}/{opts['--connlimit-mask'][0]} {op} {limit[0]}"
        return f" {self.module}" + _text(self.items).replace(" --", " ")

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
        return _text(self.items)

    def listing(self, numeric: bool) -> str:
        """` NAME options`."""
        return f" {self.target}" + _text(self.items).replace(" --", " ")


def _order(module: str, table: OptionTable, opts: list[Opt]) -> tuple[tuple[str, bool, tuple[str, ...]], ...]:
    given = {o.name: o for o in opts}
    defaults = DEFAULTS.get(module, {})
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
        items = _order(module, table, opts)
        if module in _PROTOCOL_MATCHES and (info.proto != _PROTOCOL_MATCHES[module] or info.proto_inv):
            raise Refused()
        return OpaqueMatch(module, items)

    return build


def _string_build(opts: list[Opt], info: RuleInfo) -> OpaqueMatch:
    given = {o.name: o for o in opts}
    pattern = given.get("--string") or given.get("--hex-string")
    if pattern is None or "--algo" not in given:
        raise problem(
            "STRING match: You must specify `--algo'"
            if pattern
            else "STRING match: You must specify `--string' or `--hex-string'"
        )
    data = pattern.arg.encode("latin-1") if pattern.name == "--string" else _hex_bytes(pattern.arg)
    printable = all(32 <= b < 127 for b in data)
    if printable and pattern.name == "--string":
        value = ("--string", pattern.invert, (save_string(data.decode("latin-1")) if data else '""',))
    elif printable:
        value = (
            "--string",
            pattern.invert,
            ('"' + data.decode("latin-1").replace("\\", "\\\\").replace('"', '\\"') + '"',),
        )
    else:
        value = ("--hex-string", pattern.invert, ('"|' + data.hex() + '|"',))
    items = [value, ("--algo", False, given["--algo"].args)]
    for name in ("--from", "--to"):
        if name in given and given[name].arg != "0":
            items.append((name, False, given[name].args))
    if "--icase" in given:
        items.append(("--icase", False, ()))
    return OpaqueMatch("string", tuple(items))


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
        return OpaqueTarget(name, _order(name, table, opts))

    return build


for _name, _table in OPAQUE_TARGETS.items():
    register_target(Spec(_name, {n: a for n, a, _ in _table}, _target_builder(_name, _table)))
