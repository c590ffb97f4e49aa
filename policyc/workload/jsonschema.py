"""The JSON Schema editors use for workload model files, generated from policyc/workload/schema.py.

Regenerate the published copy with

    python -m policyc.workload.jsonschema > schemas/workload.schema.json

Policy kinds are rendered by dsl/jsonschema.py; the model's own kinds (durations
with fractions, distributions, rates, shares, paths) are rendered here. As for
policies, the schema checks shape only; `simulate --workload` checks the rest.
"""

from __future__ import annotations

import json
import sys

from ..dsl import jsonschema as policy_jsonschema
from ..dsl.schema import F, T
from .distributions import COUNT_KINDS, DURATION_KINDS
from .schema import MODEL

SCHEMA_ID = "https://example.invalid/policyc/workload.schema.json"
Json = dict[str, object]

_SECONDS: Json = {"type": "string", "pattern": r"^\s*\d+(\.\d+)?(s|m|h|d)\s*$"}
_NUMBER: Json = {"type": "number", "minimum": 0}


def _distribution(kinds: tuple[str, ...], value: Json) -> Json:
    shapes: dict[str, Json] = {
        "fixed": value, "exponential": value, "poisson": value, "geometric": value,
        "uniform": {"type": "array", "items": value, "minItems": 2, "maxItems": 2},
        "lognormal": {"type": "object", "required": ["median", "p90"],
                      "additionalProperties": False,
                      "properties": {"median": value, "p90": value}},
        "empirical": {"type": "array", "items": value, "minItems": 1},
    }
    return {"oneOf": [value, *({"type": "object", "required": [k], "additionalProperties": False,
                                "properties": {k: shapes[k]}} for k in kinds)]}


_KINDS: dict[str, Json] = {
    "seconds": _SECONDS,
    "dist": _distribution(DURATION_KINDS, _SECONDS),
    "count": _distribution(COUNT_KINDS, _NUMBER),
    "rate": {"oneOf": [_NUMBER, {"type": "array", "items": _NUMBER, "minItems": 24,
                                 "maxItems": 24}]},
    "shares": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0,
                                                          "maximum": 1}},
    "path": {"type": "string", "minLength": 1},
}


def of(t: T) -> Json:
    """The JSON Schema of one value type of the model."""
    out: Json
    match t.kind:
        case "obj":
            out = _obj(t.fields)
        case "list":
            assert t.item is not None
            out = {"type": ["array", "null"], "items": of(t.item)}
        case kind if kind in _KINDS:
            out = dict(_KINDS[kind])
        case _:
            return policy_jsonschema.of(t)
    return {"anyOf": [out, {"type": "null"}]} if t.nullable else out


def _obj(fields: tuple[F, ...]) -> Json:
    props: dict[str, Json] = {}
    for f in fields:
        prop = dict(of(f.type))
        if f.doc or f.type.doc:
            prop["description"] = f.doc or f.type.doc
        props[f.name] = prop
    out: Json = {"type": "object", "properties": props, "additionalProperties": False}
    required = [f.name for f in fields if f.required]
    if required:
        out["required"] = required
    return out


def model_schema() -> Json:
    """The whole workload-model schema."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "policyc workload model",
            "description": "Arrivals, handling behaviour, staff and seed for `policyc simulate "
                           "--workload` (generated from policyc/workload/schema.py).",
            **_obj(MODEL.fields)}


def dumps() -> str:
    """The schema as the text published in schemas/workload.schema.json."""
    return json.dumps(model_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(dumps())
