"""Run every benchmark and print one table: measured value, goal, and the ratio to a reference
measured in the same run (this machine is noisy, so each number is the median of several runs).
As root with iproute2 and iptables, the floods are also measured through the real kernel in
network namespaces (benchmarks/bench_kernel.py); the TUI rows come from benchmarks/bench_tui.py.

    python benchmarks/run.py            # everything
    python benchmarks/run.py --quick    # fewer repetitions
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "fixtures" / "rulesets"
BIG_RULESET = SHARED / "substituted" / "d01-mac-substituted.iptables-save"

sys.path.insert(0, str(ROOT))


def median_time(fn: Callable[[], object], runs: int) -> float:
    """Median wall time of `fn` over `runs` calls, in seconds."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _subprocess(args: list[str], stdin: str = "") -> None:
    subprocess.run(args, input=stdin, text=True, capture_output=True, check=True, cwd=ROOT)


def bench_headless_start(runs: int) -> list[tuple[str, str, str, str]]:
    """`netstack-tui shell` with a one-line script, against a bare `python -c pass`."""
    bare = median_time(lambda: _subprocess([sys.executable, "-c", "pass"]), runs)
    shell = median_time(lambda: _subprocess([sys.executable, "-m", "netstack_tui", "shell"], "ip addr\n"), runs)
    return [("headless start (shell, 1 line)", f"{shell * 1000:.0f} ms", "< 300 ms, ≤ 8× python",
             f"{shell / bare:.1f}× python -c pass ({bare * 1000:.0f} ms)")]


def _shell_with(lines: list[str]):  # type: ignore[no-untyped-def]
    from netstack_tui.commands.shell import Shell

    sh = Shell()
    for line in lines:
        result = sh.run(line)
        if result.status != 0:
            raise SystemExit(f"benchmark setup failed: {line}: {result.output}")
    return sh


