"""Random nftables rulesets (sets, maps, verdict maps, defines, broken files) loaded with `nft -f -`
into a real namespace and into the simulator: both must refuse or load alike, and a loaded file must
list the same `nft list ruleset` text. Skips, saying why, without root, namespaces or `nft`.

Measure the agreement by hand with `NFT_DIFF_CASES=300 python -m pytest -q -s tests/nftables/test_sets_differential.py`.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.world import ROOT_NAME, World
from tests.kernel import netns
from tests.nftables.ruleset_gen import random_ruleset

SEED = 1515
CASES = int(os.environ.get("NFT_DIFF_CASES", "60"))


@pytest.fixture(scope="module")
def scratch():  # type: ignore[no-untyped-def]
    """A real network namespace for nft, removed afterwards."""
    if shutil.which("nft") is None:
        pytest.skip("nft differential: the nft binary is not installed")
    reason = netns.unavailable_reason()
    if reason:
        pytest.skip(f"nft differential: {reason}")
    name = f"{netns.PREFIX}{os.getpid()}-nftsets"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    netns._live.add(name)
    yield name
    netns.delete_namespace(name)


def _real(ns: str, text: str) -> tuple[int, str]:
    subprocess.run(["ip", "netns", "exec", ns, "nft", "flush", "ruleset"], check=True)
    proc = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=text, capture_output=True, text=True)
    if proc.returncode:
        return proc.returncode, ""
    listing = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"], capture_output=True, text=True)
    return 0, listing.stdout.rstrip("\n")


def _sim(text: str) -> tuple[int, str]:
    shell = Shell(world=World(Host.namespace(ROOT_NAME)))
    loaded = shell.run("nft -f -", stdin=text)
    if loaded.status:
        assert "\n" not in loaded.output.strip() and "Traceback" not in loaded.output, loaded.output
        return loaded.status, ""
    return 0, shell.run("nft list ruleset").output.rstrip("\n")


def test_random_rulesets_agree_with_the_kernel(scratch: str) -> None:
    """Refusal and listing agree on at least 95 in 100 random files (the rest is printed to see)."""
    rng = random.Random(SEED)
    agree, refused_real, differ = 0, 0, []
    for _ in range(CASES):
        text = random_ruleset(rng)
        real, sim = _real(scratch, text), _sim(text)
        refused_real += real[0] != 0
        if real == sim:
            agree += 1
        else:
            differ.append((text, real, sim))
    print(f"\nnft sets differential: {agree} of {CASES} agree (seed {SEED}; {refused_real} refused by the kernel)")
    for text, real, sim in differ[:3]:
        print(f"--- file\n{text}--- real {real[0]}\n{real[1]}\n--- sim {sim[0]}\n{sim[1]}")
    assert refused_real > 0  # the generator's broken files reach the kernel's refusals
    assert agree >= CASES * 0.95, f"{agree} of {CASES} agree"
