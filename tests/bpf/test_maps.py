"""BPF maps behave as bpf_map_lookup_elem/update_elem/delete_elem do, and programs use them across frames."""

from __future__ import annotations

from netstack_tui.kernel.bpf.interpreter import run
from netstack_tui.kernel.bpf.loader import load
from netstack_tui.kernel.bpf.maps import E2BIG, EINVAL, ENOENT, BpfMap
from netstack_tui.kernel.packet import parse_packet
from netstack_tui.kernel.wire import ethernet_frame


def test_hash_map_fills_up_and_refuses_new_keys() -> None:
    """A full hash map refuses a new key with -E2BIG but still updates an existing one."""
    table = BpfMap(1, "m", "hash", 4, 8, 2)
    assert table.update(1, 10) == 0 and table.update(2, 20) == 0
    assert table.update(3, 30) == -E2BIG
    assert table.update(1, 11) == 0
    assert table.lookup(3) is None and table.read(table.lookup(1) or 0) == 11
    assert table.delete(2) == 0 and table.delete(2) == -ENOENT


def test_array_map_has_every_index_and_cannot_delete() -> None:
    """An array map holds zeros at every index from the start; deleting is -EINVAL; past the end -E2BIG."""
    table = BpfMap(1, "a", "array", 4, 8, 4)
    assert table.lookup(3) == 3 and table.read(3) == 0
    assert table.lookup(4) is None
    assert table.update(4, 1) == -E2BIG
    assert table.delete(0) == -EINVAL


def test_values_wrap_at_their_size_and_dump_little_endian() -> None:
    """A u8 value wraps at 256; keys and values are the bytes of an x86-64 integer."""
    table = BpfMap(1, "m", "hash", 4, 1, 4)
    table.update(0xC6336442, 0x1FF)
    assert table.read(0xC6336442) == 0xFF
    assert table.key_bytes(0xC6336442).hex(" ") == "42 64 33 c6"


def _frame(spec: str) -> bytes:
    return ethernet_frame(parse_packet(spec)[0], "02:00:00:00:00:02", "02:00:00:00:00:01")


def test_program_counts_per_source_and_drops_past_the_limit() -> None:
    """The map keeps its counts from frame to frame: the fourth frame from one source is dropped,
    another source is counted apart."""
    source = """map hash hits(key u32, value u64, max_entries 16);
    xdp guard { if (data + 34 > data_end) return XDP_PASS; u64 *n = hits.lookup(ip.saddr);
      if (n == NULL) { hits.update(ip.saddr, 1); return XDP_PASS; } *n += 1;
      if (*n > 3) return XDP_DROP; return XDP_PASS; }"""
    code = load(source, "guard.c", iter(range(1, 9)).__next__)
    loud = _frame("tcp 198.51.100.66:1234 > 10.0.0.1:80 [S]")
    quiet = _frame("tcp 192.0.2.10:4000 > 10.0.0.1:80 [S]")
    actions = [run(code.program, code.maps, loud).action for _ in range(4)]
    assert actions == [2, 2, 2, 1]  # XDP_PASS x3, then XDP_DROP
    assert run(code.program, code.maps, quiet).action == 2
    assert code.maps["hits"].entries == {0xC6336442: 4, 0xC000020A: 1}


def test_fields_read_in_host_order_and_short_frames_fail_the_check() -> None:
    """Ports read as numbers; a frame shorter than the checked length takes the check's branch."""
    source = ("xdp p { if (data + 38 > data_end) return XDP_ABORTED; if (tcp.dport == 80) return XDP_TX; "
              "return XDP_PASS; }")
    code = load(source, "p.c", iter(range(1, 9)).__next__)
    assert run(code.program, code.maps, _frame("tcp 192.0.2.1:5 > 10.0.0.1:80 [S]")).action == 3
    assert run(code.program, code.maps, _frame("tcp 192.0.2.1:5 > 10.0.0.1:81 [S]")).action == 2
    assert run(code.program, code.maps, _frame("tcp 192.0.2.1:5 > 10.0.0.1:80 [S]")[:37]).action == 0
