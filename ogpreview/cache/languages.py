"""Which cache key a page's card is kept under for a user's language.

A page has one card for every language until the site shows it answers by language
(``Vary: Accept-Language``, or a card in a language the user did not ask for); then each
language has its own entry, under :func:`~ogpreview.urls.language_key`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ogpreview.cache.base import Cache, Entry
from ogpreview.locale import UserLocale
from ogpreview.urls import language_key

__all__ = ["Target", "cached_for", "home_key", "look_up", "serves", "varies_by_language"]


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


async def cached_for(cache: Cache, target: Target) -> Entry | None:
    """What ``cache`` holds for ``target`` now: its own entry, or (for a language whose
    card the page's was not known not to be) the page's when it serves it."""
    entry = await cache.get(target.flight)
    if entry is not None or target.language is None or target.page_cached:
        return entry
    page = await cache.get(target.key)
    return page if page is not None and serves(page, target.language) else None


async def look_up(
    cache: Cache, key: str, language: UserLocale | None, *, refresh: bool
) -> tuple[Target, Entry | None, Target]:
    """For a lookup of the page ``key`` in ``language`` (None: the default one): what a
    fill fetches, the entry cached for it (None with ``refresh``), and what refreshes
    that entry when it is stale (the page's own card is refreshed as the page)."""
    if language is None:
        target = Target(key)
        return target, None if refresh else await cache.get(key), target
    page = await cache.get(key)
    shared = page is not None and serves(page, language)
    target = Target(key, language, page_cached=page is not None and not shared)
    if refresh:
        return target, None, target
    if shared:
        return target, page, Target(key)
    return target, await cache.get(target.flight), target
