"""Text filters for pipes: grep, wc, head, tail, sort, uniq, awk '{print $N}'.

They read their standard input (the previous command's output) and behave like GNU grep/coreutils
and awk for the options listed in each function, including exit statuses (grep: 0 a line matched,
1 none did, 2 an error). Files named on the command line are the ones the shell wrote with `>`.
"""

from __future__ import annotations

import re

from .base import CommandError, CommandResult, ShellContext, short_flags
from .grep_context import context_option, with_context
from .numbers import number
from .userland import read_file


def _input(ctx: ShellContext, name: str, files: list[str], status: int = 1) -> str:
    if files:
        texts = []
        for path in files:
            text = read_file(ctx.host, path)
            if text is None:
                raise CommandError(f"{name}: {path}: No such file or directory", status)
            texts.append(text)
        return "".join(texts)
    if ctx.stdin is None:
        raise CommandError(f"{name}: no input here: use it after a pipe, e.g. 'ss -tan | {name} ...'", status)
    return ctx.stdin


def _lines(text: str) -> list[str]:
    return text.splitlines()


# ---- grep -----------------------------------------------------------------------------------------


def _bre_to_python(pattern: str) -> str:
    """A POSIX basic regular expression as Python `re` syntax (`\\+ \\? \\| \\( \\) \\{ \\}` are operators)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(nxt if nxt in "+?|(){}" else "\\" + nxt)
            i += 2
            continue
        out.append("\\" + ch if ch in "+?|(){}" else ch)
        i += 1
    return "".join(out)


def grep(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`grep [-v] [-i] [-c] [-E] [-F] [-w] [-x] [-q] [-n] [-o] [-A|-B|-C N] [-e PATTERN] PATTERN [FILE...]`."""
    flags: set[str] = set()
    patterns: list[str] = []
    rest: list[str] = []
    args = iter(argv[1:])
    only_args = False
    before = after = 0
    for word in args:
        if only_args or not word.startswith("-") or word == "-":
            rest.append(word)
        elif word == "--":
            only_args = True
        elif word in ("-e", "--regexp"):
            value = next(args, None)
            if value is None:
                raise CommandError("grep: option requires an argument -- 'e'\n"
                                   "Usage: grep [OPTION]... PATTERNS [FILE]...", 2)
            patterns.append(value)
        elif word.startswith("--"):
            long = {"--invert-match": "v", "--ignore-case": "i", "--count": "c", "--extended-regexp": "E",
                    "--fixed-strings": "F", "--word-regexp": "w", "--line-regexp": "x", "--quiet": "q",
                    "--silent": "q", "--line-number": "n", "--only-matching": "o"}.get(word)
            if long is None:
                raise CommandError(f"grep: option '{word}' is not simulated here", 2)
            flags.add(long)
        elif (context := context_option(word, args)) is not None:
            letters, which, count = context
            flags.update(letters)
            before = count if which in "BC" else before
            after = count if which in "AC" else after
        else:
            flags.update(short_flags(word, "vicEFwxqno", "grep: option '-{letter}' is not simulated here", 2))
    if not patterns:
        if not rest:
            raise CommandError("Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.", 2)
        patterns.append(rest.pop(0))
    text = _input(ctx, "grep", rest, 2)
    sources = []
    for pattern in patterns:
        for piece in pattern.split("\n"):
            if "F" in flags:
                body = re.escape(piece)
            elif "E" in flags:
                body = piece
            else:
                body = _bre_to_python(piece)
            if "w" in flags:
                body = rf"(?<!\w)(?:{body})(?!\w)"
            if "x" in flags:
                body = rf"^(?:{body})$"
            sources.append(body)
    try:
        regex = re.compile("|".join(f"(?:{s})" for s in sources), re.IGNORECASE if "i" in flags else 0)
    except re.error as exc:
        raise CommandError(f"grep: invalid regular expression: {exc}", 2) from None
    invert = "v" in flags
    matched: list[str] = []
    if (before or after) and not flags & {"o", "c", "q"}:
        lines = _lines(text)
        hits = [(regex.search(line) is not None) != invert for line in lines]
        shown = with_context(lines, hits, before, after, "n" in flags)
        return CommandResult("\n".join(shown), 0 if any(hits) else 1)
    for lineno, line in enumerate(_lines(text), start=1):
        hit = regex.search(line) is not None
        if hit == invert:
            continue
        if "o" in flags and not invert:
            matched += [m.group(0) for m in regex.finditer(line) if m.group(0)]
        else:
            matched.append(f"{lineno}:{line}" if "n" in flags else line)
    status = 0 if matched else 1
    if "q" in flags:
        return CommandResult("", status)
    if "c" in flags:
        return CommandResult(str(len(matched) if "o" not in flags else len({*matched})), status)
    return CommandResult("\n".join(matched), status)


