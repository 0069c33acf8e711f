"""`docker ...`: the client's command line, its output and its error wording (Docker CLI 28.2.2).

Daemon refusals read `Error response from daemon: ...` (exit 1; `docker run`'s are prefixed
`docker: ` and exit 125, as the real client does); the real client's follow-up line ("Run 'docker
run --help' for more information") is left out so every error stays one line.
"""

from __future__ import annotations

import ipaddress

from ..base import CommandError, CommandResult, ShellContext
from . import daemon as dockerd
from . import portspec, sandbox, show
from .daemon import DaemonError
from .images import find, note
from .state import Container, daemon


def docker(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`docker SUBCOMMAND ...`."""
    args = argv[1:]
    if not args:
        raise CommandError("usage: docker [run|ps|port|exec|stop|start|rm|inspect|images|network] ...", 2)
    verb, rest = args[0], args[1:]
    handler = VERBS.get(verb)
    if handler is None:
        raise CommandError(f"docker: unknown command: docker {verb}", 1)
    started = dockerd.ensure_started(ctx)
    try:
        result = handler(ctx, rest)
    except DaemonError as exc:
        prefix = "docker: " if verb == "run" else ""
        result = CommandResult(f"{prefix}Error response from daemon: {exc.message}", 125 if verb == "run" else 1,
                               changed=True)
    except CommandError as exc:
        result = CommandResult(exc.message, exc.status)
    if started:
        result.stderr = started
        result.changed = True
    return result


def _run(ctx: ShellContext, args: list[str]) -> CommandResult:
    """`docker run -d [--name N] [-p SPEC]... [--network NET] [--rm] IMAGE [CMD...]`."""
    name: str | None = None
    network, detach, auto_remove = "bridge", False, False
    specs: list[str] = []
    i = 0
    while i < len(args) and args[i].startswith("-"):
        word = args[i]
        flag, eq, inline = word.partition("=")
        if flag in ("--name", "-p", "--publish", "--network", "--net") or (word.startswith("-p") and len(word) > 2
                                                                         and not word.startswith("--")):
            if word.startswith("-p") and not word.startswith("--") and len(word) > 2:
                flag, value = "-p", word[2:]
            elif eq:
                value = inline
            elif i + 1 < len(args):
                i += 1
                value = args[i]
            else:
                raise CommandError(f"docker: flag needs an argument: {flag}", 125)
            if flag == "--name":
                name = value
            elif flag in ("-p", "--publish"):
                specs.append(value)
            else:
                network = value
        elif word in ("-d", "--detach", "-dit", "-itd", "-di", "-id"):
            detach = True
        elif word in ("-i", "-t", "-it", "-ti", "--interactive", "--tty"):
            pass
        elif word == "--rm":
            auto_remove = True
        else:
            raise CommandError(f"docker: unknown flag: {flag}", 125)
        i += 1
    if i >= len(args):
        raise CommandError("docker: 'docker run' requires at least 1 argument", 125)
    if not detach:
        raise CommandError("docker: attached runs are not simulated here; add -d (detached)", 125)
    reference, command = args[i], args[i + 1:]
    state = daemon(ctx.worldview)
    taken = {(b.proto, b.host_port) for c in state.containers.values() if c.status == "running" for b in c.ports}
    ports = []
    for spec in specs:
        try:
            binding = portspec.parse(spec, taken)
        except portspec.PortSpecError as exc:
            raise CommandError(f"docker: {exc}", 125) from None
        taken.add((binding.proto, binding.host_port))
        ports.append(binding)
    image = find(reference)
    if image is None:
        repo = reference if ":" in reference.split("/")[-1] else reference + ":latest"
        raise CommandError(f"Unable to find image '{repo}' locally\ndocker: Error response from daemon: pull access "
                           f"denied for {repo.rsplit(':', 1)[0]}, repository does not exist or may require "
                           "'docker login'", 125)
    if name is not None and (not name or not name.replace("_", "a").replace("-", "a").replace(".", "a").isalnum()):
        raise DaemonError(f'Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed')
    cmd = " ".join(command) if command else image.command
    container = dockerd.create(ctx, name, reference, cmd, network, ports, auto_remove)
    dockerd.start(ctx, container)
    return CommandResult(container.id, changed=True, stderr_tail=note(image))


def _ps(ctx: ShellContext, args: list[str]) -> CommandResult:
    show_all = False
    for word in args:
        if word in ("-a", "--all"):
            show_all = True
        else:
            raise CommandError(f"unknown flag: {word}", 125)
    return CommandResult(show.ps(daemon(ctx.worldview), ctx.worldview.root.clock, show_all))


def _one(ctx: ShellContext, args: list[str], verb: str) -> tuple[str, Container]:
    if not args:
        raise CommandError(f"docker: 'docker {verb}' requires at least 1 argument", 1)
    return args[0], dockerd.find_container(daemon(ctx.worldview), args[0])


def _port(ctx: ShellContext, args: list[str]) -> CommandResult:
    _ref, c = _one(ctx, args, "port")
    return CommandResult(show.port(c))


def _exec(ctx: ShellContext, args: list[str]) -> CommandResult:
    # docker exec's own options come before the container; everything after it is the command's.
    while args and args[0] in ("-i", "-t", "-it", "-ti", "--interactive", "--tty"):
        args = args[1:]
    if args and args[0].startswith("-"):
        raise CommandError(f"unknown flag: {args[0]}", 125)
    if len(args) < 2:
        raise CommandError("docker: 'docker exec' requires at least 2 arguments", 1)
    _ref, c = _one(ctx, args, "exec")
    ns = sandbox.netns_of(ctx.worldview, c)
    if c.status != "running" or ns is None:
        raise DaemonError(f"container {c.id} is not running")
    if ctx.run_in is None:
        raise CommandError("docker: exec needs a shell", 1)
    return ctx.run_in(ns, args[1:], ctx.stdin)


def _each(ctx: ShellContext, args: list[str], verb: str) -> CommandResult:
    """Run `act` on every named container, as stop/start/rm do: a name per success, an error per miss."""
    force = False
    names = []
    for word in args:
        if word in ("-f", "--force") and verb == "rm":
            force = True
        elif word.startswith("-"):
            raise CommandError(f"unknown flag: {word}", 125)
        else:
            names.append(word)
    if not names:
        raise CommandError(f"docker: 'docker {verb}' requires at least 1 argument", 1)
    lines, status = [], 0
    for ref in names:
        try:
            c = dockerd.find_container(daemon(ctx.worldview), ref)
            if verb == "stop":
                dockerd.stop(ctx, c)
            elif verb == "start":
                dockerd.start(ctx, c)
            else:
                dockerd.remove(ctx, c, force, ref)
            lines.append(ref)
        except DaemonError as exc:
            lines.append(f"Error response from daemon: {exc.message}")
            status = 1
    return CommandResult("\n".join(lines), status, changed=True)


def _inspect(ctx: ShellContext, args: list[str]) -> CommandResult:
    if not args:
        raise CommandError("docker: 'docker inspect' requires at least 1 argument", 1)
    try:
        c = dockerd.find_container(daemon(ctx.worldview), args[0])
    except DaemonError:
        raise CommandError(f"[]\nError: No such object: {args[0]}", 1) from None
    return CommandResult(show.inspect(daemon(ctx.worldview), c))


def _images(ctx: ShellContext, args: list[str]) -> CommandResult:
    return CommandResult(show.images(), stderr_tail="(simulated images: each stands in for the real one, "
                                                    "see 'docker run' for what it runs)")


def _network(ctx: ShellContext, args: list[str]) -> CommandResult:
    state = daemon(ctx.worldview)
    verb = args[0] if args else ""
    rest = args[1:]
    if verb in ("ls", "list"):
        return CommandResult(show.network_ls(state))
    if verb == "create":
        subnet = None
        names = []
        i = 0
        while i < len(rest):
            word = rest[i]
            if word == "--subnet" and i + 1 < len(rest):
                subnet, i = rest[i + 1], i + 1
            elif word.startswith("--subnet="):
                subnet = word.split("=", 1)[1]
            elif word in ("-d", "--driver") and i + 1 < len(rest) and rest[i + 1] == "bridge":
                i += 1
            elif word.startswith("-"):
                raise CommandError(f"unknown flag: {word}", 125)
            else:
                names.append(word)
            i += 1
        if len(names) != 1:
            raise CommandError("docker: 'docker network create' requires 1 argument", 1)
        if subnet is not None:
            try:
                ipaddress.IPv4Network(subnet, strict=False)
            except ValueError:
                raise CommandError(f'invalid argument "{subnet}" for "--subnet" flag: invalid CIDR address: '
                                   f"{subnet}", 125) from None
        return CommandResult(dockerd.create_network(ctx, names[0], subnet).id, changed=True)
    if verb in ("inspect", "rm", "remove") and rest:
        if verb == "inspect":
            try:
                return CommandResult(show.network_inspect(state, dockerd.find_network(state, rest[0])))
            except DaemonError as exc:
                raise CommandError(f"[]\nError response from daemon: {exc.message}", 1) from None
        lines, status = [], 0
        for ref in rest:
            try:
                dockerd.remove_network(ctx, ref)
                lines.append(ref)
            except DaemonError as exc:
                lines.append(f"Error response from daemon: {exc.message}")
                status = 1
        return CommandResult("\n".join(lines), status, changed=True)
    raise CommandError("usage: docker network ls|create [--subnet CIDR] NAME|inspect NAME|rm NAME", 1)


VERBS = {
    "run": _run,
    "ps": _ps,
    "port": _port,
    "exec": _exec,
    "stop": lambda ctx, args: _each(ctx, args, "stop"),
    "start": lambda ctx, args: _each(ctx, args, "start"),
    "rm": lambda ctx, args: _each(ctx, args, "rm"),
    "inspect": _inspect,
    "images": _images,
    "network": _network,
}
