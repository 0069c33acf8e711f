"""Mutated scenario files: the loader accepts them or refuses them in one line naming the file and
a line, in its own words; never a traceback, never a hang.

Every case starts from a shipped scenario and applies one to three mutations:
- on the data, dumped back to YAML: drop, add or rename a key, give a value another type (numbers
  huge, NaN, empty, long text), wrap it, share it (YAML aliases) or put it inside itself;
- on the text: drop, duplicate, swap or re-indent lines, put hostile YAML in place of a value
  (deep nesting, alias loops and bombs, tags, 5,000-digit numbers, bad escapes), truncate it,
  insert bytes that are not UTF-8 or not allowed in YAML, flip random bytes.

Profiles (tests/conftest.py): `ci` runs a short sample in the default suite; `long`
(`python -m pytest tests/fuzz -m fuzz --hypothesis-profile long -s`) runs 3,000 cases (over 2,000
distinct files) and prints what it saw. Each case runs under a watchdog (`CASE_LIMIT_S`): a hang
fails the case instead of the run; it is a bound for a runaway, not a speed assertion.
"""

from __future__ import annotations

import itertools
import re
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netstack_tui.scenarios.checker import check_file
from netstack_tui.scenarios.library import from_file
from netstack_tui.scenarios.loader import ScenarioError, load_file

from .watchdog import watchdog

pytestmark = [pytest.mark.fuzz,
              pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="the watchdog needs setitimer")]

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {p.name: p.read_bytes() for p in sorted((ROOT / "scenarios").glob("*.yaml"))}
LONG = settings.get_current_profile_name() == "long"
CASES = 3000 if LONG else 120
CASE_LIMIT_S = 20.0

# pydantic's, PyYAML's and Python's own phrasing, which a refusal must never show.
FOREIGN = re.compile(r"Input should|Value error|String should|Field required|Extra inputs|should be a valid|"
                     r"validation error|List should|Dictionary should|Assertion failed|unable to parse|"
                     r"For further information|Exceeds the limit|set_int_max_str_digits|Traceback|"
                     r"object at 0x|NoneType|errors\.pydantic")

HOSTILE = [
    "&a [*a]", "&a {k: *a}", "*nowhere", "[" * 6000 + "]" * 6000, "{a: " * 3000 + "1" + "}" * 3000,
    "9" * 5000, "-" + "9" * 4400, "0x" + "f" * 400, "1e999", ".nan", "-.inf", ":".join(["59"] * 60),
    '"\\ud800"', '"\\udfff x"', '"\\0"', '"\\x1b[31m"', '"a\\nb"', '"\\u202e"',
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=", "!!int abc", "!!bool maybe", "!!float x", "!custom x", "!!set {a, b}", "!!omap [a: 1]",
    "2024-01-01", "~", "null", "yes", "no", "on", "0o777", "0b101", "1_000", "= ", "<<", "'<<'", "|", ">-", "''",
    '""', "[]", "{}", "[[]]", "{?: }", "? [a, b]\n  : c", "<<: {a: 1}", "---", "...", "%YAML 1.1", "&x", "*x",
    "x" * 100_000, "[a, b", "{a: 1", "'unterminated", '"unterminated', "a: b: c", "- a\n- b", "\t", "#",
    "\ufeff", "\x85", "\u2028", "@", "`", "%", "!", "&", "*", "|\n\n\n", "{a: 1, a: 2}",
]

