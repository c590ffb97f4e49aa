"""PyYAML's (libyaml's) syntax-error phrases, as catalog messages a merchant can read.

An E101 message quotes what the YAML reader said went wrong ("did not find
expected ',' or ']'") and what it was doing ("while parsing a flow sequence").
Those phrases are a fixed set written in libyaml's scanner and parser; each is
marked here so the catalogs translate it. A phrase not in the table (a newer
PyYAML) is shown as PyYAML wrote it. The operating system's reasons for not
opening a file (errno) are marked the same way.
"""

from __future__ import annotations

import errno
import re

from policyc.runtime.catalog import N_

from .diagnostic import Words, token

PHRASES: frozenset[str] = frozenset({
    # what went wrong (the scanner's and the parser's problems)
    N_("found character that cannot start any token"),
    N_("could not find expected ':'"),
    N_("mapping values are not allowed in this context"),
    N_("mapping values are not allowed here"),
    N_("block sequence entries are not allowed in this context"),
    N_("found unexpected end of stream"),
    N_("found unexpected document indicator"),
    N_("found unknown escape character"),
    N_("found a tab character that violates indentation"),
    N_("found a tab character where an indentation space is expected"),
    N_("found undefined tag handle"),
    N_("found duplicate %YAML directive"),
    N_("found incompatible YAML document"),
    N_("found invalid Unicode character escape code"),
    N_("did not find expected alphabetic or numeric character"),
    N_("did not find expected whitespace or line break"),
    N_("did not find expected comment or line break"),
    N_("did not find expected hexdecimal number"),
    N_("did not find URI escaped octet"),
    N_("did not find expected <document start>"),
    N_("did not find expected node content"),
    N_("did not find expected key"),
    N_("did not find expected '-' indicator"),
    N_("did not find expected ',' or ']'"),
    N_("did not find expected ',' or '}'"),
    N_("invalid YAML"),
    # what the reader was doing
    N_("while scanning for the next token"),
    N_("while scanning a simple key"),
    N_("while scanning a quoted scalar"),
    N_("while scanning a block scalar"),
    N_("while scanning a plain scalar"),
    N_("while scanning an anchor"),
    N_("while scanning an alias"),
    N_("while scanning a tag"),
    N_("while scanning a directive"),
    N_("while parsing a block node"),
    N_("while parsing a flow node"),
    N_("while parsing a node"),
    N_("while parsing a block mapping"),
    N_("while parsing a block collection"),
    N_("while parsing a flow sequence"),
    N_("while parsing a flow mapping"),
})


def said(phrase: str) -> str:
    """The phrase as a message argument: catalog words when it is a known one, else
    PyYAML's own text, quoted and cut as diagnostics quote what they did not write."""
    return Words(phrase) if phrase in PHRASES else token(phrase, 200)


# Why the operating system could not open a file (errno -> its strerror, marked).
_OS_ERRORS: dict[int, str] = {
    errno.ENOENT: N_("No such file or directory"),
    errno.EACCES: N_("Permission denied"),
    errno.EPERM: N_("Operation not permitted"),
    errno.EISDIR: N_("Is a directory"),
    errno.ENOTDIR: N_("Not a directory"),
    errno.ELOOP: N_("Too many levels of symbolic links"),
    errno.ENAMETOOLONG: N_("File name too long"),
    errno.EIO: N_("Input/output error"),
}
# What a file that is not a regular one is (runtime/source_files.py `_kind_of`).
_NOT_REGULAR = re.compile(r"(.+), not a (\w[\w ]*) file \(only regular files are read\)")
_KINDS: dict[str, str] = {
    "a folder": N_("a folder"), "a pipe (FIFO)": N_("a pipe (FIFO)"),
    "a character device": N_("a character device"), "a block device": N_("a block device"),
    "a socket": N_("a socket"), "not a regular file": N_("not a regular file"),
}


def os_said(err: BaseException) -> str:
    """Why `err` stopped a read, in catalog words when its errno is a known one."""
    number = getattr(err, "errno", None)
    if isinstance(number, int) and number in _OS_ERRORS:
        return Words(_OS_ERRORS[number])
    return str(getattr(err, "strerror", None) or err)


def refusal_said(message: str) -> str:
    """A runtime refusal of a file (`a folder, not a policy file (...)`) in catalog words."""
    if message == "no such file":
        return Words(N_("cannot read file: {why}"), why=Words(_OS_ERRORS[errno.ENOENT]))
    found = _NOT_REGULAR.fullmatch(message)
    if found and found[1] in _KINDS:
        return Words(N_("{kind}, not a regular file (only regular files are read)"),
                     kind=Words(_KINDS[found[1]]))
    return message
