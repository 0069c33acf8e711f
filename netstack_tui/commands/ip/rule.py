"""`ip rule list|add|del|flush`."""

from __future__ import annotations

from ...kernel.addr import prefix_mask
from ...kernel.host import Host
from ...kernel.routing import DEFAULT_RULES, RT_TABLE_MAIN, RoutingRule
from ..base import CommandError, CommandResult
from ..numbers import number
from .common import Options, bad_arg, int_arg, not_simulated, parse_addr_prefix, rtnl, sub_command
from .route import parse_table

# ---- ip rule ------------------------------------------------------------------------------------


def ip_rule(host: Host, opts: Options, args: list[str]) -> CommandResult:
    """`ip rule list|add|del|flush`."""
    sub, rest = sub_command(
        args, "list", ("list", "show", "lst", "add", "delete", "flush", "save", "restore", "help"), "rule"
    )
    if sub in ("list", "show", "lst"):
        if rest:
            raise not_simulated("rule list " + rest[0])
        return CommandResult("\n".join(_rule_text(host, r) for r in host.routing.rules))
    if sub == "add":
        rule = _parse_rule(host, rest, adding=True)
        host.routing.add_rule(rule)
        return CommandResult(changed=True)
    if sub == "delete":
        return _rule_delete(host, rest)
    if sub == "flush":
        host.routing.rules = [r for r in host.routing.rules if r in DEFAULT_RULES]
        return CommandResult(changed=True)
    raise not_simulated(f"rule {sub}")


def _rule_text(host: Host, rule: RoutingRule) -> str:
    text = rule.describe()
    for key in ("iif", "oif"):
        dev = getattr(rule, key)
        if dev is not None and dev not in host.interfaces:
            text = text.replace(f" {key} {dev}", f" {key} {dev} [detached]", 1)
    return text


RULE_SPEC_KEYS = ("from", "to", "fwmark", "iif", "dev", "oif", "priority", "pref", "preference", "table", "lookup")


def _parse_rule(host: Host, args: list[str], *, adding: bool) -> RoutingRule:
    fields: dict[str, object] = {}
    i = 0
    while i < len(args):
        word, value = args[i], args[i + 1] if i + 1 < len(args) else None
        if word in ("blackhole", "unreachable", "prohibit"):
            fields["action"] = word
            i += 1
            continue
        if word == "type" and value in ("blackhole", "unreachable", "prohibit"):
            fields["action"] = value
        elif word in RULE_SPEC_KEYS and value is not None:
            _rule_field(fields, word, value)
        elif word in (
            "not",
            "tos",
            "dsfield",
            "realms",
            "nat",
            "goto",
            "suppress_prefixlength",
            "suppress_ifgroup",
            "uidrange",
            "ipproto",
            "sport",
            "dport",
            "l3mdev",
            "protocol",
        ):
            raise not_simulated(f"rule {word}")
        else:
            raise CommandError(f'Error: argument "{word}" is wrong: Failed to parse rule type\n', 255)
        i += 2
    if "priority" not in fields:  # a deletion without `pref` matches any priority (see `_given`)
        fields["priority"] = host.routing.next_rule_priority() if adding else 0
    if "action" not in fields and adding:
        fields.setdefault("table", RT_TABLE_MAIN)
    return RoutingRule(**fields)  # type: ignore[arg-type]


def _rule_field(fields: dict[str, object], word: str, value: str) -> None:
    if word in ("from", "to"):
        if value == "all":
            return
        try:
            addr, plen = parse_addr_prefix(value)
        except CommandError:
            raise bad_arg(value, f'"{word}" value is invalid') from None
        fields["src" if word == "from" else "dst"] = (addr & prefix_mask(plen), plen)
    elif word == "fwmark":
        mark, _, mask = value.partition("/")
        fields["fwmark"] = int_arg(mark, "fwmark", 2**32 - 1)
        if mask:
            fields["fwmask"] = int_arg(mask, "fwmask", 2**32 - 1)
    elif word in ("iif", "dev"):
        fields["iif"] = value
    elif word == "oif":
        fields["oif"] = value
    elif word in ("priority", "pref", "preference"):
        fields["priority"] = number(value, 0, 2**32 - 1, bad_arg(value, "preference value is invalid").message, 255)
    else:
        fields["table"] = parse_table(value, "invalid table ID")


def _rule_delete(host: Host, args: list[str]) -> CommandResult:
    if not args:
        raise CommandError('"ip rule del" requires arguments.', 1)
    spec = _parse_rule(host, args, adding=False)
    given = {k for k in ("src", "dst", "fwmark", "iif", "oif", "action") if _given(args, k)}
    for rule in host.routing.rules:
        if _given(args, "priority") and rule.priority != spec.priority:
            continue
        if any(getattr(rule, k) != getattr(spec, k) for k in given):
            continue
        if _given(args, "table") and rule.table != spec.table:
            continue
        host.routing.rules.remove(rule)
        return CommandResult(changed=True)
    raise rtnl("No such file or directory")


def _given(args: list[str], key: str) -> bool:
    words = {
        "src": ("from",),
        "dst": ("to",),
        "fwmark": ("fwmark",),
        "iif": ("iif", "dev"),
        "oif": ("oif",),
        "priority": ("priority", "pref", "preference"),
        "table": ("table", "lookup"),
        "action": ("blackhole", "unreachable", "prohibit", "type"),
    }[key]
    return any(w in args for w in words)
