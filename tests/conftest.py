"""Suite-wide setup: the app's caches go to a directory of this run, never the user's own."""

from __future__ import annotations

import os
import tempfile

_CACHE = tempfile.TemporaryDirectory(prefix="netstack-tui-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE.name
