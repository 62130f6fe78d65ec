"""Translations: which language a user gets, and catalogs that are complete and well formed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.domain.routines import load_routines
from bot.presentation import texts
from bot.presentation.i18n import DEFAULT, SHIPPED, native_name, negotiate, telegram_code, words

LOCALE = Path(__file__).parent.parent / "bot" / "locale"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@pytest.mark.parametrize(
    ("telegram", "expected"),
    [
        ("de", "de"), ("de-AT", "de"), ("de-CH", "de"), ("es", "es"), ("es-419", "es"), ("es-MX", "es"),
        ("pt-BR", "pt_BR"), ("pt", "pt_BR"), ("pt-PT", "pt_BR"), ("ru", "ru"), ("ru-UA", "ru"),
        ("en", "en"), ("en-GB", "en"), ("fr", "en"), ("zh-hans", "en"), ("", "en"), (None, "en"),
        ("not a code", "en"), ("x" * 300, "en"),
    ],
)
def test_telegram_language_codes_map_to_the_nearest_shipped_language(telegram: str | None, expected: str) -> None:
    assert negotiate(telegram) == expected


def catalog(language: str):  # type: ignore[no-untyped-def]
    with (LOCALE / f"{language}.po").open("rb") as handle:
        return read_po(handle, locale=language)


def template_ids() -> set[str]:
    with (LOCALE / "messages.pot").open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def test_the_template_holds_every_text_in_the_code(tmp_path: Path) -> None:
    """A text added to the code without re-extracting the catalogs fails here."""
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_",
         "-k", "plural:1,2", "--no-location", "--omit-header", "-o", str(fresh), "bot"],
        cwd=LOCALE.parent.parent, check=True,
    )
    with fresh.open("rb") as handle:
        extracted = {message.id for message in read_po(handle) if message.id}
    assert extracted == template_ids()


@pytest.mark.parametrize("language", [code for code in SHIPPED if code != DEFAULT])
def test_every_catalog_translates_every_text_and_keeps_its_placeholders(language: str) -> None:
    found = catalog(language)
    assert found.plural_forms, "the catalog needs its language's plural rule"
    translated = {message.id: message for message in found if message.id}
    assert set(translated) >= template_ids()
    for message_id, message in translated.items():
        if isinstance(message_id, tuple):  # a plural: every form keeps the placeholders
            forms, expected = list(message.string), set(PLACEHOLDER.findall(message_id[1]))
        else:
            forms, expected = [message.string], set(PLACEHOLDER.findall(message_id))
        for form in forms:
            assert form, f"{language}: no translation for {message_id!r}"
            assert set(PLACEHOLDER.findall(form)) == expected, f"{language}: {message_id!r} -> {form!r}"
            assert form.count("<b>") == form.count("</b>"), form


@pytest.mark.parametrize("language", SHIPPED)
def test_start_help_and_the_menu_render_in_each_language_without_a_raw_placeholder(language: str) -> None:
    _ = words(language)
    book = load_routines()
    rendered = [
        texts.welcome("Ana", book, _), texts.welcome("", book, _), texts.help_text(_), texts.language_menu(_),
        texts.language_set(_), texts.language_unknown(_, "klingon"), texts.unknown_command("/dance", _),
        texts.duration(45, _), texts.duration(600, _), texts.duration(170, _),
    ]
    for text in rendered:
        assert not PLACEHOLDER.search(text), text
    menu = texts.commands(_)
    assert [name for name, _d in menu] == [name for name, _d in texts.COMMANDS]
    assert all(0 < len(description) <= 256 and "\n" not in description for _n, description in menu)
    if language != DEFAULT:  # really translated, not English passed through
        english = dict(texts.COMMANDS)
        assert sum(description != english[name] for name, description in menu) == len(menu)
        assert texts.language_set(_) != texts.language_set(words(DEFAULT))


def test_language_names_and_telegram_codes() -> None:
    assert [native_name(code) for code in SHIPPED] == [
        "English", "Deutsch", "Español", "Português (Brasil)", "Русский"
    ]
    assert [telegram_code(code) for code in SHIPPED] == ["en", "de", "es", "pt", "ru"]
