"""Hypothesis profiles of the fuzzing suite: `ci` (the default suite's short run) and `long`
(on demand: `python -m pytest tests/fuzz -m fuzz --hypothesis-profile long`). Each fuzz test
scales its own number of cases by which of the two is active."""

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", deadline=None, suppress_health_check=_QUIET)
settings.register_profile("long", deadline=None, suppress_health_check=_QUIET)
