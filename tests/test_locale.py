"""The user's language: CLDR's languages of a country, language tags, and the library's
``locale=`` with a cache that keeps languages apart only for sites that answer by them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ogpreview import InvalidLocale, MemoryCache, Previewer, Settings
from ogpreview.locale import UserLocale, content_languages
from tests.lang_origin import LangOrigin, lang_origin

OPEN = Settings(allow_networks=["127.0.0.1/32"], allowed_ports=None, oembed=False)
#: What the fetcher sends without a locale (the settings' default).
DEFAULT = OPEN.accept_language


@pytest.fixture
async def origin() -> AsyncIterator[LangOrigin]:
    async with lang_origin() as running:
        yield running


@pytest.mark.parametrize(
    ("code", "header"),
    [
        ("FR-75", "fr-FR, fr;q=0.9, *;q=0.1"),
        ("us-ca", "en-US, en;q=0.9, *;q=0.1"),
        (
            "CH",
            "de-CH, de;q=0.9, gsw-CH;q=0.8, gsw;q=0.7, fr-CH;q=0.6, fr;q=0.5, it-CH;q=0.4, "
            "it;q=0.3, *;q=0.1",
        ),
        ("CA-QC", "en-CA, en;q=0.9, fr-CA;q=0.8, fr;q=0.7, *;q=0.1"),
    ],
)
def test_a_country_maps_to_its_cldr_languages(code: str, header: str) -> None:
    """A country's official languages, most spoken first, as CLDR lists them, each with
    the country and alone (the subdivision changes nothing: CLDR has none by it)."""
    assert UserLocale.for_region(code) == UserLocale(header, tuple(header_languages(header)))


def header_languages(header: str) -> list[str]:
    out: list[str] = []
    for part in header.split(","):
        primary = part.strip().partition(";")[0].partition("-")[0]
        if primary != "*" and primary not in out:
            out.append(primary)
    return out


@pytest.mark.parametrize("code", ["ZZ", "AQ", "USA-CA", "", "U1", "FR-ÎDF"])
def test_a_region_cldr_has_no_language_for_is_none(code: str) -> None:
    """A malformed code, or a country without a language in CLDR, gives no locale."""
    assert UserLocale.for_region(code) is None


@pytest.mark.parametrize(
    ("value", "header"),
    [
        ("fr-CH", "fr-CH, fr;q=0.9, *;q=0.1"),
        ("x-klingon, en;q=0.2, de-AT;q=0.8", "de-AT, de;q=0.9, *;q=0.1"),
        ("de-BY", "de, *;q=0.1"),  # CLDR has no de_BY: the language alone
        ("en-ZZ;q=1", "en, *;q=0.1"),  # no likely-subtag guesses (ZZ is no region)
        ("zh-Hant-TW", "zh-TW, zh;q=0.9, *;q=0.1"),
    ],
)
def test_accept_language_gives_its_first_language_cldr_knows(value: str, header: str) -> None:
    """The best-ranked range CLDR has a locale for, with its region and without."""
    found = UserLocale.from_accept_language(value)
    assert found is not None and found.accept_language == header


@pytest.mark.parametrize("value", ["*", "und", "klingon", "en;q=0", "🙂"])
def test_a_locale_naming_no_known_language_is_invalid(value: str) -> None:
    """The library's locale= refuses a value that names no language CLDR knows."""
    with pytest.raises(InvalidLocale, match="no language CLDR knows"):
        UserLocale.parse(value)


def test_content_language_names_primary_languages() -> None:
    """Content-Language's tags as their primary languages, deduplicated, in order."""
    assert content_languages("de-DE, en, de-AT, !!") == ("de", "en")


async def test_the_page_is_fetched_in_the_users_language(origin: LangOrigin) -> None:
    """locale= asks the page in that language: the card is the site's French page, and
    the site saw the Accept-Language built for French."""
    async with Previewer(OPEN) as previewer:
        card = await previewer.preview(origin.url("/vary/a"), locale="fr-CH")
    assert (card.title, origin.fetches("/vary/a")) == (
        "Les feux du port",
        ["fr-CH, fr;q=0.9, *;q=0.1"],
    )


