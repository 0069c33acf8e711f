"""Generate `schema.json` (JSON Schema of the scenario format) from the models.

    python -m netstack_tui.scenarios.schema          write scenarios/schema.json (beside the library)
    python -m netstack_tui.scenarios.schema --check  exit 1 if the file is out of date

Editors use it for completion and validation: add `# yaml-language-server: $schema=...` to a file.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from .library import library_dir
from .model import ScenarioFile

SCHEMA_PATH = library_dir() / "schema.json"


def build_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file."""
    schema = ScenarioFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://netstack-tui.invalid/scenario.schema.json"
    schema["title"] = "netstack-tui scenario"
    return schema


def render() -> str:
    """The schema as the file holds it."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    """Write the schema, or with --check compare it."""
    text = render()
    if "--check" in argv:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH} is out of date; run: python -m netstack_tui.scenarios.schema", file=sys.stderr)
            return 1
        return 0
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
