"""Targets: REJECT, LOG, MARK, CONNMARK, TOS, NOTRACK, CT and the NAT targets.

ACCEPT, DROP, RETURN and jumps to user chains are verdicts the traversal handles itself (see
`table`); the targets here either decide (REJECT, NAT) or change something and let the packet
continue (LOG, MARK, CONNMARK, TOS, NOTRACK), exactly as their kernel modules return
NF_DROP/NF_ACCEPT or XT_CONTINUE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..addr import format_ipv4
from .api import NatAction
from .extension import Extension, Opt, RuleInfo, Spec, register_target
from .logline import LOG_IPOPT, LOG_MACDECODE, LOG_TCPOPT, LOG_TCPSEQ, LOG_UID, log_line
from .run import Run
from .values import SERVICES, Refused, parse_address, parse_mark, parse_uint, problem, save_string


class Target(Extension):
    """A parsed `-j NAME` target extension."""

    __slots__ = ()
    terminal: ClassVar[bool] = False
    """Whether the target ends the traversal (NF_ACCEPT/NF_DROP rather than XT_CONTINUE)."""
    simulated: ClassVar[bool] = True

    @property
    def list_name(self) -> str:
        """The name `iptables -L` shows in the target column."""
        return self.name

    def fire(self, run: Run) -> str | None:
        """Apply the target: return ACCEPT/DROP to decide, or None to continue."""
        return None


# ---- REJECT -------------------------------------------------------------------------------------

REJECT_TYPES = {
    "icmp-net-unreachable": "icmp-net-unreachable",
    "net-unreach": "icmp-net-unreachable",
    "icmp-host-unreachable": "icmp-host-unreachable",
    "host-unreach": "icmp-host-unreachable",
    "icmp-proto-unreachable": "icmp-proto-unreachable",
    "proto-unreach": "icmp-proto-unreachable",
    "icmp-port-unreachable": "icmp-port-unreachable",
    "port-unreach": "icmp-port-unreachable",
    "icmp-net-prohibited": "icmp-net-prohibited",
    "net-prohib": "icmp-net-prohibited",
    "icmp-host-prohibited": "icmp-host-prohibited",
    "host-prohib": "icmp-host-prohibited",
    "tcp-reset": "tcp-reset",
    "tcp-rst": "tcp-reset",
    "icmp-admin-prohibited": "icmp-admin-prohibited",
    "admin-prohib": "icmp-admin-prohibited",
}


@dataclass(frozen=True, slots=True)
class RejectTarget(Target):
    """-j REJECT [--reject-with TYPE]: drop and have the stack send an ICMP error or a RST."""

    name: ClassVar[str] = "REJECT"
    terminal: ClassVar[bool] = True
    hooks: ClassVar[frozenset[str] | None] = frozenset({"INPUT", "FORWARD", "OUTPUT"})
    tables: ClassVar[frozenset[str] | None] = frozenset({"filter"})
    with_: str = "icmp-port-unreachable"

    def save(self) -> str:
        """` --reject-with icmp-port-unreachable` (the default is printed too)."""
        return f" --reject-with {self.with_}"

    def listing(self, numeric: bool) -> str:
        """` reject-with icmp-port-unreachable`."""
        return f" reject-with {self.with_}"

    def fire(self, run: Run) -> str | None:
        """NF_DROP, after asking the stack to answer with `with_`."""
        run.reject = self.with_
        return "DROP"


def _build_reject(opts: list[Opt], info: RuleInfo) -> RejectTarget:
    if not opts:
        return RejectTarget()
    text = opts[-1].arg
    if text not in REJECT_TYPES:
        raise problem(f'unknown reject type "{text}"')
    kind = REJECT_TYPES[text]
    if kind == "tcp-reset" and (info.proto != 6 or info.proto_inv):
        raise Refused()
    return RejectTarget(kind)


register_target(Spec("REJECT", {"--reject-with": 1}, _build_reject))


# ---- LOG ----------------------------------------------------------------------------------------

LOG_LEVELS = {
    "emerg": 0,
    "panic": 0,
    "alert": 1,
    "crit": 2,
    "err": 3,
    "error": 3,
    "warn": 4,
    "warning": 4,
    "notice": 5,
    "info": 6,
    "debug": 7,
}
LOG_LEVEL_NAMES = ("emerg", "alert", "crit", "err", "warn", "notice", "info", "debug")
_LOG_FLAGS = (
    ("--log-tcp-sequence", LOG_TCPSEQ, "tcp-sequence"),
    ("--log-tcp-options", LOG_TCPOPT, "tcp-options"),
    ("--log-ip-options", LOG_IPOPT, "ip-options"),
    ("--log-uid", LOG_UID, "uid"),
    ("--log-macdecode", LOG_MACDECODE, "macdecode"),
)


@dataclass(frozen=True, slots=True)
class LogTarget(Target):
    """-j LOG [--log-prefix P] [--log-level L] [--log-tcp-sequence ...]: write a kernel log line."""

    name: ClassVar[str] = "LOG"
    prefix: str = ""
    level: int = 4
    flags: int = 0

    def save(self) -> str:
        """` --log-prefix "P" --log-level 1 --log-uid` (level 4, the default, is omitted)."""
        text = f" --log-prefix {save_string(self.prefix)}" if self.prefix else ""
        text += f" --log-level {self.level}" if self.level != 4 else ""
        return text + "".join(f" {opt}" for opt, bit, _ in _LOG_FLAGS if self.flags & bit)

    def listing(self, numeric: bool) -> str:
        """` LOG flags 0 level 4 prefix "P"` (-n) or ` LOG level warn prefix "P"`."""
        if numeric:
            text = f" LOG flags {self.flags} level {self.level}"
        else:
            text = f" LOG level {LOG_LEVEL_NAMES[self.level]}"
            text += "".join(f" {word}" for _, bit, word in _LOG_FLAGS if self.flags & bit)
        return text + (f' prefix "{self.prefix}"' if self.prefix else "")

    def fire(self, run: Run) -> str | None:
        """Append the nf_log line; XT_CONTINUE."""
        hook = run.chain
        in_dev = run.pkt.iif if hook in ("PREROUTING", "INPUT", "FORWARD") else None
        out_dev = run.pkt.oif if hook in ("FORWARD", "OUTPUT", "POSTROUTING") else None
        run.logs.append(log_line(run.pkt, self.prefix, self.flags, in_dev, out_dev, own_mac=run.ctx.in_mac,
                                 uid=run.ctx.owner_uid))
        return None


def _build_log(opts: list[Opt], info: RuleInfo) -> LogTarget:
    prefix, level, flags = "", 4, 0
    for opt in opts:
        if opt.name == "--log-prefix":
            if len(opt.arg) > 29:
                raise problem("Maximum prefix length 29 for --log-prefix")
            if "\n" in opt.arg:
                raise problem("Newlines not allowed in --log-prefix")
            prefix = opt.arg
        elif opt.name == "--log-level":
            value = parse_uint(opt.arg, 0, 7)
            if value is None:
                if opt.arg.lower() not in LOG_LEVELS:
                    raise problem(f"log-level `{opt.arg}' unknown")
                value = LOG_LEVELS[opt.arg.lower()]
            level = value
        else:
            flags |= next(bit for name, bit, _ in _LOG_FLAGS if name == opt.name)
    return LogTarget(prefix, level, flags)


register_target(Spec("LOG", {"--log-prefix": 1, "--log-level": 1, **{n: 0 for n, _, _ in _LOG_FLAGS}}, _build_log))


# ---- MARK / CONNMARK / TOS ----------------------------------------------------------------------


def _mark_words(kind: str, value: int, mask: int) -> str:
    """mark_tg_print's shorthand: and/or/xor/set/xset."""
    if value == 0:
        return f" {kind} and 0x{~mask & 0xFFFFFFFF:x}"
    if value == mask:
        return f" {kind} or 0x{value:x}"
    if mask == 0:
        return f" {kind} xor 0x{value:x}"
    if mask == 0xFFFFFFFF:
        return f" {kind} set 0x{value:x}"
    return f" {kind} xset 0x{value:x}/0x{mask:x}"


