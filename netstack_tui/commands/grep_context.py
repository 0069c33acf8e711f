"""grep's context lines (`-A N`, `-B N`, `-C N`, `-N`): which lines to print around the matches, in GNU
grep's layout (`--` between groups that do not touch; with `-n`, `N:` on matches and `N-` on context)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import CommandError
from .numbers import number

_CLUSTER = re.compile(r"^-([vicEFwxqno]*)([ABC])(.*)$")


def context_option(word: str, args: Iterator[str]) -> tuple[str, str, int] | None:
    """For a word such as `-A`, `-A3`, `-nA 3`, `-5` or `--after-context=3`: (the plain flag letters
    before it, `A`/`B`/`C`, the count); None when the word is no context option."""
    if re.fullmatch(r"-[0-9]+", word):
        return "", "C", number(word[1:], 0, 2**63 - 1, "", clamp=True)
    long = re.fullmatch(r"--(after|before)?-?context(?:=(.*))?", word)
    letter, flags, value = "", "", None
    if long is not None:
        letter = {"after": "A", "before": "B"}.get(long.group(1) or "", "C")
        value = long.group(2)
        if value is None:
            value = next(args, None)
    else:
        short = _CLUSTER.match(word)
        if short is None:
            return None
        flags, letter, value = short.group(1), short.group(2), short.group(3) or next(args, None)
    if value is None:
        raise CommandError(
            f"grep: option requires an argument -- '{letter}'\nUsage: grep [OPTION]... PATTERNS [FILE]...", 2
        )
    # grep saturates a huge context length rather than refusing it.
    return flags, letter, number(value, 0, 2**63 - 1, "grep: {value}: invalid context length argument", 2, clamp=True)


def with_context(lines: list[str], hits: list[bool], before: int, after: int, numbered: bool) -> list[str]:
    """The matching lines and their context, groups separated by `--`."""
    keep: dict[int, bool] = {}
    for i, hit in enumerate(hits):
        if hit:
            for j in range(max(0, i - before), min(len(lines), i + after + 1)):
                keep.setdefault(j, False)
            keep[i] = True
    out: list[str] = []
    last = -2
    for i in sorted(keep):
        if out and i != last + 1:
            out.append("--")
        mark = ":" if keep[i] else "-"
        out.append(f"{i + 1}{mark}{lines[i]}" if numbered else lines[i])
        last = i
    return out
