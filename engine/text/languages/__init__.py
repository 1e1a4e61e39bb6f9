"""Per-language normalisation rules, looked up by base language code.

English has the full rule set; German, Spanish and French share a num2words-driven set with their own
words and abbreviations; every other language num2words knows gets its numbers spoken, and the rest keep
their digits for espeak-ng, which reads digits in all of its languages.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.text.numbers import num2words_language

from .base import LanguageRules, Options

_FACTORIES: dict[str, Callable[[], LanguageRules]] = {}
_CACHE: dict[str, LanguageRules] = {}


def register(code: str, factory: Callable[[], LanguageRules]) -> None:
    """Add (or replace) the rules for a base language code; built on first use."""
    _FACTORIES[code] = factory
    _CACHE.pop(code, None)


def rules_for(language: str) -> LanguageRules:
    """The rules for a base language code (see engine.text.language.base_language)."""
    if language not in _CACHE:
        factory = _FACTORIES.get(language)
        if factory is None:
            from .generic import generic_rules

            lang = num2words_language(language)
            _CACHE[language] = generic_rules(language, lang) if lang else LanguageRules(language, ())
        else:
            _CACHE[language] = factory()
    return _CACHE[language]


def _register_builtin() -> None:
    from . import de, en, es, fr

    register("en", en.rules)
    register("de", de.rules)
    register("es", es.rules)
    register("fr", fr.rules)


_register_builtin()

__all__ = ["LanguageRules", "Options", "register", "rules_for"]
