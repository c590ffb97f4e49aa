"""The JSON Schema editors use for policy files, generated from the table in `schema.py`.

Regenerate the published copy with

    python -m policyc.dsl.jsonschema > schemas/policy.schema.json

The schema checks structure only (keys, types, enums, value shapes); names,
expressions and everything else the compiler checks stay with `policyc check`.
It accepts what YAML loaders hand an editor: booleans written `on`/`off`/`yes`
read as booleans by YAML 1.1 loaders and as strings by YAML 1.2 ones, times of
day as strings or (YAML 1.1 sexagesimal `21:30`) as numbers of minutes, and
date-times as strings with a `T` or a space.
"""

from __future__ import annotations

import json
import sys

from .schema import EXPR, POLICY, STEP_KINDS, F, T

SCHEMA_ID = "https://example.invalid/policyc/policy.schema.json"
Json = dict[str, object]

_YAML11_BOOLS = ("y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
                 "true", "True", "TRUE", "false", "False", "FALSE",
                 "on", "On", "ON", "off", "Off", "OFF")
# A name (validate.is_name): letters and digits of any script and _ - . @, so in
# ECMA-262 terms: no white space and no ASCII punctuation but those four.
_NAME = r"^[^\s!-/:-@\[-^`{-~][^\s!-,/:-?\[-^`{-~]{0,127}$"
_DURATION = r"^\s*\d+(s|m|h|d)\s*$"
_TIME = r"^\d{1,2}:\d{2}$"
_DATETIME = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)$"

_SCALARS: dict[str, Json] = {
    "str": {"type": ["string", "number", "boolean"]},
    "ident": {"type": ["string", "integer"], "pattern": _NAME},
    "bool": {"anyOf": [{"type": "boolean"}, {"enum": list(_YAML11_BOOLS)}]},
    "duration": {"type": "string", "pattern": _DURATION},
    "time": {"anyOf": [{"type": "string", "pattern": _TIME},
                       {"type": "integer", "minimum": 0, "maximum": 1440}]},
    "datetime": {"type": "string", "pattern": _DATETIME},
    "timezone": {"type": "string", "minLength": 1},
    "date": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "attribute": {"anyOf": [{"type": "string"}, {"type": "integer"},
                            {"type": "array", "items": {"type": "string"}}]},
    "expr": {"type": ["string", "boolean"]},
}


def _nullable(schema: Json) -> Json:
    return {"anyOf": [schema, {"type": "null"}]}


def _number(t: T, kind: str) -> Json:
    out: Json = {"type": kind}
    if t.min is not None:
        out["minimum"] = t.min
    if t.max is not None:
        out["maximum"] = t.max
    return out


def _obj(fields: tuple[F, ...]) -> Json:
    out: Json = {
        "type": "object",
        "properties": {f.name: _field(f) for f in fields},
        "additionalProperties": False,
    }
    required = [f.name for f in fields if f.required]
    if required:
        out["required"] = required
    return out


def _field(f: F) -> Json:
    out = dict(of(f.type))
    doc = f.doc or f.type.doc
    if doc:
        out["description"] = doc
    if f.default is not None and f.default not in ({}, []):
        out["default"] = f.default
    return out


def _step() -> Json:
    """A route step: the bare kind, or a mapping whose `step` names the kind."""
    kinds: list[Json] = [{"enum": list(STEP_KINDS)}]
    for kind, params in STEP_KINDS.items():
        body = _obj((F("step", T("str"), required=True), F("when", EXPR), *params))
        props = body["properties"]
        assert isinstance(props, dict)
        props["step"] = {"const": kind}
        kinds.append(body)
    return {"oneOf": kinds}


def of(t: T) -> Json:
    """The JSON Schema of one value type."""
    out: Json
    match t.kind:
        case "int":
            out = _number(t, "integer")
        case "num":
            out = _number(t, "number")
        case "enum":
            out = {"enum": list(t.values)}
        case "list":
            assert t.item is not None
            out = {"type": ["array", "null"], "items": of(t.item)}
        case "map":
            assert t.item is not None
            out = {"type": ["object", "null"], "additionalProperties": of(t.item)}
        case "obj":
            out = _obj(t.fields)
        case "step":
            out = _step()
        case "include":
            assert t.item is not None
            paths: list[Json] = [{"type": "string",
                                  "description": "the path of a YAML file"}]
            if t.item.kind == "map":  # a table may be split over several files
                paths.append({"type": "array", "items": {"type": "string"},
                              "description": "the paths of YAML files, one table"})
            out = {"oneOf": [*paths, of(t.item)]}
        case "pin":
            assert t.item is not None
            out = {"oneOf": [{"type": ["string", "integer"], "description": "an agent id"},
                             of(t.item)]}
        case kind:
            out = dict(_SCALARS[kind])
    return _nullable(out) if t.nullable else out


def policy_schema() -> Json:
    """The whole policy-file schema."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "policyc routing policy",
        "description": "A customer-service chat routing policy (generated from dsl/schema.py; "
                       "`policyc check` checks what a schema cannot).",
        **_obj(POLICY.fields),
    }


def dumps() -> str:
    """The schema as the text published in schemas/policy.schema.json."""
    return json.dumps(policy_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(dumps())
