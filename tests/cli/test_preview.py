"""``ogpreview preview URL``: one card, as JSON or Markdown, from the site on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from ogpreview import Previewer, Settings
from ogpreview.cli import main
from tests.redis_topology import Cluster
from tests.servers import Site, in_thread, site_server

FETCH = ["--allow-network", "127.0.0.0/8", "--allow-port", "any"]


@pytest.fixture
def site() -> Iterator[Site]:
    """The fixture site served from a thread (the command runs its own event loop)."""
    yield from in_thread(site_server)


def test_json_card(site: Site, capsys: Any) -> None:
    """The card as JSON, the image measured."""
    code = main(["preview", site.url("/check-no-image.html"), *FETCH])
    assert (code, json.loads(capsys.readouterr().out)) == (
        0,
        {
            "url": site.url("/check-no-image.html"),
            "site_name": "Check Site",
            "title": "A checked page",
            "description": "What the page is about, in a sentence.",
            "image": None,
            "type": None,
            "locale": "en",
            "favicon": site.url("/favicon.ico"),
            "author": None,
            "published_time": None,
            "oembed_url": None,
            "theme_color": None,
            "twitter_card": None,
        },
    )


@pytest.mark.parametrize(("path", "kind"), [("/report.pdf", "document"), ("/archive.zip", "file")])
def test_file_link_prints_its_plain_card(site: Site, capsys: Any, path: str, kind: str) -> None:
    """A link to a file (a PDF, an archive) prints the plain card the service gives it:
    the file name as title, the site's name and icon; exit 0, not an error."""
    code = main(["preview", site.url(path), *FETCH])
    assert (code, json.loads(capsys.readouterr().out)) == (
        0,
        {
            "url": site.url(path),
            "site_name": "127.0.0.1",
            "title": path.lstrip("/"),
            "description": None,
            "image": None,
            "type": kind,
            "locale": None,
            "favicon": site.url("/favicon.ico"),
            "author": None,
            "published_time": None,
            "oembed_url": None,
            "theme_color": None,
            "twitter_card": None,
        },
    )


def test_markdown_card(site: Site, capsys: Any) -> None:
    """--format markdown prints the card as a block quote."""
    code = main(["preview", site.url("/check-no-image.html"), "--format", "markdown", *FETCH])
    assert (code, capsys.readouterr().out) == (
        0,
        "> **Check Site**\n"
        f"> [A checked page]({site.url('/check-no-image.html')})\n"
        "> What the page is about, in a sentence.\n",
    )


def test_http_error_exits_1(site: Site, capsys: Any) -> None:
    """A link that does not preview: its error code and message on stderr, exit 1."""
    code = main(["preview", site.url("/missing.html"), *FETCH])
    assert (code, capsys.readouterr()) == (1, ("", "error: http_status: the server answered 404\n"))


def test_loopback_is_blocked_without_allow_flags(site: Site, capsys: Any) -> None:
    """Without --allow-port/--allow-network the local site is refused, and the refusal
    says how to allow the port."""
    code = main(["preview", site.url("/check-good.html")])
    assert (code, capsys.readouterr().err, site.hits["/check-good.html"]) == (
        1,
        f"error: blocked_url: port {site.port} is not allowed (allow it with --allow-port "
        f"{site.port} or OGPREVIEW_ALLOWED_PORTS)\n",
        0,
    )


def test_malformed_url_is_a_usage_error(capsys: Any) -> None:
    """Text that is not a URL: exit 2."""
    code = main(["preview", "not a url"])
    assert (code, capsys.readouterr().err) == (2, "error: preview: not an absolute URL\n")


def test_sentinel_mode_without_a_master_name_is_a_usage_error(capsys: Any) -> None:
    """--redis-mode sentinel with no OGPREVIEW_REDIS_SENTINEL_SERVICE: exit 2, one line."""
    redis = ["--redis-url", "redis://127.0.0.1:1", "--redis-mode", "sentinel"]
    code = main(["preview", "http://127.0.0.1:9/", *redis, *FETCH])
    assert (code, capsys.readouterr().err) == (
        2,
        "error: redis_sentinel_service must name the master when redis_mode is sentinel\n",
    )


def test_redis_mode_cluster_caches_in_the_cluster(
    site: Site, cluster: Cluster, scaled_prefix: str, monkeypatch: Any, capsys: Any
) -> None:
    """--redis-url with the seed nodes and --redis-mode cluster: the card is in the
    cluster for the service to serve."""
    monkeypatch.setenv("OGPREVIEW_CACHE_PREFIX", scaled_prefix)
    url = site.url("/check-no-image.html")
    code = main(["preview", url, "--redis-url", cluster.url, "--redis-mode", "cluster", *FETCH])

    async def lookup() -> str:
        settings = cluster.settings(Settings(allow_networks=["127.0.0.0/8"]), scaled_prefix)
        async with Previewer(settings.replace(allowed_ports=None)) as previewer:
            return (await previewer.lookup(url)).cache

    assert (code, asyncio.run(lookup()), site.hits[urlsplit(url).path]) == (0, "hit", 1)
