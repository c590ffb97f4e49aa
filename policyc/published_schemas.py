"""The JSON Schemas of the inputs and outputs, published in `policyc/schemas/`, generated.

Each schema comes from the shape table the runtime checks that input with
(runtime/formats.py, runtime/artifact.py, policy_test_file.py), so the
published file and the checker cannot disagree. Regenerate the copies with

    python -m policyc.published_schemas

(`tests/test_input_schemas.py` fails while a committed copy differs.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .policy_test_file import TEST_FILE
from .runtime.artifact import AGENT, ARTIFACT, CONDITION
from .runtime.formats import DECISION, EVENT, MESSAGE, RECORD, SNAPSHOT
from .runtime.shape import Json, Shape
from .runtime.shape_schema import Defs, json_schema

FOLDER = Path(__file__).resolve().parent / "schemas"
SCHEMAS: dict[str, tuple[Shape, str]] = {
    "state": (SNAPSHOT, "policyc state snapshot (`--state`, a test case's `state:`)"),
    "event": (EVENT, "policyc event (`--event`; one line of a `--log`)"),
    "decision": (DECISION, "policyc decision (CONTRACT.md), as printed by "
                           "`policyc explain --format json`"),
    "record": (RECORD, "policyc routing record: one line of `policyc simulate -o`"),
    "test-file": (TEST_FILE, "policyc policy test file (`*.test.yaml`)"),
    "artifact": (ARTIFACT, "policyc compiled artifact (`policyc compile -o`)"),
}


def schema(name: str) -> Json:
    """The published schema `name` (state, event, decision, record, test-file, artifact)."""
    shape, title = SCHEMAS[name]
    defs = Defs({"event": EVENT, "message": MESSAGE, "condition": CONDITION, "agent": AGENT})
    body = json_schema(shape, defs)
    out: Json = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                 "$id": f"policyc/{name}.schema.json", "title": title, **body}
    if defs.schemas:
        out["$defs"] = defs.schemas
    return out


def dumps(name: str) -> str:
    """The text of `policyc/schemas/<name>.schema.json`."""
    return json.dumps(schema(name), ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    """Rewrite every published copy; print the names of those that changed."""
    for name in SCHEMAS:
        path = FOLDER / f"{name}.schema.json"
        text = dumps(name)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
