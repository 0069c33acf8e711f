"""Paths behave as in a shell (`~`, `$HOME`, relative paths, `ls -l` of written files), files say where
they went, and a real sysctl key the model leaves out is said to be not simulated."""

from __future__ import annotations

from netstack_tui.commands.shell import Shell


def test_home_expands_and_written_files_are_listed() -> None:
    """`~` and `$HOME` are /root, not inside quotes; a new file says once where it is kept."""
    sh = Shell()
    first = sh.run("echo hi > ~/notes.txt")
    assert first.output.startswith("(new file /root/notes.txt is kept in this session's memory")
    assert sh.run("echo more >> notes.txt").output == ""
    assert sh.run("cat $HOME/notes.txt").output == "hi\nmore"
    assert sh.run("echo '~' '$HOME' \"$HOME\" ~").output == "~ $HOME /root /root"
    assert sh.run("ls -l ~").output == "total 4\n-rw-r--r-- 1 root root 8 Jan  1 00:00 notes.txt"
    assert sh.run("ls /root/missing").status == 2


def test_tcpdump_write_says_where_the_capture_went() -> None:
    """tcpdump -w keeps the real lines and adds where the pcap is; ls -l shows it."""
    sh = Shell()
    out = sh.run("tcpdump -ni eth0 -w cap.pcap").output.splitlines()
    assert out[0] == "tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes"
    assert (
        out[-1]
        == "(saved as /root/cap.pcap in this session's memory, not on disk: 'tcpdump -r /root/cap.pcap' reads it)"
    )
    assert sh.run("ls -l /root/cap.pcap").output.endswith(" 24 Jan  1 00:00 /root/cap.pcap")


def test_command_substitution_and_pidof() -> None:
    """`$(pidof -s NAME)` gives the app's pid, so the explorer's fd-count suggestion runs."""
    sh = Shell()
    sh.run("listen tcp 0.0.0.0:80 --app nginx")
    assert sh.run("ls -l /proc/$(pidof -s nginx)/fd | wc -l").output == "5"


def test_unmodelled_real_sysctl_is_not_simulated_unknown_key_does_not_exist() -> None:
    """A real Linux key the model lacks is 'not simulated'; a key Linux lacks keeps sysctl's words."""
    sh = Shell()
    real = sh.run("sysctl net.ipv4.tcp_fastopen")
    assert real.status == 1 and real.output == (
        "sysctl: net.ipv4.tcp_fastopen: exists on Linux, but is not simulated here (the model has no such setting)"
    )
    bogus = sh.run("sysctl net.ipv4.no_such_key")
    assert bogus.output == "sysctl: cannot stat /proc/sys/net/ipv4/no_such_key: No such file or directory"
    assert "not simulated" in sh.run("cat /proc/sys/net/ipv4/tcp_fastopen").output


def test_sysctl_system_applies_the_sysctl_d_files() -> None:
    """`sysctl --system` announces each file as procps does, sysctl.d first, then /etc/sysctl.conf."""
    sh = Shell()
    sh.run("echo net.ipv4.ip_forward=1 > /etc/sysctl.d/99-forward.conf")
    assert sh.run("sysctl --system").output == "* Applying /etc/sysctl.d/99-forward.conf ...\nnet.ipv4.ip_forward = 1"
