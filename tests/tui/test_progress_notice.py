"""A progress file that cannot be used is set aside at start, and the app says so once."""

from __future__ import annotations

import os
from pathlib import Path

from netstack_tui.tui.app import NetstackApp

from .test_flows import notices, wait_loaded


async def test_a_corrupt_progress_file_is_reported_once_at_start() -> None:
    """The one-line warning reaches the screen as a notice, once, naming where the file went."""
    data = Path(os.environ["NETSTACK_TUI_DATA"])  # the conftest's temporary directory
    (data / "progress.json").write_text('{"version": 1, "scenarios": ' + "9" * 5000 + "}", encoding="utf-8")
    app = NetstackApp()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_loaded(pilot, app)
        shown = [n for n in notices(app) if "progress file" in n]
        assert len(shown) == 1 and "\n" not in shown[0]
        assert "could not be read (a number in it is too long)" in shown[0] and "corrupt-1" in shown[0]
        assert (data / "progress.json.corrupt-1").exists()
