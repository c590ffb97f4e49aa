"""Type-check `when:` expressions against the documented event fields and lower them to data.

A misspelt field (`order.stat`) or value (`prodct_page`) is an error here, not
a condition that silently never matches. The output is a small JSON tree the
runtime turns into closures:

    ["and", x, y] ["or", x, y] ["not", x]
    ["in", field, [const...]]      ["has", field, const]      (tags contain)
    ["cmp", op, field, const]      ["time_in", start, end]    ["const", value]
    ["field", name]                                             (boolean field)
"""

from __future__ import annotations

from policyc.dsl.diagnostic import Report, Words, token
from policyc.dsl.expr import BoolOp, Compare, Expr, In, Literal, Name, Not, SetLit, TimeRange
from policyc.dsl.validate import did_you_mean
from policyc.runtime.catalog import N_
from policyc.runtime.vocabulary import ENUMS, FIELDS

Json = list[object] | object

# A literal's type. A duration is its own type: no field holds one, so `shop.online > 10m`
# (a count against 600 seconds) is a mismatch rather than a comparison with 600.
_LITERAL_TYPES = {"string": "str", "number": "int", "bool": "bool", "time": "time",
                  "duration": "duration", "none": "none"}

# The fields an event may leave out, so `== none` / `!= none` / `in {none}` can hold;
# every other field always has a value, and `none` there is a mistake the runtime
# would meet as a comparison with None. `order.state` spells its absence "none".
NULLABLE_FIELDS = ("order.state", "order.id", "item.id", "intent")


