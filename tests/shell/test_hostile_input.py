"""Hostile command lines found by fuzzing (issue 20): each is answered in one line in the tool's own
words and the shell keeps running; a refused one changes nothing.

The expected first lines are the real tools' (iptables 1.8.9, iproute2, iputils ping, tcpdump,
procps sysctl, coreutils, lsof, nft), checked against them in a throwaway network namespace.
"""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netstack_tui.commands.base import CommandError
from netstack_tui.commands.numbers import number, real_number
from netstack_tui.commands.shell import Shell, internal_error
from netstack_tui.commands.words import split_words
from netstack_tui.kernel.numbers import NumberError, parse_float, parse_int

BIG = "9" * 5000


@pytest.fixture
def sh() -> Shell:
    shell = Shell()
    for line in ("ip addr add 10.0.0.1/24 dev eth0", "ip route add default via 10.0.0.254",
                 "listen tcp 0.0.0.0:8080 --app nginx", "iptables -A INPUT -j ACCEPT",
                 "nft add table inet t", "nft add chain inet t c", "nft add rule inet t c accept"):
        assert shell.run(line).status == 0, line
    return shell


def state(sh: Shell) -> list[str]:
    return [sh.run(line).output for line in ("iptables-save", "nft list ruleset", "ip addr", "ip -d link",
                                             "ip route show table all", "ip rule", "sysctl -a", "atq")]


