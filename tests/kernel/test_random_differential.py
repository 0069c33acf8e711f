"""Randomized differential tests: generated rulesets and packet sequences (randomized.py), run in
real namespaces and in the simulator, compared with observe.diff.

    NETSTACK_DIFF_CASES=30   number of random cases (default 30)
    NETSTACK_DIFF_SEED=N     base seed (default 20260101: fixed, so CI is reproducible; set it to
                             something else, e.g. $RANDOM, to explore)

A failure names the seed and index and prints the command that replays exactly that case:
``python -m tests.kernel.randomized SEED INDEX --run``.
"""

from __future__ import annotations

import os

import pytest

from .observe import diff
from .randomized import generate, replay_command
from .simside import run_sim, sim_available

DEFAULT_SEED = 20260101
SEED = int(os.environ.get("NETSTACK_DIFF_SEED", DEFAULT_SEED))
COUNT = int(os.environ.get("NETSTACK_DIFF_CASES", 30))


@pytest.mark.netns
@pytest.mark.parametrize("index", range(COUNT), ids=[f"seed{SEED}-{i}" for i in range(COUNT)])
def test_random_case_agrees(index: int, real_kernel: None) -> None:
    if not sim_available():
        pytest.skip("simulator shell (netstack_tui.commands.shell) does not exist yet")
    from .netns import CommandFailed, run_real

    case = generate(SEED, index)
    replay = (f"replay: NETSTACK_DIFF_SEED={SEED} python -m pytest tests/kernel/test_random_differential.py "
              f"-k 'seed{SEED}-{index}]'   or   {replay_command(SEED, index)}")
    listing = (f"--- ruleset ---\n{case.ruleset}--- listeners ---\n{list(case.listeners)}\n"
               f"--- sysctls ---\n{dict(case.sysctls)}\n--- packets ---\n" + "\n".join(case.packets))
    try:
        real = run_real(case)
    except CommandFailed as exc:
        pytest.fail(f"seed {SEED} case {index}: the generator made a case the KERNEL refuses "
                    f"(generator bug): {exc}\n{replay}", pytrace=False)
    try:
        sim = run_sim(case)
    except Exception as exc:  # noqa: BLE001 - report any sim failure with the replay line
        pytest.fail(f"seed {SEED} case {index} ({case.topology}): the SIMULATOR failed: "
                    f"{type(exc).__name__}: {exc}\n{replay}\n{listing}", pytrace=False)
    found = diff(real, sim, case.tables)
    if found:
        pytest.fail(f"seed {SEED} case {index} ({case.topology}): {found}\n{replay}\n"
                    f"--- kernel ---\n{real.pretty()}\n--- sim ---\n{sim.pretty()}\n{listing}", pytrace=False)


def test_generator_is_deterministic() -> None:
    assert generate(7, 3) == generate(7, 3)
    assert generate(7, 3).ruleset != generate(7, 4).ruleset or generate(7, 3).packets != generate(7, 4).packets
