"""`tc` (iproute2 6.1): qdiscs, HTB classes and u32 filters on the simulated devices.

The kernel side is `netstack_tui.kernel.tc`; this package reads the command line and prints what
the real tool prints.
"""

from __future__ import annotations

from ..base import CommandError, CommandResult, ShellContext
from . import filter as filter_cmd
from . import klass, qdisc

OBJECTS = {"qdisc": "qdisc", "qd": "qdisc", "q": "qdisc", "class": "class", "cl": "class", "c": "class",
           "filter": "filter", "filt": "filter", "f": "filter"}
VERBS = {"add": "add", "a": "add", "replace": "replace", "r": "replace", "change": "change", "ch": "change",
         "del": "del", "delete": "del", "d": "del", "show": "show", "list": "show", "ls": "show", "sh": "show",
         "l": "show", "s": "show"}
USAGE = ("Usage: tc [ OPTIONS ] OBJECT { COMMAND | help }\nwhere  OBJECT := { qdisc | class | filter | chain |\n"
         "                    action | monitor | exec }")


def tc(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`tc [-s] qdisc|class|filter add|replace|change|del|show ...`."""
    args = argv[1:]
    stats = False
    while args and args[0].startswith("-"):
        if args[0] in ("-s", "-stats", "-statistics"):
            stats = True
            args = args[1:]
        elif args[0] in ("-n", "-net", "-netns"):
            raise CommandError("tc: -n is not simulated here; use 'ip netns exec NAME tc ...'", 1)
        else:
            raise CommandError(f'Option "{args[0]}" is unknown, try "tc -help".', 255)
    if not args:
        raise CommandError(USAGE, 255)
    obj = OBJECTS.get(args[0])
    if obj is None:
        if args[0] in ("chain", "action", "actions", "monitor", "exec"):
            raise CommandError(f"tc: '{args[0]}' is not simulated here (qdisc, class and filter are)", 1)
        raise CommandError(f'Object "{args[0]}" is unknown, try "tc help".', 255)
    verb_word = args[1] if len(args) > 1 else "show"
    verb = VERBS.get(verb_word)
    if verb is None:
        raise CommandError(f'Command "{verb_word}" is unknown, try "tc {obj} help".', 255)
    words = args[2:]
    host = ctx.host
    if obj == "qdisc":
        return qdisc.show(host, words, stats) if verb == "show" else qdisc.modify(host, verb, words)
    if obj == "class":
        return klass.show(host, words, stats) if verb == "show" else klass.modify(host, verb, words)
    if verb == "change":
        raise CommandError("tc: 'filter change' is not simulated here (del, then add)", 1)
    return filter_cmd.show(host, words, stats) if verb == "show" else filter_cmd.modify(host, verb, words)


COMMANDS = {"tc": tc}
