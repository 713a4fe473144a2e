"""How to fix each finding of the checker: one line of advice per code in
:data:`~ogpreview.check.checker.FINDINGS`, for people reading a report or the debugger."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["FIXES", "fix_for"]

FIXES: Mapping[str, str] = {
    "invalid_url": "Share an absolute http:// or https:// URL.",
    "blocked_url": (
        "Use a public http(s) URL on a standard port, without user:password@. On a "
        "service you run, --allow-port admits another port."
    ),
    "blocked_address": (
        "The host resolves to a private or reserved address: publish the page on a public "
        "address (on a service you run, --allow-network admits your own network)."
    ),
    "dns_error": "Check the host name's spelling and that its DNS records exist.",
    "connect_error": "Make sure the server accepts connections on that port from the internet.",
    "timeout": "Make the page answer faster (under a few seconds), or serve bots a cached copy.",
    "too_large": "Serve a smaller page, and keep the <head> with its meta tags near the top.",
    "too_many_redirects": "Point the link straight at the final URL; break any redirect loop.",
    "http_status": (
        "Make the URL answer 200. If only preview bots are refused (401, 403, 429), allow "
        "their user agents (ogpreview, facebookexternalhit, Twitterbot, Slackbot)."
    ),
    "unsupported_content": "Link to an HTML page (or an image); other files get no rich card.",
    "fetch_error": "Fetch the URL yourself to see what fails, then fix the server.",
    "no_title": 'Add <meta property="og:title" content="..."> (and a <title>) to the page.',
    "internal_error": "This is a bug in ogpreview, not in your page: please report it.",
    "og_title_missing": 'Add <meta property="og:title" content="..."> with the title to show.',
    "og_description_missing": (
        'Add <meta property="og:description" content="..."> with one or two sentences.'
    ),
    "og_image_missing": (
        'Add <meta property="og:image" content="https://..."> with a 1200x630 image.'
    ),
    "no_description": (
        'Add <meta property="og:description" content="..."> and <meta name="description">.'
    ),
    "no_image": (
        'Add <meta property="og:image" content="https://..."> (1200x630, PNG or JPEG) '
        'and <meta name="twitter:card" content="summary_large_image">.'
    ),
    "image_broken": (
        "Make the image URL answer 200 with a PNG, JPEG, GIF or WebP, reachable without "
        "cookies or a referrer."
    ),
    "image_too_small": "Use an image of at least 200x200; 1200x630 for a large card.",
    "og_url_mismatch": "Set og:url to this page's own final URL (or remove it).",
    "title_too_long": "Keep og:title under about 60-90 characters.",
    "description_too_long": "Keep og:description under about 160-200 characters.",
    "redirect_chain": "Link to the final URL, or redirect once instead of several times.",
    "slow_response": "Speed the page up for bots (cache it, or answer the <head> early).",
    "redirected": "Nothing to fix; linking to the final URL saves one round trip.",
    "image_link": "Nothing to fix; link to a page around the image to show a title too.",
    "image_below_recommended": "Use a 1200x630 image for a sharp large card.",
    "image_size_mismatch": (
        "Make og:image:width and og:image:height match the image, or remove them."
    ),
    "site_name_inferred": 'Add <meta property="og:site_name" content="..."> with your site name.',
}


def fix_for(code: str) -> str:
    """The advice for a finding code (a generic line for a code this version lacks)."""
    return FIXES.get(code) or FIXES["fetch_error"]
