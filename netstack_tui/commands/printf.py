"""`printf FORMAT [ARGUMENT]...` and the backslash escapes it shares with `echo -e` (bash's builtins).

Both matter here beyond printing: they are how a learner writes a file of several lines in a shell
with no editor and no here-documents (an XDP program, a program of socket calls for `app run`).
"""

from __future__ import annotations

import re

from .base import CommandError, CommandResult, ShellContext

_SIMPLE = {"\\": "\\", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
           "t": "\t", "v": "\v", '"': '"', "'": "'"}
_ESCAPE = re.compile(r"\\(?:(?P<c>c)|x(?P<hex>[0-9A-Fa-f]{1,2})|0?(?P<oct>[0-7]{1,3})|(?P<simple>.))", re.S)


def unescape(text: str, *, octal_needs_zero: bool) -> tuple[str, bool]:
    """`text` with its backslash escapes decoded, and whether `\\c` stopped the output there.
    echo's octal escapes start with `\\0` (`\\0nnn`); printf's do not (`\\nnn`)."""
    out: list[str] = []
    last = 0
    for found in _ESCAPE.finditer(text):
        whole = found.group(0)
        if found.group("oct") is not None and octal_needs_zero and not whole.startswith("\\0"):
            continue  # echo -e '\\1' is a backslash and a 1
        out.append(text[last:found.start()])
        last = found.end()
        if found.group("c"):
            return "".join(out), True
        if found.group("hex") is not None:
            out.append(chr(int(found.group("hex"), 16)))
        elif found.group("oct") is not None:
            out.append(chr(int(found.group("oct"), 8) & 0xFF))
        else:
            simple = found.group("simple")
            out.append(_SIMPLE.get(simple, "\\" + simple))
    out.append(text[last:])
    return "".join(out), False


def echo(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`echo [-neE] ARG...`: leading words made only of n, e and E letters are options, as bash
    takes them; with -e the backslash escapes are decoded (`\\n`, `\\t`, `\\0nnn`, `\\xHH`, `\\c`)."""
    args = argv[1:]
    escapes = False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        for flag in args[0][1:]:
            escapes = {"e": True, "E": False}.get(flag, escapes)
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text, _ = unescape(text, octal_needs_zero=True)
    return CommandResult(text)


_DIRECTIVE = re.compile(r"%(?P<flags>[-+ 0#]*)(?P<width>\d*)(?:\.(?P<prec>\d*))?(?P<conv>[sdiouxXcbfFeEgG%])")
_MAX_WIDTH = 4096
"""Widths and precisions above this are refused (bash would try to allocate them)."""


def printf(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`printf FORMAT [ARGUMENT]...`: %s %b %c %d %i %u %o %x %X %f %e %g %% with flags, widths and
    precisions; the format is reused while arguments are left, as bash does."""
    args = argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        raise CommandError("printf: usage: printf [-v var] format [arguments]", 2)
    if args[0].startswith("-") and len(args[0]) > 1:
        raise CommandError(f"printf: {args[0][:2]}: invalid option", 2)
    fmt, args = args[0], args[1:]
    out: list[str] = []
    while True:
        used = 0
        last = 0
        for found in _directives(fmt):
            out.append(fmt[last:found.start()])
            last = found.end()
            if found.group("conv") == "%":
                out.append("%")
                continue
            out.append(_convert(found, args[used] if used < len(args) else ""))
            used += 1
        out.append(fmt[last:])
        args = args[used:]
        if not used or not args:
            break
    text = unescape("".join(out), octal_needs_zero=False)[0]
    return CommandResult(text[:-1] if text.endswith("\n") else text)


def _directives(fmt: str) -> list[re.Match[str]]:
    """Every `%` directive of the format, or bash's refusal of the first that is not one."""
    found: list[re.Match[str]] = []
    at = fmt.find("%")
    while at >= 0:
        match = _DIRECTIVE.match(fmt, at)
        if match is None:
            rest = re.sub(r"^[-+ 0#\d.]*", "", fmt[at + 1:])  # past the flags, width and precision
            if not rest:
                raise CommandError("printf: `%': missing format character", 1)
            raise CommandError(f"printf: `{rest[0]}': invalid format character", 1)
        found.append(match)
        at = fmt.find("%", match.end())
    return found


def _convert(found: re.Match[str], arg: str) -> str:
    flags, width, prec, conv = found.group("flags"), found.group("width"), found.group("prec"), found.group("conv")
    if len(width) > 4 or len(prec or "") > 4 or int(width or 0) > _MAX_WIDTH or int(prec or 0) > _MAX_WIDTH:
        raise CommandError(f"printf: {found.group(0)}: width or precision too large", 1)
    spec = "%" + flags + width + ("." + prec if prec is not None else "")
    if conv == "s":
        return (spec + "s") % arg
    if conv == "b":
        return (spec + "s") % unescape(arg, octal_needs_zero=True)[0]
    if conv == "c":
        return (spec + "s") % arg[:1]
    if conv in "fFeEgG":
        return (spec + conv) % _real(arg)
    return (spec + ("d" if conv in "iu" else conv)) % _integer(arg)


def _integer(text: str) -> int:
    """An argument of %d and friends, read as strtol does (0x hex, 0 octal), or a quoted
    character's code; anything else is refused in one line."""
    body = text.strip()
    if not body:
        return 0
    if body[0] in "'\"" and len(body) > 1:
        return ord(body[1])
    sign, digits = (-1, body[1:]) if body[0] == "-" else (1, body.lstrip("+"))
    base = 16 if digits.lower().startswith("0x") else 8 if digits.startswith("0") and len(digits) > 1 else 10
    if len(digits) > 40 or not re.fullmatch(r"(0[xX])?[0-9A-Fa-f]+" if base == 16 else r"[0-9]+", digits):
        raise CommandError(f"printf: {text}: invalid number", 1)
    try:
        value = int(digits, base)
    except ValueError:
        raise CommandError(f"printf: {text}: invalid number", 1) from None
    return sign * min(value, 2**63 - 1)


def _real(text: str) -> float:
    body = text.strip()
    if not body:
        return 0.0
    if len(body) > 40 or not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", body):
        raise CommandError(f"printf: {text}: invalid number", 1)
    return float(body)


COMMANDS = {"printf": printf, "echo": echo}
