"""tc-BPF: a `tc NAME { ... }` program in the XDP language, loaded as a clsact bpf filter, verified by
the same verifier, run at tc ingress and egress with the TC_ACT_* codes, and listed by tc and bpftool.

Listing layouts follow iproute2 6.1's source (tc/f_bpf.c bpf_print_opt, lib/bpf_legacy.c
bpf_dump_prog_info and the `FILE:[SEC]` annotation), read with the `fetch` tool: no clang here to
build a real object and record them in a namespace.
"""

from __future__ import annotations

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.bpf.lexer import CompileError
from netstack_tui.kernel.bpf.parser import parse
from netstack_tui.kernel.trace import Disposition, DropReason, Trace, Verdict

SYN = "send tcp 198.51.100.66:1234 > 10.0.0.1:80 [S] iface=eth0"
COUNTER = (
    "map hash hits(key u32, value u64, max_entries 64);\\n"
    "tc guard {\\n"
    "  if (data + 34 > data_end)\\n    return TC_ACT_OK;\\n"
    "  u32 src = ip.saddr;\\n"
    "  u64 *n = hits.lookup(src);\\n"
    "  if (n == NULL) { hits.update(src, 1); return TC_ACT_OK; }\\n"
    "  *n += 1;\\n"
    "  if (*n > 2)\\n    return TC_ACT_SHOT;\\n"
    "  return TC_ACT_OK;\\n}\\n"
)


def _shell(*setup: str) -> Shell:
    sh = Shell()
    for line in ("ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80 --app nginx",
                 "ip link add dummy0 type dummy", "ip link set dummy0 up", "tc qdisc add dev eth0 clsact", *setup):
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def _attach(sh: Shell, program: str, where: str = "ingress", extra: str = "da", sec: str = "sec tc",
            file: str = "p.c") -> None:
    assert sh.run(f"printf '{program}' > {file}").status == 0
    result = sh.run(f"tc filter add dev eth0 {where} bpf {extra} obj {file} {sec}")
    assert result.status == 0, result.output


def _send(sh: Shell, line: str = SYN) -> Trace:
    return sh.run(line).traces[0]


def _tc_step(trace: Trace, stage: str = "tc_ingress") -> tuple[Verdict, str]:
    step = next(s for s in trace.steps if s.stage == stage and s.note.startswith("tc.bpf"))
    return step.verdict, step.note


# ---- the language --------------------------------------------------------------------------------

def test_a_tc_function_parses_with_its_section() -> None:
    """`tc NAME` and `classifier NAME` both make a sched_cls program; the keyword is its section."""
    prog = parse("tc guard { return TC_ACT_SHOT; }")
    assert (prog.name, prog.hook, prog.section) == ("guard", "tc", "tc")
    assert parse("classifier c { return TC_ACT_OK; }").section == "classifier"
    assert parse("xdp x { return XDP_PASS; }").hook == "xdp"


@pytest.mark.parametrize(("source", "message"), [
    ("tc p { return XDP_DROP; }", "XDP_DROP is an XDP return code"),
    ("xdp p { return TC_ACT_SHOT; }", "TC_ACT_SHOT is a tc return code"),
    ("tc p { return TC_ACT_REDIRECT; }", 'comes from redirect("DEV")'),
    ("tc p { return 7; }", "return takes a tc action"),
    ("tc p { return TC_ACT_OK; } xdp q { return XDP_PASS; }", "only one function"),
])
def test_return_codes_belong_to_their_hook(source: str, message: str) -> None:
    """A program returns its own hook's codes; the error names the mix-up."""
    with pytest.raises(CompileError) as err:
        parse(source)
    assert message in str(err.value)


# ---- the verifier --------------------------------------------------------------------------------

@pytest.mark.parametrize(("program", "log"), [
    ("tc p { if (ip.proto == 6) return TC_ACT_SHOT; return TC_ACT_OK; }", "invalid access to packet, off=23 size=1"),
    ("tc p { u32 i = 0; while (i < 10) { } return TC_ACT_OK; }", "infinite loop detected"),
    ("map hash m(key u32, value u64, max_entries 4);\\ntc p { u64 *v = m.lookup(1); *v += 1; return TC_ACT_OK; }",
     "invalid mem access 'map_value_or_null'"),
    ("tc p { if (data + 14 > data_end) return TC_ACT_OK; }", "R0 !read_ok"),
])
def test_the_verifier_refuses_a_tc_program_for_the_kernels_reasons(program: str, log: str) -> None:
    """The same checks as for XDP; tc prints libbpf's log, then "Unable to load program"."""
    sh = _shell()
    sh.run(f"printf '{program}' > p.c")
    result = sh.run("tc filter add dev eth0 ingress bpf da obj p.c sec tc")
    assert result.status != 0
    assert log in result.output and "BPF program load failed" in result.output
    assert result.output.splitlines()[-1] == "Unable to load program"
    assert sh.run("tc filter show dev eth0 ingress").output == ""


