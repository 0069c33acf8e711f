"""The XDP language and its verifier: good programs load; each refusal names the kernel's reason in the
kernel's words, on the source line it is about."""

from __future__ import annotations

import pytest

from netstack_tui.kernel.bpf.loader import LoadError, load
from netstack_tui.kernel.bpf.parser import parse
from netstack_tui.kernel.bpf.verifier import Verifier

GUARD = """map hash hits(key u32, value u64, max_entries 16);
xdp guard {
    if (data + 34 > data_end)
        return XDP_PASS;
    u64 *n = hits.lookup(ip.saddr);
    if (n == NULL) {
        hits.update(ip.saddr, 1);
        return XDP_PASS;
    }
    *n += 1;
    if (*n > 3)
        return XDP_DROP;
    return XDP_PASS;
}
"""


def _load(source: str) -> str:
    ids = iter(range(1, 100))
    try:
        load(source, "prog.c", lambda: next(ids))
    except LoadError as exc:
        return exc.message
    return "ok"


@pytest.mark.parametrize("body", [
    "return XDP_PASS;",
    "if (data + 14 <= data_end) { if (eth.proto == 0x800) return XDP_PASS; } return XDP_DROP;",
    "if (data_end < data + 38) return XDP_PASS; if (tcp.dport == 22 && ip.saddr != 10.0.0.9) return XDP_DROP; "
    "return XDP_PASS;",
    "u32 sum = 0; for (u32 i = 0; i < 8; i++) { sum += i; } if (sum == 28) return XDP_TX; return XDP_PASS;",
    "u64 *n = hits.lookup(1); if (n && *n > 5) return XDP_DROP; return redirect(\"eth1\");",
    "u64 *n = hits.lookup(1); if (!n) return XDP_PASS; *n = *n + 1; return XDP_PASS;",
    "u32 x; if (data + 34 > data_end) { x = 0; } else { x = ip.ttl; } if (x > 1) return XDP_PASS; return XDP_DROP;",
])
def test_accepts(body: str) -> None:
    """Checked packet reads, NULL-tested lookups, written variables and counted loops all load."""
    assert _load(f"map hash hits(key u32, value u64, max_entries 4); xdp p {{ {body} }}") == "ok"


@pytest.mark.parametrize(("body", "message"), [
    ("u32 s = ip.saddr; return XDP_PASS;",
     "invalid access to packet, off=26 size=4, R2(id=0,off=26,r=0)\nR2 offset is outside of the packet"),
    ("if (data + 30 > data_end) return XDP_PASS; if (ip.daddr == 1) return XDP_DROP; return XDP_PASS;",
     "invalid access to packet, off=30 size=4, R2(id=0,off=30,r=30)"),
    ("if (data + 34 <= data_end) { return XDP_PASS; } if (ip.ttl == 1) return XDP_DROP; return XDP_PASS;",
     "invalid access to packet, off=22 size=1"),
    ("u32 x; if (x > 1) return XDP_DROP; return XDP_PASS;", "invalid read from stack off -8+0 size 4"),
    ("u64 *n = hits.lookup(7); *n += 1; return XDP_PASS;", "R0 invalid mem access 'map_value_or_null'"),
    ("u64 *n = hits.lookup(7); if (n == NULL) { *n = 1; } return XDP_PASS;", "R1 invalid mem access 'scalar'"),
    ("u64 *n = hits.lookup(7); if (n != NULL) return XDP_PASS; return *n;", None),
    ("while (1) { } return XDP_PASS;", "infinite loop detected at insn"),
    ("if (data + 34 > data_end) return XDP_PASS; u32 t = ip.ttl; while (t > 0) { t = t; } return XDP_PASS;",
     "infinite loop detected at insn"),
    ("if (data + 34 > data_end) return XDP_PASS; u32 k = 0; for (u32 i = 0; i < ip.ttl; i++) { k += 1; } "
     "return XDP_PASS;", "BPF program is too large. Processed 1000001 insn"),
    ("u32 k = 0; for (u32 i = 0; i < 5000000; i++) { k += i; } return XDP_PASS;",
     "BPF program is too large. Processed 1000001 insn"),
    ("if (data + 34 > data_end) return XDP_PASS;", "R0 !read_ok"),
])
def test_refuses(body: str, message: str | None) -> None:
    """Each refusal carries the kernel verifier's message (or, for bad syntax, a compiler error)."""
    got = _load(f"map hash hits(key u32, value u64, max_entries 4);\nxdp p {{ {body} }}")
    if message is None:
        assert got.startswith("prog.c:2:") and ": error: " in got
        return
    assert message in got
    assert got.startswith("libbpf: prog 'p': BPF program load failed: ")
    assert "@ prog.c:2" in got and got.endswith("libbpf: failed to load object 'prog.c'")


def test_refusal_names_the_errno_and_the_line() -> None:
    """A packet read without a check is EACCES, with the offending source line quoted; a runaway loop E2BIG."""
    bad = GUARD.replace("    if (data + 34 > data_end)\n        return XDP_PASS;\n", "")
    got = _load(bad)
    assert "BPF program load failed: Permission denied" in got
    assert "; u64 *n = hits.lookup(ip.saddr); @ prog.c:3" in got
    assert "failed to load: -13" in got
    loop = _load("xdp p { u32 k = 0; for (u32 i = 0; i < 5000000; i++) { k += 1; } return XDP_PASS; }")
    assert "Argument list too long" in loop and "failed to load: -7" in loop


@pytest.mark.parametrize(("source", "message"), [
    ("xdp p { return XDP_PASS }", "1:25: error: expected ';' before '}'"),
    ("xdp p { x = 1; return XDP_PASS; }", "1:9: error: use of undeclared identifier 'x'"),
    ("xdp p { if (data + 34 > data_end) return XDP_PASS; u32 v = ip.nope; return XDP_PASS; }",
     "error: no field 'nope' in ip"),
    ("xdp p { return 7; }", "error: return takes an XDP action"),
    ("map hash m(key u32, value u64, max_entries 4); xdp p { u32 *n = m.lookup(1); return XDP_PASS; }",
     "error: 'n' points to u32 but map 'm' holds u64 values"),
    ("map hash m(key u32, value u64, max_entries 4); xdp p { u64 *n = m.lookup(1); u64 v = n; return XDP_PASS; }",
     "error: 'n' is a pointer"),
    ("xdp p { u32 a = data; return XDP_PASS; }", "error: packet bounds are checked as data + N > data_end"),
    ("map array a(key u16, value u64, max_entries 4); xdp p { return XDP_PASS; }", "key u32"),
    ("xdp p { while (1) { break; } return XDP_PASS; }", "error: 'break' is not in this language"),
    ("map hash m(key u32, value u64, max_entries 4);", "error: no xdp function in this file"),
])
def test_compile_errors(source: str, message: str) -> None:
    """Bad syntax or types give one clang-style line: file:line:col: error: what."""
    got = _load(source)
    assert "\n" not in got
    assert got.startswith("prog.c:") and message in got


def test_instruction_estimates_grow_with_the_program() -> None:
    """The verifier counts what it walks: a loop's rounds multiply its body; an if's branches add."""
    short = parse("xdp p { return XDP_PASS; }")
    looped = parse("xdp p { u32 k = 0; for (u32 i = 0; i < 100; i++) { k += i; } return XDP_PASS; }")
    assert Verifier(short).verify() < 10
    assert Verifier(looped).verify() > 100 * 3
