"""Read the files a command is given: regular files only, size-capped, `-` for standard input.

Every state, event, log, test file and artifact a command reads comes through
here, so none can hang on a FIFO or a device, fill memory from `/dev/zero`, or
crash the JSON parser: a file is opened without blocking and checked to be a
regular file before a byte is read, then read no further than its kind's cap.
Logs are read line by line (split on `\\n` only: U+2028 inside a JSON string is
text, a form feed does not start a line). Every problem is an InputError.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from .shape import InputError

STDIN = "-"
MIB = 1 << 20
# The most bytes a command reads of each kind of file (README "Input files").
CAPS: dict[str, int] = {
    "state": 64 * MIB,
    "event": 1 * MIB,
    "log": 16 * 1024 * MIB,
    "artifact": 256 * MIB,  # a platform policy: a million pins compile to about 110 MB
    "test file": 8 * MIB,
    "policy": 8 * MIB,  # dsl/yaml_tree.py MAX_BYTES, includes too
}
LINE_CAP = 1 * MIB  # one event of a log
_BLANK = b" \t\r\n"  # JSON's whitespace: a line of only these holds no event


def label(path: Path | str) -> str:
    """How messages name a file (`<stdin>` for `-`)."""
    return "<stdin>" if str(path) == STDIN else str(path)


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def open_source(path: Path | str, kind: str, stdin: bool = True) -> IO[bytes]:
    """The file opened for reading, after checking it is a regular file within the cap.

    With `stdin`, `-` is standard input (whatever it is: a pipe there is the user's
    choice, and the cap still holds while reading).
    """
    if stdin and str(path) == STDIN:
        if sys.stdin is None:  # started without one
            raise InputError(label(path), "there is no standard input to read")
        return sys.stdin.buffer
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the path
        raise InputError(str(path), f"cannot read: {getattr(err, 'strerror', None) or err}") \
            from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise InputError(str(path), f"{_kind_of(info.st_mode)}, not a {kind} file "
                                    "(only regular files are read)")
    if info.st_size > CAPS[kind]:
        os.close(fd)
        raise InputError(str(path), too_big(kind, info.st_size))
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def too_big(kind: str, size: int | None = None) -> str:
    """The message for a file beyond its kind's cap."""
    found = f"{size:,} bytes" if size is not None else f"over {CAPS[kind]:,} bytes"
    return f"file is {found}; a {kind} file is at most {CAPS[kind]:,} bytes " \
           f"({CAPS[kind] // MIB} MiB)"


def read_bytes(path: Path | str, kind: str) -> bytes:
    """The whole file, or InputError when it is not a regular file or exceeds the cap."""
    handle = open_source(path, kind)
    try:
        data = handle.read(CAPS[kind] + 1)
    except OSError as err:
        raise InputError(label(path), f"cannot read: {err.strerror or err}") from None
    finally:
        if str(path) != STDIN:
            handle.close()
    if len(data) > CAPS[kind]:
        raise InputError(label(path), too_big(kind))
    return data


def read_text(path: Path | str, kind: str) -> str:
    """The file as UTF-8 text (a byte order mark is dropped)."""
    return decode(read_bytes(path, kind), label(path))


def decode(data: bytes, where: str) -> str:
    """UTF-8 bytes as text; InputError says where the first bad byte is."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(where, f"not UTF-8 text (byte {err.start + 1})") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"key `{key}` is given twice")
            seen.add(key)
    return out


# One decoder, built once (json.loads with options builds a new one per call: 2x slower).
_DECODER = json.JSONDecoder(parse_constant=_no_constant, object_pairs_hook=_no_repeats)


def parse_json_line(text: str) -> Any:
    """`parse_json` of one line of a log, for the reader's loop: ValueError or
    RecursionError when it is not JSON this reader accepts (then `parse_json` says why)."""
    return _DECODER.decode(text)


def parse_json(text: str, where: str, lines: bool = False) -> Any:
    """One JSON document; InputError at `where` (with line:col unless `lines`) when it is not.

    NaN and Infinity, repeated keys, numbers beyond the interpreter's digit limit and
    nesting deeper than the parser's stack are errors, never tracebacks.
    """
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as err:
        at = f"{where}" if lines else f"{where}:{err.lineno}:{err.colno}"
        column = f" (column {err.colno})" if lines else ""
        raise InputError(at, f"not JSON: {err.msg}{column}") from None
    except RecursionError:
        raise InputError(where, "not JSON this reader accepts: nested too deeply") from None
    except ValueError as err:  # digit limit, NaN, a repeated key
        message = str(err).split(";")[0]
        if "digits" in message:
            message = "a number with too many digits"
        raise InputError(where, f"not JSON this reader accepts: {message}") from None


def read_json(path: Path | str, kind: str) -> Any:
    """A JSON file of `kind` (state, event, artifact), read through the cap."""
    return parse_json(read_text(path, kind), label(path))


def json_lines(path: Path | str, kind: str = "log",
               keep: Callable[[str], None] | None = None) -> Iterator[tuple[int, str]]:
    """The non-blank lines of a JSON Lines file with their 1-based numbers, streamed.

    Lines end at `\\n` only; a line longer than LINE_CAP or a file beyond the cap is
    an InputError at its line. `keep` is handed every line's text as it is read, blank
    ones too.
    """
    handle = open_source(path, kind)
    name = label(path)
    total = 0
    try:
        for number, raw in enumerate(iter(lambda: handle.readline(LINE_CAP + 1), b""), 1):
            total += len(raw)
            if len(raw) > LINE_CAP:
                raise InputError(f"{name}:{number}", f"a line of more than {LINE_CAP:,} bytes "
                                                     "(a log has one event per line)")
            if total > CAPS[kind]:
                raise InputError(f"{name}:{number}", too_big(kind))
            if raw.strip(_BLANK):
                try:  # as `decode`, without its codec lookup per line: a log has millions
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    line = decode(raw, f"{name}:{number}")  # says where, and stops
                if line[:1] == "\ufeff":
                    line = line[1:]
                if keep is not None:
                    keep(line)
                yield number, line
            elif keep is not None:
                keep(raw.decode("ascii"))
    except OSError as err:
        raise InputError(name, f"cannot read: {err.strerror or err}") from None
    finally:
        if str(path) != STDIN:
            handle.close()


def split_lines(text: str) -> list[str]:
    """A log's text as its lines, each with its `\\n`, split as `json_lines` splits them."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def is_blank(line: str) -> bool:
    """A line holding no event (JSON whitespace only), as `json_lines` skips it."""
    return not line.strip(" \t\r\n")
