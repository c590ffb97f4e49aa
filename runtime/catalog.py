"""Message catalogs: the words a person reads, one gettext catalog per language.

The catalogs are gettext `.po` files kept with Babel (`make catalogs`: extract,
update, compile) under `runtime/locale/<dir>/LC_MESSAGES/policyc.po`; the
compiled `.mo` files are committed beside them and read here with the standard
library's `gettext`, so the runtime keeps no dependency. Message ids are the
English text with `{name}` placeholders (str.format); code marks them with `N_`
where they are defined and renders them with `say`.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "zh-Hans", "zh-Hant")
DEFAULT_LANGUAGE = "en"
DOMAIN = "policyc"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

# BCP 47 tag -> the catalog folder (gettext folder names cannot hold a dash).
FOLDERS = {"en": "en", "zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant"}

# POSIX locale names -> language. Territories that write Traditional Chinese
# (Taiwan, Hong Kong, Macau) read zh-Hant; every other Chinese locale zh-Hans.
_TRADITIONAL = ("tw", "hk", "mo", "hant")
_LOCALE_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def N_(msgid: str) -> str:
    """Mark `msgid` for extraction where it is defined; `say` translates it later."""
    return msgid


def language_of(name: str) -> str | None:
    """The language a locale name or tag asks for (`zh_TW.UTF-8` -> zh-Hant), or None."""
    tag = name.split(".")[0].split("@")[0].replace("-", "_").lower()
    if not tag or tag in ("c", "posix"):
        return None
    parts = tag.split("_")
    if parts[0] == "en":
        return "en"
    if parts[0] == "zh":
        return "zh-Hant" if any(p in _TRADITIONAL for p in parts[1:]) else "zh-Hans"
    return None


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale variables ask for, in gettext's order; default en.

    LANGUAGE is a colon-separated list of preferences; the first variable that
    is set decides, as gettext itself reads them.
    """
    env = os.environ if environ is None else environ
    for var in _LOCALE_VARS:
        value = env.get(var, "")
        if not value:
            continue
        for name in value.split(":"):
            lang = language_of(name)
            if lang is not None:
                return lang
        if var != "LANGUAGE":  # LANGUAGE only lists preferences; the others decide
            return DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def choose(flag: str | None, environ: Mapping[str, str] | None = None) -> str:
    """`--lang` when given (a tag or locale name), else the locale's language."""
    if flag:
        lang = language_of(flag) if flag not in LANGUAGES else flag
        if lang is None:
            raise ValueError(f"unknown language {flag!r}; one of {', '.join(LANGUAGES)}")
        return lang
    return from_environment(environ)


@cache
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of `lang` (a missing .mo file is a packaging error: it raises)."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[FOLDERS[lang]])


def say(lang: str, msgid: str, **args: object) -> str:
    """`msgid` in `lang`, its `{placeholders}` filled from `args`."""
    return catalog(lang).gettext(msgid).format(**args)


def say_n(lang: str, singular: str, plural: str, n: int, **args: object) -> str:
    """A message that depends on a count (`n` is also passed as `{n}`)."""
    return catalog(lang).ngettext(singular, plural, n).format(n=n, **args)