def bench_real_ruleset(runs: int) -> list[tuple[str, str, str, str]]:
    """Loading the ~5,000-rule real ruleset, and one packet through it."""
    if not BIG_RULESET.exists():
        return [("real ruleset (d01, 4,973 rules)", "skipped", "", f"{BIG_RULESET} not found")]
    load = median_time(lambda: _shell_with([f"iptables-restore {BIG_RULESET}"]), max(3, runs // 3))
    sh = _shell_with(["ip addr add 10.0.0.1/24 dev eth0", f"iptables-restore {BIG_RULESET}"])
    counter = iter(range(10**9))
    packet = median_time(lambda: sh.run(f"send tcp 10.0.0.2:{1024 + next(counter) % 60000} > 10.0.0.1:80 [S]"),
                         runs * 10)
    session = _session_command(runs)
    return [("load d01 (4,973 rules)", f"{load * 1000:.0f} ms", "< 500 ms", f"{load / 0.5:.2f}× goal"),
            ("trace 1 packet through d01", f"{packet * 1000:.2f} ms", "< 5 ms", f"{packet / 0.005:.2f}× goal"),
            ("  a command typed in the explorer, d01 loaded", f"{session * 1000:.1f} ms", "",
             f"{session / 0.016:.2f}× a 60 Hz frame (the packet is re-run when the command changes the host)")]


def _session_command(runs: int) -> float:
    """A command the learner types with d01 loaded, alternately read-only and changing the host (which
    applies it to the host as it was before the packet and sends the packet again)."""
    from netstack_tui.commands.session import NamedPacket, Session

    session = Session(["ip addr add 10.0.0.1/24 dev eth0", f"iptables-restore {BIG_RULESET}"],
                      [NamedPacket("syn", "tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]")])
    session.next_packet()
    lines = iter(range(10**9))

    def one() -> None:
        n = next(lines)
        session.run_command("ss -tan" if n % 2 else f"iptables -I INPUT 1 -p tcp --dport {1 + n % 60000} -j ACCEPT")
    return median_time(one, runs * 2)


def bench_synthetic_chain(runs: int) -> list[tuple[str, str, str, str]]:
    """One packet through a 10,000-rule chain none of whose rules match (worst case: all tested)."""
    rules = "\n".join(f"-A INPUT -s 192.0.{i // 250}.{i % 250} -p tcp -m tcp --dport {1 + i % 60000} -j DROP"
                      for i in range(10_000))
    sh = _shell_with(["ip addr add 10.0.0.1/24 dev eth0"])
    sh.run("iptables-restore", stdin=f"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
                                     f":OUTPUT ACCEPT [0:0]\n{rules}\nCOMMIT\n")
    packet = median_time(lambda: sh.run("send tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]"), runs * 5)
    return [("trace 1 packet, 10,000-rule chain", f"{packet * 1000:.2f} ms", "< 5 ms",
             f"{packet / 0.005:.2f}× goal")]


def _hundred_rules() -> list[str]:
    return (["ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --app web",
             "iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"]
            + [f"iptables -A INPUT -p tcp -s 192.0.2.{i % 250} --dport {1000 + i} -j ACCEPT" for i in range(98)]
            + ["iptables -A INPUT -p tcp --dport 80 -j ACCEPT"])


def bench_flood(runs: int) -> list[tuple[str, str, str, str]]:
    """Batch throughput through a 100-rule ruleset with conntrack: new connections, then one flow.

    New connections are taken a class at a time (`kernel.varied`: the engine walks a few packets
    per class, the rest follow exactly); the established flood settles after a few packets and the
    rest is applied at once (`kernel.steady`), so its rate grows with the count. The rows after
    them are floods whose every packet the engine walks: a flow no shortcut applies to, and new
    connections through a `limit` rule (whose bucket every packet changes)."""
    out = []
    rates = {}
    for label, spec, vary, n in (
        ("flood: new TCP connections", "tcp 10.0.0.2:1024 > 10.0.0.1:80 [S]", "sport", 60_000),
        ("flood: established flow", "tcp 10.0.0.2:1024 > 10.0.0.1:80 [.] len=100", "none", 500_000),
    ):
        def run(spec: str = spec, vary: str = vary, n: int = n) -> None:
            sh = _shell_with(_hundred_rules())
            if vary == "none":
                sh.run("send tcp 10.0.0.2:1024 > 10.0.0.1:80 [S]")
            sh.run(f"flood {spec} --count {n} --vary {vary}")
        walked = _walks(run)
        seconds = median_time(run, max(3, runs // 3))
        rate = rates[vary] = n / seconds
        how = f"; {walked:,} walked through the stack, the rest taken by class" if walked < n else ""
        if vary == "none":
            how = how.replace("taken by class", "in one go")
        out.append((f"{label} ({n:,} packets)", f"{rate:,.0f} pkt/s", "≥ 100,000 pkt/s",
                    f"{rate / 100_000:.2f}× goal{how}"))
    out.append(_fill_conntrack(runs))
    walked = _established_walked(5000, runs)
    out.append(("  same flow, every packet walked", f"{walked:,.0f} pkt/s", "≥ 100,000 pkt/s",
                f"{walked / 100_000:.2f}× goal (no shortcut)"))
    limited = _limited_new(runs)
    out.append(("  new connections through a `limit` rule, every packet walked", f"{limited:,.0f} pkt/s",
                "≥ 100,000 pkt/s", f"{limited / 100_000:.2f}× goal (the bucket changes with every packet)"))
    return out + _real_kernel(rates["sport"], rates["none"], walked)


def _fill_conntrack(runs: int) -> tuple[str, str, str, str]:
    """nf_conntrack_max (262,144, what the kernel gives a namespace here) new connections, each from
    its own source address beyond the gateway."""
    count = 262_144

    def run() -> None:
        sh = _shell_with([*_hundred_rules(), "ip route add default via 10.0.0.254"])
        sh.run(f"flood tcp 198.51.0.1:40000 > 10.0.0.1:80 [S] --count {count} --vary src")
    seconds = median_time(run, max(1, runs // 5))
    return (f"fill the conntrack table: {count:,} new connections from as many sources", f"{seconds:.2f} s",
            "< 3 s", f"{count / seconds:,.0f} pkt/s, {seconds / 3:.2f}× budget")


def _limited_new(runs: int) -> float:
    count = 5000

    def run() -> None:
        sh = _shell_with(["ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --app web",
                          "iptables -A INPUT -p tcp --syn -m limit --limit 1000/sec -j ACCEPT",
                          *_hundred_rules()[2:]])
        sh.run(f"flood tcp 10.0.0.2:1024 > 10.0.0.1:80 [S] --count {count} --vary sport")
    return count / median_time(run, max(3, runs // 3))


def _real_kernel(new: float, established: float, walked: float) -> list[tuple[str, str, str, str]]:
    """The same two floods through the real kernel in network namespaces (benchmarks/bench_kernel.py)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_kernel

    reason = bench_kernel.unavailable_reason()
    if reason is not None:
        return [("real kernel, same ruleset", "skipped", "", reason)]
    found = bench_kernel.measure(count=200_000, runs=3)
    rows = []
    for kind, sim, label in (("new", new, "new connections"), ("established", established, "established flow")):
        bound = "≥ " if found[f"{kind}_sender_bound"] else ""
        rows.append((f"  real kernel (netns, veth): {label}", f"{bound}{found[kind]:,.0f} pkt/s", "",
                     f"simulator ÷ kernel: {sim / found[kind]:.3f}"
                     + (f" (every packet walked: {walked / found[kind]:.3f})" if kind == "established" else "")))
    return rows


def _walks(run: Callable[[], None]) -> int:
    """How many packets `run` sends through the stack one by one (the others of a flood that
    settles are applied at once)."""
    from netstack_tui.kernel import stack

    real, calls = stack.receive_batch, [0]

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    stack.receive_batch = counted  # type: ignore[assignment]
    try:
        run()
    finally:
        stack.receive_batch = real  # type: ignore[assignment]
    return calls[0] + 1  # and the last packet, traced in full


def _established_walked(count: int, runs: int) -> float:
    from netstack_tui.kernel import stack
    from netstack_tui.kernel.packet import parse_packet

    sh = _shell_with(_hundred_rules())
    sh.run("send tcp 10.0.0.2:1024 > 10.0.0.1:80 [S]")
    pkt, _ = parse_packet("tcp 10.0.0.2:1024 > 10.0.0.1:80 [.] len=100 iface=eth0")

    def walk() -> None:
        for _ in range(count):
            stack.receive_batch(sh.host, pkt, "eth0")
    return count / median_time(walk, max(3, runs // 3))


_CONNTRACK_FILL = """
import sys, time
sys.path.insert(0, {root!r})
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.hooks import _sysctl_ints
from netstack_tui.kernel.packet import IPPROTO_UDP, Packet

def rss() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))

host = Host()
host.sysctl.set("net.netfilter.nf_conntrack_max", "0")
ct, sysctl = host.conntrack, _sysctl_ints(host)
before = rss()
start = time.perf_counter()
for i in range({count}):
    pkt = Packet(IPPROTO_UDP, 0x0A000000 + i // 60000, 0x0A000001, 1024 + i % 60000, 53)
    result = ct.classify(pkt, 0.0, sysctl)
    ct.confirm(result.entry, 0.0, sysctl)
print(ct.count(0.0), rss() - before, rss(), time.perf_counter() - start)
"""


def bench_conntrack_memory(runs: int) -> list[tuple[str, str, str, str]]:
    """RSS of the kernel model holding one million confirmed conntrack entries (one UDP flow each)."""
    count = 1_000_000
    done = subprocess.run([sys.executable, "-c", _CONNTRACK_FILL.format(root=str(ROOT), count=count)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    entries, grown, total, seconds = done.stdout.split()
    gib = int(total) / 2**30
    return [(f"RSS with {int(entries):,} conntrack entries", f"{gib:.2f} GiB", "≤ 1 GiB",
             f"{int(grown) / int(entries):.0f} B/entry; filled at {int(entries) / float(seconds):,.0f} entries/s")]


def bench_tui(runs: int) -> list[tuple[str, str, str, str]]:
    """The TUI rows (first frame, step latency, RSS): see benchmarks/bench_tui.py."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_tui

    return bench_tui.rows(runs=max(3, runs // 2), steps=200)


def bench_world(runs: int) -> list[tuple[str, str, str, str]]:
    """The multi-host rows (a classroom of namespaces, a journey through three): benchmarks/bench_world.py."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_world

    return bench_world.rows(runs)


def bench_classroom(runs: int) -> list[tuple[str, str, str, str]]:
    """The served-classroom rows (1, 10 and 30 browser sessions): benchmarks/bench_classroom.py."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_classroom

    return bench_classroom.rows(steps=max(10, runs * 2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    runs = 5 if args.quick else 15
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_tui as tui_module

    tui_module.compile_package()  # every start below loads bytecode, as after `pip install`
    rows: list[tuple[str, str, str, str]] = []
    for bench in (bench_headless_start, bench_real_ruleset, bench_synthetic_chain, bench_flood,
                  bench_conntrack_memory, bench_world, bench_tui, bench_classroom):
        rows.extend(bench(runs))
    header = ("benchmark", "measured", "goal", "ratio (reference measured in the same run)")
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(4)]
    print(f"machine: {_machine()}")
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    return 0


def _machine() -> str:
    import os
    import platform

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())
    return f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}"


if __name__ == "__main__":
    raise SystemExit(main())