async def test_without_a_locale_nothing_changes(origin: LangOrigin) -> None:
    """No locale: the default Accept-Language and the page's one card, as before."""
    async with Previewer(OPEN) as previewer:
        card = await previewer.preview(origin.url("/vary/a"))
    assert (card.title, origin.fetches("/vary/a")) == ("Harbour lights", [DEFAULT])


async def test_an_invalid_locale_fetches_nothing(origin: LangOrigin) -> None:
    """A bad locale raises InvalidLocale before any fetch."""
    async with Previewer(OPEN) as previewer:
        with pytest.raises(InvalidLocale):
            await previewer.preview(origin.url("/vary/a"), locale="not a language")
    assert origin.requests == []


async def test_a_varying_site_keeps_a_card_per_language(origin: LangOrigin) -> None:
    """A site that says Vary: Accept-Language has a card per language: each is fetched
    once and then served from the cache in its own language."""
    url = origin.url("/vary/a")
    async with Previewer(OPEN, cache=MemoryCache()) as previewer:
        results = [
            await previewer.lookup(url, locale=locale)
            for locale in ("fr", None, "de-DE", "fr", None, "de-DE")
        ]
    assert [(r.card.title, r.cache) for r in results] == [
        ("Les feux du port", "miss"),
        ("Harbour lights", "miss"),
        ("Die Hafenlichter", "miss"),
        ("Les feux du port", "hit"),
        ("Harbour lights", "hit"),
        ("Die Hafenlichter", "hit"),
    ]
    assert len(origin.fetches("/vary/a")) == 3


async def test_a_site_that_does_not_vary_keeps_one_card(origin: LangOrigin) -> None:
    """A site that answers the same whatever the language (no Vary, no Content-Language)
    is fetched once: every language gets its one card."""
    url = origin.url("/fixed/a")
    async with Previewer(OPEN, cache=MemoryCache()) as previewer:
        results = [await previewer.lookup(url, locale=loc) for loc in ("fr", "de", None, "ja")]
    assert [(r.card.title, r.cache) for r in results] == [
        ("Harbour lights", "miss"),
        ("Harbour lights", "hit"),
        ("Harbour lights", "hit"),
        ("Harbour lights", "hit"),
    ]
    assert origin.fetches("/fixed/a") == ["fr, *;q=0.1"]


async def test_content_language_alone_keeps_languages_apart(origin: LangOrigin) -> None:
    """A site that negotiates without Vary but labels its answer (Content-Language) is
    not given the French card for everyone: the default and French cards stay apart."""
    url = origin.url("/silent/a")
    async with Previewer(OPEN, cache=MemoryCache()) as previewer:
        results = [await previewer.lookup(url, locale=loc) for loc in ("fr", None, "fr", None)]
    assert [(r.card.title, r.cache) for r in results] == [
        ("Les feux du port", "miss"),
        ("Harbour lights", "miss"),
        ("Les feux du port", "hit"),
        ("Harbour lights", "hit"),
    ]


async def test_purge_drops_every_language(origin: LangOrigin) -> None:
    """purge(url) deletes the page's card in every language; each is fetched again."""
    url = origin.url("/vary/a")
    async with Previewer(OPEN, cache=MemoryCache()) as previewer:
        for locale in ("fr", None, "de"):
            await previewer.preview(url, locale=locale)
        purged = await previewer.purge(url)
        again = [(await previewer.lookup(url, locale=loc)).cache for loc in ("fr", None)]
    assert (purged, again, len(origin.fetches("/vary/a"))) == (3, ["miss", "miss"], 5)


async def test_preview_response_takes_the_locale(origin: LangOrigin) -> None:
    """The links of a plugin's answer are previewed in the caller's language too."""
    text = f"See {origin.url('/vary/b')}"
    async with Previewer(OPEN) as previewer:
        [(_, card)] = await previewer.preview_response(text, locale="de")
    assert getattr(card, "title", card) == "Die Hafenlichter"
