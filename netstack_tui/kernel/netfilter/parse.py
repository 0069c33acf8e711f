"""The iptables command line, parsed as xtables' do_parse() does, into a `Command`.

Handles short-flag bundles (`-nvL`), long-option abbreviations (getopt_long), `!` before an
option, implicit loading of the protocol match (`-p tcp --dport 22` loads `-m tcp`), and the
expansion of comma-separated -s/-d lists into several rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypedDict, cast

from ..numbers import is_decimal, parse_int
from . import (  # noqa: F401  (register extensions)
    connbytes,
    connlimit,
    counting,
    ctmatches,
    hashlimit,
    matches,
    opaque,
    physdev,
    rate,
    rpfilter,
    setmatch,
    targets,
    timematch,
)
from .extension import Match, Opt, RuleInfo, Spec
from .family import current
from .ip6ext import find_match, find_target, protocol_match
from .rule import STANDARD_VERDICTS, Rule
from .targets import Target
from .values import IptablesError, Refused, parse_address_mask, parse_protocol, parse_uint, problem

TABLES = ("raw", "mangle", "nat", "filter", "security")

# (short, long, number of arguments) of the built-in options; commands are upper case.
_CORE = (
    ("A", "append", 1),
    ("C", "check", 1),
    ("D", "delete", 1),
    ("I", "insert", 1),
    ("R", "replace", 1),
    ("L", "list", 0),
    ("S", "list-rules", 0),
    ("F", "flush", 0),
    ("Z", "zero", 0),
    ("N", "new-chain", 1),
    ("X", "delete-chain", 0),
    ("E", "rename-chain", 1),
    ("P", "policy", 1),
    ("t", "table", 1),
    ("p", "protocol", 1),
    ("s", "source", 1),
    ("s", "src", 1),
    ("d", "destination", 1),
    ("d", "dst", 1),
    ("i", "in-interface", 1),
    ("o", "out-interface", 1),
    ("f", "fragment", 0),
    ("j", "jump", 1),
    ("g", "goto", 1),
    ("m", "match", 1),
    ("n", "numeric", 0),
    ("v", "verbose", 0),
    ("x", "exact", 0),
    ("0", "line-numbers", 0),
    ("c", "set-counters", 1),
    ("w", "wait", 0),
    ("W", "wait-interval", 1),
    ("M", "modprobe", 1),
    ("V", "version", 0),
    ("h", "help", 0),
    ("4", "ipv4", 0),
    ("6", "ipv6", 0),
)
_SHORT = {short: (short, nargs) for short, _, nargs in _CORE}
_LONG = {name: (short, nargs) for short, name, nargs in _CORE}
_COMMANDS = "ACDIRLSFZNXEP"
_INVERTIBLE = "psdiof"


class _RuleFields(TypedDict, total=False):
    """The `Rule` fields other than the addresses, gathered while a rule is parsed."""

    iif: str
    iif_inv: bool
    oif: str
    oif_inv: bool
    proto: int
    proto_inv: bool
    fragment: bool | None
    matches: tuple[Match, ...]
    target: Target | None
    verdict: str
    goto: bool


@dataclass(slots=True)
class Command:
    """A parsed iptables invocation."""

    op: str = ""
    """One of A C D I R L S F Z N X E P (plus Z combined with L or S in `zero_too`)."""
    table: str = "filter"
    chain: str | None = None
    rulenum: int | None = None
    arg: str | None = None
    """-E new name, -P policy."""
    rules: list[Rule] = field(default_factory=list)
    has_rule: bool = False
    """Whether any rule-building option was given (needed by -D to choose spec vs number)."""
    verbose: bool = False
    numeric: bool = False
    exact: bool = False
    line_numbers: bool = False
    zero_too: bool = False
    counters: tuple[int, int] | None = None
    version: bool = False
    ipv6: bool = False
    ipv4: bool = False
    refused: str | None = None
    """Set when an extension's checkentry refused the rule (the errno text the nft backend prints)."""


@dataclass(slots=True)
class _Loaded:
    spec: Spec
    opts: list[Opt] = field(default_factory=list)
    is_target: bool = False