class ExprChecker:
    """Checks expressions of one policy; `intents` are the policy's declared intents."""

    def __init__(self, report: Report, intents: tuple[str, ...]) -> None:
        self.report = report
        self.enums = dict(ENUMS, intent=intents)

    def check(self, expr: Expr) -> Json | None:
        """The lowered JSON of a boolean expression, or None after reporting errors."""
        return self._bool(expr)

    # -- boolean positions -------------------------------------------------------
    def _bool(self, expr: Expr) -> Json | None:
        match expr:
            case BoolOp(op=op, items=items):
                parts = [self._bool(i) for i in items]
                return None if any(p is None for p in parts) else [op, *parts]
            case Not(item=item):
                inner = self._bool(item)
                return None if inner is None else ["not", inner]
            case Compare():
                return self._compare(expr)
            case In():
                return self._in(expr)
            case Literal(kind="bool", value=value):
                return ["const", value]
            case Name():
                field = self._field(expr)
                if field is None:
                    return None
                if FIELDS[field] != "bool":
                    self._mismatch(expr, N_("`{field}` is not true/false; compare it with a value"),
                                   field=field)
                    return None
                return ["field", field]
        self._mismatch(expr, N_("expected a condition (true or false)"))
        return None

    # -- operands --------------------------------------------------------------
    def _field(self, name: Name) -> str | None:
        dotted = name.dotted
        if dotted in FIELDS:
            return dotted
        self.report.add("E204", N_("unknown field `{field}`"), name.span,
                        did_you_mean(dotted, tuple(FIELDS)) or N_("fields: {fields}"),
                        field=token(dotted), fields=", ".join(FIELDS))
        return None

    def _const(self, expr: Expr, field: str) -> object:
        """A constant operand checked against `field`'s type; _MISSING after an error."""
        ftype = FIELDS[field]
        if isinstance(expr, Name) and len(expr.parts) == 1 and ftype.startswith("enum:"):
            return self._symbol(expr.parts[0], ftype[5:], expr)
        if isinstance(expr, Name):
            if expr.dotted in FIELDS:
                self._mismatch(expr, N_("compare a field with a value, not with another field"))
            else:
                self._mismatch(expr, N_("`{name}` is not a value of `{field}`; quote text "
                                        "values"), name=token(expr.dotted), field=field)
            return _MISSING
        if isinstance(expr, Literal):
            kind = _LITERAL_TYPES[expr.kind]
            if kind == "none":
                if field not in NULLABLE_FIELDS:
                    self._mismatch(expr, N_("`{field}` always has a value; it is never none"),
                                   field=field)
                    return _MISSING
                return "none" if ftype == "enum:order_state" else None
            if ftype.startswith("enum:") and kind == "str":
                return self._symbol(str(expr.value), ftype[5:], expr)
            if kind == "int" and isinstance(expr.value, float):
                # Every numeric field counts something (agents, chats): the artifact and
                # the runtime compare whole numbers only.
                self._mismatch(expr, N_("`{field}` holds a whole number, not {value}"), field=field,
                               value=f"{expr.value:g}")
                return _MISSING
            if kind == ftype or (ftype == "set" and kind == "str"):
                return expr.value
            self._mismatch(expr, N_("`{field}` holds {kind}, not {other}"), field=field,
                           kind=_describe(ftype), other=_describe(kind))
            return _MISSING
        self._mismatch(expr, N_("expected a value of `{field}`"), field=field)
        return _MISSING

    def _symbol(self, word: str, enum: str, where: Expr) -> object:
        values = self.enums[enum]
        if word in values:
            return word
        message = {"source": N_("unknown source `{word}`"),
                   "order_state": N_("unknown order state `{word}`"),
                   "intent": N_("unknown intent `{word}`"), "day": N_("unknown day `{word}`")}[enum]
        hint = did_you_mean(word, values)
        if enum == "intent" and not values:
            hint = N_("declare the policy's intents under `intents:`")
        self.report.add("E203", message, where.span, hint, word=token(word))
        return _MISSING

    # -- comparisons -----------------------------------------------------------
    def _compare(self, expr: Compare) -> Json | None:
        left, right, op = expr.left, expr.right, expr.op
        if not isinstance(left, Name) and isinstance(right, Name):
            left, right = right, left
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
        if not isinstance(left, Name):
            self._mismatch(expr, N_("a comparison needs a field on one side"))
            return None
        field = self._field(left)
        if field is None:
            return None
        if FIELDS[field] == "set":
            self._mismatch(expr, N_("`{field}` is a set; test membership with `\"x\" in {field}`"),
                           field=field)
            return None
        ordered = FIELDS[field] in ("int", "time")
        if op not in ("==", "!=") and not ordered:
            self._mismatch(expr, N_("`{field}` can only be compared with == or !="), field=field)
            return None
        value = self._const(right, field)
        if value is _MISSING:
            return None
        return ["cmp", op, field, value]

    def _in(self, expr: In) -> Json | None:
        out = self._membership(expr)
        if out is None:
            return None
        return ["not", out] if expr.negated else out

    def _membership(self, expr: In) -> Json | None:
        item, container = expr.item, expr.container
        if isinstance(container, Name):  # "vip" in buyer.tags
            field = self._field(container)
            if field is None:
                return None
            if FIELDS[field] != "set":
                self._mismatch(container, N_("`{field}` is not a set; write `{field} in {{...}}`"),
                               field=field)
                return None
            value = self._const(item, field)
            return None if value is _MISSING else ["has", field, value]
        if not isinstance(item, Name):
            self._mismatch(item, N_("the left side of `in` must be a field"))
            return None
        field = self._field(item)
        if field is None:
            return None
        if FIELDS[field] == "set":  # its value is a list: no set of values can hold it
            self._mismatch(item, N_("`{field}` is a set; test one value with `\"x\" in {field}`"),
                           field=field)
            return None
        if isinstance(container, TimeRange):
            if field != "time":
                self._mismatch(container, N_("a time range only applies to `time`"))
                return None
            return ["time_in", container.start, container.end]
        if not isinstance(container, SetLit):
            self._mismatch(container, N_("expected a set such as {a, b}"))
            return None
        values = [self._const(i, field) for i in container.items]
        if any(v is _MISSING for v in values):
            return None
        return ["in", field, values]

    def _mismatch(self, expr: Expr, message: str, **args: object) -> None:
        self.report.add("E205", message, expr.span, None, **args)


class _Missing:
    pass


_MISSING = _Missing()


_KIND_WORDS = {"str": N_("text"), "int": N_("a number"), "bool": N_("true/false"),
               "time": N_("a time of day"), "set": N_("a set of text"), "none": N_("none"),
               "duration": N_("a duration"), "enum:source": N_("a source"),
               "enum:order_state": N_("an order state"), "enum:intent": N_("an intent"),
               "enum:day": N_("a day")}


def _describe(kind: str) -> str:
    if kind in _KIND_WORDS:
        return Words(_KIND_WORDS[kind])
    return kind.replace("enum:", "a ")
