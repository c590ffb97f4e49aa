"""One import name per module: policyc/{dsl,compiler,runtime} are links to the top-level folders.

Every module is imported as `policyc.<part>.<module>`; importing the top-level folders by
their own names would make a second copy of each module (two `Router` classes), so no file
in the project may do it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("dsl", "compiler", "runtime")


@pytest.mark.parametrize("part", PARTS)
def test_policyc_part_is_a_link_to_the_top_level_folder(part: str) -> None:
    link = ROOT / "policyc" / part
    assert link.is_symlink(), f"policyc/{part} must be a committed symlink to ../{part}"
    assert link.resolve() == (ROOT / part).resolve()


def _bare_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names, line = [alias.name for alias in node.names], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names, line = [node.module], node.lineno
        else:
            continue
        found += [f"{path.relative_to(ROOT)}:{line}: {n}"
                  for n in names if n.split(".")[0] in PARTS]
    return found


def test_no_module_imports_a_top_level_folder_by_its_own_name() -> None:
    # rglob does not descend into the policyc/<part> links, so each file is read once.
    files = [p for d in ("dsl", "compiler", "runtime", "policyc", "tests", "bench")
             for p in (ROOT / d).rglob("*.py")]
    bad = [hit for p in files for hit in _bare_imports(p)]
    assert bad == [], "import these as policyc.<part>...:\n" + "\n".join(bad)


def test_installed_modules_are_the_files_in_the_top_level_folders() -> None:
    import policyc.runtime.router as router

    assert Path(router.__file__).resolve() == (ROOT / "runtime" / "router.py").resolve()
