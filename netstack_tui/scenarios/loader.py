"""Safe YAML loading with line numbers, and validation errors a teacher can act on.

`load_file(path)` returns a validated `ScenarioFile` or raises `ScenarioError`, whose message is one
line: `FILE:LINE: FIELD: what is wrong`. Only plain YAML is accepted (mappings, lists, strings,
numbers, booleans, null; no tags, no anchors executing code): the file is composed into nodes with
PyYAML's safe machinery and converted here, so every value keeps the line it came from.
"""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]
from pydantic import ValidationError

from .model import LocatedError, ScenarioFile

MAX_FILE_BYTES = 1024 * 1024
"""A scenario is text for people; anything larger is a mistake."""

Loc = tuple[Any, ...]


class ScenarioError(ValueError):
    """A scenario file that cannot be used; `str()` is the one-line message."""

    def __init__(self, path: str, line: int | None, field: str | None, message: str) -> None:
        self.path, self.line, self.field, self.message = path, line, field, message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


# ---- YAML with line numbers ---------------------------------------------------------------------


def _compose(text: str, path: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = (exc.problem or exc.context or "not valid YAML").strip()
        raise ScenarioError(path, line, None, f"this is not valid YAML ({problem}); check the indentation and "
                            "that text containing ':' or '#' is in quotes") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(path, None, None, f"this is not valid YAML ({exc})") from None


def _to_python(node: yaml.Node, path: str, loc: Loc, lines: dict[Loc, int]) -> Any:
    """Convert a composed node to plain data, recording each value's (and key's) line."""
    lines[loc] = node.start_mark.line + 1
    constructor = yaml.constructor.SafeConstructor()
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ScenarioError(path, key_node.start_mark.line + 1, _field(loc),
                                    "'<<' merge keys are not supported; write the fields out")
            key = _to_python(key_node, path, loc + ("<key>",), {})
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise ScenarioError(path, key_node.start_mark.line + 1, _field(loc),
                                    f"a key must be a word, not {key!r}")
            if key in out:
                raise ScenarioError(path, key_node.start_mark.line + 1, _field(loc + (key,)),
                                    f"'{key}' appears twice here; keep one")
            lines[loc + (key, "<key>")] = key_node.start_mark.line + 1
            out[key] = _to_python(value_node, path, loc + (key,), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, path, loc + (i,), lines) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.ScalarNode):
        if node.tag not in _PLAIN_TAGS:
            raise ScenarioError(path, lines[loc], _field(loc), f"YAML tag {node.tag!r} is not allowed here")
        try:
            return constructor.construct_object(node)
        except yaml.YAMLError as exc:
            raise ScenarioError(path, lines[loc], _field(loc), f"cannot read this value ({exc})") from None
    raise ScenarioError(path, lines[loc], _field(loc), "unsupported YAML node")


_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null")}


def read_yaml(text: str, path: str) -> tuple[Any, dict[Loc, int]]:
    """Parse YAML text into plain data plus a map from each value's location to its line."""
    node = _compose(text, path)
    lines: dict[Loc, int] = {}
    if node is None:
        return None, lines
    return _to_python(node, path, (), lines), lines


# ---- errors in a teacher's words -----------------------------------------------------------------


def _field(loc: Loc) -> str:
    """`('goal', 'checks', 0, 'delivered', 'packet')` → `goal.checks[1].delivered.packet` (1-based)."""
    out = ""
    for part in loc:
        if part == "<key>":
            continue
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _line(lines: dict[Loc, int], loc: Loc, *, key: bool = False) -> int | None:
    if key and loc + ("<key>",) in lines:
        return lines[loc + ("<key>",)]
    probe = loc
    while probe not in lines and probe:
        probe = probe[:-1]
    return lines.get(probe)


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
    return f"'{value}'"


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


