"""TUI budgets: first frame vs a minimal Textual app, and step latency (key press → repaint).

    python benchmarks/bench_tui.py [--runs 7] [--steps 200] [--only first-screen]

First frame: each run is a fresh interpreter (`python -c ...`) that starts an app headless and, at
its first refresh after mount, writes a wall-clock timestamp and exits; the time is measured from
just before the subprocess is spawned, so interpreter start and imports count. The minimal app
(Header, Static, Footer) and the explorer on the default scenario run alternately in the same
session, and the medians are compared (budget: ≤ 1.25×), for the first frame and for the first
useful screen (the walkthrough's first step, with the pipeline). The package's bytecode is written
first, as an install does (see `compile_package`).

The first useful screen is measured three ways. Warm, as on every start after the first: the app
draws its recording of that screen (`tui/first_screen.py`) and the clock stops at the recording's
first refresh (the run fails if there was no recording to draw). Cold, with no recording: the live
explorer, the clock stopping at the refresh after the walkthrough loaded (what every start cost
before recordings). Interactive (warm): a → is posted at the app's mount, while the recording
shows; the clock stops at the refresh after the live explorer has taken that step.

Step latency: through the pilot at 120×40, the time from pressing → to the screen's next refresh,
over many steps (wrapping to the first step at the end); p50 and p95 (budget: one 60 Hz frame).
Measured on the default walkthrough and on a journey across three namespaces (a SYN from `red`
over veths and the root's bridge `br0` to nginx in `blue`: 45 steps, the pipeline and the path
strip change hosts twice).
The minimal app whose key updates one Static is measured the same way: Textual paints on a 60 Hz
timer, so its numbers are the floor any app can reach with this measurement.

Memory: RSS of each app 1.5 s after its first screen, in a fresh interpreter, at 120×40 (the packet
is a tab there) and at 160×50 (the packet column is shown, with its hexdump).

`benchmarks/run.py` prints these rows in its table; run alone, this prints them too.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MINIMAL_APP = """
import sys, time
from textual.app import App
from textual.widgets import Footer, Header, Static

