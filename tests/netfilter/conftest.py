"""Shared paths for the netfilter tests: fixtures live beside the project, never inside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


def fixture_dir(*parts: str) -> Path:
    """A fixture directory, or skip the test when the shared fixtures are not checked out."""
    path = FIXTURES.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"shared fixtures not found at {path}")
    return path


def real_iptables_missing() -> str | None:
    """Why the real iptables cannot be asked here (the differential tests need 1.8.9 nf_tables,
    root and iproute2 for a scratch namespace), or None."""
    if os.geteuid() != 0:
        return "needs root for a network namespace"
    if shutil.which("ip") is None or shutil.which("iptables") is None:
        return "needs iproute2 and iptables"
    version = subprocess.run(["iptables", "-V"], capture_output=True, text=True, check=False).stdout
    if "v1.8.9 (nf_tables)" not in version:
        return f"needs iptables v1.8.9 (nf_tables), found {version.strip()!r}"
    return None


@pytest.fixture(scope="module")
def namespace() -> Iterator[str]:
    """A scratch network namespace for one test module, deleted afterwards."""
    reason = real_iptables_missing()
    if reason:
        pytest.skip(reason)
    name = f"ipt{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)
