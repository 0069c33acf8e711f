"""Hostile scenario files (issue 20): special files, nesting, alias loops and bombs, huge numbers,
bad characters. Each is refused in one line naming the file (and the line where there is one),
without a traceback, without reading without end and without blocking."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from netstack_tui.scenarios import cli, safe_read, yaml_reader
from netstack_tui.scenarios.loader import ScenarioError, load_file, load_text

ROOT = Path(__file__).resolve().parents[2]
RULE_ORDER = (ROOT / "scenarios" / "rule-order.yaml").read_text(encoding="utf-8")

BILLION_LAUGHS = "\n".join(
    ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]) + "\n"


@pytest.fixture(params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both parsers PyYAML offers take the same bounds (libyaml is used when it is installed)."""
    if request.param == "libyaml":
        if not hasattr(yaml, "CSafeLoader"):
            pytest.skip("PyYAML is built without libyaml here")
        monkeypatch.setattr(yaml_reader, "_Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(yaml_reader, "_Loader", yaml.SafeLoader)
    return str(request.param)


def refusal(text: str, name: str = "rule-order.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_text(text, name)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"{name}:{info.value.line}:"), message
    return info.value


def finishes(action: Callable[[], Any]) -> Any:
    """Run `action` in a thread and return its result; fail (instead of hanging the suite) when it
    blocks. The bound is a guard against a blocked open(), not a measure of speed."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = action()
        except BaseException as exc:  # noqa: BLE001 - handed to the test below
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "blocked"
    if "error" in result:
        raise result["error"]
    return result.get("value")


# ---- special files -------------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_device_files_are_refused_without_reading(device: str) -> None:
    """/dev/zero has st_size 0 and no end: refused as a device, in one line."""
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    with pytest.raises(ScenarioError) as info:
        load_file(device)
    assert str(info.value) == f"{device}: this is a character device, not a scenario file"


def test_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    """Opening a FIFO blocks until someone writes; it is refused from its type instead."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match=r"pipe.yaml: this is a named pipe \(FIFO\), not a scenario file$"):
        finishes(lambda: load_file(fifo))


def test_fifo_swapped_in_after_the_check_does_not_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FIFO put in place between the type check and the open still cannot block: the open does
    not wait for a writer and the open file's own type is checked again."""
    fifo, regular = tmp_path / "pipe", tmp_path / "regular"
    os.mkfifo(fifo)
    regular.write_text("x", encoding="utf-8")
    real_stat = os.stat

    def stat_says_regular(path: Any, **kw: Any) -> os.stat_result:
        return real_stat(regular) if str(path) == str(fifo) else real_stat(path, **kw)

    monkeypatch.setattr(os, "stat", stat_says_regular)
    with pytest.raises(safe_read.NotRegularFile):
        finishes(lambda: safe_read.read_regular(fifo, 100))


def test_size_is_capped_whatever_the_file_claims(tmp_path: Path) -> None:
    """A file over 1 MiB is refused after reading at most 1 MiB + 1 byte."""
    big = tmp_path / "big.yaml"
    with open(big, "wb") as out:
        out.truncate(5 * 1024 * 1024)  # sparse: claims 5 MiB
    with pytest.raises(ScenarioError, match=r"big.yaml: the file is larger than 1 MiB"):
        load_file(big)


def test_scenarios_check_on_a_device_prints_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """`netstack-tui scenarios check /dev/zero`: exit 1 and one line, no MemoryError."""
    assert cli.run("check", ["/dev/zero"]) == 1
    err = capsys.readouterr().err
    assert err == "FAIL /dev/zero: this is a character device, not a scenario file\n"


def test_a_directory_and_a_missing_file(tmp_path: Path) -> None:
    """The other file-level refusals keep their words."""
    with pytest.raises(ScenarioError, match="this is a directory, not a scenario file"):
        load_file(tmp_path)
    with pytest.raises(ScenarioError, match="no such file"):
        load_file(tmp_path / "nope.yaml")


# ---- nesting and aliases -------------------------------------------------------------------------


def test_a_5000_deep_flow_list_is_refused_at_its_line(parser: str) -> None:
    """Deep nesting stops at MAX_DEPTH levels, long before the stack (5,000 `[`)."""
    error = refusal(RULE_ORDER.replace("level: beginner", "level: " + "[" * 5000 + "]" * 5000))
    assert "nested more than 32 levels deep" in str(error)
    assert error.line == RULE_ORDER.splitlines().index("level: beginner") + 1
    assert error.field is not None and error.field.startswith("level[1]") and "…" in error.field


def test_a_5000_deep_block_list_is_refused(parser: str) -> None:
    """The same for block style (`- ` nested by indentation)."""
    deep = "id: rule-order\ntitle:\n" + "".join("  " * i + "-\n" for i in range(1, 5000))
    error = refusal(deep)
    assert "nested more than 32 levels deep" in str(error) and error.line == 34


@pytest.mark.parametrize("value", ["&a [*a]", "&a {k: *a}", "&a [x, [y, *a]]"])
def test_a_recursive_alias_is_refused(parser: str, value: str) -> None:
    """An alias inside the value it names is a loop."""
    error = refusal(f"id: rule-order\ntitle: {value}\n")
    assert "the alias *a stands for a value it is itself part of (a loop)" in str(error)
    assert error.line == 2 and error.column is not None


def test_billion_laughs_is_refused_after_little_work(parser: str) -> None:
    """Nine levels of nine aliases (3.8 billion strings) are refused when the count passes the bound."""
    error = refusal(BILLION_LAUGHS + "title: *l9\n", "bomb.yaml")
    assert "grows past 20,000 values" in str(error) and error.line is not None and error.line <= 10


def test_aliases_within_bounds_work(parser: str) -> None:
    """An honest alias (the same commands twice) is fine and keeps working."""
    text = RULE_ORDER.replace("solution:", "solution: &fix", 1)
    assert "&fix" in text
    data, _ = yaml_reader.read(text + "extra: *fix\n")
    assert data["extra"] is data["solution"]


def test_an_undefined_alias_names_its_line(parser: str) -> None:
    error = refusal("id: rule-order\ntitle: *nowhere\n")
    assert error.line == 2 and "names no anchor &nowhere" in str(error)


def test_merge_keys_and_tags_are_refused(parser: str) -> None:
    assert "merge keys" in str(refusal("id: rule-order\n<<: {a: 1}\n"))
    assert "!!python/object/apply:os.system is not allowed" in str(
        refusal("id: !!python/object/apply:os.system ['true']\n"))
    assert "cannot read 'maybe' as true or false" in str(refusal("id: !!bool maybe\n"))


# ---- numbers and characters ----------------------------------------------------------------------


@pytest.mark.parametrize("number", ["9" * 5000, "-" + "9" * 4400, ":".join(["59"] * 5000), "0x" + "f" * 5000])
def test_huge_numbers_are_refused_before_conversion(parser: str, number: str) -> None:
    """A 5,000-digit number (and a sexagesimal one, whose conversion is quadratic) is refused as written."""
    error = refusal(RULE_ORDER.replace("level: beginner", f"level: {number}"))
    assert "characters long; write at most 100" in str(error) and error.field == "level"


def test_a_surrogate_escape_is_refused_in_our_words(parser: str) -> None:
    """"\\ud800" is no character: both parsers refuse it, never with pydantic's 'unable to parse'."""
    message = str(refusal(RULE_ORDER.replace("level: beginner", 'level: "\\ud800"')))
    assert "unable to parse" not in message and "Input should" not in message
    assert "Unicode" in message or "surrogate" in message


def test_control_characters(parser: str) -> None:
    """A NUL from an escape, and a raw control byte in the file, are refused at their place."""
    error = refusal(RULE_ORDER.replace("level: beginner", 'level: "\\0"'))
    assert "U+0000, a control character" in str(error) and error.field == "level"
    error = refusal("id: rule-order\ntitle: a\x01b\n")
    assert "U+0001, a character YAML does not allow" in str(error) and (error.line, error.column) == (2, 9)


def test_a_value_with_newlines_is_still_one_line(parser: str) -> None:
    """The value a message quotes is shown with its newline escaped."""
    error = refusal(RULE_ORDER.replace("level: beginner", 'level: "a\\nb"'))
    assert "'a\\nb' is not allowed" in str(error)


def test_a_very_long_value_is_shortened(parser: str) -> None:
    error = refusal(RULE_ORDER.replace("level: beginner", "level: " + "x" * 100_000))
    assert len(str(error)) < 400 and "…" in str(error)


def test_a_second_document_is_refused(parser: str) -> None:
    error = refusal(RULE_ORDER + "---\nid: other\n")
    assert "a second YAML document starts here" in str(error)
    assert error.line == RULE_ORDER.count("\n") + 1


# ---- pydantic's errors in our words --------------------------------------------------------------


def test_union_errors_say_what_each_branch_wanted() -> None:
    """`followed: 5` fits neither `all` nor a list: one message naming both, at the field itself."""
    tour = (ROOT / "scenarios" / "tour-incoming.yaml").read_text(encoding="utf-8")
    assert "followed: all" in tour
    error = refusal(tour.replace("followed: all", "followed: 5"), "tour-incoming.yaml")
    assert error.field is not None and error.field.endswith(".followed")
    assert "should be one of: 'all' or a list, but it is '5'" in str(error)


def test_a_bad_mapping_key_names_the_key() -> None:
    """A packet name in `expect:` that is not a name: the path has no pydantic `[key]` label."""
    text = RULE_ORDER.replace("  broken: {https:", "  broken: {Bad Name: delivered, https:", 1)
    assert "Bad Name" in text
    error = refusal(text)
    assert error.field == "expect.broken.Bad Name" and "'Bad Name' is not a valid name" in str(error)
    assert "[key]" not in str(error)


def test_keys_are_the_text_as_written() -> None:
    """`yes:` or `80:` is a key named so (not True, not 80): an unknown field, said plainly."""
    error = refusal(RULE_ORDER.replace("level: beginner", "level: beginner\nyes: 1"))
    assert "'yes' is not a field here" in str(error)


def test_a_nan_or_a_fraction_for_a_whole_number() -> None:
    """`.nan` and `1.5` where a port goes get our words, not pydantic's."""
    for value, words in ((".nan", "'nan' is not a number this field can hold"),
                         ("1.5", "should be a whole number, but it is '1.5'")):
        check = f"- listening: {{port: {value}}}"
        error = refusal(RULE_ORDER.replace("  checks:\n", f"  checks:\n    {check}\n", 1))
        assert error.field == "symptom.checks[1].listening.port" and words in str(error), str(error)
