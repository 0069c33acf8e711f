"""Export names that never overwrite, the JSON trace as `trace --json` prints it, and the summary
as text saying what the explorer's `s` shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netstack_tui.export.files import stem, traces_json, write_new
from netstack_tui.export.summary import summary_plain

from .bridge_world import bridge_session


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("tour-incoming", "syn"), "tour-incoming-syn"),
        (("my scenario", "tcp 10.0.0.1:80 > 10.0.0.2:1 [S]"), "my-scenario-tcp-10.0.0.1-80-10.0.0.2-1-S"),
        (("../../etc", "passwd"), "etc-passwd"),
        ((None, ""), "journey"),
    ],
)
def test_stems_are_plain_file_names(parts: tuple[str | None, ...], expected: str) -> None:
    """Spaces, slashes and brackets never reach a file name; a path cannot climb out of the directory."""
    assert stem(*parts) == expected


def test_a_second_export_takes_the_next_number(tmp_path: Path) -> None:
    """Exports are numbered from 1 and never replace an earlier file, even one made by hand."""
    (tmp_path / "s-p-2.txt").write_text("mine")
    paths = [write_new(tmp_path, "s-p", "txt", f"export {n}".encode()) for n in range(3)]
    assert [p.name for p in paths] == ["s-p-1.txt", "s-p-3.txt", "s-p-4.txt"]
    assert (tmp_path / "s-p-2.txt").read_text() == "mine"
    assert paths[1].read_text() == "export 1"


def test_a_missing_directory_is_an_os_error(tmp_path: Path) -> None:
    """Writing into a directory that is not there fails with the system's reason."""
    with pytest.raises(FileNotFoundError):
        write_new(tmp_path / "gone", "s", "txt", b"x")


def test_the_json_export_is_the_trace_verb_s_json() -> None:
    """The JSON is a list of `Trace.to_json()`, indented, as `netstack-tui trace --json` prints it."""
    session = bridge_session()
    assert session.trace is not None
    assert json.loads(traces_json([session.trace])) == [session.trace.to_json()]


def test_the_summary_names_each_namespace_in_the_order_the_packet_visits_it() -> None:
    """From red, the SYN crosses red, then the host's bridge, then blue: three headings in that order."""
    session = bridge_session(1)
    assert session.trace is not None
    text = summary_plain(session.trace, "en")
    headings = [line for line in text.splitlines() if line.startswith("=== ")]
    assert headings == ["=== Namespace: red ===", "=== Namespace: host ===", "=== Namespace: blue ==="]
    assert "Action: delivered" in text and "nginx" in text


def test_the_text_is_the_summary_screen_without_its_styles() -> None:
    """The plain text and the `s` screen's markup come from the same lines: with the markup's styles
    taken away they say the same, line for line (headings aside), in both languages."""
    from textual.content import Content

    from netstack_tui.tui.screens.summary import summary_text

    session = bridge_session(1)
    assert session.trace is not None
    for lang in ("en", "ru"):
        shown = Content.from_markup(summary_text(session.trace, lang)).plain.splitlines()
        plain = summary_plain(session.trace, lang).splitlines()
        assert len(shown) == len(plain)
        for screen_line, text_line in zip(shown, plain, strict=True):
            if text_line.startswith("=== "):
                assert screen_line.strip() == text_line.strip("= ")
            else:
                assert screen_line == text_line
        assert "\\[" not in "".join(plain) and "[/]" not in "".join(plain), "no markup or its escapes"