def _xmark(opt: Opt, what: str) -> tuple[int, int]:
    """MARK/CONNMARK option to the kernel's (value, mask) pair: new = (old & ~mask) ^ value."""
    if opt.name == "--set-xmark":
        return parse_mark(opt.arg, what)
    if opt.name == "--set-mark":
        value, mask = parse_mark(opt.arg, what)
        return value, mask | value
    bits = parse_uint(opt.arg, 0, 0xFFFFFFFF)
    if bits is None:
        raise problem(f'Bad {what} value "{opt.arg}"')
    if opt.name == "--and-mark":
        return 0, ~bits & 0xFFFFFFFF
    if opt.name == "--or-mark":
        return bits, bits
    return bits, 0


@dataclass(frozen=True, slots=True)
class MarkTarget(Target):
    """-j MARK --set-xmark V/M (and the --set/--and/--or/--xor-mark spellings of it)."""

    name: ClassVar[str] = "MARK"
    value: int
    mask: int

    def save(self) -> str:
        """` --set-xmark 0x1/0xffffffff`."""
        return f" --set-xmark 0x{self.value:x}/0x{self.mask:x}"

    def listing(self, numeric: bool) -> str:
        """` MARK set 0x1`."""
        return _mark_words("MARK", self.value, self.mask)

    def fire(self, run: Run) -> str | None:
        """skb->mark = (mark & ~mask) ^ value; XT_CONTINUE."""
        mark = (run.pkt.mark & ~self.mask & 0xFFFFFFFF) ^ self.value
        if mark != run.pkt.mark:
            run.pkt = run.pkt.replace(mark=mark)
        return None