REFUSED = [
    # (line, status, first line of the answer)
    (f"send udp 10.0.0.1:5000 > 10.0.0.2:{BIG}", 2, f"send: port {BIG} is out of range 0-65535"),
    (f"sysctl -w net.ipv4.ip_forward={BIG}", 1, 'sysctl: setting key "net.ipv4.ip_forward": Invalid argument'),
    ("sysctl -w net.ipv4.ip_forward=2147483648", 1, 'sysctl: setting key "net.ipv4.ip_forward": Invalid argument'),
    (f"iptables -R INPUT {BIG} -j DROP", 2, f"iptables v1.8.9 (nf_tables): Invalid rule number `{BIG}'"),
    ("iptables -I INPUT tcp -j DROP", 2, "iptables v1.8.9 (nf_tables): Invalid rule number `tcp'"),
    (f"iptables -A INPUT -s 10.0.0.0/{BIG} -j DROP", 2, f"iptables v1.8.9 (nf_tables): invalid mask `{BIG}' specified"),
    ("iptables -A INPUT -s 10.0.0.0/nan -j DROP", 2, "iptables v1.8.9 (nf_tables): invalid mask `nan' specified"),
    (f"iptables -A INPUT -m limit --limit {BIG}/s -j ACCEPT", 2,
     f'iptables v1.8.9 (nf_tables): Rate too fast "{BIG}/s"'),
    (f"iptables -A INPUT -p tcp --dport {BIG} -j ACCEPT", 2,
     f"iptables v1.8.9 (nf_tables): invalid port/service `{BIG}' specified"),
    (f"ip rule add from 10.0.0.0/8 table {BIG}", 255, f'Error: argument "{BIG}" is wrong: invalid table ID'),
    ("ip rule add pref 1.5 from 1.1.1.1", 255, 'Error: argument "1.5" is wrong: preference value is invalid'),
    ("ip rule del pref inf", 255, 'Error: argument "inf" is wrong: preference value is invalid'),
    ("ip rule del", 1, '"ip rule del" requires arguments.'),
    (f"ip link set dev eth0 mtu {BIG}", 255, f'Error: argument "{BIG}" is wrong: Invalid "mtu" value'),
    ("ip link set dev eth0 mtu nan", 255, 'Error: argument "nan" is wrong: Invalid "mtu" value'),
    (f"ip route add 10.9.0.0/16 dev eth0 metric {BIG}", 255,
     f'Error: argument "{BIG}" is wrong: "metric" value is invalid'),
    (f"ip addr add 10.0.0.5/{BIG} dev eth0", 1, f'Error: any valid prefix is expected rather than "10.0.0.5/{BIG}".'),
    (f"ethtool -G eth0 rx {BIG}", 1, f"ethtool (-G): invalid value '{BIG}' for parameter 'rx'"),
    (f"tcpdump -c {BIG}", 1, f"tcpdump: invalid packet count {BIG}"),
    ("tcpdump -c 99999999999999999999999", 1, "tcpdump: invalid packet count 99999999999999999999999"),
    ("tcpdump -c nan", 1, "tcpdump: invalid packet count nan"),
    (f"ulimit -Sn {BIG}", 1, "bash: ulimit: open files: cannot modify limit: Invalid argument"),
    ("ulimit -Sn nan", 1, "bash: ulimit: nan: invalid number"),
    (f"at now +{BIG}min", 1, "Garbled time"),
    (f"atrm {BIG}", 1, f"Cannot find jobid {BIG}"),
    (f"lsof -i :{BIG}", 1, f"lsof: incomplete Internet address specification: -i :{BIG}"),
    (f"echo a b | awk '{{print ${BIG}}}'", 2, f"awk: line 1: ${BIG} is invalid field index"),
    (f"head -n {BIG}", 1, f"head: invalid number of lines: '{BIG}': Value too large for defined data type"),
    ("ping -c nan 10.0.0.1", 1, "ping: invalid argument: 'nan'"),
    ("ping -c inf 10.0.0.1", 1, "ping: invalid argument: 'inf'"),
    ("ping -c 1.5 10.0.0.1", 1, "ping: invalid argument: '1.5'"),
    ("ping -c 0 10.0.0.1", 1, "ping: invalid argument: '0': out of range: 1 <= value <= 9223372036854775807"),
    ("ping -i inf 10.0.0.1", 1, "ping: bad timing interval: inf: Numerical result out of range"),
    ("ping -i abc 10.0.0.1", 1, "ping: option argument contains garbage: abc"),
    ("ping -W -1 10.0.0.1", 1, "ping: bad linger time: -1"),
    ("ping -w nan 10.0.0.1", 1, "ping: invalid argument: 'nan'"),
    ("sleep nan", 1, "sleep: invalid time interval 'nan'"),
    ("sleep inf", 1, "sleep: invalid time interval 'inf'"),
    ("sleep 1e400", 1, "sleep: invalid time interval '1e400'"),
    ("nft insert rule inet t c position tcp accept", 1, "Error: syntax error, unexpected tcp, expecting number"),
    ("nft delete rule inet t c handle 1.5", 1, "Error: syntax error, unexpected string, expecting number"),
    (f"nft delete rule inet t c handle {BIG}", 1, "Error: syntax error, unexpected string, expecting number"),
    (f"nft add rule inet t c tcp dport {BIG} accept", 1, "Error: Service out of range"),
    ("send udp 10.0.0.1:5000 > 10.0.0.2:53 " + "{" * 5000, 2,
     "send: syntax error: only one inner packet {...} is allowed, and it holds no other"),
    ("tcpdump -n '" + "(" * 5000 + "tcp" + ")" * 5000 + "'", 1, "tcpdump: can't parse filter expression: too complex "
     "for this simulation (more than 100 nested parentheses or negations)"),
    ("tcpdump -n " + "not " * 5000 + "tcp", 1, "tcpdump: can't parse filter expression: too complex for this "
     "simulation (more than 100 nested parentheses or negations)"),
    ("ss -tln " + "(" * 5000, 255, "ss: filter nested deeper than 100 levels is not simulated"),
    ("flood udp 10.0.0.9:5000 > 10.0.0.1:53 --count 10000000", 2, "flood: --count must be between 1 and 1,000,000: "
     "a flood that does not settle runs ~10,000 packets a second here, so a bigger one would take minutes"),
    ("ping -c 100000 10.0.0.1", 1, "ping: -c 100000: this simulation sends at most 1000 echo requests a run"),
    ("ip link set dev eth0 mtu 1400 down bogus", 255, 'Error: either "dev" is duplicate, or "bogus" is a garbage.'),
    ("nic eth0 ring 512 driver", 2, "nic: driver needs a value"),
]


@pytest.mark.parametrize(("line", "status", "first"), REFUSED, ids=[r[0][:60] for r in REFUSED])
def test_refused_in_the_tools_words_and_nothing_changes(sh: Shell, line: str, status: int, first: str) -> None:
    """A hostile number, word or nesting is refused with the tool's own first line; the host is as before."""
    before = state(sh)
    result = sh.run(line)
    assert (result.status, result.output.splitlines()[0]) == (status, first)
    assert "internal error" not in result.output
    assert state(sh) == before


def test_sleep_nan_leaves_the_clock_usable(sh: Shell) -> None:
    """`sleep nan` never reaches the clock: packets touching timers afterwards still work."""
    assert sh.run("sleep nan").status == 1
    assert sh.host.clock == sh.host.clock  # not NaN
    assert sh.run("send tcp 10.0.0.9:5000 > 10.0.0.1:8080 [S]").status == 0
    assert sh.run("sleep 10").status == 0
    assert sh.run("conntrack -L").status == 0


