"""What a classroom costs: `netstack-tui serve` with 1, 10 and 30 sessions open on this machine.

    python benchmarks/bench_classroom.py [--sessions 1,10,30] [--steps 30]

How it is driven: one `netstack-tui serve` on a free port, and instead of 30 browsers, 30 websocket
clients (aiohttp, which textual-serve is built on) that speak the page's protocol: connect to
`/ws?width=120&height=40` (textual-serve then starts one app process for that socket), receive the
terminal's output as binary frames, and send keys as `["stdin", text]`. Each client keeps reading,
as a tab does, so no app ever waits on a full socket.

- First useful screen: from opening the socket until the word PREROUTING arrives in the output,
  for the session opened when 0, 9 and 29 others are already open (the 1st, 10th, 30th).
- Memory: once all sessions of a round have drawn and settled for 2 s, the RSS and PSS of each
  app process (/proc/PID/smaps_rollup; PSS shares the pages processes have in common fairly); the
  median per session, and the server process's own RSS.
- Step: with all sessions open, one of them presses → repeatedly; the time from sending the key to
  the output carrying the next step number (`step N/`), p50 and p95. Goal: within 100 ms. Then the
  whole class presses → at the same moment, a few times: the slowest session's time (the worst case
  a teacher's "now everybody step" causes on 2 cores).

`benchmarks/run.py` prints these rows in its table; run alone, this prints them too.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from netstack_tui.serve import session_pids as _served_apps

ROOT = Path(__file__).resolve().parents[1]
SIZE = (120, 40)
STEP_GOAL = 0.100
SETTLE = 2.0
STEP_NUMBER = re.compile(rb"step (\d+)/(\d+)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process in bytes; PSS is 0 where smaps_rollup is missing."""
    fields: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                name, _, rest = line.partition(":")
                if rest.strip().endswith("kB"):
                    fields[name] = int(rest.split()[0]) * 1024
    except OSError:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    fields["Rss"] = int(line.split()[1]) * 1024
    return fields.get("Rss", 0), fields.get("Pss", 0)


class Session:
    """One websocket client: a browser tab without the browser."""

    def __init__(self, http: Any, url: str) -> None:
        self.http = http
        self.url = url
        self.output = bytearray()
        self.arrived = asyncio.Event()
        self.socket: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.last: list[tuple[bytes, bytes]] = []
        """The step counter last seen (the output is cleared before each step)."""

    async def open(self) -> float:
        """Connect; seconds until PREROUTING is on the screen."""
        started = time.perf_counter()
        self.socket = await self.http.ws_connect(f"{self.url}ws?width={SIZE[0]}&height={SIZE[1]}")
        await self.socket.send_json(["resize", {"width": SIZE[0], "height": SIZE[1]}])
        self.reader = asyncio.create_task(self._read())
        await self.wait_for(lambda: b"PREROUTING" in self.output, timeout=120)
        return time.perf_counter() - started

    async def _read(self) -> None:
        import aiohttp

        async for message in self.socket:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.output += message.data
                self.arrived.set()

    async def wait_for(self, holds: Any, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while not holds():
            self.arrived.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("the session did not draw what was expected")
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except TimeoutError:
                pass

    async def step(self) -> float:
        """Press → once (← at the journey's last step, where → does nothing); seconds until the
        new step number is drawn."""
        found = STEP_NUMBER.findall(bytes(self.output)) or self.last
        self.last = found[-1:]
        current, total = (int(found[-1][0]), int(found[-1][1])) if found else (1, 0)
        self.output.clear()
        started = time.perf_counter()
        await self.socket.send_json(["stdin", "\x1b[D" if current == total else "\x1b[C"])

        def moved() -> bool:
            numbers = STEP_NUMBER.findall(bytes(self.output))
            return bool(numbers) and int(numbers[-1][0]) != current

        await self.wait_for(moved, timeout=30)
        return time.perf_counter() - started

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self.reader is not None:
            await self.reader


async def _measure(url: str, server_pid: int, counts: list[int], steps: int) -> dict[int, dict[str, Any]]:
    import aiohttp

    found: dict[int, dict[str, Any]] = {}
    async with aiohttp.ClientSession() as http:
        sessions: list[Session] = []
        try:
            for count in sorted(counts):
                first = 0.0
                while len(sessions) < count:
                    session = Session(http, url)
                    first = await session.open()  # the last one opened: `count - 1` were open before it
                    sessions.append(session)
                await asyncio.sleep(SETTLE)
                apps = _served_apps(server_pid)
                memory = [_memory(pid) for pid in apps]
                latencies = [await sessions[0].step() for _ in range(steps)]
                together = [max(await asyncio.gather(*(s.step() for s in sessions))) for _ in range(3)]
                found[count] = {
                    "first": first, "apps": len(apps),
                    "rss": statistics.median(m[0] for m in memory), "pss": statistics.median(m[1] for m in memory),
                    "server_rss": _memory(server_pid)[0],
                    "p50": statistics.median(latencies), "p95": statistics.quantiles(latencies, n=20)[18],
                    "together": statistics.median(together),
                }
        finally:
            for session in sessions:
                await session.close()
    return found


def measure(counts: list[int], steps: int) -> dict[int, dict[str, Any]]:
    """Start a server, open the sessions, and measure (see the module docstring)."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "netstack_tui", "serve", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("netstack-tui serve did not start listening")
            time.sleep(0.1)
        return asyncio.run(_measure(f"http://127.0.0.1:{port}/", server.pid, counts, steps))
    finally:
        server.terminate()
        server.wait(timeout=30)


def rows(counts: tuple[int, ...] = (1, 10, 30), steps: int = 30) -> list[tuple[str, str, str, str]]:
    """The benchmark table's rows for a served classroom."""
    try:
        import aiohttp  # noqa: F401
        import textual_serve  # noqa: F401
    except ImportError:
        return [("served classroom", "skipped", "", "textual-serve is not installed")]
    found = measure(list(counts), steps)
    out = []
    for count, m in sorted(found.items()):
        mib = 1024 * 1024
        out.append((f"served, {count} open: first screen of the newest", f"{m['first'] * 1000:.0f} ms", "",
                    f"{m['apps']} app processes"))
        out.append((f"  memory per session ({count} open)", f"{m['rss'] / mib:.0f} MiB RSS",
                    "", f"PSS {m['pss'] / mib:.0f} MiB; server {m['server_rss'] / mib:.0f} MiB RSS"))
        out.append((f"  → step, {count} open (p50 / p95)", f"{m['p50'] * 1000:.0f} / {m['p95'] * 1000:.0f} ms",
                    "≤ 100 ms", "within" if m["p95"] <= STEP_GOAL else "OVER the goal"))
        out.append((f"  → pressed by all {count} at once: slowest", f"{m['together'] * 1000:.0f} ms", "",
                    "median of 3 rounds"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", default="1,10,30", help="session counts, comma-separated")
    parser.add_argument("--steps", type=int, default=30, help="→ presses timed per count")
    args = parser.parse_args()
    table = rows(tuple(int(n) for n in args.sessions.split(",")), args.steps)
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