BILLION_LAUGHS = "\n".join(
    [f"l{0}: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]) + "\n"

STRANGE_VALUES: list[Any] = [
    None, True, False, 0, -1, 65536, 1.5, 10**30, -(10**30), float("nan"), float("inf"), "", " ", "x" * 3000,
    [], {}, [None], [[]], {"en": ""}, {"en": "x"}, {"a": 1}, "Bad Name", "1.2.3.4:99999", "tcp", "delivered to",
    "dropped at nowhere", "all", ["all"], {"packet": "nope"}, "héllo wörld ✓", "100%", "a\tb",
]

STATS: Counter[str] = Counter()
SLOWEST: list[float] = [0.0]


# ---- mutations -----------------------------------------------------------------------------------


def _paths(data: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to values, depth first; a file made recursive or alias-heavy by an earlier mutation
    is walked only so far (it is shared, not copied: its expansion has no end)."""
    yield here
    if len(here) >= 12:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, here + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _paths(value, here + (i,))


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def mutate_data(draw: Callable[..., Any], text: bytes) -> bytes:
    """One change to the parsed file, dumped back as YAML (shared values come out as aliases)."""
    data = yaml.safe_load(text)
    paths = [p for p in itertools.islice(_paths(data), 2000) if p]
    path = draw(st.sampled_from(paths))
    parent, last = _get(data, path[:-1]), path[-1]
    op = draw(st.sampled_from(["drop", "retype", "add-key", "rename-key", "wrap", "share", "self", "empty"]))
    if op == "drop":
        del parent[last]
    elif op == "retype":
        parent[last] = draw(st.sampled_from(STRANGE_VALUES) | st.text(max_size=30) | st.integers()
                            | st.floats() | st.lists(st.text(max_size=5), max_size=3))
    elif op == "add-key":
        target = parent if isinstance(parent, dict) else data
        target[draw(st.sampled_from(["txt", "tittle", "checkz", "premis", "ru", "en", "from", "in", "x"])
                    | st.text(min_size=1, max_size=12))] = draw(st.sampled_from(STRANGE_VALUES))
    elif op == "rename-key" and isinstance(parent, dict):
        parent[str(last)[:-1] or "x"] = parent.pop(last)
    elif op == "wrap":
        parent[last] = draw(st.sampled_from([[parent[last]], {"en": parent[last]}, {str(last): parent[last]}]))
    elif op == "share":
        other = _get(data, draw(st.sampled_from(paths))[:-1])
        if isinstance(other, (dict, list)) and other is not parent:
            parent[last] = other
    elif op == "self" and isinstance(parent, (dict, list)):
        parent[last] = parent  # dumps as `&id001 {... : *id001}`
    elif op == "empty":
        parent[last] = type(parent[last])() if isinstance(parent[last], (dict, list, str)) else None
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000).encode("utf-8")


def _value_lines(lines: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(lines) if re.match(rb"^\s*(- )?[A-Za-z_]+:\s*\S", line)]


def mutate_text(draw: Callable[..., Any], text: bytes) -> bytes:
    """One change to the bytes of the file."""
    lines = text.split(b"\n")
    op = draw(st.sampled_from(["drop", "dup", "swap", "indent", "hostile", "hostile", "bomb", "truncate",
                               "insert", "flip", "bad-utf8"]))
    i = draw(st.integers(0, len(lines) - 1))
    if op == "drop":
        del lines[i]
    elif op == "dup":
        lines.insert(i, lines[i])
    elif op == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "indent":
        lines[i] = b" " * draw(st.integers(1, 5)) + lines[i] if draw(st.booleans()) else lines[i].lstrip(b" ")
    elif op in ("hostile", "bomb"):
        candidates = _value_lines(lines) or [i]
        k = draw(st.sampled_from(candidates))
        key, _, _ = lines[k].partition(b":")
        value = draw(st.sampled_from(HOSTILE)) if op == "hostile" else "*l9"
        lines[k] = key + b": " + value.encode("utf-8", "surrogatepass")
        if op == "bomb":  # the anchors as top-level keys, the alias to the last one in a field
            lines.insert(0, BILLION_LAUGHS.rstrip("\n").encode())
    elif op == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    elif op == "insert":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.binary(min_size=1, max_size=20)) + text[at:]
    elif op == "flip" and text:
        out = bytearray(text)
        for _ in range(draw(st.integers(1, 8))):
            out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
        return bytes(out)
    elif op == "bad-utf8":
        at = draw(st.integers(0, len(text)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\x1b", b"\xef\xbb\xbf", b"\xc0\xaf"]))
        return text[:at] + bad + text[at:]
    return b"\n".join(lines)


@st.composite
def mutated_files(draw: Callable[..., Any]) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(SHIPPED)))
    text = SHIPPED[name]
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            try:
                text = mutate_data(draw, text)
            except Exception:  # noqa: BLE001 - an earlier text mutation left no YAML PyYAML can load
                text = mutate_text(draw, text)
        else:
            text = mutate_text(draw, text)
    return name, text


# ---- the property --------------------------------------------------------------------------------




def load_one(path: Path) -> None:
    """Load one file; assert the answer keeps every promise."""
    started = time.perf_counter()
    verdict: str | None = None
    try:
        with watchdog(CASE_LIMIT_S):
            try:
                model = load_file(path)
            except ScenarioError as exc:
                refusal: ScenarioError | None = exc
            else:
                refusal = None
                from_file(model, str(path))  # what validated is usable by the viewers
                verdict = check_file(path)  # and `scenarios check` runs it: a failure is one line
    finally:
        SLOWEST[0] = max(SLOWEST[0], time.perf_counter() - started)
    if refusal is None:
        STATS["accepted"] += 1
        STATS["checked ok" if verdict is None else "check failed"] += 1
        assert verdict is None or ("\n" not in verdict and not FOREIGN.search(verdict)), verdict
        return
    message = str(refusal)
    STATS["refused"] += 1
    assert "\n" not in message and "\r" not in message, message
    assert re.match(re.escape(str(path)) + r":\d+(:\d+)?: \S", message), f"no line named: {message}"
    assert refusal.line is not None and refusal.line >= 1
    assert not FOREIGN.search(message), f"not our wording: {message}"
    STATS["with column"] += refusal.column is not None


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("mutated")
    yield path
    seen = STATS["accepted"] + STATS["refused"]
    if seen:
        print(f"\nscenario fuzz: {seen} mutated files ({STATS['distinct']} distinct): {STATS['accepted']} accepted, "
              f"{STATS['refused']} refused in one line naming a line ({STATS['with column']} with a column); "
              f"of the accepted, `scenarios check` passed {STATS['checked ok']} and failed {STATS['check failed']} "
              "in one line; "
              f"slowest case {SLOWEST[0] * 1000:.0f} ms")


_SEEN: set[int] = set()


# No hypothesis deadline (timing is not asserted; the watchdog catches a hang); the ci profile is
# the default suite's whatever profile is loaded, `long` is asked for by name.
@settings(max_examples=CASES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(case=mutated_files())
def test_mutated_scenario_is_accepted_or_refused_in_one_line(workdir: Path, case: tuple[str, bytes]) -> None:
    """No traceback, no hang; a refusal is one line naming the file and the line, in our words."""
    name, text = case
    if hash(text) not in _SEEN:
        _SEEN.add(hash(text))
        STATS["distinct"] += 1
    path = workdir / name  # the shipped name, so the id still matches it
    path.write_bytes(text)
    load_one(path)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_files_pass_the_same_checks(workdir: Path, name: str) -> None:
    """The property's baseline: every unmutated file loads."""
    path = workdir / name
    path.write_bytes(SHIPPED[name])
    model = load_file(path)
    assert model.id == path.stem
