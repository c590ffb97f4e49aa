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


def attribute_fields(attributes: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    """The `agent.<name>` fields of declared attributes: name -> (type, values)."""
    kinds = {"set": "set:agent.", "one": "enum:agent.", "number": "int"}
    return {f"agent.{name}": kinds[kind] + name if kind != "number" else "int"
            for name, (kind, _values) in attributes.items()}


class ExprChecker:
    """Checks expressions of one policy; `intents` are the policy's declared intents,
    `order_states` those it declares beyond the built-in ones, `calendars` its calendar
    names. `agents` (name -> (type, values)) makes a checker of requirements: it reads
    the declared `agent.<attribute>` fields and nothing of the message."""

    def __init__(self, report: Report, intents: tuple[str, ...],
                 order_states: tuple[str, ...] = (), calendars: tuple[str, ...] = (),
                 agents: dict[str, tuple[str, tuple[str, ...]]] | None = None) -> None:
        self.report = report
        self.enums = dict(ENUMS, intent=intents,
                          order_state=tuple(dict.fromkeys((*ENUMS["order_state"],
                                                           *order_states))))
        if agents is not None:
            self.fields = attribute_fields(agents)
            self.enums.update({f"agent.{n}": v for n, (_k, v) in agents.items()})
        else:
            self.fields = dict(FIELDS, **{f"calendar.{c}": "bool" for c in calendars})

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
                if self.fields[field] != "bool":
                    self._mismatch(expr, N_("`{field}` is not true/false; compare it with a value"),
                                   field=field)
                    return None
                return ["field", field]
        self._mismatch(expr, N_("expected a condition (true or false)"))
        return None

    # -- operands --------------------------------------------------------------
    def _field(self, name: Name) -> str | None:
        dotted = name.dotted
        if dotted in self.fields:
            return dotted
        hint = did_you_mean(dotted, tuple(self.fields)) or N_("fields: {fields}")
        if dotted.startswith("agent.") and "source" in self.fields:
            hint = N_("`agent.` fields are read in a binding's `require:`, not in `when:`")
        self.report.add("E204", N_("unknown field `{field}`"), name.span, hint,
                        field=token(dotted), fields=", ".join(self.fields) or "-")
        return None

    def _const(self, expr: Expr, field: str) -> object:
        """A constant operand checked against `field`'s type; _MISSING after an error."""
        ftype = self.fields[field]
        if isinstance(expr, Name) and len(expr.parts) == 1 and ftype.startswith(("enum:",
                                                                                 "set:")):
            return self._symbol(expr.parts[0], ftype[ftype.index(":") + 1:], expr)
        if isinstance(expr, Name):
            if expr.dotted in self.fields:
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
            if ftype.startswith(("enum:", "set:")) and kind == "str":
                return self._symbol(str(expr.value), ftype[ftype.index(":") + 1:], expr)
            if kind == "int" and isinstance(expr.value, float):
                # Every numeric field counts something (agents, chats): the artifact and
                # the runtime compare whole numbers only.
                self._mismatch(expr, N_("`{field}` holds a whole number, not {value}"), field=field,
                               value=f"{expr.value:g}")
                return _MISSING
            if kind == ftype or (ftype.startswith("set") and kind == "str"):
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
                   "intent": N_("unknown intent `{word}`"), "day": N_("unknown day `{word}`")
                   }.get(enum, N_("unknown value `{word}` of `{field}`"))
        hint = did_you_mean(word, values)
        if enum == "intent" and not values:
            hint = N_("declare the policy's intents under `intents:`")
        if enum == "order_state" and hint is None:
            hint = N_("declare the shop's own order states under `order_states:`")
        self.report.add("E203", message, where.span, hint, word=token(word), field=enum)
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
        if self.fields[field].startswith("set"):
            self._mismatch(expr, N_("`{field}` is a set; test membership with `\"x\" in {field}`"),
                           field=field)
            return None
        ordered = self.fields[field] in ("int", "time")
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
            if not self.fields[field].startswith("set"):
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
        if self.fields[field].startswith("set"):  # a list: no set of values can hold it
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
