"""The user's language, as the page is asked for it: one ``Accept-Language`` value.

A chat host tells the user's country and subdivision (``openai-subdivision-1-iso-code:
US-CA``); a browser client sends its own ``Accept-Language``; a library caller passes
``locale=``. Each becomes a :class:`UserLocale`: the ``Accept-Language`` header a fetch
sends, and the languages it names. A country maps to its languages by CLDR's territory
data (babel), official and de facto official languages first, else the most spoken one.

The header is built, never copied: each distinct value is a distinct card in the cache
for sites that answer by language, so a caller's list is cut down to its first language
CLDR knows (and that language without its region), and a country's to at most
:data:`MAX_REGION_LANGUAGES` languages. That bounds the cards one URL can have to the
locales CLDR has, however many made-up headers are sent.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ogpreview.errors import InvalidLocale

__all__ = ["MAX_REGION_LANGUAGES", "UserLocale", "content_languages"]

#: Languages of one country put in a request (CH: de, gsw, fr, it).
MAX_REGION_LANGUAGES = 4
#: What any other language is worth, after the user's.
_ANY = "*;q=0.1"
#: A language range of Accept-Language (RFC 9110 12.5.4), before CLDR is asked about it.
_RANGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
#: ISO 3166-1 alpha-2, optionally with an ISO 3166-2 subdivision (US, US-CA, GB-ENG).
_REGION = re.compile(r"([A-Za-z]{2})(?:-[A-Za-z0-9]{1,3})?")
#: A region subtag of a language tag (BCP 47): two letters or three digits.
_REGION_SUBTAG = re.compile(r"[a-z]{2}|[0-9]{3}")
#: CLDR's "undetermined language" (Antarctica's): no language to ask for.
UNDETERMINED = "und"
#: Characters of a locale value read at all.
MAX_LOCALE_CHARS = 512


@dataclass(frozen=True, slots=True)
class UserLocale:
    """The language a page is fetched in: the ``Accept-Language`` value sent, and the
    (lower-case, primary) languages it names."""

    accept_language: str
    languages: tuple[str, ...]

    @classmethod
    def parse(cls, value: str) -> UserLocale:
        """A locale from a language tag (``fr-CH``) or an ``Accept-Language`` list
        (``fr-CH, fr;q=0.9, en;q=0.5``): its first language CLDR knows. Raises
        :class:`~ogpreview.InvalidLocale` when it names none."""
        found = cls.from_accept_language(value)
        if found is None:
            shown = value[:80]
            raise InvalidLocale(f"no language CLDR knows in locale {shown!r}")
        return found

    @classmethod
    def from_accept_language(cls, value: str) -> UserLocale | None:
        """Like :meth:`parse`, None instead of raising (an HTTP header one may ignore)."""
        for tag in _ranges(value[:MAX_LOCALE_CHARS]):
            known = _known_tag(tag)
            if known is not None:
                return _locale_of(known)
        return None

    @classmethod
    def for_region(cls, code: str) -> UserLocale | None:
        """The languages of a country, from an ISO 3166 code as the
        ``openai-subdivision-1-iso-code`` header sends it (``US-CA``, ``CH``); None for
        a code that is malformed or names no country CLDR knows. CLDR has languages by
        country, so the subdivision is read but does not change them."""
        match = _REGION.fullmatch(code.strip())
        if match is None:
            return None
        return _region_locale(match.group(1).upper())

    def __str__(self) -> str:
        return self.accept_language


def content_languages(value: str | None) -> tuple[str, ...]:
    """The primary languages a ``Content-Language`` header names (``de-DE, en`` gives
    ``("de", "en")``), lower-case; empty when none."""
    if not value:
        return ()
    out: list[str] = []
    for part in value[:MAX_LOCALE_CHARS].split(","):
        tag = part.strip()
        if _RANGE.fullmatch(tag):
            primary = tag.partition("-")[0].lower()
            if primary not in out:
                out.append(primary)
    return tuple(out)


def _ranges(value: str) -> list[str]:
    """The language ranges of an Accept-Language value, best first (stable for ties);
    ``*``, ranges with q=0 and malformed ones left out."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(value.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not _RANGE.fullmatch(tag):
            continue
        quality = 1.0
        name, _, raw = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(raw.strip())
            except ValueError:
                continue
            if not 0.0 <= quality <= 1.0:
                continue
        if quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


@functools.lru_cache(maxsize=1024)
def _known_tag(tag: str) -> tuple[str, str | None] | None:
    """``(language, territory)`` of a tag CLDR has that locale for (else of its language
    alone, when CLDR has that: ``de-BY`` is ``de``), else None."""
    primary, *rest = tag.lower().split("-")
    if primary == UNDETERMINED:
        return None
    region = next((part.upper() for part in rest if _REGION_SUBTAG.fullmatch(part)), None)
    for candidate, territory in ((tag, region), (primary, None)):
        parsed = _parse_locale(candidate)
        # babel fills in "likely" subtags (und and en-ZZ parse as en_US): only the
        # language and region the tag names count.
        if parsed is not None and parsed == (primary, territory):
            return parsed
    return None


def _parse_locale(tag: str) -> tuple[str, str | None] | None:
    from babel import Locale, UnknownLocaleError  # CLDR data: loaded only when used

    try:
        locale = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        return None
    return locale.language, locale.territory


def _locale_of(known: tuple[str, str | None]) -> UserLocale:
    language, territory = known
    if territory is None:
        return UserLocale(f"{language}, {_ANY}", (language,))
    return UserLocale(f"{language}-{territory}, {language};q=0.9, {_ANY}", (language,))


@functools.lru_cache(maxsize=512)
def _region_locale(country: str) -> UserLocale | None:
    from babel.core import get_global
    from babel.languages import get_official_languages

    spoken = get_global("territory_languages").get(country)
    if not spoken:
        return None
    names = list(get_official_languages(country, de_facto=True))
    if not names:  # no official language: the most spoken one
        names = [max(spoken, key=lambda name: spoken[name].get("population_percent", 0.0))]
    languages: list[str] = []
    for name in names:
        primary = name.partition("_")[0]  # zh_Hant: the script is left to the region
        if primary != UNDETERMINED and primary not in languages:
            languages.append(primary)
    if not languages:
        return None
    languages = languages[:MAX_REGION_LANGUAGES]
    parts: list[str] = []
    quality = 10
    for primary in languages:
        for tag in (f"{primary}-{country}", primary):
            parts.append(tag if quality == 10 else f"{tag};q=0.{quality}")
            quality -= 1
    return UserLocale(", ".join([*parts, _ANY]), tuple(languages))
