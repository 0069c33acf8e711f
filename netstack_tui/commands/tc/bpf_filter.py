"""`tc filter add ... bpf [da] obj FILE [sec NAME]` and how `tc filter show` prints a bpf filter.

The layout follows iproute2 6.1's tc/f_bpf.c (bpf_print_opt) and lib/bpf_legacy.c
(bpf_dump_prog_info, and the `FILE:[SECTION]` annotation of bpf_load_common), read from the source
because no BPF object can be built on the machine that recorded the other tc layouts (no clang).
The default section for a classifier is `classifier`, as iproute2's is. cls_bpf keeps no counters
of its own: `tc -s filter show` prints none for a direct-action filter (the clsact qdisc's
`tc -s qdisc show` counts what passed and what was dropped, and the program's maps count what it
wants). Programs are compiled from the source file by the simulator (a real host loads clang's .o).
"""

from __future__ import annotations

import os

from ...kernel.bpf.ids import next_map_id
from ...kernel.bpf.loader import LoadError, load
from ...kernel.host import Host
from ...kernel.tc.model import BpfClassifier, DeviceTc, Filter
from ..base import CommandError
from ..ip.show import prog_tag
from ..userland import read_file
from .units import parse_classid

DEFAULT_SECTION = "classifier"
"""iproute2's default section for a sched_cls program (bpf_prog_to_default_section)."""
HOOK_ONLY = ("tc: bpf filters are simulated at the clsact hooks only "
             "(tc qdisc add dev DEV clsact; tc filter add dev DEV ingress|egress bpf da obj FILE sec tc)")


def add(host: Host, tc: DeviceTc, parent: int, protocol: str, pref: int, words: list[str]) -> None:
    """Load the program named by `words` (what follows `bpf`) and attach it at `parent`."""
    if parent >> 16 != 0xFFFF:
        raise CommandError(HOOK_ONLY, 1)
    file, section, direct, flowid = None, DEFAULT_SECTION, False, None
    it = iter(words)
    for word in it:
        if word in ("da", "direct-action"):
            direct = True
        elif word in ("obj", "object-file", "object"):
            file = next(it, None)
            if file is None:
                raise CommandError('Illegal "obj": bpf needs obj FILE', 1)
        elif word in ("sec", "section"):
            section = next(it, "")
            if not section:
                raise CommandError('Illegal "section"', 1)
        elif word in ("flowid", "classid"):
            flowid = parse_classid(next(it, ""))
            if flowid is None:
                raise CommandError('Illegal "classid"', 1)
        elif word in ("skip_sw", "skip_hw", "action", "police", "object-pinned", "pinned", "bytecode",
                      "bytecode-file", "export"):
            raise CommandError(f"tc: bpf '{word}' is not simulated here (bpf [da] obj FILE [sec NAME] [flowid C])", 1)
        elif word != "verbose":
            raise CommandError(f'What is "{word}"?', 1)
    if file is None:
        raise CommandError('tc: bpf needs "obj FILE" (e.g. tc filter add dev eth0 ingress bpf da obj prog.c sec tc)', 1)
    source = read_file(host, file)
    if source is None:
        raise CommandError(f"libbpf: elf: failed to open {file}: No such file or directory", 1)
    try:
        code = load(source, file, lambda: next_map_id(host), hook="tc")
    except LoadError as exc:
        raise CommandError(f"{exc.message}\nUnable to load program", 1) from None
    if code.program.section != section:
        raise CommandError(f"object file doesn't contain sec {section} (it has {code.program.section})", 1)
    if pref == 0:  # the kernel numbers unprioritised filters down from 49152
        pref = min((f.pref - 1 for f in tc.filters if f.parent == parent), default=49152)
    same = [f for f in tc.filters if f.parent == parent and f.pref == pref]
    if any(f.bpf is None for f in same):
        raise CommandError("Error: Filter kind and protocol do not match existing filter chain.", 2)
    name = f"{os.path.basename(file)}:[{section}]"
    cls = BpfClassifier(code, name, host.new_prog_id(), direct, host.clock)
    handle = max((f.handle for f in same), default=0) + 1  # cls_bpf numbers its filters from 1
    tc.filters.append(Filter(parent, protocol, pref, [], flowid, [], handle, bpf=cls))


def lines(flt: Filter, prefix: str, first: bool) -> list[str]:
    """A bpf filter as `tc filter show` prints it (the chain's head line first, once per pref)."""
    cls = flt.bpf
    assert cls is not None
    head = f"{prefix}protocol {flt.protocol} pref {flt.pref} bpf chain 0 "
    flow = f"flowid {_classid(flt.flowid)} " if flt.flowid is not None else ""
    da = "direct-action " if cls.direct_action else ""
    prog = cls.code.program.name
    line = (f"{head}handle {flt.handle:#x} {flow}{cls.name} {da}not_in_hw id {cls.prog_id} name {prog} "
            f"tag {prog_tag(prog)} jited ")
    return [head, line] if first else [line]


def _classid(classid: int) -> str:
    return f"{classid >> 16:x}:{classid & 0xFFFF:x}"
