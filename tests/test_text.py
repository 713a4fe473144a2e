"""Text helpers: attribute reference decoding."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from ogpreview.text import unescape_attribute

# References that end in ";" (where the attribute and text rules agree) and plain text.
TERMINATED_SOUP = st.lists(
    st.sampled_from(
        [
            *("&quot;", "&#34;", "&#39;", "&#039;", "&#x27;", "&apos;", "&lt;", "&gt;", "&amp;"),
            *("&amp;quot;", "&amp;amp;", "&eacute;", "&#233;", "&nbsp;", "&", "a", " ", ";", "="),
        ]
    )
).map("".join)


@given(TERMINATED_SOUP)
def test_terminated_references_decode_as_in_text(value: str) -> None:
    """References ending in ";" decode in an attribute exactly as html.unescape decodes
    them in text, once ("&amp;quot;" is "&quot;"), whichever mix of them a value holds."""
    assert unescape_attribute(value) == html.unescape(value)
