"""Rule ids: what explain() names as a field's source is a stable, public contract."""

from __future__ import annotations

from collections import Counter

import pytest

import ogpreview.extraction.rules as rules
from ogpreview import explain

PAGE = "https://www.example.com/a/page.html"

#: Every field's rules, by id, in precedence order: explain() reports these strings, the
#: checker and users' scripts match on them.
CONTRACT = {
    "title": [
        "meta:og:title",
        "meta:twitter:title",
        "jsonld:headline",
        "jsonld:name",
        "html_title",
        "first_h1",
    ],
    "description": [
        "meta:og:description",
        "meta:twitter:description",
        "meta:description",
        "jsonld:description",
        "first_paragraph",
        "body_text",
    ],
    "image": [
        "og_images",
        "twitter_images",
        "jsonld_images",
        "link_image_src",
        "itemprop_images",
        "largest_img",
        "video_poster",
        "first_img",
    ],
    "site_name": [
        "meta:og:site_name",
        "meta:application-name",
        "jsonld:publisher.name",
        "named:publisher",
        "named:al:ios:app_name,al:android:app_name,al:ipad:app_name,al:iphone:app_name,"
        "twitter:app:name:iphone,twitter:app:name:ipad,twitter:app:name:googleplay",
        "title_segment_naming_host",
        "handle:twitter:site",
        "host_name",
    ],
    "url": ["og_url", "canonical_link", "page_url"],
    "type": ["meta:og:type"],
    "locale": ["meta:og:locale", "html_lang"],
    "author": ["meta:author", "jsonld:author.name", "article_author", "handle:twitter:creator"],
    "published_time": [
        "meta:article:published_time",
        "jsonld:datePublished",
        "meta:datepublished",
        "meta:date,pubdate,publishdate,dc.date,dcterms.created",
        "time_published",
    ],
    "theme_color": ["theme_color"],
    "twitter_card": ["meta:twitter:card"],
    "favicon": ["favicons", "favicon_default"],
    "oembed_url": ["oembed_links"],
}


def test_rule_ids_are_the_documented_ones() -> None:
    """Each field's rules carry exactly the ids explain() has always reported, in order."""
    ids = {name: [rule.id for rule in field.rules] for name, field in rules.PRECEDENCE.items()}
    assert ids == CONTRACT


def test_rule_ids_are_unique() -> None:
    """No two rules, in any fields, share an id (a source names one rule)."""
    counts = Counter(rule.id for field in rules.PRECEDENCE.values() for rule in field.rules)
    assert [rule_id for rule_id, n in counts.items() if n > 1] == []


def test_the_source_is_the_rule_id_not_its_functions_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule whose read function has another (or a renamed) name still reports its id."""

    def renamed_reader(ctx: rules.Context) -> list[str]:
        return ["From the rule"]

    rule = rules.Rule("stable_id", renamed_reader)
    renamed_reader.__name__ = "something_else"
    title = rules.PRECEDENCE["title"]
    monkeypatch.setitem(rules.PRECEDENCE, "title", rules.Field((rule,), title.accept))
    _, sources = explain(b"<title>ignored</title>", PAGE)
    assert sources["title"] == "stable_id"


def test_opengraph_rules_name_the_rule_reading_each_og_tag() -> None:
    """OPENGRAPH_RULES gives, per field, the id explain() reports for the og: tag's value."""
    html = (
        b'<meta property="og:title" content="T"><meta property="og:description" content="D">'
        b'<meta property="og:image" content="/i.png"><meta property="og:site_name" content="S">'
        b'<meta property="og:url" content="/canonical"><meta property="og:type" content="article">'
        b'<meta property="og:locale" content="en_GB">'
    )
    _, sources = explain(html, PAGE)
    assert dict(rules.OPENGRAPH_RULES) == {name: sources[name] for name in rules.OPENGRAPH_RULES}
