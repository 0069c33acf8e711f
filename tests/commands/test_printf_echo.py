"""`echo -e` and `printf`, the shell's way to write a file of several lines (a program for
`app run`, an XDP program): bash's escapes, options and refusals."""

from __future__ import annotations

import pytest

from netstack_tui.commands.shell import Shell


@pytest.mark.parametrize(("line", "output"), [
    (r"echo -e 'a\tb\nc'", "a\tb\nc"),
    (r"echo 'a\nb'", "a\\nb"),
    (r"echo -ne 'x\ny'", "x\ny"),
    (r"echo -eE 'x\ny'", "x\\ny"),
    (r"echo -e 'stop\c here'", "stop"),
    (r"echo -e '\0101\x42'", "AB"),
    (r"echo -e '\101'", "\\101"),
    ("echo -x y", "-x y"),
    (r"printf '%s-%d\n' a 5 b 6", "a-5\nb-6"),
    (r"printf '%x %o %c|%-4s|%5.2f' 255 8 hello ab 3.14159", "ff 10 h|ab  | 3.14"),
    (r"printf '%d' 0x1f", "31"),
    (r"printf '%b' 'a\tb'", "a\tb"),
    (r"printf '\101%%'", "A%"),
])
def test_output(line: str, output: str) -> None:
    result = Shell().run(line)
    assert (result.status, result.output) == (0, output)


@pytest.mark.parametrize(("line", "error", "status"), [
    ("printf", "printf: usage: printf [-v var] format [arguments]", 2),
    ("printf '%d' zz", "printf: zz: invalid number", 1),
    ("printf '%d' " + "9" * 5000, "printf: " + "9" * 5000 + ": invalid number", 1),
    ("printf '%99999s' x", "printf: %99999s: width or precision too large", 1),
    ("printf -q x", "printf: -q: invalid option", 2),
])
def test_refusals(line: str, error: str, status: int) -> None:
    result = Shell().run(line)
    assert (result.status, result.output) == (status, error)


def test_a_program_written_with_printf_runs() -> None:
    sh = Shell()
    program = (r"fd = socket(AF_INET, SOCK_STREAM)\nbind(fd, 0.0.0.0:8080)\nlisten(fd, 128)\n"
               r"loop:\n    c = accept(fd)\n    close(c)\n")
    assert sh.run(f"printf '{program}' > server.app").status == 0
    assert sh.run("app run server.app").status == 0
    assert "blocked in accept(3)" in sh.run("app list").output
