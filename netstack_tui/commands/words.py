"""Splitting a command line into words, as the shell's grammar reads it, in linear time.

The rules are those of `shlex.shlex(line, posix=True, punctuation_chars=";&<>|")` with
`whitespace_split` and `#` comments, which the shell used before: quotes, backslash escapes,
runs of `;&<>|` as one operator word, `#` starting a comment outside quotes. shlex builds each
word one character at a time by string concatenation, which takes quadratic time on a long word
(a 1 MB word took ~25 s); this reads runs of ordinary characters in one step.
"""

from __future__ import annotations

import re

_WHITESPACE = " \t\r\n"
_OPERATOR_CHARS = ";&<>|"
_PLAIN = re.compile(r"[^ \t\r\n;&<>|'\"\\#]+")
_OPERATOR = re.compile(r"[;&<>|]+")
_BLANKS = re.compile(r"[ \t\r\n]+")
_DOUBLE_QUOTED = re.compile(r'[^"\\]*')


def split_words(line: str) -> list[str]:
    """The words of `line`; ValueError("No closing quotation" / "No escaped character") when a
    quote is left open or a backslash ends the line. NUL bytes are dropped, as bash drops them: no
    program's argv can hold one."""
    line = line.replace("\x00", "")
    words: list[str] = []
    pieces: list[str] = []
    quoted = False  # an empty quoted word ('') is still a word
    i, end = 0, len(line)

    def finish() -> None:
        nonlocal quoted
        if pieces or quoted:
            words.append("".join(pieces))
        pieces.clear()
        quoted = False

    while i < end:
        ch = line[i]
        if ch in _WHITESPACE:
            finish()
            i = _BLANKS.match(line, i).end()  # type: ignore[union-attr]
        elif ch == "#":
            finish()
            newline = line.find("\n", i)
            i = end if newline < 0 else newline + 1
        elif ch in _OPERATOR_CHARS:
            finish()
            match = _OPERATOR.match(line, i)
            assert match is not None
            words.append(match.group())
            i = match.end()
        elif ch == "'":
            close = line.find("'", i + 1)
            if close < 0:
                raise ValueError("No closing quotation")
            pieces.append(line[i + 1:close])
            quoted, i = True, close + 1
        elif ch == '"':
            quoted, i = True, _double_quoted(line, i + 1, pieces)
        elif ch == "\\":
            if i + 1 >= end:
                raise ValueError("No escaped character")
            pieces.append(line[i + 1])
            i += 2
        else:
            match = _PLAIN.match(line, i)
            assert match is not None
            pieces.append(match.group())
            i = match.end()
    finish()
    return words


def _double_quoted(line: str, i: int, pieces: list[str]) -> int:
    """Read a double-quoted stretch starting after its `"` into `pieces`; return the index after
    the closing quote. A backslash escapes only `"` and itself; before anything else it stays."""
    while True:
        match = _DOUBLE_QUOTED.match(line, i)
        assert match is not None
        pieces.append(match.group())
        i = match.end()
        if i >= len(line):
            raise ValueError("No closing quotation")
        if line[i] == '"':
            return i + 1
        if i + 1 >= len(line):
            raise ValueError("No escaped character")
        escaped = line[i + 1]
        if escaped not in '"\\':
            pieces.append("\\")
        pieces.append(escaped)
        i += 2
