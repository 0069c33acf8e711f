"""Suite-wide setup: the app's caches go to a directory of this run, never the user's own; the
fuzzing suite's Hypothesis profiles, registered here so `--hypothesis-profile long` works from
the project root: `ci` (the default suite's short run) and `long` (on demand:
`python -m pytest -m fuzz --hypothesis-profile long`). Each fuzz test scales its number of cases
by which of the two is active."""

from __future__ import annotations

import os
import tempfile

from hypothesis import HealthCheck, settings

_CACHE = tempfile.TemporaryDirectory(prefix="netstack-tui-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE.name

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", deadline=None, suppress_health_check=_QUIET)
settings.register_profile("long", deadline=None, suppress_health_check=_QUIET)
