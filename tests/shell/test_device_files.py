"""Commands that read a file from this machine's disk refuse devices and pipes in one line, at once:
their size says nothing, and reading /dev/zero would never end (it once grew the shell to 24 GB)."""

from __future__ import annotations

import os

import pytest

from netstack_tui.commands.shell import Shell


@pytest.mark.parametrize(
    "line",
    ["iptables-restore /dev/zero", "iptables-restore < /dev/zero", "nft -f /dev/urandom", "tcpdump -r /dev/zero",
     "sysctl -p /dev/zero"],
)
def test_a_device_file_is_refused_in_one_line(line: str) -> None:
    """Exit status 1, one line naming the file and saying why, nothing read."""
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero on this machine")
    result = Shell().run(line)
    assert result.status == 1
    assert len(result.output.splitlines()) == 1
    assert "/dev/" in result.output and "not a regular file" in result.output
