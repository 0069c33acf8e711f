"""Loading a program (libbpf + BPF_PROG_LOAD): compile the source, create its maps, verify it.

On a real host `clang -O2 -g -target bpf -c guard.c -o guard.o` compiles C to BPF bytecode in an ELF
object, and `ip link set dev eth0 xdp obj guard.o` has libbpf create the maps and the kernel verify
and JIT the code. Here the source file itself is loaded: it is compiled to a syntax tree (not to
bytecode), verified by `verifier`, and interpreted. Failures read as libbpf and the verifier word
them, with the source line the verifier stopped at (`; ... @ file:line`, as with BTF line info).
"""

from __future__ import annotations

import errno as errnos
import os
from collections.abc import Callable
from dataclasses import dataclass

from . import nodes as n
from .lexer import CompileError
from .maps import BpfMap
from .parser import parse
from .verifier import COMPLEXITY_LIMIT, Verifier, VerifierError

JIT_BYTES_PER_INSN = 6
"""x86-64 JIT output per BPF instruction, roughly (what `bpftool prog show` reports as `jited`)."""


class LoadError(Exception):
    """The program did not load; `message` is what ip(8) prints (one line for a compile error, libbpf's
    lines and the verifier log for a refusal)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class LoadedProgram:
    """A program the kernel accepted, with the maps created for it."""

    program: n.Program
    maps: dict[str, BpfMap]
    """The program's maps by name (each load of a file creates new ones, as libbpf does)."""
    path: str
    processed: int
    """Instructions the verifier processed."""

    @property
    def xlated(self) -> int:
        return self.program.insn_count * 8

    @property
    def jited(self) -> int:
        return self.program.insn_count * JIT_BYTES_PER_INSN


def load(source: str, path: str, new_map_id: Callable[[], int], hook: str = "xdp") -> LoadedProgram:
    """Compile and verify `source` (the file at `path`) for `hook` (`xdp`: ip link; `tc`: a tc bpf
    filter, BPF_PROG_TYPE_SCHED_CLS); LoadError says why it cannot load."""
    file = os.path.basename(path)
    try:
        program = parse(source)
    except CompileError as exc:
        raise LoadError(f"{file}:{exc}") from None
    if program.hook != hook:
        # The loader looks for the program in the section the command asks for and does not find it.
        wanted = "xdp" if hook == "xdp" else "classifier"
        raise LoadError(f"object file doesn't contain sec {wanted} (the file has {program.section} {program.name} "
                        f"{{...}}: {'an XDP' if program.hook == 'xdp' else 'a tc'} program)")
    if program.insn_count > COMPLEXITY_LIMIT:
        raise LoadError(_refused(program.name, path, errnos.E2BIG, []))
    # libbpf creates the maps before it loads the program, so a refused program still uses up map ids.
    maps = {
        decl.name: BpfMap(new_map_id(), decl.name, decl.kind, decl.key_size, decl.value_size, decl.max_entries)
        for decl in program.maps
    }
    try:
        processed = Verifier(program).verify()
    except VerifierError as exc:
        text = program.lines[exc.line - 1].strip() if 0 < exc.line <= len(program.lines) else ""
        log = [f"; {text} @ {file}:{exc.line}", *exc.log, f"processed {exc.processed} insns (limit {COMPLEXITY_LIMIT})"]
        raise LoadError(_refused(program.name, path, exc.errno, log)) from None
    return LoadedProgram(program, maps, path, processed)


def _refused(name: str, path: str, errno: int, log: list[str]) -> str:
    lines = [f"libbpf: prog '{name}': BPF program load failed: {os.strerror(errno)}"]
    if log:
        lines += [f"libbpf: prog '{name}': -- BEGIN PROG LOAD LOG --", *log, "-- END PROG LOAD LOG --"]
    lines += [f"libbpf: prog '{name}': failed to load: -{errno}", f"libbpf: failed to load object '{path}'"]
    return "\n".join(lines)
