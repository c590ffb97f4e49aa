"""The JSON Schema (draft 2020-12) of a shape: the files published in `policyc/schemas/`.

Generated from the same shape tables `shape.check` checks with, so a published
schema and the runtime's checker cannot disagree about keys, types or ranges.
"""

from __future__ import annotations

from typing import Any

from .shape import (
    Custom,
    Fixed,
    Flag,
    Instant,
    Items,
    Nullable,
    Number,
    Record,
    Shape,
    Table,
    Tagged,
    Text,
    Whole,
)

Json = dict[str, Any]


class Defs:
    """Shapes a schema names once under `$defs` and refers to (`refs`: shape -> name)."""

    def __init__(self, refs: dict[str, Shape] | None = None) -> None:
        self.names = {id(shape): name for name, shape in (refs or {}).items()}
        self.schemas: Json = {}


def json_schema(shape: Shape, defs: Defs | None = None) -> Json:
    """The JSON Schema (draft 2020-12) of a shape; shapes named in `defs` become `$ref`s."""
    if defs is not None and id(shape) in defs.names:
        name = defs.names[id(shape)]
        if name not in defs.schemas:
            defs.schemas[name] = {}  # a placeholder while it is built (recursive shapes)
            defs.schemas[name] = _schema(shape, defs)
        return {"$ref": f"#/$defs/{name}"}
    return _schema(shape, defs)


def _schema(shape: Shape, defs: Defs | None) -> Json:
    out: Json
    match shape:
        case Record():
            out = _record_schema(shape, defs)
        case Text():
            out = {"enum": list(shape.values)} if shape.values else \
                {"type": "string", "minLength": 1, "maxLength": shape.max_len}
        case Whole():
            out = {"type": "integer", "minimum": shape.lo, "maximum": shape.hi}
        case Number():
            out = {"type": "number", "minimum": shape.lo, "maximum": shape.hi}
        case Flag():
            out = {"type": "boolean"}
        case Instant():
            out = {"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN}
        case Nullable():
            return {"anyOf": [json_schema(shape.inner, defs), {"type": "null"}]}
        case Items():
            out = {"type": "array", "items": json_schema(shape.item, defs),
                   "maxItems": shape.max_items}
        case Table():
            out = {"type": "object", "propertyNames": {"minLength": 1},
                   "additionalProperties": json_schema(shape.value, defs)}
        case Fixed():
            out = {"type": "array", "prefixItems": [json_schema(s, defs) for s in shape.items],
                   "items": False, "minItems": len(shape.items)}
        case Tagged():
            out = {"oneOf": [_record_schema(v, defs, (shape.tag, kind))
                             for kind, v in shape.variants.items()]}
        case Custom():
            out = dict(shape.schema)
    doc = getattr(shape, "doc", "")
    if doc:
        out["description"] = doc
    return out


# Years 1900-2999 with an offset, as clock.py accepts them.
INSTANT_PATTERN = (r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}"
                   r"(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})$")


def _record_schema(shape: Record, defs: Defs | None,
                   tag: tuple[str, str] | None = None) -> Json:
    props: Json = {}
    required = []
    if tag is not None:
        props[tag[0]] = {"const": tag[1]}
        required.append(tag[0])
    for key in shape.keys:
        schema = json_schema(key.shape, defs)
        if key.doc:
            schema = {**schema, "description": key.doc}
        props[key.name] = schema
        if key.required:
            required.append(key.name)
    out: Json = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return out
