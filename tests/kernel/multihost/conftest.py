"""Fixtures for the multi-namespace tests: skip cleanly where real namespaces are unusable, and
never leave a namespace behind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import real


@pytest.fixture(scope="session")
def multihost_kernel() -> Iterator[None]:
    """Skip (with the reason) unless real multi-namespace runs work here; clean up after."""
    reason = real.cached_reason()
    if reason:
        pytest.skip(f"real multi-namespace tests: {reason}")
    real.cleanup_stale()
    yield
    real.cleanup_all()


@pytest.fixture(autouse=True)
def _no_leftover_multihost_namespaces() -> Iterator[None]:
    yield
    real.cleanup_all()
