"""Tokens of the XDP language (see `netstack_tui.kernel.bpf` for the language itself).

Positions are 1-based line and column, so errors read like a compiler's: `guard.c:3:14: error: ...`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class CompileError(ValueError):
    """Source that does not compile; `str()` is one clang-style line without the file name."""

    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(f"{line}:{col}: error: {message}")
        self.line = line
        self.col = col
        self.message = message


@dataclass(frozen=True, slots=True)
class Token:
    """One token: `kind` is `num`, `ip`, `str`, `name` or the punctuation itself."""

    kind: str
    text: str
    line: int
    col: int


_PUNCT = ("<<=", ">>=", "&&", "||", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=", "*=", "|=", "&=", "^=",
          "++", "--", "->", "{", "}", "(", ")", ";", ",", ".", "+", "-", "*", "/", "%", "&", "|", "^",
          "!", "~", "<", ">", "=")
_TOKEN = re.compile(
    r"(?P<space>[ \t\r\n]+)|(?P<comment>//[^\n]*|/\*.*?\*/)"
    r"|(?P<ip>\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b)|(?P<num>0[xX][0-9a-fA-F]+|\d+)[uUlL]*"
    r'|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<str>"[^"\n]*")|(?P<punct>'
    + "|".join(re.escape(p) for p in _PUNCT) + ")",
    re.DOTALL,
)


def tokenize(source: str) -> list[Token]:
    """The tokens of `source`, ending with an `eof` token; CompileError on a stray character."""
    tokens: list[Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        col = pos - line_start + 1
        if match is None:
            if source.startswith("/*", pos):
                raise CompileError(line, col, "unterminated /* comment")
            raise CompileError(line, col, f"unexpected character '{source[pos]}'")
        kind = match.lastgroup or "punct"
        text = match.group(kind)
        if kind == "punct":
            kind = text
        if kind not in ("space", "comment"):
            tokens.append(Token(kind, text, line, col))
        newlines = match.group(0).count("\n")
        if newlines:
            line += newlines
            line_start = pos + match.group(0).rfind("\n") + 1
        pos = match.end()
    tokens.append(Token("eof", "", line, pos - line_start + 1))
    return tokens
