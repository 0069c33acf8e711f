"""The scenario library: the shipped YAML files, loaded into `Scenario` objects viewers use.

The files live in the checkout's top-level `scenarios/` directory, where teachers find and edit them;
a wheel carries the same files as `netstack_tui/library/` (pyproject maps one to the other).
`load_scenario` takes a library id (`rule-order`) or a path to any YAML file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..commands.named_packet import NamedPacket
from . import compiled
from .errors import ScenarioError, read_scenario_bytes

if TYPE_CHECKING:
    from .model import ScenarioFile

DEFAULT_SCENARIO_ID = "tour-incoming"
"""The walkthrough the app opens when no scenario is named."""


def library_dir() -> Path:
    """The directory of the shipped scenario files: the installed copy, else the checkout's."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "library"
    return installed if installed.is_dir() else package.parent / "scenarios"


@dataclass(frozen=True, slots=True)
class Hint:
    """One hint: its text per language (its premise is in `Scenario.source`)."""

    text: dict[str, str]
    """Language code → text."""


class Validated:
    """A scenario file's full validated model, built the first time it is asked for (goals and
    `scenarios check` need it; the first screen does not)."""

    def __init__(self, raw: bytes, name: str, model: ScenarioFile | None = None) -> None:
        self._raw, self._name, self._model = raw, name, model

    def get(self) -> ScenarioFile:
        if self._model is None:
            from .loader import load_bytes

            self._model = load_bytes(self._raw, self._name)
        return self._model


@dataclass(frozen=True, slots=True)
class Scenario:
    """A loaded scenario, as viewers use it. `source` is the full validated file."""

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
    validated: Validated = field(repr=False, compare=False)
    world: str = "bare"
    """What the setup starts from: `bare` or `connected` (see `ScenarioFile.world`)."""

    @property
    def source(self) -> ScenarioFile:
        """The full validated file (validated now if it came from the cache)."""
        return self.validated.get()

    def text(self, name: str, lang: str = "en") -> str:
        """One of the texts (`title`, `summary`, `lesson`, `goal_text`, `symptom_text`) in `lang`."""
        texts: dict[str, str] = getattr(self, name)
        return texts.get(lang) or texts.get("en", "")


def viewer_form(model: ScenarioFile) -> dict[str, Any]:
    """The plain data a viewer reads from a validated file (what the cache keeps)."""
    return {
        "id": model.id,
        "kind": model.kind,
        "title": model.title.as_dict(),
        "summary": model.summary.as_dict(),
        "lesson": model.lesson.as_dict(),
        "level": model.level,
        "topics": list(model.topics),
        "setup": list(model.setup),
        "packets": [[p.name, p.spec, p.from_] for p in model.packets],
        "symptom_text": model.symptom.text.as_dict() if model.symptom else {},
        "goal_text": model.goal.text.as_dict(),
        "hints": [h.text.as_dict() for h in model.hints],
        "solution": list(model.solution),
        "seed": model.seed,
        "world": model.world,
    }


def _from_form(form: dict[str, Any], path: str, validated: Validated) -> Scenario:
    return Scenario(
        **{k: v for k, v in form.items() if k not in ("packets", "hints")},
        packets=[NamedPacket(*p) for p in form["packets"]],
        hints=[Hint(text) for text in form["hints"]],
        path=path,
        validated=validated,
    )


def from_file(model: ScenarioFile, path: str) -> Scenario:
    """Build the viewer-facing Scenario from a validated file."""
    return _from_form(viewer_form(model), path, Validated(b"", path, model))


def from_bytes(raw: bytes, path: str) -> Scenario:
    """The scenario in a file's bytes: from the cache when these bytes were validated before, else
    validated now (and remembered)."""
    form = compiled.lookup(raw, path)
    if form is not None:
        try:
            return _from_form(form, path, Validated(raw, path))
        except (KeyError, TypeError, ValueError):  # an entry of another layout: validate afresh
            pass
    from .loader import load_bytes

    model = load_bytes(raw, path)
    form = viewer_form(model)
    compiled.store(raw, path, form)
    return _from_form(form, path, Validated(raw, path, model))


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
    return from_bytes(read_scenario_bytes(path), str(path))
