"""Decision records as compact JSON: orjson when it is installed, the standard library
otherwise, and the same bytes either way.

Turning a decision into JSON costs more than deciding it with the standard library's
encoder, so the front end (`simulate -o`, the bench's emit columns) writes records
through `dumps`. The runtime itself stays standard-library only: its journal writes
the same text with `json.dumps(..., separators=(",", ":"), ensure_ascii=False)`
(`policyc.runtime.journal.records_text`).

orjson writes what that call writes for the values a record holds (strings, ints,
floats, booleans, None, lists, dicts with string keys), except floats below 1e-4:
the standard library writes `1e-05` and `1.5e-07`, orjson `0.00001` and `1.5e-7`.
Such a float is spotted in orjson's output (`0.0000` or `e-`, which strings may also
hold, at the cost of a fallback), and then, as when orjson refuses a value (integers
past 64 bits, keys that are not strings), the standard library writes the record.
NaN and infinity never reach a record (inputs refuse them; a ratio that would be
infinite is written null), so orjson's `null` for them is never at stake.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

_stdlib = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# What orjson writes for a float below 1e-4: a digit then `e-`, or `0.0000`. A bytes `in`
# test finds neither far faster than a regex search (an alternation has no literal
# prefix to skip by); only when one is there does the regex look closer, so a string
# holding `e-` (`store-1`) does not send the record to the slow encoder.
_SMALL_FLOAT = re.compile(rb"[0-9]e-|(?<![0-9.])0\.0000")


def _small_float(out: bytes) -> bool:
    return (b"e-" in out or b"0.0000" in out) and _SMALL_FLOAT.search(out) is not None


_fast: Callable[[Any], bytes] | None
try:
    import orjson
except ImportError:  # the standard library writes every record
    _fast = None
else:
    _fast = orjson.dumps

ENCODER = "orjson" if _fast is not None else "json"


def dumps_stdlib(record: Any) -> str:
    """The standard library's compact JSON of a record, non-ASCII kept."""
    return _stdlib(record)


def dumps(record: Any) -> str:
    """A record as compact JSON (non-ASCII kept), byte for byte what `dumps_stdlib` writes."""
    if _fast is not None:
        try:
            out = _fast(record)
        except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError
            return _stdlib(record)
        if not _small_float(out):
            return out.decode()
    return _stdlib(record)


def line(record: Any) -> str:
    """A record as one JSON Lines line, newline included."""
    return dumps(record) + "\n"
