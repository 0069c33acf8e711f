"""Fixtures for the real-kernel differential tests: skip cleanly where namespaces are unusable,
and never leave a namespace behind."""

from __future__ import annotations

import os
import sys

import pytest

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from . import netns  # noqa: E402


@pytest.fixture(scope="session")
def real_kernel():
    """Skip (with the reason) unless real namespaces can be used; clean up every namespace after."""
    reason = netns._cached_reason()
    if reason:
        pytest.skip(f"real-kernel differential tests: {reason}")
    netns.cleanup_stale()
    yield
    netns.cleanup_all()


@pytest.fixture(autouse=True)
def _no_leftover_namespaces():
    yield
    netns.cleanup_all()
