"""A random-key monkey through the explorer: whatever is pressed or typed, the app never crashes.

A seeded random walk drives the app through the Pilot at 80×24 and 160×50: keys of every screen's
bindings (picker, topology, help, goal, summary, exports...), arrows, tab, enter and escape, random
letters, commands typed in the command line (real ones, broken ones and garbage with markup,
quotes and control characters), terminal resizes, and scenario switches through the picker. After
every action the app must still run; the only way out is the app's own quit (`q`, `ctrl+q`), after
which the walk starts a fresh app. A failure names the seed, the walk and the last actions.

Profiles (tests/conftest.py): `ci` (the default suite) presses a few hundred keys; `long`
(`python -m pytest tests/fuzz/test_monkey.py -m fuzz --hypothesis-profile long -s`) presses
10,000 and prints what it did. `NETSTACK_MONKEY_SEED` picks another seed.
"""

from __future__ import annotations

import os
import random
import string
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.screens.main import MainScreen

pytestmark = pytest.mark.fuzz

LONG = settings.get_current_profile_name() == "long"
KEYS_PER_SIZE = 5_000 if LONG else 100
SEED = int(os.environ.get("NETSTACK_MONKEY_SEED", "20260520"))
QUIT_KEYS = ("q", "ctrl+q")

BOUND_KEYS = [
    # the explorer (screens/main.py) and the app (exports, theme)
    "right", "left", "colon", "slash", "question_mark", "f1", "g", "space", "n", "N", "a", "s", "w",
    "plus", "minus", "home", "end", "r", "R", "o", "l", "t", "p", "dollar_sign", "escape", "ctrl+c",
    "P", "C", "J", "S",
    # the topology, goal, picker and command line
    "down", "up", "tab", "shift+tab", "enter", "x", "c", "pageup", "pagedown", "h",
    # quitting (the explorer asks again when commands were typed; the walk then starts a new app)
    "q", "q", "ctrl+q",
]
OTHER_KEYS = ["backspace", "delete", "ctrl+a", "ctrl+e", "ctrl+u", "ctrl+w", "ctrl+l", "f5", "insert"]
COMMANDS = [
    "iptables -A INPUT -p tcp --dport 80 -j DROP",
    "iptables -I INPUT -j ACCEPT",
    "iptables -F",
    "iptables -P INPUT DROP",
    "iptables -L -n -v",
    "iptables -N A",
    "iptables -A A -j A",
    "iptables -A INPUT -j A",
    "iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE",
    "iptables -R INPUT 999999999999999999999999999 -j DROP",
    "nft add table ip t",
    "nft 'add chain ip t c { type filter hook input priority 0 ; }'",
    "nft list ruleset",
    "ip addr",
    "ip route add 10.9.0.0/16 via 10.0.0.254",
    "ip link set eth0 down",
    "ip link set eth0 up",
    "ip netns add m1",
    "ip link add m1a type veth peer name m1b",
    "ip link set m1b netns m1",
    "ip netns exec m1 ip link show",
    "ip netns exec m1",
    "ip netns exec",
    "exit",
    "sysctl -w net.ipv4.ip_forward=1",
    "sysctl -w net.ipv4.conf.all.rp_filter=2",
    "ss -tlnp",
    "conntrack -L",
    "conntrack -F",
    "send tcp 203.0.113.7:51000 > 10.0.0.1:80 [S] iface=eth0",
    "send udp 203.0.113.7:5000 > 10.0.0.1:53 len=20 iface=eth0",
    "send icmp 203.0.113.7 > 10.0.0.1 echo-request iface=eth0",
    "flood tcp 203.0.113.7:1000 > 10.0.0.1:80 [S] --count 30 --vary sport",
    "listen tcp 0.0.0.0:8080 --app '[red]x[/red]'",
    "connect tcp 93.184.215.14:80",
    "kill nginx",
    "sleep 5",
    "sleep nan",
    "trace",
    "ping -c 1 8.8.8.8",
    "tcpdump -c 2 -r /dev/null",
    "echo '[/]' | grep '['",
    "cat /proc/net/dev",
]
GARBAGE_ALPHABET = string.printable + "[]/@=\\'\"{}()$`|;&<>~ёж→\x00\x07\x1b"


