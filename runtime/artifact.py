"""The compiled artifact: the versioned JSON contract between compiler and runtime.

The runtime reads only this file (never the YAML policy, lark or networkx).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ARTIFACT_FORMAT = "policyc.artifact"
ARTIFACT_VERSION = 1

_REQUIRED = ("format", "version", "policy", "shop", "agents", "groups", "bindings", "pins",
             "route", "selection", "settings", "graph")


class ArtifactError(ValueError):
    """The file is not an artifact this runtime can run."""


def check_artifact(data: Any, origin: str = "artifact") -> dict[str, Any]:
    """Validate the envelope of an artifact dict and return it."""
    if not isinstance(data, dict):
        raise ArtifactError(f"{origin}: not a policyc artifact (expected a JSON object)")
    if data.get("format") != ARTIFACT_FORMAT:
        raise ArtifactError(f"{origin}: not a policyc artifact (format {data.get('format')!r})")
    if data.get("version") != ARTIFACT_VERSION:
        raise ArtifactError(f"{origin}: artifact version {data.get('version')!r}; this runtime "
                            f"reads version {ARTIFACT_VERSION} (recompile the policy)")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise ArtifactError(f"{origin}: artifact lacks {', '.join(missing)}")
    return data


def read_artifact(path: Path) -> dict[str, Any]:
    """Load and validate an artifact file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ArtifactError(f"{path}: cannot read: {err}") from err
    except json.JSONDecodeError as err:
        raise ArtifactError(f"{path}:{err.lineno}:{err.colno}: not JSON: {err.msg}") from err
    return check_artifact(data, str(path))