def _build_mark(opts: list[Opt], info: RuleInfo) -> MarkTarget:
    if len(opts) != 1:
        raise problem(
            "MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required"
            if not opts
            else "MARK target: Can't specify --set-mark twice"
        )
    return MarkTarget(*_xmark(opts[0], "mark"))


_MARK_OPTS = {"--set-xmark": 1, "--set-mark": 1, "--and-mark": 1, "--or-mark": 1, "--xor-mark": 1}
register_target(Spec("MARK", _MARK_OPTS, _build_mark))


@dataclass(frozen=True, slots=True)
class ConnmarkTarget(Target):
    """-j CONNMARK --set-xmark / --save-mark / --restore-mark (rev 1)."""

    name: ClassVar[str] = "CONNMARK"
    mode: str
    """set, save or restore."""
    ctmark: int = 0
    ctmask: int = 0xFFFFFFFF
    nfmask: int = 0xFFFFFFFF

    def save(self) -> str:
        """` --set-xmark 0x1/0xff` or ` --save-mark --nfmask 0x.. --ctmask 0x..`."""
        if self.mode == "set":
            return f" --set-xmark 0x{self.ctmark:x}/0x{self.ctmask:x}"
        return f" --{self.mode}-mark --nfmask 0x{self.nfmask:x} --ctmask 0x{self.ctmask:x}"

    def listing(self, numeric: bool) -> str:
        """` CONNMARK set 0x1`, ` CONNMARK save`, ` CONNMARK restore mask 0xff`."""
        if self.mode == "set":
            return _mark_words("CONNMARK", self.ctmark, self.ctmask)
        if self.nfmask == self.ctmask == 0xFFFFFFFF:
            return f" CONNMARK {self.mode}"
        if self.nfmask == self.ctmask:
            return f" CONNMARK {self.mode} mask 0x{self.nfmask:x}"
        if self.mode == "save":
            return f" CONNMARK save nfmask 0x{self.nfmask:x} ctmask ~0x{self.ctmask:x}"
        return f" CONNMARK restore ctmask 0x{self.ctmask:x} nfmask ~0x{self.nfmask:x}"

    def fire(self, run: Run) -> str | None:
        """connmark_tg(): change the ct mark or the packet mark; XT_CONTINUE."""
        if self.mode == "set":
            run.ct_mark = (run.ct_mark & ~self.ctmask & 0xFFFFFFFF) ^ self.ctmark
            run.ct_mark_set = True
        elif self.mode == "save":
            run.ct_mark = (run.ct_mark & ~self.ctmask & 0xFFFFFFFF) ^ (run.pkt.mark & self.nfmask)
            run.ct_mark_set = True
        else:
            mark = (run.pkt.mark & ~self.nfmask & 0xFFFFFFFF) ^ (run.ct_mark & self.ctmask)
            if mark != run.pkt.mark:
                run.pkt = run.pkt.replace(mark=mark)
        # The mark lands on the connection at once: a -m connmark in the next rule sees it.
        run.ctx.ct_mark = run.ct_mark
        return None


