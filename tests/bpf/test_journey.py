"""A learner's XDP program in the journey: attached from a file with `ip link`, its actions carried out
where the kernel carries them out, and `bpftool` showing the program and its maps."""

from __future__ import annotations

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.trace import Disposition, DropReason, Trace, Verdict

SYN = "tcp 198.51.100.66:1234 > 10.0.0.1:80 [S] iface=eth0"


def _shell(program: str, *, mode: str = "xdp", driver: str = "mlx5_core") -> Shell:
    sh = Shell()
    for line in (f"nic eth0 driver {driver}", "ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --app nginx",
                 "ip link add dummy0 type dummy", "ip link set dummy0 up",
                 f"echo '{program}' > prog.c", f"ip link set dev eth0 {mode} obj prog.c"):
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def _send(sh: Shell) -> Trace:
    result = sh.run(f"send {SYN}")
    return result.traces[0]


def _xdp_step(trace: Trace) -> tuple[str, Verdict, str]:
    step = next(s for s in trace.steps if s.stage in ("xdp", "xdp_generic") and s.verdict != Verdict.SKIP)
    return step.stage, step.verdict, step.note


def test_native_drop_has_no_skb_and_no_reason() -> None:
    """XDP_DROP in native mode ends the journey at `xdp` with no drop reason; the driver counts it."""
    sh = _shell("xdp p { return XDP_DROP; }")
    trace = _send(sh)
    assert trace.disposition == Disposition.DROPPED and trace.drop_reason is None
    assert _xdp_step(trace) == ("xdp", Verdict.DROP, "xdp.drop")
    assert "rx_xdp_drop: 1" in sh.run("ethtool -S eth0").output


def test_aborted_drops_and_says_xdp_exception() -> None:
    """XDP_ABORTED drops like XDP_DROP; in generic mode the skb is freed with NOT_SPECIFIED."""
    sh = _shell("xdp p { return XDP_ABORTED; }", mode="xdpgeneric")
    trace = _send(sh)
    assert trace.disposition == Disposition.DROPPED and trace.drop_reason == DropReason.NOT_SPECIFIED
    assert _xdp_step(trace) == ("xdp_generic", Verdict.DROP, "xdp.aborted")


def test_tx_bounces_out_of_the_same_nic() -> None:
    """XDP_TX sends the frame back out of eth0 without reaching the stack (nginx never sees it)."""
    sh = _shell("xdp p { return XDP_TX; }")
    trace = _send(sh)
    assert trace.disposition == Disposition.FORWARDED and trace.final_packet.oif == "eth0"
    assert _xdp_step(trace) == ("xdp", Verdict.TRANSMIT, "xdp.tx")
    assert not any(s.stage == "ip_rcv" for s in trace.steps)
    assert "tx_packets: 1" in sh.run("ethtool -S eth0").output


def test_redirect_to_another_device_and_to_a_missing_one() -> None:
    """redirect("dummy0") leaves by dummy0; a redirect to a device that does not exist is dropped."""
    sh = _shell('xdp p { return redirect("dummy0"); }')
    trace = _send(sh)
    assert trace.disposition == Disposition.FORWARDED and trace.final_packet.oif == "dummy0"
    assert _xdp_step(trace)[2] == "xdp.redirect"
    sh = _shell('xdp p { return redirect("nosuch0"); }')
    trace = _send(sh)
    assert trace.disposition == Disposition.DROPPED
    assert _xdp_step(trace)[2] == "xdp.redirect_err"


def test_refused_program_is_not_attached() -> None:
    """A program the verifier refuses prints the log, fails, and leaves the device without XDP."""
    sh = _shell("xdp p { return XDP_PASS; }")
    sh.run("ip link set dev eth0 xdp off")
    sh.run("echo 'xdp q { if (ip.ttl < 2) return XDP_DROP; return XDP_PASS; }' > bad.c")
    result = sh.run("ip link set dev eth0 xdp obj bad.c")
    assert result.status != 0
    assert "invalid access to packet, off=22 size=1" in result.output
    assert sh.run("bpftool prog show").output == ""
    assert _send(sh).disposition == Disposition.DELIVERED


def test_bpftool_shows_programs_and_dumps_maps() -> None:
    """prog show, map show and map dump in bpftool 7.x's layout, following the program's counts;
    detaching frees the program and its map."""
    sh = _shell("map hash hits(key u32, value u64, max_entries 8); xdp guard { if (data + 34 > data_end) "
                "return XDP_PASS; u64 *n = hits.lookup(ip.saddr); if (!n) { hits.update(ip.saddr, 1); "
                "return XDP_PASS; } *n += 1; return XDP_PASS; }")
    sh.run(f"flood {SYN} --count 5")
    prog = sh.run("bpftool prog show").output.splitlines()
    assert prog[0].startswith("42: xdp  name guard  tag ")
    assert prog[1].startswith("\tloaded_at 2026-01-01T00:00:") and prog[1].endswith("  uid 0")
    assert prog[2].startswith("\txlated ") and prog[2].endswith("  map_ids 1")
    assert sh.run("bpftool map show").output.splitlines()[0] == "1: hash  name hits  flags 0x0"
    dump = sh.run("bpftool map dump name hits").output
    assert dump == "key: 42 64 33 c6  value: 05 00 00 00 00 00 00 00\nFound 1 element"
    assert sh.run("bpftool map dump id 1").output == dump
    assert "eth0(2) driver id 42" in sh.run("bpftool net show").output
    missing = sh.run("bpftool map dump id 9")
    assert missing.status != 0 and missing.output == "Error: get map by id (9): No such file or directory"
    sh.run("ip link set dev eth0 xdp off")
    assert sh.run("bpftool map show").output == ""


def test_bpftool_says_what_it_does_not_simulate() -> None:
    """prog dump is refused in one line that says programs are interpreted, not bytecode."""
    sh = _shell("xdp p { return XDP_PASS; }")
    result = sh.run("bpftool prog dump xlated id 42")
    assert result.status != 0 and "\n" not in result.output and "not BPF bytecode" in result.output
    assert "no JIT" in sh.run("bpftool prog help").output


def test_builtin_programs_still_attach() -> None:
    """`xdp obj xdp_drop` still names a built-in program when no such file exists."""
    sh = Shell()
    for line in ("nic eth0 driver mlx5_core", "ip addr add 10.0.0.1/24 dev eth0",
                 "ip link set dev eth0 xdp obj xdp_drop"):
        assert sh.run(line).status == 0
    assert _send(sh).disposition == Disposition.DROPPED
