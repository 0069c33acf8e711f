"""AF_XDP: an xskmap in the program language, redirect_map() to the socket bound to the frame's queue,
the `xsk` verb that opens one, and what `bpftool` and the pyramid show."""

from __future__ import annotations

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.bpf.lexer import CompileError
from netstack_tui.kernel.bpf.parser import parse
from netstack_tui.kernel.trace import Disposition, Verdict

PROGRAM = """map xskmap xsks(key u32, value u32, max_entries 4);
xdp afxdp {
    if (data + 34 > data_end)
        return XDP_PASS;
    if (ip.proto != 17)
        return XDP_PASS;
    return redirect_map(xsks, ctx.rx_queue_index, XDP_PASS);
}"""
UDP = "send udp 198.51.100.9:5353 > 10.0.0.1:53 iface=eth0"


def _shell(program: str = PROGRAM, *more: str) -> Shell:
    sh = Shell()
    for line in ("nic eth0 driver mlx5_core", "ip addr add 10.0.0.1/24 dev eth0", f"echo '{program}' > p.c",
                 "ip link set dev eth0 xdp obj p.c", *more):
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def test_without_a_socket_the_fallback_action_applies() -> None:
    """redirect_map() with nothing at the key returns its third argument: XDP_PASS, so the stack sees it."""
    trace = _shell().run(UDP).traces[0]
    assert trace.disposition == Disposition.DROPPED  # no UDP socket on port 53: the stack got it
    assert any(s.stage == "ip_rcv" for s in trace.steps)
    assert not any(s.note == "xdp.redirect_xsk" for s in trace.steps)


def test_redirect_reaches_the_socket_and_skips_the_stack() -> None:
    """With a socket on eth0 queue 0 the journey ends at xdp, delivered to it; ip_rcv never runs."""
    sh = _shell(PROGRAM, "xsk open eth0 queue 0")
    trace = sh.run(UDP).traces[0]
    last = trace.steps[-1]
    assert (last.stage, last.verdict, last.note) == ("xdp", Verdict.PASS, "xdp.redirect_xsk")
    assert trace.disposition == Disposition.DELIVERED
    assert not any(s.stage in ("skb", "ip_rcv") for s in trace.steps)
    shown = sh.run("trace").output
    assert "redirected to AF_XDP socket on eth0 queue 0" in shown
    show = sh.run("xsk show").output.splitlines()[1].split()
    assert show[1:4] == ["eth0", "0", "1"]
    read = sh.run("xsk read eth0 queue 0").output
    assert "udp 198.51.100.9:5353 > 10.0.0.1:53" in read and "1 frame read" in read
    assert "no frames waiting" in sh.run("xsk read eth0 queue 0").output


def test_tcp_is_not_redirected() -> None:
    """The program's own test still decides: TCP passes to the stack while UDP goes to the socket."""
    sh = _shell(PROGRAM, "xsk open eth0 queue 0")
    trace = sh.run("send tcp 198.51.100.9:1234 > 10.0.0.1:80 [S] iface=eth0").traces[0]
    assert not any(s.note == "xdp.redirect_xsk" for s in trace.steps)


def test_constant_key_without_a_socket_falls_back() -> None:
    """A constant key with no socket behind it falls back (here to XDP_DROP)."""
    prog = PROGRAM.replace("ctx.rx_queue_index, XDP_PASS", "2, XDP_DROP")
    sh = _shell(prog, "xsk open eth0 queue 0")
    trace = sh.run(UDP).traces[0]
    assert trace.steps[-1].note == "xdp.drop"


def test_bpftool_lists_and_dumps_the_xskmap() -> None:
    """map show names the type; map dump prints every key with EOPNOTSUPP, as bpftool does for an xskmap."""
    sh = _shell(PROGRAM, "xsk open eth0 queue 0")
    assert "xskmap  name xsks" in sh.run("bpftool map show").output
    dump = sh.run("bpftool map dump name xsks").output.splitlines()
    assert dump[:4] == ["key:", "00 00 00 00", "value:", "Operation not supported"]
    assert dump.count("Operation not supported") == 4 and dump[-1] == "Found 0 elements"


def test_pyramid_marks_the_af_xdp_row() -> None:
    sh = _shell(PROGRAM, "xsk open eth0 queue 0", "flood udp 198.51.100.9:5353 > 10.0.0.1:53 --count 10")
    marked = [line for line in sh.run("pyramid").output.splitlines() if "◀" in line]
    assert len(marked) == 1 and marked[0].startswith("AF_XDP socket")


@pytest.mark.parametrize(("line", "words"), [
    ("xsk open eth0 queue 1", "Invalid argument"),
    ("xsk open eth9 queue 0", "No such device"),
    ("xsk open eth0 queue x", "not a number"),
    ("xsk open eth0 queue 0 map nope", "no xskmap named 'nope'"),
    ("xsk read eth0 queue 0", "no AF_XDP socket"),
    ("xsk", "usage: xsk open"),
])
def test_bad_input_gets_one_line(line: str, words: str) -> None:
    result = _shell().run(line)
    assert result.status != 0 and words in result.output and len(result.output.splitlines()) == 1


def test_second_socket_on_a_queue_is_busy() -> None:
    result = _shell(PROGRAM, "xsk open eth0 queue 0").run("xsk open eth0 queue 0")
    assert result.status == 1 and "Device or resource busy" in result.output


def test_program_without_xskmap_has_nowhere_to_put_a_socket() -> None:
    result = _shell("xdp p { return XDP_PASS; }").run("xsk open eth0 queue 0")
    assert result.status == 1 and "no xskmap" in result.output


@pytest.mark.parametrize(("source", "words"), [
    ("map xskmap x(key u32, value u64, max_entries 4); xdp p { return XDP_PASS; }", "key u32, value u32"),
    ("map xskmap x(key u32, value u32, max_entries 4); xdp p { x.update(0, 1); return XDP_PASS; }",
     "cannot pass map_type 17 into func bpf_map_update_elem#2"),
    ("map hash h(key u32, value u32, max_entries 4); xdp p { return redirect_map(h, 0, XDP_PASS); }",
     "takes an xskmap"),
    ("map xskmap x(key u32, value u32, max_entries 4); xdp p { return redirect_map(x, 0, XDP_REDIRECT); }",
     "third argument"),
    ("map xskmap x(key u32, value u32, max_entries 4); tc p { return redirect_map(x, 0, XDP_PASS); }",
     "XDP helper"),
    ("xdp p { u32 q = ctx.queue; return XDP_PASS; }", "ctx.rx_queue_index"),
])
def test_language_refuses(source: str, words: str) -> None:
    with pytest.raises(CompileError, match=None) as caught:
        parse(source)
    assert words in str(caught.value)


def test_verifier_reads_the_key_like_any_argument() -> None:
    """An uninitialised key variable is refused at load time, as the kernel refuses the stack read."""
    prog = PROGRAM.replace("ctx.rx_queue_index", "q").replace("xdp afxdp {", "xdp afxdp {\n    u32 q;")
    sh = Shell()
    sh.run("nic eth0 driver mlx5_core")
    sh.run(f"echo '{prog}' > p.c")
    result = sh.run("ip link set dev eth0 xdp obj p.c")
    assert result.status != 0 and "invalid read from stack" in result.output
