"""Validated scenarios remembered by content, so a start does not validate the same file again.

Validating a scenario takes pydantic, whose models take longer to build than the whole first
journey; the first screen needs only the plain texts, setup and packets. Once a file has been
validated, that viewer form is kept as JSON in the user's cache, under a key made of the file's bytes,
its name and the code that defines the format (`model.py`, `library.py` and this module): a changed file, or
a changed format, misses the cache and is validated afresh. The full validated model is still built
whenever something asks for it (goals, `scenarios check`), from the same bytes.

Only plain data is read back (JSON, never pickle), and a cache that cannot be read or written is
skipped without a word: it only ever saves time.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .. import cache_files

_FORMAT_FILES = ("model.py", "library.py", "compiled.py")
_stamp: bytes | None = None

KEEP = 200
"""Entries kept (the newest): a teacher editing a file leaves one per version."""


def cache_dir() -> Path:
    """Where validated forms are kept (`$XDG_CACHE_HOME/netstack-tui/scenarios`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netstack-tui" / "scenarios"


def _format_stamp() -> bytes:
    global _stamp
    if _stamp is None:
        here = Path(__file__).resolve().parent
        digest = hashlib.sha256()
        for name in _FORMAT_FILES:
            digest.update((here / name).read_bytes())
        _stamp = digest.digest()
    return _stamp


def key(raw: bytes, name: str) -> str:
    """The cache key of a file's bytes and name (validation compares the id with the file's name)
    under this version of the format."""
    return hashlib.sha256(_format_stamp() + Path(name).name.encode("utf-8", "replace") + b"\0" + raw).hexdigest()


def lookup(raw: bytes, name: str) -> dict[str, Any] | None:
    """The viewer form stored for this file, or None."""
    try:
        text = (cache_dir() / f"{key(raw, name)}.json").read_text(encoding="utf-8")
        form = json.loads(text)
    except (OSError, ValueError):
        return None
    return form if isinstance(form, dict) else None


def store(raw: bytes, name: str, form: dict[str, Any]) -> None:
    """Remember the viewer form of this (validated) file; silently nothing when the cache is not
    writable (see `cache_files.write`)."""
    try:
        text = json.dumps(form, ensure_ascii=False)
    except ValueError:
        return
    cache_files.write(cache_dir(), f"{key(raw, name)}.json", text, KEEP)

