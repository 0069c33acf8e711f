"""Tokens of the nft language: words, quoted strings, punctuation, and statement ends."""

from __future__ import annotations

from dataclasses import dataclass

from .values import NftError

PUNCT = "{}(),;|&!=<>"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: `kind` is `word`, `string`, `punct` or `eol` (newline or `;`)."""

    kind: str
    text: str
    line: int


def tokenize(text: str) -> list[Token]:
    """Split nft text into tokens; `#` starts a comment, a backslash joins lines."""
    out: list[Token] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] == "\n":
            i, line = i + 2, line + 1
        elif ch == "\n":
            out.append(Token("eol", "\n", line))
            i, line = i + 1, line + 1
        elif ch in " \t\r":
            i += 1
        elif ch == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise NftError("Error: syntax error, unterminated string")
            out.append(Token("string", text[i + 1 : end], line))
            i = end + 1
        elif ch == ";":
            out.append(Token("eol", ";", line))
            i += 1
        elif ch in PUNCT:
            two = text[i : i + 2]
            if two in ("==", "!=", "<=", ">="):
                out.append(Token("punct", two, line))
                i += 2
            else:
                out.append(Token("punct", ch, line))
                i += 1
        else:
            start = i
            while i < n and text[i] not in PUNCT and text[i] not in ' \t\r\n#"\\':
                i += 1
            if i == start:  # a lone backslash
                i += 1
                continue
            out.append(Token("word", text[start:i], line))
    return out
