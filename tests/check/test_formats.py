"""The pure parts of the report formats: input order, escaping, file locations."""

from __future__ import annotations

from ogpreview.check.checker import CheckResult
from ogpreview.check.formats.base import Checked, InputOrder, artifact_uri
from ogpreview.check.formats.github import escape_data, escape_property
from ogpreview.check.formats.junit import xml_attr, xml_text


def _checked(index: int) -> Checked:
    result = CheckResult(f"https://a.example/{index}", None, "ok", (), None, None, 1.0)
    return Checked(result, index, "urls.txt", index + 1)


def test_input_order_waits_for_earlier_links() -> None:
    """A result goes out once every earlier index has finished or was a duplicate."""
    written: list[int] = []
    order = InputOrder(lambda checked: written.append(checked.index))
    order.add(_checked(2))
    order.skip(1)
    first = list(written)
    order.add(_checked(0))
    assert (first, written) == ([], [0, 2])


def test_input_order_drain_skips_unfinished_links() -> None:
    """After Ctrl-C, what finished goes out in order past the gaps."""
    written: list[int] = []
    order = InputOrder(lambda checked: written.append(checked.index))
    for index in (3, 1, 4):
        order.add(_checked(index))
    order.drain()
    assert written == [1, 3, 4]


def test_github_escapes_as_the_actions_toolkit() -> None:
    """Line breaks and % in messages; also : and , in properties."""
    assert (escape_data("50% done\r\n::x"), escape_property("a:b,c%")) == (
        "50%25 done%0D%0A::x",
        "a%3Ab%2Cc%25",
    )


def test_xml_escaping_drops_what_xml_cannot_hold() -> None:
    """Markup is escaped; control characters and lone surrogates become U+FFFD; line
    breaks in attributes survive as references."""
    assert (xml_text('<a> & "b"\x00\ud800'), xml_attr('x="1"\n\x1b')) == (
        '&lt;a&gt; &amp; "b"\ufffd\ufffd',
        "x=&quot;1&quot;&#10;\ufffd",
    )


def test_artifact_uris() -> None:
    """Relative paths stay relative (percent-encoded); absolute ones are file: URIs."""
    assert (artifact_uri("./docs/my api.yaml"), artifact_uri("/srv/p/openapi.json")) == (
        "docs/my%20api.yaml",
        "file:///srv/p/openapi.json",
    )