class _Parser:
    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.pos = 0
        self.cmd = Command()
        self.invert = False
        self.base: dict[str, tuple[str, bool]] = {}
        self.loaded: list[_Loaded] = []
        self.target: str | None = None
        self.goto = False
        self.proto_text: str | None = None

    # -- token helpers ------------------------------------------------------------------------------

    def _next_optional(self) -> str | None:
        if self.pos < len(self.argv) and not self.argv[self.pos].startswith("-") and self.argv[self.pos] != "!":
            self.pos += 1
            return self.argv[self.pos - 1]
        return None

    def _required(self, name: str) -> str:
        if self.pos >= len(self.argv):
            raise problem(f'option "{name}" requires an argument')
        self.pos += 1
        return self.argv[self.pos - 1]

    def _set_command(self, letter: str) -> None:
        if self.cmd.op:
            pair = {self.cmd.op, letter}
            if letter == "Z" and self.cmd.op in "LS" or self.cmd.op == "Z" and letter in "LS":
                self.cmd.op = (pair - {"Z"}).pop()
                self.cmd.zero_too = True
                return
            raise problem(f"Can't use -{letter} with -{self.cmd.op}")
        self.cmd.op = letter

    # -- main loop --------------------------------------------------------------------------------

    def parse(self) -> Command:
        while self.pos < len(self.argv):
            token = self.argv[self.pos]
            self.pos += 1
            if token == "!":
                if self.invert:
                    raise problem("multiple consecutive ! not allowed")
                self.invert = True
                continue
            if token.startswith("--") and len(token) > 2:
                self._long(token)
            elif token.startswith("-") and len(token) > 1:
                self._short_bundle(token)
            else:
                raise problem(f"Bad argument `{token}'")
        if self.invert:
            raise problem("unexpected end of line after `!'")
        self._finish()
        return self.cmd

    def _short_bundle(self, token: str) -> None:
        letters = token[1:]
        for index, letter in enumerate(letters):
            if letter not in _SHORT:
                raise problem(f"invalid option -- '{letter}'")
            short, nargs = _SHORT[letter]
            rest = letters[index + 1 :]
            if nargs and rest:
                # getopt: `-tnat` / `-jACCEPT` take the rest of the word as the argument.
                self._core(short, f"-{short}", inline=rest)
                return
            self._core(short, f"-{short}")

    def _long(self, token: str) -> None:
        name, eq, inline = token[2:].partition("=")
        candidates = self._long_candidates()
        if name in candidates:
            resolved = name
        else:
            found = [c for c in candidates if c.startswith(name)]
            if len(found) == 1:
                resolved = found[0]
            elif len(found) > 1:
                raise problem(f"option '{token}' is ambiguous")
            else:
                if self._implicit_proto_match():
                    self._long(token)
                    return
                raise problem(f'unknown option "{token}"')
        owner = candidates[resolved]
        if isinstance(owner, str):
            self._core(owner, f"--{resolved}", inline=inline if eq else None)
        else:
            self._extension_option(owner, f"--{resolved}", inline if eq else None)

    def _long_candidates(self) -> dict[str, str | _Loaded]:
        candidates: dict[str, str | _Loaded] = {name: short for name, (short, _) in _LONG.items()}
        for loaded in reversed(self.loaded):
            for opt in loaded.spec.options:
                candidates.setdefault(opt[2:], loaded)
        return candidates

    def _implicit_proto_match(self) -> bool:
        if not self.proto_text:
            return False
        try:
            from .values import PROTO_NAMES

            name = protocol_match(PROTO_NAMES.get(parse_protocol(self.proto_text), self.proto_text))
        except IptablesError:
            return False
        spec = find_match(name)
        if spec is None or any(ld.spec.name == name for ld in self.loaded if not ld.is_target):
            return False
        self.loaded.append(_Loaded(spec))
        return True

    def _extension_option(self, loaded: _Loaded, name: str, inline: str | None) -> None:
        nargs = loaded.spec.options[name]
        invert, self.invert = self.invert, False
        if invert and name not in loaded.spec.invertible:
            raise problem(f"unexpected ! flag before {name}")
        args: list[str] = []
        if nargs:
            args.append(inline if inline is not None else self._required(name))
            if args[0] == "!":
                nxt = self.argv[self.pos] if self.pos < len(self.argv) else ""
                raise problem(f"Bad argument `{nxt}'")
            for _ in range(nargs - 1):
                if self.pos >= len(self.argv) or self.argv[self.pos].startswith(("-", "!")):
                    raise problem(f"{name} requires {nargs} args.")
                args.append(self.argv[self.pos])
                self.pos += 1
        loaded.opts.append(Opt(name, invert, tuple(args)))

    def _core(self, short: str, shown: str, inline: str | None = None) -> None:
        nargs = _SHORT[short][1]
        invert, self.invert = self.invert, False
        if invert and short not in _INVERTIBLE:
            raise problem(f"cannot have ! before {shown}")
        value = ""
        if nargs:
            value = inline if inline is not None else self._required(shown)
            if value == "!" and short in _INVERTIBLE:
                # The pre-1.4.3 form `-s ! ADDR`: iptables 1.8 no longer accepts it.
                nxt = self.argv[self.pos] if self.pos < len(self.argv) else ""
                raise problem(f"Bad argument `{nxt}'")
        cmd = self.cmd
        if short in _COMMANDS:
            self._set_command(short)
            if short in "ACDIRNEP":
                cmd.chain = value
            if short in "LSFZX":
                cmd.chain = self._next_optional()
            if short in "DIRSZ" and cmd.chain is not None:
                num = self._next_optional()
                if num is not None:
                    rulenum = parse_uint(num, 1, 2**31 - 1) if is_decimal(num) else None
                    if rulenum is None:
                        raise problem(f"Invalid rule number `{num}'")
                    cmd.rulenum = rulenum
                elif short == "R":
                    raise problem("-R requires a rule number")
            if short in "EP":
                arg = self._next_optional()
                if arg is None:
                    raise problem(
                        f"-{short} requires old-chain-name and new-chain-name"
                        if short == "E"
                        else "-P requires a chain and a policy"
                    )
                cmd.arg = arg
        elif short == "t":
            cmd.table = value
        elif short in "psdiof":
            if short == "f" and current().version == 6:
                raise problem("`-f' is not supported in IPv6, use -m frag instead")
            if short in self.base:
                raise problem(f"multiple -{short} flags not allowed")
            self.base[short] = (value, invert)
            cmd.has_rule = True
            if short == "p":
                self.proto_text = value
        elif short in "jg":
            if self.target is not None:
                raise problem("multiple -j flags not allowed")
            if any(ch.isspace() for ch in value):
                # xshared's parse_target() (a CRLF file's `-j ACCEPT\r` ends up here).
                raise problem(f"Invalid target name `{value}'")
            self.target, self.goto = value, short == "g"
            cmd.has_rule = True
            target_spec = find_target(value) if short == "j" else None
            if target_spec is not None:
                self.loaded.append(_Loaded(target_spec, is_target=True))
        elif short == "m":
            match_spec = find_match(value)
            if match_spec is None:
                raise problem(f"Couldn't load match `{value}':No such file or directory")
            self.loaded.append(_Loaded(match_spec))
            cmd.has_rule = True
        elif short == "n":
            cmd.numeric = True
        elif short == "v":
            cmd.verbose = True
        elif short == "x":
            cmd.exact = True
        elif short == "0":
            cmd.line_numbers = True
        elif short == "c":
            cmd.counters = self._counters(value)
        elif short == "V":
            cmd.version = True
        elif short == "6":
            cmd.ipv6 = True
        elif short == "4":
            cmd.ipv4 = True
        elif short == "W":
            pass

    def _counters(self, first: str) -> tuple[int, int]:
        comma = first.find(",", 1)
        if comma >= 0:
            packets, bytes_ = first[:comma], first[comma + 1 :]
        else:
            nxt = self._next_optional()
            if nxt is None:
                raise problem("-c requires packet and byte counter")
            packets, bytes_ = first, nxt
        if not is_decimal(packets):
            raise problem("-c packet counter not numeric")
        if not is_decimal(bytes_):
            raise problem("-c byte counter not numeric")
        return counter(packets), counter(bytes_)

    # -- building rules ---------------------------------------------------------------------------

    def _finish(self) -> None:
        cmd = self.cmd
        if cmd.table not in TABLES:
            raise IptablesError(
                f"{problem('').message.rstrip(': ')}: can't initialize iptables table `{cmd.table}': "
                "Table does not exist (do you need to insmod?)",
                3,
            )
        wants_rule = cmd.op in ("A", "C", "I", "R") or (cmd.op == "D" and cmd.rulenum is None)
        if not cmd.has_rule and not self.loaded and not wants_rule:
            return
        proto, proto_inv = 0, False
        if "p" in self.base:
            text, proto_inv = self.base["p"]
            proto = parse_protocol(text)
            if proto == 0 and proto_inv:
                raise problem("rule would never match protocol")
        info = RuleInfo(proto, proto_inv, cmd.table)
        built_matches: list[Match] = []
        target: Target | None = None
        for loaded in self.loaded:
            try:
                ext = loaded.spec.build(loaded.opts, info)
            except Refused as exc:
                # The kernel, not the parser, refuses these: iptables reports it per chain.
                cmd.refused = exc.errno
                continue
            # A spec builds what its registry holds: TARGETS build targets, MATCHES matches.
            if loaded.is_target:
                target = cast(Target, ext)
            else:
                built_matches.append(cast(Match, ext))
        base: _RuleFields = {"proto": proto, "proto_inv": proto_inv, "matches": tuple(built_matches)}
        interfaces: tuple[tuple[str, Literal["iif", "oif"], Literal["iif_inv", "oif_inv"]], ...] = (
            ("i", "iif", "iif_inv"),
            ("o", "oif", "oif_inv"),
        )
        for short, key, inv_key in interfaces:
            if short in self.base:
                name, inv = self.base[short]
                if len(name) > 15:
                    raise problem(f"interface name `{name}' must be shorter than IFNAMSIZ (15)")
                if name == "+" and not inv:
                    continue  # `-i +` matches every interface, so the kernel stores nothing
                base[key], base[inv_key] = name, inv
        if "f" in self.base:
            base["fragment"] = not self.base["f"][1]
        if target is not None:
            base["target"] = target
        elif self.target is not None:
            base["verdict"], base["goto"] = self.target, self.goto
        sources = self._addresses("s")
        dests = self._addresses("d")
        inverted = self.base.get("s", ("", False))[1] or self.base.get("d", ("", False))[1]
        if inverted and (len(sources) > 1 or len(dests) > 1):
            raise problem("! not allowed with multiple source or destination IP addresses")
        if cmd.op and cmd.op in "ACDIR":
            self._check_interfaces(cmd.chain or "")
        for short, ((_, mask), *_) in (("s", sources), ("d", dests)):
            if short in self.base and self.base[short][1] and mask == 0:
                # `! -s x/0` could never match; the nft backend refuses the rule it would build.
                cmd.refused = cmd.refused or "Invalid argument"
        for src, src_mask in sources:
            for dst, dst_mask in dests:
                rule = Rule(
                    src=src,
                    src_mask=src_mask,
                    src_inv=self.base.get("s", ("", False))[1],
                    dst=dst,
                    dst_mask=dst_mask,
                    dst_inv=self.base.get("d", ("", False))[1],
                    **base,
                )
                cmd.rules.append(rule)

    def _check_interfaces(self, chain: str) -> None:
        # do_parse() checks by chain name only: -o makes no sense on incoming packets, -i on outgoing.
        if chain in ("PREROUTING", "INPUT") and "o" in self.base:
            raise problem(f"Can't use -o with {chain}")
        if chain in ("POSTROUTING", "OUTPUT") and "i" in self.base:
            raise problem(f"Can't use -i with {chain}")

    def _addresses(self, short: str) -> list[tuple[int, int]]:
        if short not in self.base:
            return [(0, 0)]
        text, _ = self.base[short]
        return [parse_address_mask(item) for item in text.split(",")]


def parse_command(argv: list[str]) -> Command:
    """Parse iptables arguments (without the program name) into a Command.

    Raises IptablesError with iptables' wording for anything it would refuse at parse time.
    """
    return _Parser(argv).parse()


__all__ = ["Command", "STANDARD_VERDICTS", "TABLES", "parse_command"]


def counter(text: str) -> int:
    """A packet or byte counter as iptables reads it (strtoull): a huge one saturates at 2^64-1."""
    return parse_int(text, 0, 2**64 - 1, clamp=True)
