"""A directory of JSON files the app keeps to start faster (validated scenarios, recorded first
screens): written whole or not at all, and kept to a bounded number.

Both caches live under `$XDG_CACHE_HOME/netstack-tui/` and may be wiped at any time; a reader
treats a missing or unreadable file as a miss.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

STALE_TEMPORARY = 600.0
"""Seconds after which a temporary file is a killed writer's leftover, not one being written."""


def write(directory: Path, name: str, text: str, keep: int) -> None:
    """Store `text` as `directory/name`: written to a temporary file and renamed, so a reader never
    sees half a file; then the oldest files beyond `keep` go. Silently nothing when the directory
    cannot be written (a read-only home, a full disk)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, directory / name)
        except BaseException:
            os.unlink(temporary)
            raise
        _tidy(directory, keep)
    except OSError:
        return


def _tidy(directory: Path, keep: int) -> None:
    """Drop the oldest files beyond `keep`, and temporary files a killed writer left."""
    now = time.time()
    entries = []
    for path in directory.iterdir():
        try:
            age = now - path.stat().st_mtime
        except OSError:  # another start tidied it meanwhile
            continue
        if path.name.startswith(".tmp-"):
            if age > STALE_TEMPORARY:
                path.unlink(missing_ok=True)
        elif path.suffix == ".json":
            entries.append((age, path))
    for _, path in sorted(entries)[keep:]:
        path.unlink(missing_ok=True)
