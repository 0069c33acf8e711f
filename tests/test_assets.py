"""assets/ holds exactly the pictures `assets/make_pictures.py` makes (the README shows them), each
an SVG taken from the app, of a scenario the library ships."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_pictures", ASSETS / "make_pictures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclass looks its module up there)
    spec.loader.exec_module(module)
    return module


def test_the_pictures_in_assets_are_the_script_s() -> None:
    """Every listed picture is there, and nothing else is: no picture made by hand, none left behind."""
    names = [picture.name for picture in _script().PICTURES]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(path.stem for path in ASSETS.glob("*.svg"))
    assert sorted(p.name for p in ASSETS.iterdir() if p.suffix != ".svg" and p.name != "__pycache__") == [
        "make_pictures.py"
    ]


def test_each_picture_is_an_app_screenshot_of_a_shipped_scenario() -> None:
    """Each file is an SVG Textual exported (its terminal's classes), and its scenario is in the library."""
    from netstack_tui.scenarios.library import library_dir

    for picture in _script().PICTURES:
        svg = (ASSETS / f"{picture.name}.svg").read_text(encoding="utf-8")
        assert svg.startswith("<svg") and "terminal-" in svg and "netstack-tui" in svg, picture.name
        assert (library_dir() / f"{picture.scenario}.yaml").exists(), picture.scenario
        assert picture.about, f"{picture.name} needs its alt text"
