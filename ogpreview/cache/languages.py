"""Which cache key a page's card is kept under for a user's language. Pure.

A page has one card for every language until the site shows it answers by language
(``Vary: Accept-Language``, or a card in a language the user did not ask for); then each
language has its own entry, under :func:`~ogpreview.cachekey.language_key`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ogpreview.cache.base import Entry
from ogpreview.cachekey import language_key
from ogpreview.locale import UserLocale

__all__ = ["Target", "home_key", "serves", "varies_by_language"]


@dataclass(frozen=True, slots=True)
class Target:
    """What one fill fetches, and where its entry may be kept."""

    #: The page's key: the only one for the default language.
    key: str
    #: The user's language, when it is not the default one.
    language: UserLocale | None = None
    #: The page's own entry is cached and is not the card for ``language``.
    page_cached: bool = False

    @property
    def flight(self) -> str:
        """The key single-flight and the fetch lock are for: the page in this language."""
        if self.language is None:
            return self.key
        return language_key(self.key, self.language.accept_language)


def varies_by_language(headers: Mapping[str, str]) -> bool:
    """Whether a response says it depends on the request's language."""
    getall = getattr(headers, "getall", None)
    values = getall("Vary", []) if getall is not None else [headers.get("Vary", "")]
    names = {name.strip().lower() for value in values for name in value.split(",")}
    return bool(names & {"accept-language", "*"})


def serves(page: Entry, language: UserLocale) -> bool:
    """Whether the page's own entry is the card for ``language`` too: the site did not
    say it answers by language, and the entry is not in a language the user did not
    ask for (by its Content-Language). An error is the page's, in any language."""
    if page.error is not None:
        return True
    if page.vary_language:
        return False
    return not page.languages or bool(set(page.languages) & set(language.languages))


def home_key(target: Target, entry: Entry, default: UserLocale | None) -> str:
    """The key an entry fetched for ``target`` is kept under: the page's own, unless
    the site answered by language (it said so, the page's card is known to be in
    another language, or this one is in the user's language and not the default's),
    or the fetch failed (a failure in one language is not planted on the others)."""
    language = target.language
    if language is None:
        return target.key
    if entry.error is not None or entry.vary_language or target.page_cached:
        return target.flight
    answered = set(entry.languages)
    defaults = set(default.languages) if default else set()
    if answered & set(language.languages) and not answered & defaults:
        return target.flight
    return target.key
