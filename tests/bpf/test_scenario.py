"""The xdp-ddos-map scenario passes `scenarios check`: the flood reaches nginx before, and the learner's
map-counting program drops it after."""

from __future__ import annotations

from pathlib import Path

from netstack_tui.scenarios.checker import check_file

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "xdp-ddos-map.yaml"


def test_xdp_ddos_map_checks() -> None:
    """It loads, the symptom reproduces, hint premises hold and the reference solution reaches the goal."""
    assert check_file(SCENARIO) is None