class Minimal(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()
    def on_mount(self):
        {schedule}
    def done(self):
        open(sys.argv[1], "w").write({record})
        self.exit()

Minimal().run(headless=True, size={size})
"""
"""The reference app (Header, Static, Footer): it records something at a moment and exits."""

MINIMAL = MINIMAL_APP.format(schedule="self.call_after_refresh(self.done)", record="repr(time.time())",
                             size="(120, 40)")

LOADED = """
import sys, time
from netstack_tui.tui.app import NetstackApp

class Bench(NetstackApp):
    def recorded_screen(self, scenario_ref):
        return None  # the cold start: no recording drawn
    def record_when_settled(self, *args):
        pass  # and none made
    def _loaded(self, scenario, session):
        super()._loaded(scenario, session)
        self.screen.call_after_refresh(self.done)
    def done(self):
        open(sys.argv[1], "w").write(repr(time.time()))
        self.exit()

Bench().run(headless=True, size=(120, 40))
"""

RECORD = """
import sys
from netstack_tui.tui import first_screen
from netstack_tui.tui.app import NetstackApp

save = first_screen.save_encoded

def saved(key, encoded):
    save(key, encoded)
    open(sys.argv[1], "w").write("0")
    app.exit()

first_screen.save_encoded = saved

class First(NetstackApp):
    def recorded_screen(self, scenario_ref):
        return None  # a first start, whatever an earlier run recorded

app = First()
app.run(headless=True, size=(120, 40))
"""
"""A first start: it records the first screen once the walkthrough has settled, then exits."""

RECORDED = """
import sys, time
from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.first_screen import BootScreen

class Bench(NetstackApp):
    def on_mount(self):
        super().on_mount()
        if not isinstance(self.screen, BootScreen):
            sys.exit("no recording of the first screen to draw")
        self.screen.call_after_refresh(self.done)
    def done(self):
        open(sys.argv[1], "w").write(repr(time.time()))
        self.exit()

Bench().run(headless=True, size=(120, 40))
"""
"""The warm start: the recorded first screen's first refresh."""

INTERACTIVE = """
import sys, time
from textual import events
from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.first_screen import BootScreen

class Bench(NetstackApp):
    def on_mount(self):
        super().on_mount()
        if not isinstance(self.screen, BootScreen):
            sys.exit("no recording of the first screen to draw")
        self.post_message(events.Key("right", None))  # pressed while the recording shows
    async def _deliver_held(self):
        await super()._deliver_held()
        if self.screen.index != 1:
            sys.exit(f"the held key was not taken: step {self.screen.index}")
        self.screen.call_after_refresh(self.done)
    def done(self):
        open(sys.argv[1], "w").write(repr(time.time()))
        self.exit()

Bench().run(headless=True, size=(120, 40))
"""
"""The warm start until the live explorer has answered a key pressed at once."""

EXPLORER = """
import sys, time
from netstack_tui.tui.app import NetstackApp

class Bench(NetstackApp):
    def on_mount(self):
        super().on_mount()
        self.screen.call_after_refresh(self.done)
    def done(self):
        open(sys.argv[1], "w").write(repr(time.time()))
        self.exit()

Bench().run(headless=True, size=(120, 40))
"""


def compile_package() -> None:
    """Write the package's bytecode first, as `pip install` does: where PYTHONDONTWRITEBYTECODE is
    set (as on CI machines) every start would otherwise compile ~100 modules from source (~200 ms)
    while textual's own modules load compiled, which is not what a user's start costs."""
    import compileall

    import netstack_tui

    compileall.compile_dir(str(Path(netstack_tui.__file__).parent), quiet=1)


def first_frame(code: str) -> float:
    """Seconds from spawning a fresh interpreter to the app's first refresh."""
    with tempfile.TemporaryDirectory() as tmp:
        stamp = Path(tmp) / "t"
        start = time.time()
        done = subprocess.run(
            [sys.executable, "-c", code, str(stamp)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            timeout=60,
        )
        if done.returncode != 0 or not stamp.exists():
            raise SystemExit("the app did not start:\n" + "\n".join(done.stderr.splitlines()[-15:]))
        return float(stamp.read_text()) - start


THREE_NAMESPACES = [
    "ip link add br0 type bridge",
    "ip link set br0 up",
    "ip netns add red",
    "ip netns add blue",
    "ip link add veth-red type veth peer name eth0 netns red",
    "ip link add veth-blue type veth peer name eth0 netns blue",
    "ip link set veth-red master br0",
    "ip link set veth-blue master br0",
    "ip link set veth-red up",
    "ip link set veth-blue up",
    "ip -n red addr add 10.0.0.1/24 dev eth0",
    "ip -n blue addr add 10.0.0.2/24 dev eth0",
    "ip -n red link set eth0 up",
    "ip -n blue link set eth0 up",
    "ip netns exec blue listen tcp 0.0.0.0:80 --app nginx",
    "iptables -A FORWARD -i br0 -o br0 -j ACCEPT",
]
"""Two namespaces cabled into a bridge in the root; the benchmarked SYN goes from red to blue."""


def three_namespace_app() -> Any:
    """The explorer on red's SYN to blue (root namespace in between), at its first step."""
    from netstack_tui.commands.session import Session
    from netstack_tui.scenarios.library import load_scenario
    from netstack_tui.tui.app import NetstackApp

    session = Session(THREE_NAMESPACES)
    if session.setup_errors:
        raise SystemExit("three-namespace setup failed: " + "; ".join(session.setup_errors))
    session.send_spec("tcp 10.0.0.1:40000 > 10.0.0.2:80 [S]", "red")
    return NetstackApp(scenario_obj=load_scenario("tour-incoming"), session=session)


async def step_latencies(steps: int, make_app: Any = None) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds from each → key event to the repaint that shows the new step, at 120×40.

    The app runs under the pilot (`run_test`); keys are posted as events, because `pilot.press`
    adds its own waits for idle. The clock stops in a callback the screen schedules after the
    refresh that follows its `publish()` (so it includes Textual's 60 fps frame pacing). Also
    returns the journey's length: at each wrap the pilot idles, and the minimal app is measured
    with the same idle breaks (see `minimal_latencies`).
    """
    from textual import events

    from netstack_tui.tui.app import NetstackApp

    app = NetstackApp() if make_app is None else make_app()
    wall: list[float] = []
    cpu: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):  # the walkthrough loads behind the first frame
            await pilot.pause(0.05)
            if getattr(app.screen, "session", None) is not None:
                break
        await pilot.pause(0.5)  # let whatever the first screen scheduled settle
        screen: Any = app.screen
        publish = screen.publish
        box: dict[str, asyncio.Event] = {}

        def timed_publish() -> None:
            publish()
            screen.call_after_refresh(box["done"].set)

        screen.publish = timed_publish
        for _ in range(steps):
            if screen.state.at_end:
                await pilot.press("home")
                await pilot.pause()
            box["done"] = asyncio.Event()
            start, start_cpu = time.perf_counter(), time.process_time()
            app.post_message(events.Key("right", None))
            await box["done"].wait()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        wrap = len(screen.state.trace.steps) - 1
    return wall, cpu, wrap


async def minimal_latencies(steps: int, wrap: int = 0) -> list[float]:
    """The same measurement for a minimal app whose key updates one Static: the frame-pacing floor.

    With `wrap`, the pilot idles every `wrap` steps, as the explorer's run does when it goes back
    to the first step. Textual's screen-update timer, resumed after an idle spell, ticks at once
    and then skips to the second grid point after it, so the second key after an idle spell waits
    up to two frames; measured the same way, the floor shows that cost too.
    """
    from textual import events
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.widgets import Footer, Header, Static

    class Minimal(App[None]):
        BINDINGS = [Binding("right", "step", "Step")]
        done = asyncio.Event()
        n = 0

        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("0", id="n")
            yield Footer()

        def action_step(self) -> None:
            self.n += 1
            self.query_one("#n", Static).update(str(self.n))
            self.screen.call_after_refresh(self.done.set)

    app = Minimal()
    wall: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        for i in range(steps):
            if wrap and i % wrap == 0:
                await pilot.press("f12")  # an unbound key: the same idle wait as the explorer's Home
                await pilot.pause()
            app.done = asyncio.Event()
            start = time.perf_counter()
            app.post_message(events.Key("right", None))
            await app.done.wait()
            wall.append(time.perf_counter() - start)
    return wall


RSS_MINIMAL = MINIMAL_APP.format(schedule="self.set_timer(1.5, self.done)",
                                 record='open("/proc/self/status").read()',
                                 size="(int(sys.argv[2]), int(sys.argv[3]))")

RSS_EXPLORER = """
import sys
from netstack_tui.tui.app import NetstackApp

class Bench(NetstackApp):
    def _loaded(self, scenario, session):
        super()._loaded(scenario, session)
        self.set_timer(1.5, self.done)  # whatever loads lazily after the first screen is counted
    def done(self):
        open(sys.argv[1], "w").write(open("/proc/self/status").read())
        self.exit()

Bench().run(headless=True, size=(int(sys.argv[2]), int(sys.argv[3])))
"""


def rss(code: str, size: tuple[int, int]) -> int:
    """Resident set size in bytes of an app 1.5 s after it has shown its first screen (the
    explorer: after the walkthrough loaded), in a fresh interpreter at terminal `size`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "status"
        done = subprocess.run([sys.executable, "-c", code, str(out), str(size[0]), str(size[1])],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0 or not out.exists():
            raise SystemExit("the app did not start:\n" + "\n".join(done.stderr.splitlines()[-15:]))
        line = next(line for line in out.read_text().splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1]) * 1024


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


Row = tuple[str, str, str, str]


def first_screen_rows(runs: int = 7) -> list[Row]:
    """The first frame and the first useful screen (warm, cold, interactive) against the minimal
    app's first frame, measured in turn in the same session."""
    compile_package()
    first_frame(MINIMAL)  # warm the OS file cache for all
    first_frame(LOADED)  # and the scenario cache (`scenarios.compiled`), as any earlier start would
    first_frame(RECORD)  # and the recording of the first screen, as the first start makes it
    codes = {"minimal": MINIMAL, "first frame": EXPLORER, "warm": RECORDED, "cold": LOADED,
             "interactive": INTERACTIVE}
    times: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(runs):
        for name, code in codes.items():
            times[name].append(first_frame(code))
    m, e, warm, cold, live = (statistics.median(times[name]) for name in codes)
    return [
        ("TUI first frame (default scenario)", f"{e * 1000:.0f} ms", "≤ 1.25× minimal app",
         f"{e / m:.2f}× minimal Textual app ({m * 1000:.0f} ms)"),
        ("TUI first useful screen: the walkthrough's first step, drawn from its recording",
         f"{warm * 1000:.0f} ms", "≤ 1.25× minimal app", f"{warm / m:.2f}× minimal app's first frame"),
        ("  the same without a recording (a first start: the live explorer)", f"{cold * 1000:.0f} ms", "",
         f"{cold / m:.2f}× minimal app's first frame"),
        ("  interactive: a key pressed at start, answered by the live explorer", f"{live * 1000:.0f} ms", "",
         f"{live / m:.2f}× minimal app's first frame"),
    ]


def rows(runs: int = 7, steps: int = 200) -> list[Row]:
    """Every TUI measurement as (benchmark, measured, goal, ratio) rows, references run alongside."""
    out = first_screen_rows(runs)
    wall, cpu, wrap = asyncio.run(step_latencies(steps))
    floor_idle = asyncio.run(minimal_latencies(steps, wrap))
    out += [
        (f"step key→repaint p50 (120×40, {len(wall)} steps)", f"{pct(wall, 50) * 1000:.1f} ms", "",
         f"minimal app measured alike: {pct(floor_idle, 50) * 1000:.1f} ms"),
        ("step key→repaint p95", f"{pct(wall, 95) * 1000:.1f} ms", "≤ 16 ms (one frame)",
         f"{pct(wall, 95) / 0.016:.2f}× goal; minimal app alike: {pct(floor_idle, 95) * 1000:.1f} ms"),
        ("step CPU p50 / p95", f"{pct(cpu, 50) * 1000:.1f} / {pct(cpu, 95) * 1000:.1f} ms", "≤ 16 ms",
         f"{pct(cpu, 95) / 0.016:.2f}× goal (p95)"),
    ]
    wall3, cpu3, wrap3 = asyncio.run(step_latencies(steps, three_namespace_app))
    floor3 = asyncio.run(minimal_latencies(steps, wrap3))
    out += [
        (f"step across three namespaces p50 / p95 (120×40, {len(wall3)} steps)",
         f"{pct(wall3, 50) * 1000:.1f} / {pct(wall3, 95) * 1000:.1f} ms", "≤ 16 ms (one frame)",
         f"minimal app alike: {pct(floor3, 50) * 1000:.1f} / {pct(floor3, 95) * 1000:.1f} ms"),
        ("  its CPU per step p50 / p95", f"{pct(cpu3, 50) * 1000:.1f} / {pct(cpu3, 95) * 1000:.1f} ms", "≤ 16 ms",
         f"{pct(cpu3, 95) / 0.016:.2f}× goal (p95)"),
    ]
    for size in ((120, 40), (160, 50)):
        base = statistics.median(rss(RSS_MINIMAL, size) for _ in range(3))
        app = statistics.median(rss(RSS_EXPLORER, size) for _ in range(3))
        what = "packet as a tab" if size[0] < 140 else "packet column with its hexdump shown"
        out.append((f"TUI RSS at {size[0]}×{size[1]} ({what})", f"{app / 2**20:.0f} MiB", "≤ 2× minimal app",
                    f"{app / base:.2f}× minimal Textual app ({base / 2**20:.0f} MiB)"))
    return out


def main() -> int:
    """Run the TUI measurements and print them as a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--only", choices=("first-screen",), help="run only the first frame and first screen rows")
    args = parser.parse_args()
    for row in first_screen_rows(args.runs) if args.only else rows(args.runs, args.steps):
        print(" | ".join(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