# ---- the journey ---------------------------------------------------------------------------------

def test_shot_at_ingress_drops_with_tc_ingress_and_counts() -> None:
    """The per-source counter lets two SYNs through and drops the third at tc ingress (TC_INGRESS);
    the map holds the count, the clsact qdisc counts the drop."""
    sh = _shell()
    _attach(sh, COUNTER)
    first, second, third = _send(sh), _send(sh), _send(sh)
    assert first.disposition == second.disposition == Disposition.DELIVERED
    assert _tc_step(first) == (Verdict.PASS, "tc.bpf_ok")
    assert third.disposition == Disposition.DROPPED and third.drop_reason == DropReason.TC_INGRESS
    assert _tc_step(third) == (Verdict.DROP, "tc.bpf_shot")
    assert not any(s.stage.startswith("prerouting") for s in third.steps)  # before netfilter
    assert "value: 03 00 00 00 00 00 00 00" in sh.run("bpftool map dump name hits").output
    assert "Sent 162 bytes 3 pkt (dropped 1," in sh.run("tc -s qdisc show dev eth0").output


def test_shot_at_egress_drops_with_tc_egress() -> None:
    """At clsact egress (after POSTROUTING, before the root qdisc) TC_ACT_SHOT drops with TC_EGRESS."""
    sh = _shell("ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0")
    _attach(sh, "tc out { return TC_ACT_SHOT; }", where="egress")
    trace = _send(sh, "send udp 10.0.0.1:4000 > 10.0.0.2:53")
    assert trace.disposition == Disposition.DROPPED and trace.drop_reason == DropReason.TC_EGRESS
    stages = [s.stage for s in trace.steps]
    assert stages[-1] == "qdisc" and "postrouting.nat" in stages  # after POSTROUTING, at the qdisc
    assert _tc_step(trace, "qdisc") == (Verdict.DROP, "tc.bpf_shot")
    assert _send(sh).disposition == Disposition.DELIVERED  # ingress has no program


def test_redirect_leaves_by_the_named_device_or_is_freed() -> None:
    """redirect("dummy0") is TC_ACT_REDIRECT: the packet leaves by dummy0; to a missing device, the
    redirect fails and the skb is freed (NOT_SPECIFIED)."""
    sh = _shell()
    _attach(sh, 'tc r { return redirect("dummy0"); }')
    trace = _send(sh)
    assert trace.disposition == Disposition.FORWARDED and trace.final_packet.oif == "dummy0"
    assert _tc_step(trace) == (Verdict.TRANSMIT, "tc.bpf_redirect")
    sh.run("tc filter del dev eth0 ingress")
    _attach(sh, 'tc r { return redirect("nope0"); }')
    trace = _send(sh)
    assert trace.disposition == Disposition.DROPPED and trace.drop_reason == DropReason.NOT_SPECIFIED
    assert _tc_step(trace) == (Verdict.DROP, "tc.bpf_redirect_err")


def test_without_da_shot_is_a_classid_and_does_not_drop() -> None:
    """Without `da` the return value is a classid: TC_ACT_SHOT (2) reads as 0:2, the packet goes on."""
    sh = _shell()
    _attach(sh, "tc p { return TC_ACT_SHOT; }", extra="")
    trace = _send(sh)
    assert trace.disposition == Disposition.DELIVERED
    step = next(s for s in trace.steps if s.note == "tc.bpf_classid")
    assert dict(step.params)["classid"] == "0:2"


