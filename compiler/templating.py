"""The one jinja2 setup every rendered page uses (graph pages, simulate reports)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2


def environment(folder: Path, filters: dict[str, Callable[..., str]]) -> jinja2.Environment:
    """Templates from `folder`: HTML autoescaped, undefined names an error, given filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                            default_for_string=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(filters)
    return env