def _build_connmark(opts: list[Opt], info: RuleInfo) -> ConnmarkTarget:
    mode_opts = [o for o in opts if o.name in _MARK_OPTS or o.name in ("--save-mark", "--restore-mark")]
    if not mode_opts:
        raise problem("CONNMARK target: No operation specified")
    if len(mode_opts) > 1:
        raise problem("CONNMARK target: Can't specify more than one operation")
    first = mode_opts[0]
    if first.name in _MARK_OPTS:
        if len(opts) > 1:
            raise problem("CONNMARK target: --nfmask/--ctmask/--mask only valid with --save-mark or --restore-mark")
        value, mask = _xmark(first, "ctmark")
        return ConnmarkTarget("set", value, mask)
    nfmask = ctmask = 0xFFFFFFFF
    for opt in opts:
        if opt.name in ("--nfmask", "--ctmask", "--mask"):
            parsed = parse_uint(opt.arg, 0, 0xFFFFFFFF)
            if parsed is None:
                raise problem(f'Bad mask value "{opt.arg}"')
            if opt.name != "--ctmask":
                nfmask = parsed
            if opt.name != "--nfmask":
                ctmask = parsed
    return ConnmarkTarget(first.name[2:-5], 0, ctmask, nfmask)


register_target(
    Spec(
        "CONNMARK",
        {**_MARK_OPTS, "--save-mark": 0, "--restore-mark": 0, "--nfmask": 1, "--ctmask": 1, "--mask": 1},
        _build_connmark,
    )
)


@dataclass(frozen=True, slots=True)
class TosTarget(Target):
    """-j TOS --set-tos V[/M] (mangle only): tos = (tos & ~mask) ^ value."""

    name: ClassVar[str] = "TOS"
    tables: ClassVar[frozenset[str] | None] = frozenset({"mangle"})
    value: int
    mask: int

    def save(self) -> str:
        """` --set-tos 0x10/0x3f`."""
        return f" --set-tos 0x{self.value:02x}/0x{self.mask:02x}"

    def listing(self, numeric: bool) -> str:
        """` TOS set 0x10/0x3f`."""
        return f" TOS set 0x{self.value:02x}/0x{self.mask:02x}"

    def fire(self, run: Run) -> str | None:
        """Rewrite the TOS byte; XT_CONTINUE."""
        tos = (run.pkt.tos & ~self.mask & 0xFF) ^ self.value
        if tos != run.pkt.tos:
            run.pkt = run.pkt.replace(tos=tos)
        return None


