"""Every deliberately broken scenario file fails with one line naming file:line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from netstack_tui.scenarios.loader import ScenarioError, load_file

BROKEN = Path(__file__).parent / "broken"

# file → (line, field, words the message must contain)
CASES = {
    "bad-syntax.yaml": (13, None, "not valid YAML"),
    "missing-field.yaml": (1, "summary", "'summary' is missing"),
    "wrong-type.yaml": (16, "goal.checks[1].listening.port", "whole number"),
    "unknown-check.yaml": (17, "goal.checks[2]", "'delivred' is not a kind of check (did you mean 'delivered'?)"),
    "bad-packet.yaml": (12, "packets[1].spec", "does not parse"),
    "missing-ru.yaml": (4, "summary.ru", "Russian text"),
    "unknown-packet.yaml": (16, "goal.checks[1].delivered.packet", "no packet called 'htps'"),
    "unknown-field.yaml": (18, "hints[1].txt", "did you mean 'text'?"),
    "bad-stage.yaml": (16, "goal.checks[1].dropped.at", "did you mean 'input.filter'?"),
    "duplicate-key.yaml": (17, "level", "appears twice"),
    "bad-level.yaml": (5, "level", "'expert' is not allowed"),
    "bad-world.yaml": (8, "world", "'online' is not allowed; use one of: 'bare' or 'connected'"),
    "bad-namespace.yaml": (13, "packets[1].from", "'web 1' is not a namespace name"),
    "bad-bind-error.yaml": (17, "goal.checks[1].bind.error", "'EADDRNOTAVAIL' is not allowed"),
    "bad-ping-field.yaml": (16, "goal.checks[1].ping.replies", "did you mean 'reply'?"),
    "bad-ping-address.yaml": (21, "symptom.checks[1].ping.to", "write an IPv4 address"),
    "bad-address.yaml": (16, "goal.checks[1].connection.to", "write ADDR:PORT"),
}


def test_corpus_is_complete() -> None:
    """Each file in the broken corpus has an expectation, and each expectation a file."""
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file_error_names_file_line_and_field(name: str) -> None:
    """The error is one line: FILE:LINE:COLUMN: FIELD: message in plain words, never a traceback."""
    line, field, words = CASES[name]
    path = BROKEN / name
    with pytest.raises(ScenarioError) as info:
        load_file(path)
    message = str(info.value)
    assert "\n" not in message
    assert info.value.line == line and info.value.column is not None
    assert message.startswith(f"{path}:{line}:{info.value.column}: ")
    if field is not None:
        assert info.value.field == field
        assert f": {field}: " in message
    assert words in message
    assert "Traceback" not in message and "pydantic" not in message.lower()


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    """A path that does not exist is reported, not raised as OSError."""
    with pytest.raises(ScenarioError, match="no such file"):
        load_file(tmp_path / "nope.yaml")


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are reported with their line."""
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"id: latin\ntitle: caf\xe9\n")
    with pytest.raises(ScenarioError, match=r"latin.yaml:2:11: .*UTF-8"):
        load_file(path)


def test_id_must_match_file_name(tmp_path: Path) -> None:
    """A file whose id differs from its name says so at the id's line."""
    text = (Path(__file__).parents[2] / "scenarios/rule-order.yaml").read_text(encoding="utf-8")
    path = tmp_path / "other-name.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"other-name.yaml:2:5: id: .*differs from the file name"):
        load_file(path)


def test_python_tags_are_refused(tmp_path: Path) -> None:
    """The loader is safe: a python/object tag is an error, not code."""
    path = tmp_path / "evil.yaml"
    path.write_text("id: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(ScenarioError):
        load_file(path)
