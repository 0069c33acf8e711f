"""The TUI draws its hexdump without scapy (which would cost some 35 MiB and 180 ms to import)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# ---- the TUI never imports scapy --------------------------------------------------------------

_PILOT = """
import asyncio, json, sys
from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.screens.main import MainScreen

async def main():
    app = NetstackApp()
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(200):  # the default scenario loads behind the first frame
            if isinstance(app.screen, MainScreen) and app.screen.session is not None:
                break
            await pilot.pause(0.05)
        for _ in range(4):
            await pilot.press("right")
            await pilot.pause()
        loaded = isinstance(app.screen, MainScreen) and app.screen.session is not None
        hexdump = str(app.screen.query_one("#packet-pane .packet-hex").render())
    status = open("/proc/self/status").read() if sys.platform == "linux" else ""
    rss = [line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")]
    print(json.dumps({
        "loaded": loaded,
        "hexdump": hexdump,
        "scapy": sorted(m for m in sys.modules if m.split(".")[0] == "scapy"),
        "vm_rss_kib": int(rss[0]) if rss else None,
    }))

asyncio.run(main())
"""


def test_stepping_the_app_with_the_hexdump_shown_never_imports_scapy() -> None:
    """At 160×50 the packet column (with its hexdump) is shown; a few steps load no scapy module.

    A fresh interpreter, so this file's own scapy imports (the oracle) do not count.
    """
    out = subprocess.run([sys.executable, "-c", _PILOT], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["loaded"], "the default scenario did not load"
    assert "0000" in result["hexdump"], f"no hexdump drawn: {result['hexdump']!r}"
    assert result["scapy"] == []
