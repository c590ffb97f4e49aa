"""Keep the message catalogs (dev tool, needs Babel): extract, update, compile.

    python tools/catalogs.py          # what `make catalogs` runs

1. extract every message id marked `N_` or passed to `say`/`say_n` into
   runtime/locale/policyc.pot;
2. merge it into each language's policyc.po (new entries come in untranslated:
   translate them there; tests/test_catalogs.py fails until every one is);
   the English catalog is its own message ids, filled in here;
3. compile each .po to the .mo that runtime/catalog.py reads with stdlib gettext.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "runtime" / "locale"
POT = LOCALES / "policyc.pot"
FOLDERS = ("en", "zh_Hans", "zh_Hant")


def pybabel(*args: str) -> None:
    """Run one pybabel command in-process."""
    CommandLineInterface().run(["pybabel", "-q", *args])


def fill_english(po: Path) -> None:
    """English says its message ids: every empty entry gets its id as the text."""
    with po.open("rb") as f:
        catalog = read_po(f, locale="en")
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
    with po.open("wb") as f:
        write_po(f, catalog, omit_header=False, no_location=True, sort_output=True,
                 width=100)


def main() -> int:
    """Extract, merge, fill English, compile."""
    pybabel("extract", "-F", str(ROOT / "babel.cfg"), "--no-default-keywords", "-k", "N_",
            "-k", "say:2", "-k", "say_n:2,3", "--no-location", "--sort-output", "-w", "100",
            "--project", "policyc", "-o", str(POT),
            *(str(ROOT / d) for d in ("dsl", "compiler", "runtime", "policyc")))
    for folder in FOLDERS:
        po = LOCALES / folder / "LC_MESSAGES" / "policyc.po"
        if po.exists():
            pybabel("update", "-D", "policyc", "-i", str(POT), "-d", str(LOCALES), "-l", folder,
                    "--no-fuzzy-matching", "--ignore-obsolete", "-w", "100")
        else:
            pybabel("init", "-D", "policyc", "-i", str(POT), "-d", str(LOCALES), "-l", folder,
                    "-w", "100")
        if folder == "en":
            fill_english(po)
    pybabel("compile", "-D", "policyc", "-d", str(LOCALES), "--statistics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
