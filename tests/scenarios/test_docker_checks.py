"""Checks on a Docker host: a container's answer crosses the host and the `internet` namespace, so
`replies` counts an answer whose journey goes on from the namespace that sent it, and `replies: {src:}`
proves the un-NAT of a published port's answer."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from netstack_tui.scenarios import goals
from netstack_tui.scenarios.goals import build_host, run_check
from netstack_tui.scenarios.model import Check

PUBLISHED = ["docker run -d --name web -p 8080:80 nginx"]
"""nginx in a container, its port 80 published on the host's 8080."""

VISITOR = "tcp 203.0.113.7:51000 > 192.168.1.10:8080 [S] iface=eth0"
BLOCK = "iptables -I DOCKER-USER -p tcp -m conntrack --ctorigdstport 8080 -j DROP"


def _run(data: dict[str, object], setup: list[str] = PUBLISHED) -> goals.CheckResult:
    host, failures = build_host(setup, world="connected")
    assert not failures
    return run_check(Check.model_validate(data), host, {"visitor": VISITOR})


def test_a_containers_answer_counts_and_carries_the_published_address() -> None:
    """The SYN-ACK leaves the container from 172.17.0.2:80 and reaches the Internet from 192.168.1.10:8080."""
    assert _run({"replies": {"packet": "visitor", "kind": "syn-ack"}}).ok
    assert _run({"replies": {"packet": "visitor", "kind": "syn-ack", "src": "192.168.1.10:8080"}}).ok
    assert _run({"replies": {"packet": "visitor", "kind": "any", "src": "192.168.1.10"}}).ok
    inner = _run({"replies": {"packet": "visitor", "kind": "syn-ack", "src": "172.17.0.2:80"}})
    assert not inner.ok and "syn-ack from 192.168.1.10:8080" in inner.detail
    assert not _run({"replies": {"packet": "visitor", "kind": "none"}}).ok


def test_an_answer_that_never_gets_out_does_not_count() -> None:
    """Dropped in DOCKER-USER by the original destination port, the SYN gets no answer at all."""
    blocked = PUBLISHED + [BLOCK]
    assert _run({"replies": {"packet": "visitor", "kind": "none"}}, blocked).ok
    assert _run({"dropped": {"packet": "visitor", "at": "forward.filter"}}, blocked).ok
    silent = _run({"replies": {"packet": "visitor", "kind": "syn-ack", "src": "192.168.1.10:8080"}}, blocked)
    assert not silent.ok and "replies: none" in silent.detail


def test_dport_of_the_published_port_never_matches_after_dnat() -> None:
    """In FORWARD the packet already carries the container's port: `--dport 8080` lets it through."""
    result = _run({"delivered": {"packet": "visitor", "to": "nginx"},
                   "given": ["iptables -I DOCKER-USER -p tcp --dport 8080 -j DROP"]})
    assert result.ok


def test_src_needs_an_answer_and_reads_in_both_languages() -> None:
    """`src:` with `kind: none` is refused; the label names the source in English and Russian."""
    with pytest.raises(ValidationError, match="kind: none"):
        Check.model_validate({"replies": {"packet": "visitor", "kind": "none", "src": "192.168.1.10"}})
    check = Check.model_validate({"replies": {"packet": "visitor", "kind": "syn-ack", "src": "192.168.1.10:8080"}})
    assert goals.describe(check) == "packet `visitor` is answered with syn-ack from 192.168.1.10:8080"
    assert goals.describe(check, "ru").endswith("с адресом источника 192.168.1.10:8080")
