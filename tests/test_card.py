"""Card: the JSON shape and its exact round trip."""

from __future__ import annotations

import dataclasses

import pytest

from ogpreview import Card, Image

FULL = Card(
    url="https://example.com/a",
    site_name="Example",
    title="A title",
    description="A description",
    image=Image(
        url="https://example.com/i.png", width=1200, height=630, alt="alt", type="image/png"
    ),
    type="article",
    locale="en_US",
    favicon="https://example.com/favicon.ico",
    author="Ann",
    published_time="2024-01-02T03:04:05Z",
    oembed_url="https://example.com/oembed?url=a",
    theme_color="#ffffff",
    twitter_card="summary_large_image",
)


def test_to_dict_has_the_documented_shape() -> None:
    """to_dict gives every documented key, the image as a nested object."""
    assert FULL.to_dict() == {
        "url": "https://example.com/a",
        "site_name": "Example",
        "title": "A title",
        "description": "A description",
        "image": {
            "url": "https://example.com/i.png",
            "width": 1200,
            "height": 630,
            "alt": "alt",
            "type": "image/png",
        },
        "type": "article",
        "locale": "en_US",
        "favicon": "https://example.com/favicon.ico",
        "author": "Ann",
        "published_time": "2024-01-02T03:04:05Z",
        "oembed_url": "https://example.com/oembed?url=a",
        "theme_color": "#ffffff",
        "twitter_card": "summary_large_image",
    }


@pytest.mark.parametrize("card", [FULL, Card(url="https://example.com/")])
def test_from_dict_reverses_to_dict(card: Card) -> None:
    """from_dict(to_dict(card)) is the same card, full or empty."""
    assert Card.from_dict(card.to_dict()) == card


def test_dict_cached_before_twitter_card_still_reads() -> None:
    """A card dict written before the twitter_card field existed reads with it as None."""
    old = {k: v for k, v in FULL.to_dict().items() if k != "twitter_card"}
    assert Card.from_dict(old) == dataclasses.replace(FULL, twitter_card=None)


def test_absent_values_are_none() -> None:
    """A card with only a URL serialises every other field as null."""
    data = Card(url="https://example.com/").to_dict()
    assert {k: v for k, v in data.items() if k != "url"} == dict.fromkeys(
        [k for k in data if k != "url"]
    )


@pytest.mark.parametrize(
    "data",
    [
        [],
        {},
        {"url": ""},
        {"url": 5},
        {"url": "https://e.com/", "title": ""},
        {"url": "https://e.com/", "title": 3},
        {"url": "https://e.com/", "image": "https://e.com/i.png"},
        {"url": "https://e.com/", "image": {"width": 5}},
        {"url": "https://e.com/", "image": {"url": "https://e.com/i", "width": -1}},
        {"url": "https://e.com/", "image": {"url": "https://e.com/i", "width": True}},
    ],
)
def test_from_dict_rejects_a_wrong_shape(data: object) -> None:
    """A value that is not a card's JSON raises ValueError (a cache treats it as a miss)."""
    with pytest.raises(ValueError):
        Card.from_dict(data)  # type: ignore[arg-type]
