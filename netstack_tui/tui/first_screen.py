"""The first screen drawn from a recording, while the live explorer loads behind it.

The explorer's first screen costs the simulator's imports, the scenario's setup, the first journey
and a full layout (~0.2 s past Textual's own start). Yet for a given version of the app, scenario,
terminal size, theme, language and colour handling, that screen is always the same picture. So the
first time it is painted, its composited lines (text and style of every cell run) are kept in the
user's cache; the next start with the same conditions paints those lines at once (`BootScreen`, which
imports nothing but Textual) and the app swaps the live screen in as soon as it is ready.

The key names everything the picture depends on (`screen_key`); any change misses the cache and
the app starts as if there were no recording. Only plain data is read back (JSON, never pickle);
a file that cannot be read or decoded is removed and ignored. The cache only ever saves time.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

from .. import cache_files

FORMAT = 1
"""Version of the file layout below; part of the key."""
KEEP = 24
"""Recordings kept (the newest): one per scenario, size, theme and language a user starts with."""
MAX_BYTES = 4 * 2**20
"""A recording larger than this is not read (a 300×100 screen takes well under 1 MiB)."""

_code_stamp: bytes | None = None


def cache_dir() -> Path:
    """Where recordings are kept (`$XDG_CACHE_HOME/netstack-tui/screens`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netstack-tui" / "screens"


def code_stamp() -> bytes:
    """A digest of the code that draws the screen: every file of this package (path, size and
    modification time: a stat each, ~1 ms in all), Textual's and Rich's installed copies, and Python's
    version. Editing, reinstalling or upgrading any of them changes it."""
    global _code_stamp
    if _code_stamp is None:
        import rich
        import textual

        digest = hashlib.sha256(sys.version.encode())
        package = Path(__file__).resolve().parents[1]
        for directory, subdirectories, files in os.walk(package):
            subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
            for name in sorted(files):
                digest.update(_stat_line(os.path.join(directory, name)))
        for module in (textual, rich):
            digest.update(_stat_line(str(module.__file__)))
        _code_stamp = digest.digest()
    return _code_stamp


def _stat_line(path: str) -> bytes:
    try:
        info = os.stat(path)
    except OSError:
        return f"{path}\0-\n".encode("utf-8", "replace")
    return f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode("utf-8", "replace")


def scenario_source(ref: str | None) -> tuple[str, bytes] | None:
    """The path and bytes of the scenario the app will open (`ref` resolved as the library resolves
    it), or None when it cannot be read (the app then reports that itself, live)."""
    from ..scenarios.errors import ScenarioError, read_scenario_bytes
    from ..scenarios.library import DEFAULT_SCENARIO_ID, library_dir

    text = ref or DEFAULT_SCENARIO_ID
    path = Path(text)
    if not text.endswith((".yaml", ".yml")) and "/" not in text and not path.exists():
        path = library_dir() / f"{text}.yaml"
    try:
        return str(path.resolve()), read_scenario_bytes(path)
    except (ScenarioError, OSError, ValueError):
        return None


def screen_key(scenario_ref: str | None, conditions: Mapping[str, object]) -> str | None:
    """The recording's name for this scenario under these `conditions` (size, theme, language,
    colour system, filters, options), with the code stamp and the scenario's path and bytes; None
    when the scenario cannot be read."""
    source = scenario_source(scenario_ref)
    if source is None:
        return None
    path, raw = source
    described = json.dumps({"format": FORMAT, "scenario": path, **conditions}, sort_keys=True, default=str)
    digest = hashlib.sha256(code_stamp())
    digest.update(described.encode("utf-8", "replace") + b"\0")
    digest.update(raw)
    return digest.hexdigest()


# ---- the file ---------------------------------------------------------------------------------


def encode(lines: Iterable[Strip]) -> dict[str, Any]:
    """Lines as plain data: a table of distinct styles (Rich's own style syntax) and, per line, its
    runs of text as [text, style number]. Mouse metadata is left out (the recording is only looked
    at), and runs are cut only where the style changes, so two pictures that look the same encode
    the same whatever their segments (a live screen's are cut where their click actions differ)."""
    styles: dict[str, int] = {}
    rows: list[list[list[Any]]] = []
    for strip in lines:
        row: list[list[Any]] = []
        for text, style, control in strip:
            if control or not text:
                continue
            number = styles.setdefault(str(style or _PLAIN), len(styles))
            if row and row[-1][1] == number:
                row[-1][0] += text
            else:
                row.append([text, number])
        rows.append(row)
    return {"format": FORMAT, "styles": list(styles), "lines": rows}


_PLAIN = Style()


def decode(data: object) -> list[Strip]:
    """The lines of `encode`'s data; ValueError (or a KeyError, TypeError, IndexError) when it is
    not such data."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a screen recording of this format")
    styles = [Style.parse(text) for text in data["styles"]]
    lines: list[Strip] = []
    for row in data["lines"]:
        lines.append(Strip([Segment(str(text), styles[number]) for text, number in row]))
    return lines


def load(key: str) -> list[Strip] | None:
    """The recording named `key`, or None. A file that is there but does not decode is removed."""
    path = cache_dir() / f"{key}.json"
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError:
        return None
    try:
        if len(raw) > MAX_BYTES:
            raise ValueError("too large")
        return decode(json.loads(raw))
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
        path.unlink(missing_ok=True)
        return None


def save(key: str, lines: Iterable[Strip]) -> None:
    """Keep the lines under `key` (see `save_encoded`)."""
    save_encoded(key, encode(lines))


def save_encoded(key: str, encoded: dict[str, Any]) -> None:
    """Keep `encode`'s data under `key`, whole or not at all (see `cache_files.write`)."""
    try:
        text = json.dumps(encoded, ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return
    cache_files.write(cache_dir(), f"{key}.json", text, KEEP)


# ---- the screen -------------------------------------------------------------------------------


class RecordedPicture(Widget):
    """The recorded lines, drawn as they are: no styles of its own, no filters applied again (the
    recording was taken after them)."""

    DEFAULT_CSS = """
    RecordedPicture {
        width: 1fr;
        height: 1fr;
    }
    """

    def __init__(self, lines: list[Strip]) -> None:
        super().__init__()
        self.lines = lines
        """The recording, one strip per screen row."""

    def render_lines(self, crop: Region) -> list[Strip]:
        """The recorded rows in `crop`; outside the recording (the terminal grew meanwhile) blank."""
        width = self.size.width
        blank = Strip.blank(width)
        lines = self.lines
        return [
            (lines[y] if y < len(lines) else blank).crop_extend(crop.x, crop.right, None)
            for y in range(crop.y, crop.bottom)
        ]


class BootScreen(Screen[None]):
    """The app's first screen while the live explorer loads: the recording of it."""

    DEFAULT_CSS = """
    BootScreen {
        overflow: hidden hidden;
    }
    """

    def __init__(self, lines: list[Strip]) -> None:
        super().__init__()
        self.lines = lines
        """The recorded picture."""

    def compose(self) -> ComposeResult:
        """The picture, filling the screen."""
        yield RecordedPicture(self.lines)
