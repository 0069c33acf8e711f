"""Plain YAML to plain data, with the position of every value, within fixed bounds.

PyYAML's composer builds nodes recursively and shares aliased nodes, so a 5,000-deep list
overflows the stack, `&a [*a]` makes a node that contains itself, and a few lines of aliases
("billion laughs") expand to billions of values in whoever walks the result. Here the parser's
event stream (libyaml's when present, it is ten times faster; PyYAML's own otherwise — neither
recurses) is turned into data by one loop with an explicit stack, which enforces three bounds as
it goes and refuses the first value that crosses one, naming its line and column:

- nesting at most `MAX_DEPTH` levels (an aliased value counts with its own depth where it is used);
- at most `MAX_VALUES` values in all, each alias counting the size of what it stands for, so an
  alias bomb is refused after a few lines of work instead of being expanded;
- an alias may only name a value that is complete: `&a [*a]` is a loop and refused.

Only plain values are made: strings, numbers, booleans and null (no other YAML tag, no `<<` merge),
keys are always the text as written, and numbers longer than `MAX_NUMBER_CHARS` characters are
refused before Python converts them (conversion time grows with the square of their length).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]

MAX_DEPTH = 32
"""Nesting levels; the shipped scenarios use 7."""
MAX_VALUES = 20_000
"""Values after alias expansion; the largest shipped scenario has about 320."""
MAX_NUMBER_CHARS = 100

Loc = tuple[Any, ...]
Mark = tuple[int, int]
"""(line, column), both counted from 1."""

_Loader: Any = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

_TAG = "tag:yaml.org,2002:"
_CONSTRUCTED = {_TAG + t for t in ("int", "float", "bool", "null")}
_ALLOWED_TAGS = _CONSTRUCTED | {_TAG + "str"}
_WORDS = {"int": "a whole number", "float": "a number", "bool": "true or false", "null": "null"}

# Characters YAML forbids in a file (its printable set, complemented).
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Characters no scenario value may hold, whatever escape produced them: controls but tab and
# newline, and lone UTF-16 surrogates (from "\ud800"), which are not characters at all.
_BAD_IN_VALUE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class YamlRefused(Exception):
    """Why the text is refused, and where: `mark` (None when unknown) and the field `loc`."""

    def __init__(self, mark: Mark | None, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.mark, self.loc, self.message = mark, loc, message


def _mark(event_mark: Any) -> Mark | None:
    return (event_mark.line + 1, event_mark.column + 1) if event_mark is not None else None


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X}"


def _position(text: str, index: int) -> Mark:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


@dataclass(slots=True)
class _Frame:
    """A mapping or list being built."""

    value: Any
    loc: Loc
    anchor: str | None
    count_before: int
    height: int = 1
    key: str | None = None
    """A mapping's key whose value comes next (None: a key comes next)."""


