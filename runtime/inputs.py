"""Check events and state snapshots (CONTRACT.md) before deciding; errors say where.

The shapes are the tables of `formats.py`; this module adds what a table cannot
say (agents in the roster, groups in the policy, one buyer waiting once, a log
in time order) and names a file of the wrong kind as such. Locations are
`FILE:LINE: pointer` for JSON Lines and `FILE/json/pointer` for one JSON document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from . import source_files
from .clock import parse_instant
from .formats import EVENT, SNAPSHOT
from .shape import InputError, check

__all__ = ["InputError", "check_event", "check_snapshot", "looks_like", "read_events",
           "read_json"]

EVENT_TYPES: tuple[str, ...] = tuple(EVENT.variants)
_STATE_KEYS = frozenset(k.name for k in SNAPSHOT.keys) - {"at"}


def looks_like(value: object) -> str | None:
    """What kind of policyc file a parsed JSON value seems to be, if it is plainly one."""
    if isinstance(value, list):
        return "a JSON list (a log has one event per line)"
    if not isinstance(value, dict):
        return None
    if "type" in value:
        return "an event"
    if value.get("format") == "policyc.artifact":
        return "a compiled artifact"
    if "cases" in value:
        return "a policy test file"
    if "policyc" in value or "roster" in value:
        return "a policy"
    if "outcome" in value and "reason" in value:
        return "a decision record"
    if _STATE_KEYS & value.keys():
        return "a state snapshot"
    return None


def _not_a_log(line: str) -> str:
    """What a first line that is not JSON suggests the file is instead."""
    text = line.strip()
    if text in ("{", "["):
        return " (a pretty-printed JSON file? a log has one event per line)"
    head = text.split(":", 1)[0]
    if text.startswith(("#", "---")) or (":" in text and head.replace("_", "").isalnum()):
        return " (this looks like YAML, a policy or a test file, not a JSON Lines log)"
    return ""


def _kind_guard(value: object, expected: str, where: str) -> None:
    seems = looks_like(value)
    if seems is not None and seems != expected:
        raise InputError(where, f"this looks like {seems}, not {expected}")


def read_json(path: Path | str, kind: str = "state") -> Any:
    """Parse one JSON file of `kind` (regular file, capped; `-` is standard input)."""
    return source_files.read_json(path, kind)


def check_event(event: Any, where: str, agents: AbstractSet[str],
                groups: AbstractSet[str] | None = None) -> dict[str, Any]:
    """Validate one event object; unknown types, keys and missing fields are errors.

    With `groups` (the policy's), an event naming another group is one too.
    """
    _kind_guard(event, "an event", where)
    check(EVENT, event, where)
    for key in ("agent", "to_agent"):
        if key in event and event[key] not in agents:
            raise InputError(where, f"unknown agent {event[key]!r}", f"/{key}")
    if groups is not None:
        for key in ("group", "to_group"):
            if key in event and event[key] not in groups:
                raise InputError(where, f"unknown group {event[key]!r}", f"/{key}")
    if event["type"] == "transfer" and ("to_agent" in event) == ("to_group" in event):
        raise InputError(where, "a transfer names exactly one of `to_agent`, `to_group`")
    checked: dict[str, Any] = event
    return checked


def check_snapshot(state: Any, where: str, agents: AbstractSet[str],
                   channels: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """Validate a state snapshot; agents must be in the policy's roster, channels in its
    `channels:`."""
    _kind_guard(state, "a state snapshot", where)
    check(SNAPSHOT, state, where)
    for i, row in enumerate(state.get("agents", [])):
        if row["id"] not in agents:
            raise InputError(where, f"unknown agent {row['id']!r} (not in the roster)",
                             f"/agents/{i}/id")
        for name in sorted(row.get("channel_open") or {}):
            if name not in channels:
                raise InputError(where, f"unknown channel {name!r} (not in the policy's "
                                        "`channels:`)", f"/agents/{i}/channel_open/{name}")
    for i, row in enumerate(state.get("contacts", [])):
        if row["agent"] not in agents:
            raise InputError(where, f"unknown agent {row['agent']!r}", f"/contacts/{i}/agent")
    waiting: dict[str, str] = {}
    for place in ("queue", "staging", "pool"):
        for i, entry in enumerate(state.get(place, [])):
            at = f"/{place}/{i}"
            if entry["buyer"] in waiting:
                raise InputError(where, f"buyer {entry['buyer']!r} already waits in "
                                        f"{waiting[entry['buyer']]}", f"{at}/buyer")
            waiting[entry["buyer"]] = place
            if "event" in entry and entry["event"]["buyer"] != entry["buyer"]:
                raise InputError(where, f"the message is from {entry['event']['buyer']!r}, "
                                        f"the chat is {entry['buyer']!r}'s", f"{at}/event/buyer")
    checked: dict[str, Any] = state
    return checked


def read_events(path: Path | str, agents: AbstractSet[str], groups: AbstractSet[str],
                keep: Callable[[str], None] | None = None
                ) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Stream a JSON Lines log: (line number, line text, checked event), in time order.

    An InputError names `FILE:LINE: field: message` of the first bad line; `keep`
    is handed the text of every line as it is read, blank ones too (the journal
    digests it).
    """
    name = source_files.label(path)
    last = float("-inf")
    parse = source_files.parse_json_line
    for number, line in source_files.json_lines(path, "log", keep):
        try:
            value = parse(line)
        except (ValueError, RecursionError):  # said with its place, as parse_json says it
            where = f"{name}:{number}"
            try:
                source_files.parse_json(line, where, lines=True)
            except InputError as err:
                first = last == float("-inf") and err.message.startswith("not JSON:")
                raise InputError(where, err.message + (_not_a_log(line) if first else "")) \
                    from None
            raise
        try:
            event = check_event(value, "", agents, groups)
        except InputError as err:
            field = err.pointer.lstrip("/")
            raise InputError(f"{name}:{number}", f"{field}: {err.message}" if field
                             else err.message) from None
        at = parse_instant(event["at"])
        if at < last:
            raise InputError(f"{name}:{number}", f"at: {event['at']} is earlier than the "
                                                 "event before it (a log is in time order)")
        last = at
        yield number, line, event