class Walk:
    """One app's life in the monkey: the actions taken so far (for the failure message)."""

    def __init__(self, rng: random.Random, log: list[str]) -> None:
        self.rng = rng
        self.log = log

    async def act(self, pilot: Any, app: NetstackApp, stats: Counter[str]) -> int:
        """One random action; returns how many keys it pressed."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.06:
            size = rng.choice([(80, 24), (160, 50), (100, 30), (60, 18), (200, 60), (40, 12)])
            self.log.append(f"resize {size}")
            stats["resizes"] += 1
            await pilot.resize_terminal(*size)
            await pilot.pause()
            return 0
        if roll < 0.08 and isinstance(app.screen, MainScreen):
            return await self.switch_scenario(pilot, stats)
        if roll < 0.20:
            return await self.type_command(pilot, app, stats)
        key = rng.choice(OTHER_KEYS) if roll < 0.25 else rng.choice(
            [*BOUND_KEYS, rng.choice(string.ascii_letters + string.digits)])
        if key in QUIT_KEYS and rng.random() < 0.7:
            key = "escape"  # keep most walks long: quitting restarts the app, which is slow
        await self.press(pilot, key, stats)
        return 1

    async def press(self, pilot: Any, key: str, stats: Counter[str]) -> None:
        self.log.append(key)
        stats["keys"] += 1
        await pilot.press(key)

    async def switch_scenario(self, pilot: Any, stats: Counter[str]) -> int:
        """Open the picker, move down a few rows and open that scenario."""
        moves = self.rng.randint(0, 12)
        self.log.append(f"switch scenario (down x{moves})")
        stats["switches"] += 1
        await self.press(pilot, "o", stats)
        for _ in range(40):  # the picker reads the whole library first
            if type(pilot.app.screen).__name__ == "PickerScreen":
                break
            await pilot.pause(0.05)
        for key in [*["down"] * moves, "enter"]:
            await self.press(pilot, key, stats)
        await pilot.pause(0.2)  # the scenario loads and sets up
        return moves + 2

    async def type_command(self, pilot: Any, app: NetstackApp, stats: Counter[str]) -> int:
        """Open the command line (if the explorer is in front), put a line in it and run it."""
        from netstack_tui.tui.widgets.command_line import CommandLine

        rng = self.rng
        if rng.random() < 0.6:
            line = rng.choice(COMMANDS)
        else:
            line = "".join(rng.choice(GARBAGE_ALPHABET) for _ in range(rng.randint(1, 60)))
        await self.press(pilot, "colon", stats)
        await pilot.pause()
        found = app.screen.query(CommandLine)
        if not isinstance(app.screen, MainScreen) or not found or not found.first().has_focus:
            return 1
        stats["commands"] += 1
        self.log.append(f"type {line!r}")
        found.first().value = line
        if rng.random() < 0.2:
            await self.press(pilot, "tab", stats)
        await self.press(pilot, "enter", stats)
        await pilot.pause()
        return 3


async def run_walks(size: tuple[int, int], keys: int, seed: int, export_dir: Path) -> Counter[str]:
    """Walks at `size` until `keys` keys were pressed; raises on the first crash."""
    rng = random.Random(seed)
    stats: Counter[str] = Counter()
    pressed = 0
    walk_number = 0
    seen: set[str] = set()
    screens: Counter[str] = Counter()
    while pressed < keys:
        walk_number += 1
        stats["walks"] += 1
        log: list[str] = []
        walk = Walk(rng, log)
        app = NetstackApp(export_dir=export_dir)
        try:
            async with app.run_test(size=size, notifications=True) as pilot:
                for _ in range(200):
                    screen = app.screen_stack[0] if app.screen_stack else None
                    if isinstance(screen, MainScreen) and screen.session is not None:
                        break
                    await pilot.pause(0.05)
                while pressed < keys and app.is_running and app.return_code is None:
                    pressed += await walk.act(pilot, app, stats)
                    assert app._exception is None, "the app raised"
                    explorer = app.screen_stack[0] if app.screen_stack else None
                    scenario = getattr(explorer, "scenario", None)
                    if scenario is not None:
                        seen.add(scenario.id)
                    if app.is_running:
                        screens[type(app.screen).__name__] += 1
        except BaseException as exc:
            raise AssertionError(
                f"monkey crashed: seed {seed}, size {size}, walk {walk_number}: {type(exc).__name__}: {exc}\n"
                f"last actions: {log[-40:]}") from exc
        if app.return_code is not None:
            assert log and log[-1] in QUIT_KEYS and app.return_code == 0, (
                f"the app ended without being asked to quit (seed {seed}, size {size}, walk {walk_number}, "
                f"return code {app.return_code}); last actions: {log[-40:]}")
            stats["quits"] += 1
    stats["pressed"] = pressed
    stats["scenarios seen"] = len(seen)
    stats.update({f"actions on {name}": count for name, count in screens.items()})
    return stats


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
async def test_random_keys_never_crash_the_app(size: tuple[int, int], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Random keys, commands, resizes and scenario switches leave the app running (or quit by `q`)."""
    monkeypatch.setenv("NETSTACK_TUI_DATA", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    stats = await run_walks(size, KEYS_PER_SIZE, SEED + size[0], tmp_path / "exports")
    assert stats["pressed"] >= KEYS_PER_SIZE
    if LONG:
        print(f"\nmonkey {size[0]}x{size[1]}: {dict(stats)}")
