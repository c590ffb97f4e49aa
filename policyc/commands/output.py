"""Writing a command's output file: folders created, a failure said once, the same way."""

from __future__ import annotations

import sys
from pathlib import Path


def write_output(path: Path, text: str) -> bool:
    """Write `text` to `path` (creating folders); on failure print why and return False."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        print(f"policyc: cannot write {path}: {err.strerror or err}", file=sys.stderr)
        return False
    return True