def _build_tos(opts: list[Opt], info: RuleInfo) -> TosTarget:
    from .matches import TOS_NAMES

    if len(opts) != 1:
        raise problem("TOS: An action is required")
    opt = opts[0]
    if opt.name == "--set-tos" and opt.arg in TOS_NAMES:
        return TosTarget(TOS_NAMES[opt.arg], 0x3F)
    if opt.name == "--set-tos":
        value_text, slash, mask_text = opt.arg.partition("/")
        value = parse_uint(value_text, 0, 255)
        mask = parse_uint(mask_text, 0, 255) if slash else 0xFF
        if value is None or mask is None:
            raise problem(f'Bad TOS value "{opt.arg}"')
        return TosTarget(value, mask)
    bits = parse_uint(opt.arg, 0, 255)
    if bits is None:
        raise problem(f'Bad TOS value "{opt.arg}"')
    return {
        "--and-tos": TosTarget(0, ~bits & 0xFF),
        "--or-tos": TosTarget(bits, bits),
        "--xor-tos": TosTarget(bits, 0),
    }[opt.name]


register_target(Spec("TOS", {"--set-tos": 1, "--and-tos": 1, "--or-tos": 1, "--xor-tos": 1}, _build_tos))


# ---- NOTRACK / CT -------------------------------------------------------------------------------

CT_EVENTS = ("new", "related", "destroy", "reply", "assured", "protoinfo", "helper", "mark", "natseqinfo", "secmark")


@dataclass(frozen=True, slots=True)
class CtTarget(Target):
    """-j CT [--notrack] [--helper H] [--ctevents ..] [--zone N]; -j NOTRACK is its alias."""

    tables: ClassVar[frozenset[str] | None] = frozenset({"raw"})
    alias: bool = False
    """Spelled `-j NOTRACK`."""
    notrack: bool = False
    helper: str = ""
    timeout: str = ""
    ctevents: tuple[str, ...] = ()
    expevents: tuple[str, ...] = ()
    zone: int = 0

    @property
    def name(self) -> str:  # type: ignore[override]
        """`NOTRACK` or `CT`."""
        return "NOTRACK" if self.alias else "CT"

    @property
    def list_name(self) -> str:
        """`iptables -L` shows NOTRACK as the CT target it is an alias of."""
        return "CT"

    def save(self) -> str:
        """` --notrack --helper ftp --ctevents new,related --zone 1`."""
        if self.alias:
            return ""
        text = " --notrack" if self.notrack else ""
        text += f" --helper {self.helper}" if self.helper else ""
        text += f" --timeout {self.timeout}" if self.timeout else ""
        text += f" --ctevents {','.join(self.ctevents)}" if self.ctevents else ""
        text += f" --expevents {','.join(self.expevents)}" if self.expevents else ""
        return text + (f" --zone {self.zone}" if self.zone else "")

    def listing(self, numeric: bool) -> str:
        """` CT notrack`, ` CT helper ftp`, ` NOTRACK`."""
        if self.alias:
            return " NOTRACK"
        text = " CT"
        text += " notrack" if self.notrack else ""
        text += f" helper {self.helper}" if self.helper else ""
        text += f" timeout {self.timeout}" if self.timeout else ""
        text += f" ctevents {','.join(self.ctevents)}" if self.ctevents else ""
        text += f" expevents {','.join(self.expevents)}" if self.expevents else ""
        return text + (f" zone {self.zone}" if self.zone else "")

    def fire(self, run: Run) -> str | None:
        """Mark the packet untracked (helpers, zones and events are not simulated); XT_CONTINUE."""
        if self.alias or self.notrack:
            run.notrack = True
            # The skb now carries the untracked template: later rules of this chain see UNTRACKED.
            run.ctx.ct_state = "UNTRACKED"
        return None


