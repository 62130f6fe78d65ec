"""The user's language: which one, and the words and formats in it.

Every message text is an English msgid in the code, looked up in a gettext catalog per
language (``bot/locale/<language>.po``, compiled in memory on first use, so the repository holds
only the readable sources). Anything missing from a catalog falls back to English. Plural forms
follow each language's own rules (the catalog's Plural-Forms header); dates and times are
formatted per locale by Babel, from CLDR data.

Catalogs are kept up to date with Babel's tools (see the README)::

    pybabel extract -F babel.cfg -k _ -k plural:1,2 -o bot/locale/messages.pot bot
    pybabel update -i bot/locale/messages.pot -d ... (or edit the .po files by hand)
"""

from __future__ import annotations

import gettext
import io
from datetime import date, time
from functools import cache
from importlib.resources import files
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

#: The languages Limber speaks, as Babel locale identifiers; English is the source language.
SHIPPED: tuple[str, ...] = ("en", "de", "es", "pt_BR", "ru")
DEFAULT = "en"


def negotiate(code: str | None) -> str:
    """The shipped language nearest to a Telegram ``language_code`` ("de-AT" -> "de",
    "pt" or "pt-PT" -> "pt_BR"); English for anything unknown."""
    if not code:
        return DEFAULT
    try:
        locale = Locale.parse(code.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return DEFAULT
    if str(locale) in SHIPPED:
        return str(locale)
    return next((shipped for shipped in SHIPPED if shipped.split("_")[0] == locale.language), DEFAULT)


def native_name(language: str) -> str:
    """The language's name in itself, as a button shows it: "Deutsch", "Português (Brasil)"."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


def telegram_code(language: str) -> str:
    """The code Telegram uses for the language (``set_my_commands(language_code=...)``): "pt"."""
    return language.split("_")[0]


class Words:
    """One language's words: ``_("Hi {name}!", name=...)``, ``_.plural(...)``, and its formats."""

    def __init__(self, language: str, catalog: gettext.NullTranslations) -> None:
        self.language = language
        self.locale = Locale.parse(language)
        self._catalog = catalog

    def __call__(self, message: str, /, **values: Any) -> str:
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, count: int, /, **values: Any) -> str:
        """The form for ``count`` ({count} is filled in, with any other values)."""
        return self._catalog.ngettext(singular, plural, count).format(count=count, **values)

    def time(self, moment: time) -> str:
        """A wall-clock time, 24-hour as the bot reads them: "12:30"."""
        return format_time(moment, format="HH:mm", locale=self.locale)

    def number(self, value: float) -> str:
        """A measurement, to a tenth at most, as this locale writes it: "12.5", "12,5", "12"."""
        return format_decimal(round(value, 1), format="0.#", locale=self.locale)

    def short_date(self, day: date) -> str:
        """A day, short, as this locale writes it: "26 Nov", "26. Nov.", "26 de nov.", "26 нояб."."""
        return self._date(day, "d MMM", "dMMM")

    def weekday(self, day: date, *, with_date: bool = False) -> str:
        """"Fri", "Fr.", "vie"; with the date: "Mon 3 Mar", "Mo., 3. März", "lun, 3 mar"."""
        if not with_date:
            return format_date(day, format="EEE", locale=self.locale)
        return self._date(day, "EEE d MMM", "MMMEd")

    def _date(self, day: date, english: str, skeleton: str) -> str:
        """The locale's own pattern for ``skeleton`` (the order, dots and words of each language);
        English keeps day-first "3 Mar", read the same way everywhere English is."""
        if self.locale.language == "en":
            return format_date(day, format=english, locale=self.locale)
        return format_skeleton(skeleton, day, locale=self.locale)

    def day_names(self) -> list[str]:
        """Monday to Sunday, abbreviated, as this locale writes them but without a final dot
        ("Mo", "seg"): they are joined into "Mo-Fr" and may end a sentence."""
        names = self.locale.days["format"]["abbreviated"]
        return [names[index].rstrip(".") for index in range(7)]


@cache
def words(language: str) -> Words:
    """The words of a shipped language (English for anything else)."""
    if language not in SHIPPED or language == DEFAULT:
        return Words(DEFAULT, gettext.NullTranslations())
    return Words(language, _compiled(language))


def _compiled(language: str) -> gettext.GNUTranslations:
    source = files("bot") / "locale" / f"{language}.po"
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
