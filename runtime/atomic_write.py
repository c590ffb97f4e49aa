"""Write a file so that it is, at every instant, either its old self or its whole new self.

Every file a policyc command writes goes through `write_atomic`. The text goes to
a temporary file in the target's own folder (a rename within one file system is
atomic; across two it is a copy), is flushed and fsync'd, takes the old file's
permissions, and is renamed over the target; then the folder is fsync'd so that
the rename itself survives a crash. When anything fails on the way (a full
disk, a signal, an encoding error in the text) the temporary file is removed
and the target is left exactly as it was: a full disk can cost the new output,
never the old file or the policy being formatted.

A symbolic link is followed (the file it names is replaced, the link stays);
a target that exists and is not a regular file (a folder, a FIFO, a device) is
refused, since a rename would replace the device node rather than write to it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

_NAME_KEEP = 200  # of the target's name in the temporary one (names stop at 255 bytes)


def write_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Replace `path` with `text` (or the concatenated chunks), atomically, creating its
    folders; OSError when it cannot be written, with `path` unchanged."""
    target = _target(path)
    folder = target.parent
    make_folder(folder)
    fd, temp = _create_temp(folder, target.name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for chunk in [text] if isinstance(text, str) else text:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        _keep_owner_and_mode(target, temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_folder(folder)


def make_folder(folder: Path) -> None:
    """Create a folder and its parents; OSError naming the file in the way when a
    component of the path is a file (`out.jsonl/x` under an existing `out.jsonl`)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()),
                       folder)
        raise NotADirectoryError(errno.ENOTDIR, f"{blocker} is a file, not a folder",
                                 str(folder)) from None


def _target(path: Path) -> Path:
    """The file to replace: the one a link names; refused unless absent or regular."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        mode = target.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):  # new, or its folder is to be made
        return target
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise OSError(errno.EINVAL, f"{kind} (policyc writes regular files only)", str(path))
    return target


def _create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """A new, empty, hidden file beside the target; created with 0o666 less the umask,
    the permissions a plain new file gets."""
    while True:
        temp = folder / f".{name[:_NAME_KEEP]}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        return fd, temp


def _keep_owner_and_mode(target: Path, temp: Path) -> None:
    """A rewritten file keeps its permissions (and, where allowed, its owner)."""
    try:
        old = target.stat()
    except FileNotFoundError:
        return
    os.chmod(temp, stat.S_IMODE(old.st_mode))
    new = temp.stat()
    if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
        with contextlib.suppress(PermissionError):
            os.chown(temp, old.st_uid, old.st_gid)


def _sync_folder(folder: Path) -> None:
    """fsync the folder so the rename is durable (some file systems cannot: fine)."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)
