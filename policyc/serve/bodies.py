"""Request bodies: events as a JSON object, a JSON array or JSON Lines, checked like a CLI log.

Every event goes through runtime/inputs.py `check_event` (the one strict
definition); an error is located as `body:LINE` for JSON Lines, `body/INDEX`
for an array and `body` for one object, followed by the field's JSON pointer,
the way `policyc simulate` locates `FILE:LINE`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..runtime.clock import parse_instant
from ..runtime.inputs import InputError, check_event
from ..runtime.router import Router

JSON_LINES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines",
              "application/json-seq")


def _loads(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{where}:{err.lineno}:{err.colno}" if where == "body" else where,
                         f"not JSON: {err.msg} (column {err.colno})") from None


def decode(raw: bytes) -> str:
    """The body as text; InputError when it is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"body:byte {err.start}", "not UTF-8 text") from None


def split_events(raw: bytes, content_type: str) -> list[tuple[str, Any]]:
    """(where, parsed JSON) of each event in the body, not yet checked."""
    text = decode(raw)
    if content_type.split(";")[0].strip().lower() in JSON_LINES:
        items = [(f"body:{n}", _loads(line, f"body:{n}"))
                 for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    else:
        doc = _loads(text, "body")
        items = [(f"body/{i}", e) for i, e in enumerate(doc)] if isinstance(doc, list) \
            else [("body", doc)]
    if not items:
        raise InputError("body", "no event: send one event, a JSON array or JSON Lines")
    return items


def strictly(check: Callable[..., dict[str, Any]], item: Any, where: str,
             *known: Any) -> dict[str, Any]:
    """`check(item, where, *known)` from runtime/inputs.py, with one guarantee added: a
    value of an unexpected JSON type that trips the checker itself (as `"type": []` does
    today) is still a located InputError, so the service answers 400, never 500."""
    try:
        return check(item, where, *known)
    except (TypeError, KeyError, AttributeError) as err:
        raise InputError(where, f"not a valid {check.__name__.removeprefix('check_')}: "
                                f"a value has the wrong JSON type ({err})") from None


def check_events(router: Router, items: list[tuple[str, Any]],
                 after: float | None) -> list[dict[str, Any]]:
    """The checked events, in time order and not before `after` (the shop's time)."""
    groups = set(router.groups)
    events: list[dict[str, Any]] = []
    last = after if after is not None else float("-inf")
    for where, item in items:
        event = strictly(check_event, item, where, router.agent_ids, groups)
        if event["type"] == "transfer" and "to_group" in event and \
                event["to_group"] not in groups:
            raise InputError(f"{where}/to_group", f"unknown group {event['to_group']!r}")
        at = parse_instant(event["at"])
        if at < last:
            raise InputError(f"{where}/at", f"{event['at']} is earlier than the shop's time "
                                            "(events arrive in time order)")
        last = at
        events.append(event)
    return events


def json_object(raw: bytes, where: str = "body") -> dict[str, Any]:
    """A body that must be one JSON object (decide)."""
    doc = _loads(decode(raw), where)
    if not isinstance(doc, dict):
        raise InputError(where, f"expected a JSON object, found {type(doc).__name__}")
    return doc