def test_the_clock_refuses_nan_and_infinity() -> None:
    """The kernel model's clock only moves forward by finite amounts."""
    shell = Shell()
    for bad in (float("nan"), float("inf"), -1.0):
        with pytest.raises(ValueError, match="finite amount"):
            shell.host.advance(bad)
    assert shell.host.clock == 0.0


def test_a_partly_applied_line_is_not_applied_at_all(sh: Shell) -> None:
    """`ip link set` and `nic` check the whole line before changing anything, as iproute2 sends one request."""
    before = state(sh)
    assert sh.run("ip link set dev eth0 xdpdrv obj prog.o ² 0").status == 255
    assert sh.run("nic eth0 ring 512 promisc on bogus 1").status == 2
    assert state(sh) == before
    assert sh.host.interfaces["eth0"].xdp is None


def test_the_shell_survives_an_unexpected_exception(sh: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug inside one command prints one "internal error" line that claims nothing false, and later
    commands (on the same line and after) still run."""
    from netstack_tui.commands import shell as shell_module
    from netstack_tui.commands.registry import COMMANDS

    def broken(ctx: object, argv: list[str]) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(shell_module, "COMMANDS", {"broken": broken, "echo": COMMANDS["echo"]})
    result = sh.run("broken; echo after")
    lines = result.output.splitlines()
    assert lines[0] == internal_error("broken", ZeroDivisionError())
    assert "unchanged" not in lines[0] and "may have changed" in lines[0]
    assert lines[1:] == ["after"]
    assert sh.run("echo still here").output == "still here"


def test_a_long_word_is_split_in_linear_time() -> None:
    """A 1 MB word is one word (the old splitter took ~25 s on it; this is a size test, not a timing one)."""
    word = "a" * 1_000_000
    assert split_words(f"echo {word} 'b c'") == ["echo", word, "b c"]


def test_control_characters_and_open_quotes_get_one_line(sh: Shell) -> None:
    """Unterminated quotes and stray escapes are sh's syntax errors; NUL bytes are dropped as bash does."""
    assert sh.run("echo '\x01\x1b[").output == "sh: syntax error: No closing quotation"
    assert sh.run('echo "a\\').output == "sh: syntax error: No escaped character"
    assert sh.run("echo a\x00b").output == "ab"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\n;&<>|'\"\\#ab\x01é", max_size=40))
def test_the_splitter_reads_lines_as_shlex_did(line: str) -> None:
    """The linear splitter gives the words (or the error) shlex gave with the shell's settings."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&<>|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        expected: object = list(lexer)
    except ValueError as exc:
        expected = str(exc)
    try:
        got: object = split_words(line)
    except ValueError as exc:
        got = str(exc)
    assert got == expected


@pytest.mark.parametrize(("text", "kwargs", "value"), [
    ("42", {}, 42), ("0x1f", {"base": 0}, 31), ("017", {"base": 0}, 15), ("0", {"base": 0}, 0),
    ("-5", {"signed": True}, -5), (BIG, {"high": 100, "clamp": True}, 100), ("7", {"low": 10, "clamp": True}, 10),
    ("0" * 5000 + "1", {}, 1),
])
def test_numbers_read_as_tools_read_them(text: str, kwargs: dict[str, int], value: int) -> None:
    """Decimal, C-style hex and octal, signs only when asked, saturation only when asked."""
    assert parse_int(text, **kwargs) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "1_0", " 7", "²", "٣", "0x", "08", "+5", "-5", "1.5", "nan", "tcp"])
def test_what_no_tool_reads_as_an_integer(text: str) -> None:
    """Python's int() accepts some of these; no network tool does."""
    with pytest.raises(NumberError) as caught:
        parse_int(text, base=0 if text in ("0x", "08") else 10)
    assert caught.value.reason == "invalid"


def test_range_and_finite_floats() -> None:
    """Past the bounds is `range` (never a conversion error); NaN and infinity are never numbers."""
    with pytest.raises(NumberError) as caught:
        parse_int(BIG, 0, 10)
    assert caught.value.reason == "range"
    for text in ("nan", "inf", "-inf", "1e400", "infinity"):
        with pytest.raises(NumberError):
            parse_float(text)
    assert parse_float("1e-3") == 0.001
    with pytest.raises(CommandError, match="^x {nan} 2$"):  # braces in user text never break the message
        real_number("{nan}", 0, 1, "x {value} 2")
    with pytest.raises(CommandError, match="^too big$"):
        number("11", 0, 10, "bad", out_of_range="too big")