# ---- wc -------------------------------------------------------------------------------------------


def wc(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`wc [-l] [-w] [-c] [-m]` on standard input (GNU layout: one number alone, several width 7)."""
    flags: list[str] = []
    files: list[str] = []
    for word in argv[1:]:
        if word.startswith("-") and len(word) > 1:
            flags.extend(short_flags(word, "lwcm", "wc: option '-{letter}' is not simulated here (use -l, -w, -c)", 1))
        else:
            files.append(word)
    text = _input(ctx, "wc", files)
    counts = {"l": text.count("\n"), "w": len(text.split()), "c": len(text.encode()), "m": len(text)}
    order = [k for k in "lwmc" if k in flags] or ["l", "w", "c"]
    values = [counts[k] for k in order]
    suffix = f" {files[0]}" if len(files) == 1 else ""
    if len(values) == 1 and not files:
        return CommandResult(str(values[0]))
    width = 7 if not files else max(len(str(v)) for v in values)
    return CommandResult(" ".join(f"{v:>{width}}" for v in values) + suffix)


# ---- head / tail ----------------------------------------------------------------------------------


def _count_arg(name: str, argv: list[str]) -> tuple[str, list[str]]:
    count = "10"
    files: list[str] = []
    args = iter(argv[1:])
    for word in args:
        if word in ("-n", "--lines"):
            value = next(args, None)
            if value is None:
                raise CommandError(f"{name}: option requires an argument -- 'n'", 1)
            count = value
        elif word.startswith("-n"):
            count = word[2:]
        elif word.startswith("--lines="):
            count = word.split("=", 1)[1]
        elif word.startswith("-") and word[1:].isdigit():
            count = word[1:]
        elif word.startswith("-") and len(word) > 1:
            raise CommandError(f"{name}: option '{word}' is not simulated here (use -n N)", 1)
        else:
            files.append(word)
    return count, files


def head(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`head [-n N|-N]`: the first N lines (N < 0: all but the last |N|)."""
    count, files = _count_arg("head", argv)
    n = number(count, -(2**64 - 1), 2**64 - 1, "head: invalid number of lines: '{value}'", signed=True,
               out_of_range="head: invalid number of lines: '{value}': Value too large for defined data type")
    lines = _lines(_input(ctx, "head", files))
    return CommandResult("\n".join(lines[:n] if n >= 0 else lines[:max(0, len(lines) + n)]))


def tail(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`tail [-n N|-N|-n +N]`: the last N lines (+N: from line N on)."""
    count, files = _count_arg("tail", argv)
    n = abs(number(count, -(2**64 - 1), 2**64 - 1, "tail: invalid number of lines: '{value}'", signed=True,
                   out_of_range="tail: invalid number of lines: '{value}': Value too large for defined data type"))
    lines = _lines(_input(ctx, "tail", files))
    if count.startswith("+"):
        return CommandResult("\n".join(lines[max(0, n - 1):]))
    return CommandResult("\n".join(lines[len(lines) - n:] if n else []))


# ---- sort / uniq ----------------------------------------------------------------------------------


def _numeric_key(line: str) -> float:
    match = re.match(r"\s*(-?\d+(?:\.\d+)?)", line)
    return float(match.group(1)) if match else 0.0


def sort(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`sort [-n] [-r] [-u] [-k N]` (byte order, as with LC_ALL=C)."""
    flags: set[str] = set()
    key_field: int | None = None
    files: list[str] = []
    args = iter(argv[1:])
    for word in args:
        if word in ("-k", "--key"):
            value = next(args, "")
            key_field = _field_number("sort", value)
        elif word.startswith("-k"):
            key_field = _field_number("sort", word[2:])
        elif word.startswith("-") and len(word) > 1:
            flags.update(short_flags(word, "nru", "sort: option '-{letter}' is not simulated here "
                                                  "(use -n, -r, -u, -k N)", 2))
        else:
            files.append(word)
    lines = _lines(_input(ctx, "sort", files, 2))

    def field(line: str) -> str:
        if key_field is None:
            return line
        parts = line.split()
        return " ".join(parts[key_field - 1:]) if len(parts) >= key_field else ""

    if "n" in flags:
        ordered = sorted(lines, key=lambda ln: (_numeric_key(field(ln)), ln.encode()), reverse="r" in flags)
    else:
        ordered = sorted(lines, key=lambda ln: (field(ln).encode(), ln.encode()), reverse="r" in flags)
    if "u" in flags:
        seen: set[str] = set()
        ordered = [ln for ln in ordered if not (field(ln) in seen or seen.add(field(ln)))]  # type: ignore[func-returns-value]
    return CommandResult("\n".join(ordered))


def _field_number(name: str, text: str) -> int:
    head_part = text.split(",", 1)[0].split(".", 1)[0]
    return number(head_part, 1, 2**63 - 1,
                  f"{name}: invalid number at field start: invalid count at start of '{text}'", 2)


def uniq(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`uniq [-c] [-d] [-u]`: collapse adjacent equal lines (-c: `%7d %s` counts)."""
    flags: set[str] = set()
    files: list[str] = []
    for word in argv[1:]:
        if word.startswith("-") and len(word) > 1:
            flags.update(short_flags(word, "cdu", "uniq: option '-{letter}' is not simulated here (use -c, -d, -u)", 1))
        else:
            files.append(word)
    groups: list[tuple[str, int]] = []
    for line in _lines(_input(ctx, "uniq", files)):
        if groups and groups[-1][0] == line:
            groups[-1] = (line, groups[-1][1] + 1)
        else:
            groups.append((line, 1))
    out = []
    for line, count in groups:
        if ("d" in flags and count == 1) or ("u" in flags and count != 1):
            continue
        out.append(f"{count:>7} {line}" if "c" in flags else line)
    return CommandResult("\n".join(out))


# ---- awk ------------------------------------------------------------------------------------------

_PRINT = re.compile(r"^\s*\{\s*print\s*(?P<args>[^}]*)\}\s*$")
_FIELD = re.compile(r"^\$(?P<n>[0-9]+|NF)$")


def awk(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`awk [-F SEP] '{print $N[, $M...]}'`: print fields ($0 the line, $NF the last)."""
    args = argv[1:]
    sep: str | None = None
    if args and args[0].startswith("-F"):
        if args[0] == "-F":
            if len(args) < 2:
                raise CommandError("awk: option requires an argument -- F", 2)
            sep, args = args[1], args[2:]
        else:
            sep, args = args[0][2:], args[1:]
    if not args:
        raise CommandError("usage: awk [-F fs] 'prog' [file ...]", 2)
    match = _PRINT.match(args[0])
    if match is None:
        raise CommandError("awk: only '{print $N}' programs are simulated here (fields, $0, $NF)", 2)
    wanted: list[str] = []
    for item in [a.strip() for a in match.group("args").split(",")] if match.group("args").strip() else ["$0"]:
        parts = item.split()
        for part in parts:
            if _FIELD.match(part) is None:
                raise CommandError(f"awk: '{item}' is not simulated here (only $N, $0, $NF)", 2)
        wanted.append(" ".join(parts) if len(parts) > 1 else item)
    text = _input(ctx, "awk", args[1:], 2)
    out = []
    for line in _lines(text):
        if sep is None or sep == " ":
            fields = line.split()
        else:
            fields = line.split(sep) if len(sep) == 1 else re.split(sep, line)
        values = []
        for item in wanted:
            pieces = []
            for part in item.split():
                n = _FIELD.match(part).group("n")  # type: ignore[union-attr]
                index = len(fields) if n == "NF" else number(n, 0, 2**31 - 1,
                                                             "awk: line 1: ${value} is invalid field index", 2)
                pieces.append(line if index == 0 else fields[index - 1] if index <= len(fields) else "")
            values.append("".join(pieces))
        out.append(" ".join(values))
    return CommandResult("\n".join(out))


COMMANDS = {"grep": grep, "wc": wc, "head": head, "tail": tail, "sort": sort, "uniq": uniq, "awk": awk}