def _explain(error: dict[str, Any], data: Any) -> tuple[Loc, str, bool]:
    """Turn one pydantic error into (location, teacher's message, whether the key line is meant)."""
    loc: Loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    original = ctx.get("error")
    if isinstance(original, LocatedError):
        return original.loc, original.message, False
    name = str(loc[-1]) if loc else ""
    if kind == "missing":
        if name in _LANG_NAMES:
            return loc, f"the {_LANG_NAMES[name]} text ('{name}:') is missing; every text needs en and ru", False
        return loc, f"'{name}' is missing; this field is required", False
    if kind == "extra_forbidden":
        known = _known_fields(loc[:-1])
        close = get_close_matches(name, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        listing = f"the fields here are: {', '.join(known)}" if known else "remove it"
        return loc, f"'{name}' is not a field here; {hint}{listing}", True
    if kind in ("string_too_short",) and name in _LANG_NAMES:
        return loc, f"the {_LANG_NAMES[name]} text is empty", False
    if kind == "too_short":
        return loc, "this list is empty; it needs at least one item", False
    if kind == "string_pattern_mismatch":
        if name in ("from", "in"):
            return loc, (f"{_describe(value)} is not a namespace name; use letters, digits, '_', '.' and '-', "
                         "as `ip netns add` was given it, e.g. 'test_ns'"), False
        if name in ("to", "addr"):
            ping = len(loc) > 1 and loc[-2] == "ping"
            wanted = "an IPv4 address, e.g. '8.8.8.8'" if ping else "ADDR:PORT, e.g. '172.18.0.3:80'"
            return loc, f"{_describe(value)} is not an address; write {wanted}", False
        return loc, (f"{_describe(value)} is not a valid name; use lowercase letters, digits and dashes, "
                     "e.g. 'rule-order'"), False
    if kind == "literal_error":
        return loc, f"{_describe(value)} is not allowed; use one of: {ctx.get('expected', '')}", False
    if kind.endswith("_type") or kind.endswith("_parsing"):
        wanted = _KIND_WORDS.get(kind.split("_")[0], kind.split("_")[0])
        if kind == "model_type" or kind == "dict_type":
            wanted = "a mapping (key: value lines)"
        if name in _LANG_NAMES or (loc and loc[-1] in ("title", "summary", "lesson", "text", "about")
                                   and kind == "model_type"):
            wanted = "a mapping with 'en:' and 'ru:' texts"
        return loc, f"should be {wanted}, but it is {_describe(value)}", False
    if kind in ("greater_than", "greater_than_equal", "less_than_equal", "less_than"):
        return loc, f"{_describe(value)} is out of range ({error['msg'].lower()})", False
    if kind == "value_error":
        return loc, str(original) if original is not None else error["msg"], False
    return loc, error["msg"], False


def explain_validation(exc: ValidationError, path: str, lines: dict[Loc, int], data: Any) -> ScenarioError:
    """The first validation error, as a one-line ScenarioError."""
    errors = exc.errors()
    # Prefer a specific message over the union noise pydantic reports for the same field.
    first = errors[0]
    parent = tuple(first["loc"][:-1])
    for error in errors:
        # An unknown key explains a missing one beside it ('txt:' written for 'text:').
        if error["type"] == "extra_forbidden" and tuple(error["loc"][:-1]) == parent:
            first = error
            break
    loc, message, key_line = _explain(dict(first), data)
    return ScenarioError(path, _line(lines, loc, key=key_line), _field(loc), message)


# ---- entry points --------------------------------------------------------------------------------


def load_text(text: str, path: str = "<scenario>") -> ScenarioFile:
    """Validate scenario YAML text; ScenarioError (one line) when anything is wrong."""
    data, lines = read_yaml(text, path)
    if not isinstance(data, dict):
        raise ScenarioError(path, 1, None, "a scenario file is a mapping of fields (id:, title:, ...), "
                            f"but this file holds {_describe(data)}")
    try:
        scenario = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise explain_validation(exc, path, lines, data) from None
    stem = Path(path).stem
    if path.endswith((".yaml", ".yml")) and stem != scenario.id:
        raise ScenarioError(path, _line(lines, ("id",)), "id",
                            f"the id '{scenario.id}' differs from the file name '{stem}'; make them the same")
    return scenario


def load_file(path: str | Path) -> ScenarioFile:
    """Read and validate one scenario file."""
    name = str(path)
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(name, None, None, f"the file is {size} bytes; a scenario must be under 1 MiB")
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(name, None, None, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(name, None, None, "this is a directory, not a scenario file") from None
    except PermissionError:
        raise ScenarioError(name, None, None, "permission denied") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(name, line, None, "the file is not UTF-8 text; save it as UTF-8") from None
    return load_text(text, name)
