"""The scenario library: the shipped YAML files, loaded into `Scenario` objects viewers use.

The files live in the checkout's top-level `scenarios/` directory, where teachers find and edit them;
a wheel carries the same files as `netstack_tui/library/` (pyproject maps one to the other).
`load_scenario` takes a library id (`rule-order`) or a path to any YAML file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..commands.session import NamedPacket
from .loader import ScenarioError, load_file
from .model import Check, ScenarioFile

DEFAULT_SCENARIO_ID = "tour-incoming"
"""The walkthrough the app opens when no scenario is named."""


def library_dir() -> Path:
    """The directory of the shipped scenario files: the installed copy, else the checkout's."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "library"
    return installed if installed.is_dir() else package.parent / "scenarios"


@dataclass(frozen=True, slots=True)
class Hint:
    """One hint: its text per language and the check that must hold in the broken state."""

    text: dict[str, str]
    """Language code → text."""
    premise: Check | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A loaded scenario, as viewers use it. `source` keeps the full validated file."""

    id: str
    kind: str
    """`problem` or `tour`."""
    title: dict[str, str]
    summary: dict[str, str]
    lesson: dict[str, str]
    level: str
    topics: list[str]
    setup: list[str]
    """Shell lines that build the host."""
    packets: list[NamedPacket]
    symptom_text: dict[str, str]
    """What the learner observes (empty for tours)."""
    goal_text: dict[str, str]
    hints: list[Hint]
    solution: list[str]
    seed: str
    """The seed section this scenario teaches."""
    path: str
    source: ScenarioFile = field(repr=False, compare=False)
    world: str = "bare"
    """What the setup starts from: `bare` or `connected` (see `ScenarioFile.world`)."""

    def text(self, name: str, lang: str = "en") -> str:
        """One of the texts (`title`, `summary`, `lesson`, `goal_text`, `symptom_text`) in `lang`."""
        texts: dict[str, str] = getattr(self, name)
        return texts.get(lang) or texts.get("en", "")


def from_file(model: ScenarioFile, path: str) -> Scenario:
    """Build the viewer-facing Scenario from a validated file."""
    return Scenario(
        id=model.id,
        kind=model.kind,
        title=model.title.as_dict(),
        summary=model.summary.as_dict(),
        lesson=model.lesson.as_dict(),
        level=model.level,
        topics=list(model.topics),
        setup=list(model.setup),
        packets=[NamedPacket(p.name, p.spec, p.from_) for p in model.packets],
        symptom_text=model.symptom.text.as_dict() if model.symptom else {},
        goal_text=model.goal.text.as_dict(),
        hints=[Hint(h.text.as_dict(), h.premise) for h in model.hints],
        solution=list(model.solution),
        seed=model.seed,
        path=path,
        world=model.world,
        source=model,
    )


def library_files() -> list[Path]:
    """The shipped scenario files, sorted by name."""
    return sorted(library_dir().glob("*.yaml"))


_ORDER = ("tour-incoming", "tour-outgoing", "tour-forward")


def list_scenarios() -> list[Scenario]:
    """Every shipped scenario: the tours first, then by level and id. Raises ScenarioError on a broken file."""
    found = [load_scenario(path) for path in library_files()]
    levels = {"beginner": 0, "intermediate": 1, "advanced": 2}
    return sorted(found, key=lambda s: (s.id not in _ORDER, _ORDER.index(s.id) if s.id in _ORDER else 0,
                                        levels.get(s.level, 3), s.id))


def load_scenario(id_or_path: str | Path) -> Scenario:
    """A scenario by library id (`rule-order`) or by the path of a YAML file."""
    text = str(id_or_path)
    path = Path(text)
    if not text.endswith((".yaml", ".yml")) and "/" not in text and not path.exists():
        path = library_dir() / f"{text}.yaml"
        if not path.exists():
            known = ", ".join(p.stem for p in library_files())
            raise ScenarioError(text, None, None, f"no scenario with this id; the library has: {known}")
    return from_file(load_file(path), str(path))
