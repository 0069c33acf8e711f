"""`ip` (iproute2 6.1): addr, link (with XDP), route (incl. get), rule, neigh, netns.

Output layouts and error wording were captured from iproute2 6.1 on kernel 6.18 in scratch network
namespaces. IPv6 is not simulated, so the `inet6` lines a real machine prints are left out.
"""

from __future__ import annotations

from ..base import CommandError, CommandResult, ShellContext
from .addr import ip_addr
from .common import OBJECTS, Options, match_word, not_simulated
from .link import ip_link
from .neigh import ip_neigh
from .netns import COMMANDS as netns_commands
from .netns import ip_netns, run_in_namespace
from .route import ip_route
from .rule import ip_rule


def ip(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`ip [OPTIONS] OBJECT COMMAND`."""
    opts, args = _parse_options(argv[1:])
    if opts.netns is not None:
        # `ip -n NS ...` is `ip netns exec NS ip ...`
        words = argv[1:]
        at = next(i for i, w in enumerate(words) if w.lstrip("-") in ("n", "netns"))
        return run_in_namespace(ctx, opts.netns, ["ip", *words[:at], *words[at + 2 :]])
    if not args:
        raise CommandError("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }", 255)
    obj = next((name for name in OBJECTS if match_word(args[0], name)), None)
    if obj is None:
        raise CommandError(f'Object "{args[0]}" is unknown, try "ip help".', 1)
    handler = {
        "address": ip_addr,
        "link": ip_link,
        "route": ip_route,
        "rule": ip_rule,
        "neighbor": ip_neigh,
        "neighbour": ip_neigh,
    }.get(obj)
    if obj == "netns":
        return ip_netns(ctx, args[1:])
    if handler is None:
        raise not_simulated(obj)
    return handler(ctx.host, opts, args[1:])


def _parse_options(words: list[str]) -> tuple[Options, list[str]]:
    opts = Options()
    i = 0
    while i < len(words) and words[i].startswith("-"):
        word = words[i].lstrip("-")
        if word == "4":
            opts.family4 = True
        elif word == "6":
            raise CommandError("ip: '-6' is not simulated here (IPv6 is not simulated)", 1)
        elif word and "brief".startswith(word) and word.startswith("br"):
            opts.brief = True
        elif word and ("statistics".startswith(word) or "stats".startswith(word)):
            opts.stats += 1
        elif word == "force":
            opts.force = True
        elif word and "details".startswith(word):
            opts.details = True
        elif word in (
            "o",
            "oneline",
            "j",
            "json",
            "p",
            "pretty",
            "c",
            "color",
            "h",
            "human",
            "t",
            "timestamp",
            "r",
            "resolve",
            "f",
            "family",
            "b",
            "batch",
        ):
            raise not_simulated(words[i])
        elif word in ("n", "netns"):
            if i + 1 >= len(words):
                raise CommandError("No netns name specified", 255)
            opts.netns = words[i + 1]
            i += 1
        else:
            raise CommandError(f'Option "{words[i]}" is unknown, try "ip -help".', 255)
        i += 1
    return opts, words[i:]


COMMANDS = {"ip": ip, **netns_commands}
