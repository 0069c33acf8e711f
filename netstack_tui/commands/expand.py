"""The shell's word expansions that happen before a line is split: `~`, `$HOME` and `$(command)`.

As in POSIX sh: nothing expands inside single quotes; `$HOME` and `$(...)` expand inside double
quotes too; a tilde expands only unquoted, at the start of a word, before `/` or the word's end.
Other variables are left as typed (the simulated shell has no environment besides HOME).
"""

from __future__ import annotations

from collections.abc import Callable

from .base import CommandError
from .userland import HOME

_WORD_START = " \t;|&<>("
_TILDE_END = " \t;|&<>)/"


def expand(line: str, substitute: Callable[[str], str]) -> str:
    """`line` with its expansions done; `substitute` runs a `$(...)` command and returns its output."""
    if "~" not in line and "$" not in line:
        return line
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and quote != "'":
            out.append(line[i : i + 2])
            i += 2
            continue
        if char in "'\"" and quote in ("", char):
            quote = "" if quote else char
        elif quote != "'" and line.startswith("$HOME", i) and not _name_char(line, i + 5):
            out.append(HOME)
            i += 5
            continue
        elif quote != "'" and line.startswith("${HOME}", i):
            out.append(HOME)
            i += 7
            continue
        elif quote != "'" and line.startswith("$(", i):
            end = _closing(line, i + 2)
            text = substitute(line[i + 2 : end]).rstrip("\n")
            out.append(text if quote else " ".join(text.split()))
            i = end + 1
            continue
        elif (
            char == "~"
            and not quote
            and (i == 0 or line[i - 1] in _WORD_START)
            and (i + 1 == len(line) or line[i + 1] in _TILDE_END)
        ):
            out.append(HOME)
            i += 1
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _name_char(line: str, i: int) -> bool:
    return i < len(line) and (line[i].isalnum() or line[i] == "_")


def _closing(line: str, start: int) -> int:
    """Index of the `)` that closes a `$(` opened just before `start`."""
    depth, quote = 1, ""
    for i in range(start, len(line)):
        char = line[i]
        if char in "'\"" and quote in ("", char):
            quote = "" if quote else char
        elif not quote and char == "(":
            depth += 1
        elif not quote and char == ")":
            depth -= 1
            if depth == 0:
                return i
    raise CommandError("sh: syntax error: unexpected end of file (a '$(' is not closed)", 2)
