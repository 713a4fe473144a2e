"""A page origin on 127.0.0.1 that answers by Accept-Language, as multilingual sites do.

``/vary/*`` negotiates English, French or German and says so (``Vary: Accept-Language``,
``Content-Language``); ``/silent/*`` negotiates the same way but sends no Vary, only
Content-Language; ``/fixed/*`` is English whatever is asked, with neither. Every
request's path and Accept-Language are recorded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from tests.web_origin import loopback_app

TITLES = {"en": "Harbour lights", "fr": "Les feux du port", "de": "Die Hafenlichter"}


@dataclass
class LangOrigin:
    port: int = 0
    #: (path, Accept-Language sent) of every request, in order.
    requests: list[tuple[str, str | None]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def fetches(self, path: str) -> list[str | None]:
        """The Accept-Language of each request of ``path``."""
        return [sent for seen, sent in self.requests if seen == path]


def negotiate(accept_language: str | None) -> str:
    """The first language of the header (by q) this site has, else English."""
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        ranked.append((q, tag.strip().partition("-")[0].lower()))
    for _, language in sorted(ranked, key=lambda item: -item[0]):
        if language in TITLES:
            return language
    return "en"


def _page(language: str) -> str:
    return (
        f'<html lang="{language}"><head><meta property="og:title" content="{TITLES[language]}">'
        "</head></html>"
    )


def _app(origin: LangOrigin) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        sent = request.headers.get("Accept-Language")
        origin.requests.append((request.path, sent))
        kind = request.match_info["kind"]
        language = "en" if kind == "fixed" else negotiate(sent)
        headers: dict[str, str] = {}
        if kind != "fixed":
            headers["Content-Language"] = language
        if kind == "vary":
            headers["Vary"] = "Accept-Encoding, Accept-Language"
        return web.Response(text=_page(language), content_type="text/html", headers=headers)

    app = web.Application()
    app.router.add_get("/{kind:vary|silent|fixed}/{name}", handle)
    return app


@asynccontextmanager
async def lang_origin() -> AsyncIterator[LangOrigin]:
    origin = LangOrigin()
    async with loopback_app(_app(origin)) as port:
        origin.port = port
        yield origin