@dataclass(slots=True)
class _Builder:
    loader: Any
    marks: dict[Loc, Mark] = field(default_factory=dict)
    anchors: dict[str, tuple[Any, int, int]] = field(default_factory=dict)
    """Complete anchored values: name → (value, number of values, height)."""
    open_anchors: set[str] = field(default_factory=set)
    count: int = 0

    def document(self) -> Any:
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # document start
        value = self.value(())
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            raise YamlRefused(_mark(loader.peek_event().start_mark), (),
                              "a second YAML document starts here ('---'); a scenario file holds one")
        return value

    def _count(self, n: int, mark: Mark | None, loc: Loc) -> None:
        self.count += n
        if self.count > MAX_VALUES:
            raise YamlRefused(mark, loc, f"the file grows past {MAX_VALUES:,} values here (aliases count as "
                              "often as they are used); a scenario needs far fewer")

    def value(self, root: Loc) -> Any:
        """Build the next complete value from the event stream, iteratively."""
        stack: list[_Frame] = []
        while True:
            event = self.loader.get_event()
            top = stack[-1] if stack else None
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                done = stack.pop()
                if done.anchor is not None:
                    self.open_anchors.discard(done.anchor)
                    self.anchors[done.anchor] = (done.value, self.count - done.count_before, done.height)
                result, height = done.value, done.height
            elif top is not None and isinstance(top.value, dict) and top.key is None:
                top.key = self._key(event, top)
                continue
            else:
                loc = root if top is None else top.loc + ((top.key,) if isinstance(top.value, dict)
                                                          else (len(top.value),))
                mark = _mark(event.start_mark)
                self.marks[loc] = mark  # type: ignore[assignment]
                if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                    if len(stack) + 1 > MAX_DEPTH:
                        raise YamlRefused(mark, loc, f"this value is nested more than {MAX_DEPTH} levels deep; "
                                          "a scenario needs far fewer")
                    mapping = isinstance(event, yaml.MappingStartEvent)
                    self._check_tag(event.tag, "map" if mapping else "seq", mark, loc)
                    self._count(1, mark, loc)
                    if event.anchor is not None:
                        self.open_anchors.add(event.anchor)
                    stack.append(_Frame({} if mapping else [], loc, event.anchor, self.count - 1))
                    continue
                if isinstance(event, yaml.AliasEvent):
                    result, height = self._alias(event.anchor, len(stack), mark, loc)
                else:
                    self._count(1, mark, loc)
                    result, height = self._scalar(event, mark, loc), 1
                    if event.anchor is not None:
                        self.anchors[event.anchor] = (result, 1, 1)
            if not stack:
                return result
            parent = stack[-1]
            parent.height = max(parent.height, height + 1)
            if isinstance(parent.value, dict):
                parent.value[parent.key] = result
                parent.key = None
            else:
                parent.value.append(result)

    def _alias(self, name: str, depth: int, mark: Mark | None, loc: Loc) -> tuple[Any, int]:
        if name in self.open_anchors:
            raise YamlRefused(mark, loc, f"the alias *{name} stands for a value it is itself part of (a loop)")
        if name not in self.anchors:
            raise YamlRefused(mark, loc, f"the alias *{name} names no anchor &{name} above it")
        value, size, height = self.anchors[name]
        if depth + height > MAX_DEPTH:
            raise YamlRefused(mark, loc, f"the alias *{name} nests this value more than {MAX_DEPTH} levels deep; "
                              "a scenario needs far fewer")
        self._count(size, mark, loc)
        return value, height

    def _key(self, event: Any, top: _Frame) -> str:
        mark = _mark(event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            key, _ = self._alias(event.anchor, len(top.loc), mark, top.loc)
        elif isinstance(event, yaml.ScalarEvent):
            if event.tag not in (None, "!", _TAG + "str"):
                raise YamlRefused(mark, top.loc, f"a key may not carry a YAML tag ({self._short(event.tag)})")
            key = event.value
            if key == "<<" and event.implicit[0]:
                raise YamlRefused(mark, top.loc, "'<<' merge keys are not supported; write the fields out")
            self._check_text(key, mark, top.loc)
            self._count(1, mark, top.loc)
            if event.anchor is not None:
                self.anchors[event.anchor] = (key, 1, 1)
        else:
            kind = "a mapping" if isinstance(event, yaml.MappingStartEvent) else "a list"
            raise YamlRefused(mark, top.loc, f"a key must be a word, not {kind}")
        if not isinstance(key, str):
            raise YamlRefused(mark, top.loc, "a key must be a word, not a list or a mapping")
        if key in top.value:
            raise YamlRefused(mark, top.loc + (key,), f"'{key}' appears twice here; keep one")
        self.marks[top.loc + (key, "<key>")] = mark  # type: ignore[assignment]
        return key

    @staticmethod
    def _short(tag: str) -> str:
        return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag

    def _check_tag(self, tag: str | None, kind: str, mark: Mark | None, loc: Loc) -> None:
        if tag not in (None, "!", _TAG + kind):
            raise YamlRefused(mark, loc, f"the YAML tag {self._short(tag or '')} is not allowed; a scenario holds "
                              "plain values")

    @staticmethod
    def _check_text(text: str, mark: Mark | None, loc: Loc) -> None:
        bad = _BAD_IN_VALUE.search(text)
        if bad is None:
            return
        char = bad.group()
        what = "half of a UTF-16 surrogate pair" if "\ud800" <= char <= "\udfff" else "a control character"
        raise YamlRefused(mark, loc, f"the text holds {_char_name(char)}, {what}; remove it")

    def _scalar(self, event: Any, mark: Mark | None, loc: Loc) -> Any:
        text: str = event.value
        explicit = event.tag not in (None, "!")
        if explicit:
            tag = event.tag
            if tag not in _ALLOWED_TAGS:
                raise YamlRefused(mark, loc, f"the YAML tag {self._short(tag)} is not allowed; a scenario holds "
                                  "plain values")
        else:
            tag = self.loader.resolve(yaml.ScalarNode, text, event.implicit)
        if tag not in _CONSTRUCTED:
            # Plain text, and what YAML 1.1 would read as a date or '=' is kept as written.
            self._check_text(text, mark, loc)
            return text
        kind = tag[len(_TAG):]
        if len(text) > MAX_NUMBER_CHARS and kind in ("int", "float"):
            raise YamlRefused(mark, loc, f"this number is {len(text):,} characters long; write at most "
                              f"{MAX_NUMBER_CHARS}, or put it in quotes if it is text")
        node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, KeyError, TypeError, yaml.YAMLError):
            shown = text if len(text) <= 40 else text[:40] + "…"
            raise YamlRefused(mark, loc, f"cannot read '{shown}' as {_WORDS[kind]}") from None


def read(text: str) -> tuple[Any, dict[Loc, Mark]]:
    """Parse YAML text into plain data and the (line, column) of every value and key.

    Raises YamlRefused (for what the bounds or the plain-values rule refuse) and yaml.YAMLError
    (for text that is not YAML at all, with its problem mark)."""
    bad = _NOT_YAML.search(text)
    if bad is not None:
        raise YamlRefused(_position(text, bad.start()), (),
                          f"the file holds {_char_name(bad.group())}, a character YAML does not allow; remove it")
    loader = _Loader(text)
    try:
        builder = _Builder(loader)
        return builder.document(), builder.marks
    finally:
        loader.dispose()
