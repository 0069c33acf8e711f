"""Write ``expected_real.json``: the real kernel's observation of every hand-written case and of
``COUNT`` random cases of ``SEED`` (ground truth for readers without root; tests never read it).

    python -m tests.kernel.multihost.record                  # hand-written + 200 random (root, ~3 min)
    python -m tests.kernel.multihost.record --count 20
    python -m tests.kernel.multihost.record --show masquerade_forward_on
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .case import MultiCase
from .cases import CASES
from .randomized import generate
from .real import cleanup_stale, run_real

SEED = 20260101
COUNT = 200
OUT = Path(__file__).with_name("expected_real.json")


def _tool_versions() -> dict[str, str]:
    out = {}
    for argv in (["ip", "-V"], ["iptables", "-V"], ["conntrack", "--version"], ["ping", "-V"]):
        proc = subprocess.run(argv, capture_output=True, text=True)
        out[argv[0]] = (proc.stdout or proc.stderr).splitlines()[0].strip() if (proc.stdout or proc.stderr) else "?"
    return out


def record(cases: list[MultiCase]) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for case in cases:
        obs = run_real(case)
        entries[case.name] = {"case": case.to_json(), "facts": obs.facts(), "observation": obs.to_json()}
    return entries


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--show", help="print one recorded case instead of recording")
    args = parser.parse_args(argv)
    if args.show:
        data = json.loads(OUT.read_text())
        print(json.dumps(data["cases"][args.show], indent=1))
        return 0
    cleanup_stale()
    started = time.monotonic()
    cases = list(CASES) + [generate(args.seed, index) for index in range(args.count)]
    data = {
        "generated_by": "python -m tests.kernel.multihost.record",
        "kernel": platform.release(),
        "tools": _tool_versions(),
        "seed": args.seed,
        "random_count": args.count,
        "cases": record(cases),
    }
    data["seconds"] = round(time.monotonic() - started, 1)
    OUT.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases, {data['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