def test_unspec_asks_the_next_filter_and_pipe_passes() -> None:
    """TC_ACT_UNSPEC hands the packet to the next filter by pref; TC_ACT_PIPE ends the walk and passes."""
    sh = _shell()
    assert sh.run("printf 'tc a { return TC_ACT_UNSPEC; }' > a.c").status == 0
    assert sh.run("printf 'tc b { return TC_ACT_SHOT; }' > b.c").status == 0
    assert sh.run("tc filter add dev eth0 ingress pref 1 bpf da obj a.c sec tc").status == 0
    assert sh.run("tc filter add dev eth0 ingress pref 2 bpf da obj b.c sec tc").status == 0
    trace = _send(sh)
    assert trace.drop_reason == DropReason.TC_INGRESS
    assert dict(next(s for s in trace.steps if s.note == "tc.bpf_shot").params)["pref"] == "2"
    assert sh.run("printf 'tc a { return TC_ACT_PIPE; }' > a.c").status == 0
    assert sh.run("tc filter del dev eth0 ingress pref 1").status == 0
    assert sh.run("tc filter add dev eth0 ingress pref 1 bpf da obj a.c sec tc").status == 0
    assert _send(sh).disposition == Disposition.DELIVERED


# ---- the listings --------------------------------------------------------------------------------

def test_tc_filter_show_prints_the_bpf_filter_as_iproute2() -> None:
    """The chain head, then `handle 0x1 FILE:[sec] direct-action not_in_hw id N name P tag T jited`."""
    sh = _shell()
    _attach(sh, COUNTER, file="guard.c")
    prog_id = sh.run("bpftool prog show").output.split(":")[0]
    lines = sh.run("tc filter show dev eth0 ingress").output.splitlines()
    assert lines[0] == "filter protocol all pref 49152 bpf chain 0 "
    head, tag = lines[1].split(" tag ")
    assert head == (f"filter protocol all pref 49152 bpf chain 0 handle 0x1 guard.c:[tc] direct-action "
                    f"not_in_hw id {prog_id} name guard")
    assert len(tag) == len("0123456789abcdef jited ") and tag.endswith(" jited ")
    assert sh.run("tc filter show dev eth0 egress").output == ""


def test_bpftool_lists_tc_programs_and_their_maps() -> None:
    """`bpftool prog show` lists a sched_cls program; `net show` prints it under tc: in bpftool's layout;
    deleting the filter unloads the program."""
    sh = _shell()
    _attach(sh, COUNTER, file="guard.c")
    _attach(sh, "classifier c { return TC_ACT_OK; }", where="egress", sec="", file="c.c")
    progs = sh.run("bpftool prog show").output
    assert progs.count(": sched_cls  name ") == 2 and "map_ids" in progs
    ids = [line.split(":")[0] for line in progs.splitlines() if "sched_cls" in line]
    net = sh.run("bpftool net show").output.split("\n\n")
    assert net[1].splitlines() == ["tc:", f"eth0(2) clsact/ingress guard.c:[tc] id {ids[0]}",
                                   f"eth0(2) clsact/egress c.c:[classifier] id {ids[1]}"]
    assert "hash  name hits" in sh.run("bpftool map show").output
    assert sh.run("tc filter del dev eth0 ingress").status == 0
    assert sh.run("bpftool prog show").output.count("sched_cls") == 1


@pytest.mark.parametrize(("command", "message"), [
    ("tc filter add dev eth0 ingress bpf da obj p.c", "object file doesn't contain sec classifier"),
    ("tc filter add dev eth0 ingress bpf da obj p.c sec xdp", "object file doesn't contain sec xdp"),
    ("tc filter add dev eth0 ingress bpf da obj missing.c sec tc", "failed to open missing.c"),
    ("tc filter add dev eth0 ingress bpf da sec tc", 'bpf needs "obj FILE"'),
    ("tc filter add dev eth0 root bpf da obj p.c sec tc", "clsact hooks only"),
    ("tc filter add dev eth0 ingress bpf da obj p.c sec tc action drop", "'action' is not simulated"),
    ("ip link set dev eth0 xdp obj p.c", "object file doesn't contain sec xdp"),
])
def test_bad_bpf_filter_commands_get_one_clear_line(command: str, message: str) -> None:
    """Each mistake gets one line naming it (never a traceback)."""
    sh = _shell("tc qdisc add dev eth0 root handle 1: htb")
    sh.run("printf 'tc p { return TC_ACT_OK; }' > p.c")
    result = sh.run(command)
    assert result.status != 0 and message in result.output
    assert len(result.output.splitlines()) == 1


def test_an_xdp_program_is_refused_as_a_tc_filter() -> None:
    """An xdp function in the file: the tc loader does not find a classifier in it."""
    sh = _shell()
    sh.run("printf 'xdp p { return XDP_PASS; }' > x.c")
    result = sh.run("tc filter add dev eth0 ingress bpf da obj x.c sec xdp")
    assert result.status != 0 and "an XDP program" in result.output
