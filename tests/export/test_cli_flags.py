"""`netstack-tui trace --pcap FILE --summary FILE` and `--export-dir`: files written where asked, or
one line saying why not."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from netstack_tui.cli import main
from netstack_tui.i18n import message

SETUP = """\
ip addr add 10.0.0.1/24 dev eth0
ip route add default via 10.0.0.254
listen tcp 0.0.0.0:80 --app nginx
iptables -A INPUT -p tcp --dport 22 -j DROP
"""
HTTP = "tcp 203.0.113.7:51000 > 10.0.0.1:80 [S] iface=eth0"
SSH = "tcp 203.0.113.7:51001 > 10.0.0.1:22 [S] iface=eth0"


def _trace(tmp_path: Path, *extra: str) -> int:
    script = tmp_path / "setup.sh"
    script.write_text(SETUP)
    return main(["trace", "--script", str(script), "--packet", HTTP, "--packet", SSH, *extra])


def test_pcap_holds_the_frames_of_every_traced_packet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The SYN to nginx, its SYN-ACK, and the SYN the firewall drops (the tap is before netfilter)."""
    import scapy.layers.inet  # noqa: F401  (registers the layers, so frames are decoded)
    from scapy.layers.inet import TCP
    from scapy.utils import PcapNgReader

    out = tmp_path / "out.pcapng"
    assert _trace(tmp_path, "--pcap", str(out)) == 0
    with PcapNgReader(str(out)) as reader:
        frames = [(p.sniffed_on, p[TCP].sport, p[TCP].dport, str(p[TCP].flags)) for p in reader]
    assert frames == [("host/eth0", 51000, 80, "S"), ("host/eth0", 80, 51000, "SA"), ("host/eth0", 51001, 22, "S")]
    assert "delivered" in capsys.readouterr().out, "the traces are still printed"


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="tcpdump is not installed")
def test_the_real_tcpdump_reads_the_trace_verb_s_pcap(tmp_path: Path) -> None:
    """tcpdump -r prints the three frames with their flags."""
    out = tmp_path / "out.pcapng"
    assert _trace(tmp_path, "--pcap", str(out)) == 0
    read = subprocess.run(["tcpdump", "-r", str(out), "-n"], capture_output=True, text=True, check=True)
    assert [line.split("Flags ")[1][:4] for line in read.stdout.splitlines()] == ["[S],", "[S.]", "[S],"]


def test_summary_file_has_one_summary_per_packet(tmp_path: Path) -> None:
    """Both journeys, in the order sent, as plain text; --lang ru gives the Russian words."""
    out = tmp_path / "summary.txt"
    assert _trace(tmp_path, "--summary", str(out)) == 0
    text = out.read_text()
    assert text.count("Packet trace") == 2
    assert text.index("51000 > 10.0.0.1:80") < text.index("51001 > 10.0.0.1:22")
    assert "Drop-reason: NETFILTER_DROP" in text
    ru = tmp_path / "ru.txt"
    script = tmp_path / "setup.sh"
    assert main(["--lang", "ru", "trace", "--script", str(script), "--packet", HTTP, "--summary", str(ru)]) == 0
    text = ru.read_text()
    assert text.startswith(message("ui.sum.title", None, "ru")) and message("ui.sum.result", None, "ru") in text


def test_json_is_printed_as_before(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json still prints a list with one trace per packet."""
    assert _trace(tmp_path, "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["disposition"] for t in data] == ["delivered", "dropped"]


def test_an_unwritable_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that cannot be written: exit 2 and a line naming it and the reason."""
    target = tmp_path / "no-such-dir" / "out.pcapng"
    assert _trace(tmp_path, "--pcap", str(target)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"netstack-tui: cannot write {target}: No such file or directory"]


def test_export_dir_must_be_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The app does not start with an export directory that is not there."""
    assert main(["--export-dir", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.strip() == f"netstack-tui: --export-dir {tmp_path / 'nope'}: No such directory"
