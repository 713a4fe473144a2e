"""extract() reads markup as a browser tokenises it: the cases where a regex-minded
scanner and the HTML standard part ways (found by a differential test against lxml)."""

from __future__ import annotations

from ogpreview import Image, extract

PAGE = "https://www.example.com/a/page.html"
OG = b'<meta property="og:title" content="Real title">'


def test_legacy_entity_names_in_a_url_query_stay_as_written() -> None:
    """&timestamp and &region in an og:image URL are query parameters, not "&times" and
    "&reg" references (in attributes, browsers leave those alone)."""
    html = b'<meta property="og:image" content="https://cdn.example.com/i.jpg?w=1200&timestamp=17&region=eu">'
    image = extract(html, PAGE).image
    assert image == Image(url="https://cdn.example.com/i.jpg?w=1200&timestamp=17&region=eu")


def test_an_upper_case_end_tag_closes_its_script() -> None:
    """</SCRIPT> ends a script as </script> does: the tags after it are read."""
    html = b"<html><head><SCRIPT>var a = 1</SCRIPT>" + OG + b"<script>b()</script></head>"
    assert extract(html, PAGE).title == "Real title"


def test_an_end_tag_with_attributes_closes_its_script() -> None:
    """</script foo> ends the script (browsers ignore an end tag's attributes)."""
    html = b'<html><head><script>a()</script data-x="1">' + OG + b"</head>"
    assert extract(html, PAGE).title == "Real title"


def test_a_custom_element_named_like_svg_is_not_svg() -> None:
    """<svg-icon> is a custom element, not an <svg> to step over to its end."""
    html = b'<html><head><svg-icon name="x"></svg-icon>' + OG + b"</head>"
    assert extract(html, PAGE).title == "Real title"


def test_a_self_closing_svg_holds_nothing() -> None:
    """<svg/> closes itself (SVG elements may): the tags after it are read."""
    html = b'<html><head><svg style="display:none"/>' + OG + b"</head>"
    assert extract(html, PAGE).title == "Real title"


def test_an_abrupt_comment_ends_at_once() -> None:
    """<!--> is a whole (empty) comment, not the start of one running to the next -->."""
    html = b"<html><head><!-->" + OG + b"<!-- later --></head>"
    assert extract(html, PAGE).title == "Real title"


def test_iso_2022_jp_is_decoded_before_it_is_scanned() -> None:
    """An ISO-2022-JP page, whose escaped runs hold quote and ">" bytes, gives its title
    whole."""
    html = '<meta charset="iso-2022-jp"><meta property="og:title" content="唖然とするぞ">'
    assert extract(html.encode("iso-2022-jp"), PAGE).title == "唖然とするぞ"


def test_an_icons_svg_title_is_not_the_page_title() -> None:
    """A page without <title> takes its heading, not the <title> of an inline SVG icon."""
    html = (
        b'<html><head></head><body><svg class="logo"><title>Close</title></svg>'
        b"<h1>Real heading</h1></body></html>"
    )
    assert extract(html, PAGE).title == "Real heading"


def test_data_type_ld_json_is_not_json_ld() -> None:
    """A script with data-type="application/ld+json" and another type is a template, not
    JSON-LD: its headline is not the title."""
    html = (
        b'<html><head><script data-type="application/ld+json" type="text/x-template">'
        b'{"@type": "Article", "headline": "Template"}</script><title>T</title></head>'
    )
    assert extract(html, PAGE).title == "T"


def test_a_utf7_label_is_ignored() -> None:
    """A page labelled UTF-7 is not read as UTF-7 (browsers refuse it): "+ADw-meta" does
    not become a tag."""
    html = (
        b'<html><head><meta charset="utf-7"><title>T</title>'
        b"+ADw-meta property+AD0AIg-og:title+ACI content+AD0AIg-Injected+ACI +AD4-</head>"
    )
    assert extract(html, PAGE).title == "T"


def test_the_heads_icon_wins_over_a_larger_one_in_the_body() -> None:
    """An icon the head declares beats a larger one found in the body, which may be an
    iframe's or a commented-out tag."""
    html = (
        b'<html><head><link rel="icon" href="/fav-32.png" sizes="32x32"></head><body>'
        b'<!--<link rel="apple-touch-icon" sizes="180x180" href="/old-touch.png">--></body>'
    )
    assert extract(html, PAGE).favicon == "https://www.example.com/fav-32.png"


def test_an_icon_in_the_body_is_used_when_the_head_has_none() -> None:
    """With no icon in the head, one declared in the body is still better than the
    /favicon.ico guess."""
    html = b'<html><head><title>T</title></head><body><link rel="icon" href="/i.png"></body>'
    assert extract(html, PAGE).favicon == "https://www.example.com/i.png"


def test_an_unclosed_svg_in_the_body_hides_nothing_after_it() -> None:
    """An inline <svg> never closed does not swallow the rest of the page: the og:title
    after it is read."""
    html = b"<html><head></head><body><svg><path d='M0'/><p>text</p>" + OG + b"</body>"
    assert extract(html, PAGE).title == "Real title"


def test_references_in_a_url_decode_exactly_once() -> None:
    """ "&amp;" in an og:image URL is "&", and "&amp;quot;" is the text "&quot;": attribute
    values are decoded once, never twice."""
    html = (
        b'<meta property="og:image" content="https://cdn.example.com/i.jpg?a=1&amp;b=&amp;quot;">'
    )
    image = extract(html, PAGE).image
    assert image == Image(url="https://cdn.example.com/i.jpg?a=1&b=&quot;")
