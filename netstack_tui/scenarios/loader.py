"""Safe YAML loading with positions, and validation errors a teacher can act on.

`load_file(path)` returns a validated `ScenarioFile` or raises `ScenarioError`, whose message is one
line: `FILE:LINE:COLUMN: FIELD: what is wrong`. Only plain YAML is accepted (mappings, lists, strings,
numbers, booleans, null; no tags, no merge keys), within bounds on size, nesting and alias expansion
(see `yaml_reader`), and every value keeps the line and column it came from.
"""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]
from pydantic import ValidationError

from . import yaml_reader
from .errors import MAX_FILE_BYTES, ScenarioError, one_line, read_scenario_bytes
from .model import LocatedError, ScenarioFile
from .yaml_reader import Mark

__all__ = ["MAX_FILE_BYTES", "ScenarioError", "load_bytes", "load_file", "load_text", "one_line", "read_scenario_bytes"]

Loc = tuple[Any, ...]

# ---- YAML with positions ------------------------------------------------------------------------


def read_yaml(text: str, path: str) -> tuple[Any, dict[Loc, Mark]]:
    """Parse YAML text into plain data plus a map from each value's location to its (line, column)."""
    try:
        return yaml_reader.read(text)
    except yaml_reader.YamlRefused as exc:
        raise ScenarioError(path, exc.mark, _field(exc.loc) if exc.loc else None, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else None
        problem = (exc.problem or exc.context or "not valid YAML").strip()
        raise ScenarioError(path, where, None, f"this is not valid YAML ({problem}); check the indentation and "
                            "that text containing ':' or '#' is in quotes") from None
    except yaml.YAMLError as exc:
        # Not tied to a mark (a reader error): name the line of the offending character when known.
        position = getattr(exc, "position", None)
        where = (text.count("\n", 0, position) + 1, None) if isinstance(position, int) else None
        raise ScenarioError(path, where, None, f"this is not valid YAML ({exc})") from None


# ---- errors in a teacher's words -----------------------------------------------------------------


def _field(loc: Loc) -> str:
    """`('goal', 'checks', 0, 'delivered', 'packet')` → `goal.checks[1].delivered.packet` (1-based)."""
    parts = [p for p in loc if p != "<key>"]
    if len(parts) > 12:  # a refused deep nesting: its start and its end say enough
        parts = parts[:6] + ["…"] + parts[-5:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out and part != "…" else "") + str(part)
    return out or "(top level)"


def _mark(marks: dict[Loc, Mark], loc: Loc, *, key: bool = False) -> Mark | None:
    """Where the value at `loc` (or its key) is written; the nearest enclosing value's place for a
    value that is not in the file (a missing field)."""
    if key and loc + ("<key>",) in marks:
        return marks[loc + ("<key>",)]
    probe = loc
    while probe not in marks and probe:
        probe = probe[:-1]
    return marks.get(probe)


def _data_loc(raw: Loc, data: Any, kind: str) -> tuple[Loc, bool]:
    """pydantic's error location as a path into the file's data, and whether a key is meant.

    pydantic puts labels of its own into the path (`literal['all']`, `list[constrained-str]` for the
    branches of a union, `function-after[...]`, `[key]` for a mapping's key); they are dropped by
    following the path through the data: a part that is not there is a label, unless it is the last
    part of a `missing` error (the field that should be there)."""
    out: list[Any] = []
    node, about_key = data, False
    for i, part in enumerate(raw):
        if part == "[key]":
            about_key = True
        elif isinstance(node, dict) and isinstance(part, str) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and not isinstance(part, bool) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif i == len(raw) - 1 and kind == "missing" and isinstance(node, dict):
            out.append(part)
    return tuple(out), about_key


_LANG_NAMES = {"en": "English", "ru": "Russian"}
_KIND_WORDS = {"string": "text", "int": "a whole number", "bool": "true or false", "list": "a list",
               "dict": "a mapping (key: value lines)", "float": "a number"}


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    text = str(value)
    return f"'{text}'" if len(text) <= 60 else f"'{text[:60]}…'"


def _known_fields(loc: Loc) -> list[str]:
    """Field names allowed at a location, for did-you-mean suggestions."""
    from pydantic import BaseModel

    from . import model

    cls: Any = model.ScenarioFile
    for part in loc:
        if isinstance(part, int) or cls is None:
            continue
        field = cls.model_fields.get(part) if isinstance(cls, type) and issubclass(cls, BaseModel) else None
        if field is None:
            field = next((f for f in (cls.model_fields.values() if isinstance(cls, type) and issubclass(
                cls, BaseModel) else []) if f.alias == part), None)
        if field is None:
            return []
        cls = _inner_model(field.annotation)
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return [f.alias or name for name, f in cls.model_fields.items()]
    return []


def _inner_model(annotation: Any) -> Any:
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _wanted(error: dict[str, Any], loc: Loc) -> str | None:
    """What a type-like error asks for, in plain words ('a whole number', "one of: 'a', 'b'");
    None for errors that are not about the kind of value."""
    kind = error["type"]
    name = str(loc[-1]) if loc else ""
    if kind == "literal_error":
        return f"one of: {(error.get('ctx') or {}).get('expected', '')}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        if name in ("title", "summary", "lesson", "text", "about", "label"):
            return "a mapping with 'en:' and 'ru:' texts"
        return "a mapping (key: value lines)"
    if kind in ("int_from_float", "int_type", "int_parsing"):
        return "a whole number"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        if name in _LANG_NAMES:
            return "text"
        head = str(kind).split("_")[0]
        return _KIND_WORDS.get(head, head)
    return None


def _explain(error: dict[str, Any], loc: Loc, alternatives: list[dict[str, Any]]) -> str:
    """One pydantic error as a teacher's message; `alternatives` are the other branches' errors
    at the same place (a value that fits no branch of a union)."""
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    original = ctx.get("error")
    name = str(loc[-1]) if loc else ""
    if kind == "missing":
        if name in _LANG_NAMES:
            return f"the {_LANG_NAMES[name]} text ('{name}:') is missing; every text needs en and ru"
        return f"'{name}' is missing; this field is required"
    if kind == "extra_forbidden":
        known = _known_fields(loc[:-1])
        close = get_close_matches(name, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        listing = f"the fields here are: {', '.join(known)}" if known else "remove it"
        return f"'{name}' is not a field here; {hint}{listing}"
    if kind == "string_too_short" and name in _LANG_NAMES:
        return f"the {_LANG_NAMES[name]} text is empty"
    if kind == "string_too_short":
        return "this text is empty"
    if kind == "string_too_long":
        return f"this text is {len(str(value)):,} characters long; at most {ctx.get('max_length')} are allowed here"
    if kind == "too_short":
        return "this list is empty; it needs at least one item"
    if kind == "too_long":
        return f"this list is too long; at most {ctx.get('max_length')} items are allowed here"
    if kind == "string_pattern_mismatch":
        if name in ("from", "in"):
            return (f"{_describe(value)} is not a namespace name; use letters, digits, '_', '.' and '-', "
                    "as `ip netns add` was given it, e.g. 'test_ns'")
        if name in ("to", "addr"):
            ping = len(loc) > 1 and loc[-2] == "ping"
            wanted = "an IPv4 address, e.g. '8.8.8.8'" if ping else "ADDR:PORT, e.g. '172.18.0.3:80'"
            return f"{_describe(value)} is not an address; write {wanted}"
        if name == "key" and len(loc) > 1 and loc[-2] == "sysctl":
            return (f"{_describe(value)} is not a sysctl name; write it as `sysctl` prints it, "
                    "e.g. 'net.ipv4.ip_forward'")
        return (f"{_describe(value)} is not a valid name; use lowercase letters, digits and dashes, "
                "e.g. 'rule-order'")
    if kind == "finite_number":
        return f"{_describe(value)} is not a number this field can hold; write a finite number"
    asked = [w for w in (_wanted(e, loc) for e in [error, *alternatives]) if w]
    if asked:
        if len(asked) == 1 and kind == "literal_error":
            return f"{_describe(value)} is not allowed; use {asked[0]}"
        return f"should be {' or '.join(dict.fromkeys(asked))}, but it is {_describe(value)}"
    if kind in ("greater_than", "greater_than_equal", "less_than_equal", "less_than"):
        words = {"greater_than": "more than", "greater_than_equal": "at least", "less_than": "less than",
                 "less_than_equal": "at most"}[kind]
        limit = next(iter(ctx.values()), "")
        return f"{_describe(value)} is out of range; it must be {words} {limit}"
    if kind in ("value_error", "assertion_error") and original is not None:
        return str(original)
    return f"{_describe(value)} is not valid here ({kind.replace('_', ' ')})"


def explain_validation(exc: ValidationError, path: str, marks: dict[Loc, Mark], data: Any) -> ScenarioError:
    """The first validation error, as a one-line ScenarioError."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    parent = tuple(first["loc"][:-1])
    for error in errors:
        # An unknown key explains a missing one beside it ('txt:' written for 'text:').
        if error["type"] == "extra_forbidden" and tuple(error["loc"][:-1]) == parent:
            first = error
            break
    original = (first.get("ctx") or {}).get("error")
    if isinstance(original, LocatedError):
        loc = _data_loc(original.loc, data, "missing")[0]
        return ScenarioError(path, _mark(marks, loc), _field(loc), original.message)
    loc, about_key = _data_loc(tuple(first["loc"]), data, first["type"])
    # The other branches of a union report the same place: one message names what each wanted.
    alternatives = [dict(e) for e in errors if e is not first and e.get("input") is first.get("input")
                    and _data_loc(tuple(e["loc"]), data, e["type"])[0] == loc]
    message = _explain(dict(first), loc, alternatives)
    key_line = about_key or first["type"] == "extra_forbidden"
    return ScenarioError(path, _mark(marks, loc, key=key_line), _field(loc), message)


# ---- entry points --------------------------------------------------------------------------------


def load_text(text: str, path: str = "<scenario>") -> ScenarioFile:
    """Validate scenario YAML text; ScenarioError (one line) when anything is wrong."""
    data, marks = read_yaml(text, path)
    if not isinstance(data, dict):
        raise ScenarioError(path, marks.get(()) or (1, 1), None, "a scenario file is a mapping of fields (id:, title:, "
                            f"...), but this file holds {_describe(data)}")
    try:
        scenario = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise explain_validation(exc, path, marks, data) from None
    stem = Path(path).stem
    if path.endswith((".yaml", ".yml")) and stem != scenario.id:
        raise ScenarioError(path, _mark(marks, ("id",)), "id",
                            f"the id '{scenario.id}' differs from the file name '{stem}'; make them the same")
    return scenario


def load_file(path: str | Path) -> ScenarioFile:
    """Read and validate one scenario file."""
    return load_bytes(read_scenario_bytes(path), str(path))


def load_bytes(raw: bytes, name: str) -> ScenarioFile:
    """Validate a scenario file's bytes (`name` is the path its messages give)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        where = (raw.count(b"\n", 0, exc.start) + 1, len(raw[line_start:exc.start].decode("utf-8", "replace")) + 1)
        raise ScenarioError(name, where, None, "the file is not UTF-8 text; save it as UTF-8") from None
    return load_text(text, name)
