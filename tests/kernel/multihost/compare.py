"""Compare the simulator with the kernel's recorded ground truth (``expected_real.json``), no root needed.

    python -m tests.kernel.multihost.compare                 # every recorded case: a summary
    python -m tests.kernel.multihost.compare -v              # + the first difference of each
    python -m tests.kernel.multihost.compare veth_pair_ping_tcp random_20260101_3   # named cases, in full

`known_difference` names the facts that differ on purpose or because a model is still being built;
`compare_facts` ignores them and returns the first real difference.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from .case import Action, Listener, MultiCase

RECORDED = Path(__file__).with_name("expected_real.json")


@cache
def recorded() -> dict[str, Any]:
    """The recording: ``{"seed": ..., "cases": {name: {"case": ..., "facts": ...}}}``."""
    data: dict[str, Any] = json.loads(RECORDED.read_text())
    return data


def case_from_json(data: dict[str, Any]) -> MultiCase:
    return MultiCase(
        name=data["name"],
        commands=tuple(data["commands"]),
        listeners=tuple(Listener(**item) for item in data["listeners"]),
        actions=tuple(Action(**item) for item in data["actions"]),
        expect=data.get("expect", {}),
        description=data.get("description", ""),
    )


def known_difference(case: MultiCase, key: str, want: object = None, got: object = None) -> str | None:
    """Why fact ``key`` may differ in ``case``, or None when it must agree (none is known now: TCP
    options, the last one, are modelled since the timestamps of every segment after the SYNs)."""
    del case, key, want, got
    return None


def compare_facts(case: MultiCase, real: dict[str, Any], sim: dict[str, Any]) -> tuple[str | None, list[str]]:
    """(the first difference that is not known, the known ones) between two fact dicts."""
    known: list[str] = []
    for key in list(real) + [k for k in sim if k not in real]:
        want, got = real.get(key, "<absent>"), sim.get(key, "<absent>")
        if want == got:
            continue
        reason = known_difference(case, key, want, got)
        if reason:
            known.append(f"{key} ({reason})")
            continue
        return f"{key}: kernel {want!r} sim {got!r}", known
    return None, known


def main(argv: list[str]) -> int:
    from .simside import run_sim

    verbose = "-v" in argv
    names = [a for a in argv if not a.startswith("-")]
    cases = recorded()["cases"]
    agree = differ = 0
    for name, entry in cases.items():
        if names and name not in names:
            continue
        case = case_from_json(entry["case"])
        try:
            sim = run_sim(case)
            found, known = compare_facts(case, entry["facts"], sim.facts())
        except Exception as exc:  # noqa: BLE001 - a report tool: show and go on
            found, known, sim = f"crashed: {exc!r}", [], None
        if found is None:
            agree += 1
        else:
            differ += 1
        if names:
            print(f"== {name}: {found or 'agrees'}" + (f" (known: {len(known)})" if known else ""))
            print(case.script())
            if sim is not None:
                print("--- kernel facts ---\n" + json.dumps(entry["facts"], indent=1))
                print("--- sim ---\n" + sim.pretty())
        elif verbose and found:
            print(f"{name}: {found}")
    print(f"{agree} agree, {differ} differ")
    return 0 if not differ else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
