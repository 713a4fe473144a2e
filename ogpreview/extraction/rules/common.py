"""What the rule modules share: the :class:`Context` rules read, the :class:`Rule` type,
the card's length limits, the text and URL validators, and the readers of meta tags and
JSON-LD that several fields use."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ogpreview.card import MAX_IMAGE_SIDE
from ogpreview.extraction.document import Page
from ogpreview.text import clean_text
from ogpreview.urls import absolutize

__all__ = [
    "AUTHOR_LIMIT",
    "DESCRIPTION_LIMIT",
    "MAX_IMAGE_SIDE",
    "SHORT_LIMIT",
    "SITE_NAME_LIMIT",
    "TITLE_LIMIT",
    "Context",
    "Reader",
    "Rule",
    "Validator",
    "accept_text",
    "accept_url",
    "jsonld",
    "jsonld_values",
    "metas",
]

TITLE_LIMIT = 300
DESCRIPTION_LIMIT = 300
SITE_NAME_LIMIT = 100
AUTHOR_LIMIT = 200
SHORT_LIMIT = 100
_NOT_CONTENT_TYPES = frozenset(
    {"organization", "corporation", "newsmediaorganization", "website", "person",
     "breadcrumblist", "listitem", "searchaction", "imageobject", "brand", "place",
     "postaladdress", "contactpoint", "sitenavigationelement", "wpheader", "wpfooter",
     "wpsidebar", "rating", "aggregaterating", "offer", "country", "entrypoint",
     "readaction", "localbusiness"}
)  # fmt: skip


@dataclass(slots=True)
class Context:
    """What the rules share for one page: the page and the URL relative links resolve against."""

    page: Page
    url: str
    base: str

    def resolve(self, href: str | None) -> str | None:
        return absolutize(self.base, href)


Reader = Callable[[Context], Iterable[Any]]
Validator = Callable[[Context, Any], Any]


@dataclass(frozen=True, slots=True)
class Rule:
    """One source of a field's value.

    ``id`` is a contract (``explain()`` reports it, link checkers and users match on it):
    it is written out here, never derived from ``read``'s name, so renaming a function
    cannot change what a page's sources say. ``label`` is how a finding names the source
    ("the <title> tag"); it is the id itself where the id reads well enough."""

    id: str
    read: Reader
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.id)

    def __call__(self, ctx: Context) -> Iterable[Any]:
        return self.read(ctx)


def metas(*keys: str, label: str = "") -> Rule:
    """The values of the meta tags named ``keys``; id ``meta:`` and the keys."""

    def read(ctx: Context) -> Iterator[str]:
        for key in keys:
            yield from ctx.page.meta(key)

    return Rule("meta:" + ",".join(keys), read, label)


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds if isinstance(k, str)}


def jsonld_values(ctx: Context, key: str, *, content_only: bool = False) -> Iterator[Any]:
    """``key``'s values in the page's JSON-LD objects (``content_only``: not in those
    describing the site, its publisher or navigation rather than the page's content)."""
    for obj in ctx.page.jsonld:
        if content_only and _types(obj) & _NOT_CONTENT_TYPES:
            continue
        if key in obj:
            yield obj[key]


def jsonld(key: str, *, content_only: bool = False, label: str = "") -> Rule:
    def read(ctx: Context) -> Iterator[Any]:
        return jsonld_values(ctx, key, content_only=content_only)

    return Rule(f"jsonld:{key}", read, label)


def accept_text(limit: int) -> Validator:
    def accept(ctx: Context, raw: Any) -> str | None:
        return clean_text(raw, limit=limit) if isinstance(raw, str) else None

    return accept


def accept_url(ctx: Context, raw: Any) -> str | None:
    return ctx.resolve(raw) if isinstance(raw, str) else None
