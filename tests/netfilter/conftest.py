"""Shared paths for the netfilter tests: fixtures live beside the project, never inside it."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


def fixture_dir(*parts: str) -> Path:
    """A fixture directory, or skip the test when the shared fixtures are not checked out."""
    path = FIXTURES.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"shared fixtures not found at {path}")
    return path
