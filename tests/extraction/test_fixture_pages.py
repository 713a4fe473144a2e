"""The hand-written fixture pages: one quirk each, with the whole expected card beside it.

``fixtures/pages/<name>.html`` holds the page's bytes as served; ``<name>.json`` holds the
page's final ``url``, the response's ``content_type`` (or null), the ``quirk`` it tests and
the expected ``card`` (``Card.to_dict()``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ogpreview import extract
from tests.conftest import FIXTURES

PAGES = FIXTURES / "pages"
HTML_PAGES = sorted(PAGES.glob("*.html"))
MIN_PAGES = 40


def _expected(page: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("page", HTML_PAGES, ids=[page.stem for page in HTML_PAGES])
def test_fixture_page_gives_the_expected_card(page: Path) -> None:
    """The page's whole card equals the hand-written card in its .json."""
    expected = _expected(page)
    card = extract(page.read_bytes(), expected["url"], content_type=expected["content_type"])
    assert card.to_dict() == expected["card"], expected["quirk"]


def test_every_page_has_its_card_and_there_are_enough() -> None:
    """At least 40 pairs, and every .html has a .json and every .json an .html."""
    html = {page.stem for page in PAGES.glob("*.html")}
    cards = {page.stem for page in PAGES.glob("*.json")}
    assert (len(html) >= MIN_PAGES, html ^ cards) == (True, set())
