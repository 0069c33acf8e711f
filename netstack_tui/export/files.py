"""Where exports go: a directory the user chose, under names that say what they hold and never
overwrite an earlier export (`SCENARIO-PACKET-N.EXT`, N the first number free)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..kernel.trace import Trace

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_TRIES = 10_000


def stem(*parts: str | None) -> str:
    """A file name's stem from its parts (scenario id, packet name, ...): characters a file name
    could trip on become `-`, and empty parts are left out."""
    cleaned = (_UNSAFE.sub("-", part).strip("-.") for part in parts if part)
    return "-".join(part for part in cleaned if part) or "journey"


def numbered(name_stem: str, suffix: str, n: int) -> str:
    """The `n`th name for an export: `STEM-N.SUFFIX`."""
    return f"{name_stem}-{n}.{suffix}"


def write_new(directory: Path, name_stem: str, suffix: str, data: bytes) -> Path:
    """Write `data` to `directory/STEM-N.SUFFIX` for the first N whose file does not exist yet (made
    with O_EXCL, so two exports never take the same name); the path written. Raises OSError."""
    for n in range(1, MAX_TRIES + 1):
        path = directory / numbered(name_stem, suffix, n)
        try:
            with path.open("xb") as out:
                out.write(data)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{directory / numbered(name_stem, suffix, MAX_TRIES)} and every number before it exist")


def traces_json(traces: Iterable[Trace]) -> str:
    """The journeys as `netstack-tui trace --json` prints them: a list of `Trace.to_json()`."""
    return json.dumps([trace.to_json() for trace in traces], indent=2)
