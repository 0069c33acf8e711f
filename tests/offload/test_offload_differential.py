"""`ethtool -k` of a veth and of lo agree with the real kernel's (root, ethtool and iproute2 needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest

from netstack_tui.kernel import offload
from netstack_tui.kernel.interfaces import Interface

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ethtool") or not shutil.which("ip"),
    reason="needs root, ethtool and iproute2 to build a throw-away namespace",
)


def _run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def netns() -> object:
    name = f"nstui-off-{uuid.uuid4().hex[:8]}"
    _run("ip", "netns", "add", name)
    try:
        _run("ip", "-n", name, "link", "add", "va", "type", "veth", "peer", "name", "vb")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def _features(ns: str, dev: str) -> str:
    return _run("ip", "netns", "exec", ns, "ethtool", "-k", dev).rstrip("\n")


@pytest.mark.parametrize(("dev", "kind"), [("va", "veth"), ("lo", "loopback")])
def test_listing_matches_the_kernel(netns: str, dev: str, kind: str) -> None:
    """Every line of the simulated listing is the kernel's."""
    assert offload.listing(Interface(dev, 2, "02:00:00:00:00:01", kind=kind)) == _features(netns, dev)


def test_changes_match_the_kernel(netns: str) -> None:
    """After gro on, tso off and sg off, the veth's listing is still the kernel's."""
    iface = Interface("va", 2, "02:00:00:00:00:01", kind="veth")
    for short, on in (("gro", True), ("tso", False), ("sg", False)):
        _run("ip", "netns", "exec", netns, "ethtool", "-K", "va", short, "on" if on else "off")
        offload.change(iface, [(short, on)])
    assert offload.listing(iface) == _features(netns, "va")
