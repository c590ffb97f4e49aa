"""Check events and state snapshots (CONTRACT.md) before deciding; errors say where.

Locations are `FILE:LINE` for JSON Lines and `FILE: /json/pointer` for one
JSON document, so a merchant can find the bad field.
"""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from .clock import TimeError, parse_instant
from .vocabulary import ORDER_STATES, ROLES, SOURCES, STATUSES

EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "message": ("buyer", "source"),
    "agent_status": ("agent", "status"),
    "read": ("agent", "buyer"),
    "reply": ("agent", "buyer"),
    "close": ("agent", "buyer"),
    "transfer": ("agent", "buyer"),
    "pick": ("agent",),
    "set_capacity": ("agent", "capacity"),
    "membership": ("agent", "group", "member"),
    "tick": (),
}


class InputError(ValueError):
    """A bad event or state file; `where` locates it."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def read_json(path: Path) -> Any:
    """Parse one JSON file, raising InputError with line:col on bad JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(str(path), f"cannot read: {err}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}:{err.lineno}:{err.colno}", f"not JSON: {err.msg}") from None


def _str(obj: dict[str, Any], key: str, where: str, nullable: bool = False) -> None:
    value = obj.get(key)
    if value is None and nullable:
        return
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}/{key}", f"expected a non-empty string, found {value!r}")


def _enum(obj: dict[str, Any], key: str, values: tuple[str, ...], where: str,
          nullable: bool = False) -> None:
    value = obj.get(key)
    if value is None and nullable:
        return
    if value not in values:
        raise InputError(f"{where}/{key}", f"{value!r} is not one of {', '.join(values)}")


def _int(obj: dict[str, Any], key: str, where: str, nullable: bool = False) -> None:
    value = obj.get(key)
    if value is None and nullable:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{where}/{key}", f"expected a whole number >= 0, found {value!r}")


def _time(obj: dict[str, Any], key: str, where: str, nullable: bool = False) -> None:
    value = obj.get(key)
    if value is None and nullable:
        return
    if key not in obj:
        raise InputError(f"{where}/{key}", f"missing `{key}` (an ISO 8601 time with offset)")
    try:
        parse_instant(value)
    except TimeError as err:
        raise InputError(f"{where}/{key}", str(err)) from None


def check_event(event: Any, where: str, agents: AbstractSet[str],
                groups: AbstractSet[str] | None = None) -> dict[str, Any]:
    """Validate one event object; unknown types and missing fields are errors.

    With `groups` (the policy's), a `membership` event naming another group is one too.
    """
    if not isinstance(event, dict):
        raise InputError(where, f"an event is a JSON object, found {type(event).__name__}")
    kind = event.get("type")
    if kind not in EVENT_TYPES:
        raise InputError(f"{where}/type", f"unknown event type {kind!r}; known: "
                                           + ", ".join(EVENT_TYPES))
    _time(event, "at", where)
    for key in EVENT_TYPES[kind]:
        if key not in event:
            raise InputError(f"{where}/{key}", f"`{kind}` event lacks `{key}`")
    if "buyer" in event:
        _str(event, "buyer", where)
    if "agent" in event:
        _str(event, "agent", where)
        if event["agent"] not in agents:
            raise InputError(f"{where}/agent", f"unknown agent {event['agent']!r}")
    if kind == "message":
        _enum(event, "source", SOURCES, where)
        _enum(event, "order_state", ORDER_STATES, where, nullable=True)
        for key in ("item_id", "order_id", "intent"):
            _str(event, key, where, nullable=True)
        if not isinstance(event.get("wants_human", True), bool):
            raise InputError(f"{where}/wants_human", "expected true or false")
        tags = event.get("buyer_tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise InputError(f"{where}/buyer_tags", "expected a list of strings")
    if kind == "agent_status":
        _enum(event, "status", STATUSES, where)
    if kind == "set_capacity":
        _int(event, "capacity", where, nullable=True)
    if kind == "membership":  # S12: an agent joins or leaves a group
        _str(event, "group", where)
        if groups is not None and event["group"] not in groups:
            raise InputError(f"{where}/group", f"unknown group {event['group']!r}")
        if not isinstance(event["member"], bool):
            raise InputError(f"{where}/member", "expected true (joins) or false (leaves)")
    if kind == "transfer":
        if ("to_agent" in event) == ("to_group" in event):
            raise InputError(where, "a transfer names exactly one of `to_agent`, `to_group`")
        if "to_agent" in event and event["to_agent"] not in agents:
            raise InputError(f"{where}/to_agent", f"unknown agent {event['to_agent']!r}")
    return event


def check_snapshot(state: Any, where: str, agents: AbstractSet[str]) -> dict[str, Any]:
    """Validate a state snapshot; agents must be in the policy's roster."""
    if not isinstance(state, dict):
        raise InputError(where, "a state snapshot is a JSON object")
    _time(state, "at", where)
    rows = state.get("agents", [])
    if not isinstance(rows, list):
        raise InputError(f"{where}/agents", "expected a list")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        at = f"{where}/agents/{i}"
        if not isinstance(row, dict):
            raise InputError(at, "an agent is a JSON object")
        _str(row, "id", at)
        if row["id"] not in agents:
            raise InputError(f"{at}/id", f"unknown agent {row['id']!r} (not in the roster)")
        if row["id"] in seen:
            raise InputError(f"{at}/id", f"agent {row['id']!r} is listed twice")
        seen.add(row["id"])
        _enum(row, "status", STATUSES, at)
        for key in ("unread", "pending", "open", "assigned"):
            _int(row, key, at, nullable=True)
        _time(row, "offline_since", at, nullable=True)
        _time(row, "created_at", at, nullable=True)
        _enum(row, "role", ROLES, at, nullable=True)
        _int(row, "capacity", at, nullable=True)
        _int(row, "score", at, nullable=True)
        if "chat_permission" in row and not isinstance(row["chat_permission"], bool):
            raise InputError(f"{at}/chat_permission", "expected true or false")
    contacts = state.get("contacts", [])
    if not isinstance(contacts, list):
        raise InputError(f"{where}/contacts", "expected a list")
    for i, row in enumerate(contacts):
        at = f"{where}/contacts/{i}"
        if not isinstance(row, dict):
            raise InputError(at, "a contact is a JSON object")
        _str(row, "buyer", at)
        _str(row, "agent", at)
        if row["agent"] not in agents:
            raise InputError(f"{at}/agent", f"unknown agent {row['agent']!r}")
        _time(row, "at", at)
    for key in ("queue", "staging", "pool"):
        if not isinstance(state.get(key, []), list):
            raise InputError(f"{where}/{key}", "expected a list of waiting chats")
    return state