def _events(text: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    words = set(text.split(","))
    for word in words:
        if word not in allowed:
            raise problem(f'Unknown event type "{word}"')
    return tuple(e for e in allowed if e in words)


def _build_ct(opts: list[Opt], info: RuleInfo) -> CtTarget:
    fields: dict[str, object] = {}
    for opt in opts:
        key = opt.name[2:]
        if key == "notrack":
            fields["notrack"] = True
        elif key in ("helper", "timeout"):
            fields[key] = opt.arg
        elif key == "ctevents":
            fields["ctevents"] = _events(opt.arg, CT_EVENTS)
        elif key == "expevents":
            fields["expevents"] = _events(opt.arg, ("new",))
        else:
            zone = parse_uint(opt.arg, 0, 65535)
            if zone is None:
                raise problem('CT: bad value for option "--zone", or out of range (0-65535).')
            fields["zone"] = zone
    return CtTarget(**fields)  # type: ignore[arg-type]


register_target(
    Spec(
        "CT", {"--notrack": 0, "--helper": 1, "--timeout": 1, "--ctevents": 1, "--expevents": 1, "--zone": 1}, _build_ct
    )
)
register_target(Spec("NOTRACK", {}, lambda opts, info: CtTarget(alias=True)))


# ---- NAT ----------------------------------------------------------------------------------------

_PORT_PROTOS = (6, 17, 33, 132, 136)


def _nat_port(text: str) -> int:
    value = parse_uint(text, 0, 65535)
    if value is None:
        raise problem(f'Port "{text}" not valid')
    return value


def parse_ports(text: str, info: RuleInfo, *, allow_base: bool) -> tuple[int, int, int | None]:
    """`p`, `p-q` or `p-q/base`; a lone port may be a service name, range ends may not."""
    if info.proto not in _PORT_PROTOS or info.proto_inv:
        raise problem("Need TCP, UDP, SCTP or DCCP with port specification")
    if text in SERVICES:
        return SERVICES[text], SERVICES[text], None
    body, slash, base_text = text.partition("/")
    if slash and not allow_base:
        raise problem(f'Port "{text}" not valid')
    lo_text, dash, hi_text = body.partition("-")
    lo = _nat_port(lo_text)
    hi = _nat_port(hi_text) if dash else lo
    if hi < lo:
        raise problem(f'Port range "{body}" invalid')
    base = None
    if slash:
        base = SERVICES.get(base_text) or parse_uint(base_text, 1, 65535)
        if base is None:
            raise problem(f'Port "{base_text}" not valid')
    return lo, hi, base


@dataclass(frozen=True, slots=True)
class NatTarget(Target):
    """DNAT/SNAT (--to-destination/--to-source), MASQUERADE and REDIRECT (--to-ports)."""

    kind: str
    addr_min: int | None = None
    addr_max: int | None = None
    port_min: int | None = None
    port_max: int | None = None
    port_base: int | None = None
    random: bool = False
    random_fully: bool = False
    persistent: bool = False

    terminal: ClassVar[bool] = True
    tables: ClassVar[frozenset[str] | None] = frozenset({"nat"})
    _HOOKS: ClassVar[dict[str, frozenset[str]]] = {
        "DNAT": frozenset({"PREROUTING", "OUTPUT"}),
        "REDIRECT": frozenset({"PREROUTING", "OUTPUT"}),
        "SNAT": frozenset({"POSTROUTING", "INPUT"}),
        "MASQUERADE": frozenset({"POSTROUTING"}),
    }

    @property
    def name(self) -> str:  # type: ignore[override]
        """DNAT, SNAT, MASQUERADE or REDIRECT."""
        return self.kind

    def check_hooks(self, chain: str) -> bool:
        """The kernel registers each NAT target for its own hooks only."""
        return chain in self._HOOKS[self.kind]

    def _range(self) -> str:
        text = ""
        if self.addr_min is not None:
            text = format_ipv4(self.addr_min)
            if self.addr_max is not None and self.addr_max != self.addr_min:
                text += f"-{format_ipv4(self.addr_max)}"
        if self.port_min is not None:
            text += f":{self._ports()}"
            if self.port_base is not None:
                text += f"/{self.port_base}"
        return text

    def _ports(self) -> str:
        return str(self.port_min) if self.port_max == self.port_min else f"{self.port_min}-{self.port_max}"

    def _flags(self, words: bool) -> str:
        names = [(self.random, "random"), (self.random_fully, "random-fully"), (self.persistent, "persistent")]
        return "".join(f" {'' if words else '--'}{name}" for flag, name in names if flag)

    def save(self) -> str:
        """` --to-destination 1.1.1.1:80`, ` --to-ports 8080 --random`."""
        if self.kind in ("DNAT", "SNAT"):
            opt = "--to-destination" if self.kind == "DNAT" else "--to-source"
            text = f" {opt} {self._range()}" if self._range() else ""
        else:
            text = f" --to-ports {self._ports()}" if self.port_min is not None else ""
        return text + self._flags(False)

    def listing(self, numeric: bool) -> str:
        """` to:1.1.1.1:80`, ` masq ports: 1024-65535`, ` redir ports 8080`."""
        if self.kind in ("DNAT", "SNAT"):
            text = f" to:{self._range()}" if self._range() else ""
        elif self.kind == "MASQUERADE":
            text = f" masq ports: {self._ports()}" if self.port_min is not None else ""
        else:
            text = f" redir ports {self._ports()}" if self.port_min is not None else ""
        return text + self._flags(True)

    def fire(self, run: Run) -> str | None:
        """NF_ACCEPT with the mapping for the stack to bind to the connection."""
        run.nat = NatAction(
            self.kind,
            self.addr_min,
            self.addr_max if self.addr_max is not None else self.addr_min,
            self.port_min,
            self.port_max,
            self.random or self.random_fully,
            self.persistent,
        )
        return "ACCEPT"


def _build_nat(kind: str):  # type: ignore[no-untyped-def]
    def build(opts: list[Opt], info: RuleInfo) -> NatTarget:
        fields: dict[str, object] = {}
        to_opts = [o for o in opts if o.name in ("--to-destination", "--to-source", "--to-ports")]
        if len(to_opts) > 1:
            word = to_opts[0].name
            raise problem(f"{kind}: Multiple {word} not supported")
        if kind in ("DNAT", "SNAT") and not to_opts:
            raise problem(
                f'{kind}: option "{"--to-destination" if kind == "DNAT" else "--to-source"}" must be specified'
            )
        for opt in opts:
            if opt.name in ("--random", "--random-fully", "--persistent"):
                fields[opt.name[2:].replace("-", "_")] = True
            elif opt.name == "--to-ports":
                lo, hi, _ = parse_ports(opt.arg, info, allow_base=False)
                fields["port_min"], fields["port_max"] = lo, hi
            else:
                addr_text, colon, port_text = opt.arg.partition(":")
                if addr_text:
                    lo_text, dash, hi_text = addr_text.partition("-")
                    fields["addr_min"] = parse_address(lo_text)
                    fields["addr_max"] = parse_address(hi_text) if dash else fields["addr_min"]
                if colon:
                    lo, hi, base = parse_ports(port_text, info, allow_base=kind == "DNAT")
                    fields["port_min"], fields["port_max"], fields["port_base"] = lo, hi, base
        return NatTarget(kind, **fields)  # type: ignore[arg-type]

    return build


register_target(Spec("DNAT", {"--to-destination": 1, "--random": 0, "--persistent": 0}, _build_nat("DNAT")))
register_target(
    Spec("SNAT", {"--to-source": 1, "--random": 0, "--random-fully": 0, "--persistent": 0}, _build_nat("SNAT"))
)
register_target(Spec("MASQUERADE", {"--to-ports": 1, "--random": 0, "--random-fully": 0}, _build_nat("MASQUERADE")))
register_target(Spec("REDIRECT", {"--to-ports": 1, "--random": 0}, _build_nat("REDIRECT")))
