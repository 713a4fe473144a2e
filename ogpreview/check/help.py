"""What each finding code means and how to fix it: the rule texts of the reports (SARIF
rules, the HTML report) and the README's table of findings (a test keeps them equal)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["FINDING_HELP", "FIXES", "FindingHelp", "fix_for"]


@dataclass(frozen=True, slots=True)
class FindingHelp:
    #: One line: what the finding means (the README's "meaning" column, Markdown).
    summary: str
    #: What to do about it (plain text).
    fix: str

    @property
    def plain_summary(self) -> str:
        """The summary without its Markdown code marks."""
        return self.summary.replace("`", "")


FINDING_HELP: Mapping[str, FindingHelp] = {
    "invalid_url": FindingHelp(
        "not an absolute http(s) URL",
        "Give the full address, scheme included (https://example.com/page).",
    ),
    "blocked_url": FindingHelp(
        "refused by policy: scheme, port, credentials, host name",
        "Link to a public http(s) page on a standard port, without user:password@ in the URL.",
    ),
    "blocked_address": FindingHelp(
        "the address is in a refused (private) network",
        "The host resolves to a private or reserved address that no preview bot can reach: "
        "link to the page's public address.",
    ),
    "dns_error": FindingHelp(
        "the host name does not resolve",
        "Fix the host name, or add the DNS record it needs.",
    ),
    "connect_error": FindingHelp(
        "no connection, or it broke before an answer",
        "Make sure the server is up and accepts connections from the internet.",
    ),
    "timeout": FindingHelp(
        "no complete answer within the timeout",
        "Make the page answer faster; preview bots give up after a few seconds.",
    ),
    "too_large": FindingHelp(
        "the response is over the size caps",
        "Serve a smaller page, or put the OpenGraph tags early in the <head>.",
    ),
    "too_many_redirects": FindingHelp(
        "a redirect loop or too long a chain",
        "Link to the final address, and break any redirect loop.",
    ),
    "http_status": FindingHelp(
        "a 4xx/5xx answer (401/403/429/451 noted as the bot turned away)",
        "Link to a page that answers 200. A site that turns bots away shows no card: "
        "let preview bots through.",
    ),
    "unsupported_content": FindingHelp(
        "a content type that cannot be previewed: no longer given (files get `file_link`), "
        "but an older instance sharing the Redis may have cached it",
        "Check the link again with this version: a file now gets a plain card.",
    ),
    "busy": FindingHelp(
        "no connection to the site came free within `OGPREVIEW_UPSTREAM_QUEUE_TIMEOUT`: this "
        "run's own connections to it were all in use (not the site's fault; check again)",
        "Check the link again, or lower --concurrency for links on the same host.",
    ),
    "fetch_error": FindingHelp(
        "any other fetch failure (a code this version lacks, from a newer instance sharing "
        "the Redis)",
        "Read the message; a newer ogpreview may name the problem.",
    ),
    "no_title": FindingHelp(
        "no title from any source: the card would be a bare URL",
        'Add <meta property="og:title" content="..."> (and a <title>) to the page.',
    ),
    "internal_error": FindingHelp(
        "the check itself failed (a bug; the run goes on)",
        "Report it with the URL: the check could not finish.",
    ),
    "og_title_missing": FindingHelp(
        "no og:title: the title was inferred (twitter:title, `<title>`, ...)",
        'Add <meta property="og:title" content="..."> so every host shows the same title.',
    ),
    "og_description_missing": FindingHelp(
        "no og:description: the description was inferred",
        'Add <meta property="og:description" content="..."> with a sentence about the page.',
    ),
    "og_image_missing": FindingHelp(
        "no og:image: the image was inferred",
        'Add <meta property="og:image" content="https://..."> naming the image to show.',
    ),
    "no_description": FindingHelp(
        "no description at all",
        'Add <meta property="og:description" content="..."> with a sentence about the page.',
    ),
    "no_image": FindingHelp(
        "no image at all",
        'Add <meta property="og:image" content="https://..."> (1200x630 is recommended).',
    ),
    "image_broken": FindingHelp(
        "the image does not load or is not a readable image (or did not load now, for a "
        "failure that may pass: kept on the card, unsized)",
        "Make the og:image URL answer 200 with an image browsers show (PNG, JPEG, GIF, WebP, "
        "AVIF); for a failure that may pass, check again later.",
    ),
    "image_too_small": FindingHelp(
        "under 200x200: too small for a large card (1200x630 recommended)",
        "Use an image of at least 200x200 pixels; 1200x630 gives a sharp large card.",
    ),
    "og_url_mismatch": FindingHelp(
        "og:url names another URL than the page's final URL (on another site: the card ignores it)",
        "Make og:url the page's canonical address; hosts take the preview from the og:url.",
    ),
    "title_too_long": FindingHelp(
        "over 90 characters: cut when shown",
        "Shorten the title to about 90 characters, the key words first.",
    ),
    "description_too_long": FindingHelp(
        "over 200 characters: cut when shown",
        "Shorten the description to about 200 characters.",
    ),
    "redirect_chain": FindingHelp(
        "two or more redirects before the page",
        "Link to the final address: each redirect costs a preview bot time.",
    ),
    "slow_response": FindingHelp(
        "the page took over 3000 ms (`--slow-ms`)",
        "Make the page answer faster; preview bots may give up on slow pages.",
    ),
    "redirected": FindingHelp(
        "one redirect before the page",
        "Link to the final address to save the bot a round trip.",
    ),
    "file_link": FindingHelp(
        "the link is a file (a PDF, JSON, text, an archive): it previews as a plain card (file "
        "name, site name, icon) with no description or image",
        "Link to the HTML page that presents the file, with og:title, og:description and "
        "og:image, for a rich card.",
    ),
    "image_link": FindingHelp(
        "the link is an image: it previews as itself",
        "Nothing to fix if the image is what should be shown.",
    ),
    "image_below_recommended": FindingHelp(
        "the image is usable but under 1200x630",
        "A 1200x630 image gives a sharp large card on every host.",
    ),
    "image_size_mismatch": FindingHelp(
        "og:image:width/height differ from the real size",
        "Fix og:image:width and og:image:height, or leave them out.",
    ),
    "site_name_inferred": FindingHelp(
        "no og:site_name: the site name was inferred",
        'Add <meta property="og:site_name" content="..."> with the site\'s name.',
    ),
}


#: How to fix each finding, by code: what the debugger and the API's ``findings=1`` show.
FIXES: Mapping[str, str] = {code: help.fix for code, help in FINDING_HELP.items()}


def fix_for(code: str) -> str:
    """The advice for a finding code (a generic line for a code this version lacks)."""
    return FIXES.get(code) or FIXES["fetch_error"]
