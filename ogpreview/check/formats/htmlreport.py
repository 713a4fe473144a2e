"""``--format html``: one self-contained page a person opens to see how each link previews.

A summary on top (counts per verdict, the most common findings, the settings that hid
findings), then each link in input order: its verdict, its card drawn as a chat host draws
it (:func:`ogpreview.web.render.card_fragment`), and its findings with what to do about
them. Buttons filter the links by verdict, in CSS alone: the page has no script.

Everything from pages and inputs is escaped, and the page loads nothing from elsewhere:
its policy (a CSP ``<meta>``) allows its own inline style and ``data:`` images only. Card
images are therefore not loaded from the checked sites unless the user asks for it
(``--html-images``, which the page then says): an image placeholder stands in for each,
with the image's address to open by hand.
"""

from __future__ import annotations

import dataclasses
import html
from datetime import UTC, datetime
from typing import TextIO
from urllib.parse import urlsplit

from ogpreview.card import Card
from ogpreview.check.formats.base import Checked, Run, Spool, Writer, display_source
from ogpreview.check.help import FINDING_HELP
from ogpreview.settings import __version__
from ogpreview.web.render import CARD_CSS, card_fragment

__all__ = ["HTML_CSP", "HtmlWriter"]

#: Without ``--html-images``: nothing but the page's own style and data: images.
HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)
#: With ``--html-images``: card images load from their sites too.
HTML_CSP_IMAGES = HTML_CSP.replace("img-src data:", "img-src data: https: http:")
#: Stands in for a card image that is not loaded (a picture icon on the card's grey).
PLACEHOLDER = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='96' height='96' "
    "viewBox='0 0 96 96'%3E%3Crect width='96' height='96' fill='%23eaeef2'/%3E"
    "%3Ccircle cx='62' cy='34' r='7' fill='%23afb8c1'/%3E"
    "%3Cpath d='M18 70l18-24 12 14 9-11 21 21z' fill='%23afb8c1'/%3E%3C/svg%3E"
)
_VERDICTS = ("error", "warning", "ok")
_LABELS = {"error": "Errors", "warning": "Warnings", "ok": "OK"}
_SHOWN = {
    "info": "all findings shown",
    "warning": "errors and warnings shown (--min-severity warning)",
    "error": "errors only shown (--min-severity error)",
}
_COUNTED = {"error": ("error", "errors"), "warning": ("warning", "warnings"), "ok": ("ok", "ok")}

PAGE_CSS = """
body{margin:0;background:#f6f8fa;color:#1f2328;
  font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
main{max-width:912px;margin:0 auto;padding:16px 24px}
header{background:#fff;border-bottom:1px solid #d0d7de;
  padding:16px max(24px,calc((100% - 912px) / 2))}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:15px;margin:16px 0 6px}
.meta{color:#59636e;margin:0 0 8px}
.counts{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0}
.count{padding:4px 10px;border-radius:12px;font-weight:600}
.c-ok,.v-ok .verdict{background:#dafbe1;color:#116329}
.c-warning,.v-warning .verdict{background:#fff8c5;color:#7d4e00}
.c-error,.v-error .verdict{background:#ffebe9;color:#a40e26}
.note{background:#ddf4ff;border:1px solid #54aeff66;border-radius:6px;padding:6px 10px}
.alert{background:#ffebe9;border:1px solid #ff818266;border-radius:6px;padding:6px 10px}
table.top{border-collapse:collapse;margin:0 0 8px}
table.top td,table.top th{text-align:left;padding:2px 12px 2px 0;vertical-align:top}
.filter{position:absolute;opacity:0;width:1px;height:1px;margin:0}
.tabs{display:flex;gap:6px;margin:0 0 12px}
.tabs label{padding:4px 12px;border:1px solid #d0d7de;border-radius:6px;background:#fff;
  cursor:pointer}
#show-all:checked~.tabs label[for=show-all],#show-error:checked~.tabs label[for=show-error],
#show-warning:checked~.tabs label[for=show-warning],#show-ok:checked~.tabs label[for=show-ok]{
  background:#0969da;border-color:#0969da;color:#fff}
#show-all:focus-visible~.tabs label[for=show-all],
#show-error:focus-visible~.tabs label[for=show-error],
#show-warning:focus-visible~.tabs label[for=show-warning],
#show-ok:focus-visible~.tabs label[for=show-ok]{outline:2px solid #0969da;outline-offset:2px}
#show-error:checked~.links>.link:not(.v-error),
#show-warning:checked~.links>.link:not(.v-warning),
#show-ok:checked~.links>.link:not(.v-ok){display:none}
.links{list-style:none;margin:0;padding:0}
.link{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;
  margin:0 0 12px}
.head{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap;min-width:0}
.verdict{padding:0 8px;border-radius:10px;font-weight:600;font-size:12px;text-transform:uppercase}
.url{font-weight:600;overflow-wrap:anywhere;min-width:0}
.dim{color:#59636e;font-size:12px}
.final{color:#59636e;font-size:12px;overflow-wrap:anywhere;margin:2px 0 0}
.preview{margin:10px 0}
.nocard{margin:0;padding:12px;border:1px dashed #d0d7de;border-radius:8px;color:#59636e;
  max-width:520px;box-sizing:border-box}
.imgnote{margin:4px 0 0;font-size:12px;color:#59636e;overflow-wrap:anywhere;max-width:520px}
.findings{margin:0;padding:0;list-style:none}
.findings li{margin:4px 0;padding-left:8px;border-left:3px solid #d0d7de}
.findings .s-error{border-color:#cf222e}
.findings .s-warning{border-color:#bf8700}
.findings .s-info{border-color:#0969da}
.sev{font-size:12px;font-weight:600;text-transform:uppercase;margin-right:4px}
.msg{overflow-wrap:anywhere}
.fix{display:block;color:#59636e;font-size:12px}
code{white-space:nowrap;font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
  background:#eff2f5;padding:0 4px;border-radius:4px}
.empty{color:#59636e}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _web(url: str | None) -> str | None:
    """``url`` when it is an http(s) address a link may point to, else None."""
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def _link(url: str, css: str) -> str:
    href = _web(url)
    if href is None:
        return f'<span class="{css}">{_e(url)}</span>'
    return (
        f'<a class="{css}" href="{_e(href)}" target="_blank" '
        f'rel="noopener noreferrer nofollow">{_e(url)}</a>'
    )


class HtmlWriter(Writer):
    def __init__(self, out: TextIO, *, images: bool = False) -> None:
        self._out = out
        self._images = images
        self._body = Spool()
        self._written = 0

    def _card(self, card: Card, fallback: str) -> str:
        # The card links to its page; an address that is no web page links to the link.
        safe = card if _web(card.url) else dataclasses.replace(card, url=fallback)
        image = card.image
        image_url = _web(image.url) if image is not None else None
        if image_url is None:
            return card_fragment(safe, image_src=None)
        if self._images:
            return card_fragment(safe, image_src=image_url)
        assert image is not None
        size = f" ({image.width}x{image.height})" if image.width and image.height else ""
        return (
            card_fragment(safe, image_src=PLACEHOLDER)
            + f'<p class="imgnote">image not loaded{size}: {_link(image_url, "img")}</p>'
        )

    def write(self, checked: Checked) -> None:
        result = checked.result
        self._written += 1
        status = "no answer" if result.status is None else f"HTTP {result.status}"
        parts = [
            f'<li class="link v-{result.verdict}" id="link-{checked.index}">',
            '<div class="head">',
            f'<span class="verdict">{_e(result.verdict)}</span>',
            _link(result.url, "url"),
            f'<span class="dim">{_e(status)} · {result.elapsed_ms:.0f} ms · '
            f"{_e(checked.where)}</span>",
            "</div>",
        ]
        if result.final_url is not None and result.final_url != result.url:
            parts.append(f'<p class="final">→ {_e(result.final_url)}</p>')
        parts.append('<div class="preview">')
        if result.card is not None:
            parts.append(self._card(result.card, _web(result.final_url) or "about:blank"))
        else:
            parts.append('<p class="nocard">No card: the link does not preview.</p>')
        parts.append("</div>")
        if result.findings:
            parts.append('<ul class="findings">')
            for f in result.findings:
                help_ = FINDING_HELP.get(f.code)
                fix = f'<span class="fix">{_e(help_.fix)}</span>' if help_ else ""
                parts.append(
                    f'<li class="s-{_e(f.severity)}"><span class="sev">{_e(f.severity)}</span>'
                    f'<code>{_e(f.code)}</code> <span class="msg">{_e(f.message)}</span>'
                    f"{fix}</li>"
                )
            parts.append("</ul>")
        parts.append("</li>\n")
        self._body.write("".join(parts))

    def _summary(self, run: Run) -> str:
        report = run.report
        total = report.total
        inputs = ", ".join(display_source(name) for name in run.inputs) or "standard input"
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        parts = [
            "<h1>Link previews</h1>",
            f'<p class="meta">{total} link{"" if total == 1 else "s"} from {_e(inputs)}, '
            f"checked {_e(when)} in {report.elapsed:.1f} s by ogpreview {_e(__version__)}</p>",
        ]
        if run.interrupted:
            parts.append('<p class="alert">Interrupted: links still being checked are missing.</p>')
        parts.append('<div class="counts">')
        for verdict in _VERDICTS:
            n = report.verdicts[verdict]
            word = _COUNTED[verdict][n != 1]
            parts.append(f'<span class="count c-{verdict}">{n} {word}</span>')
        parts.append("</div>")
        shown = [_SHOWN[run.filter.min_severity]]
        if run.filter.ignore:
            codes = ", ".join(f"<code>{_e(c)}</code>" for c in sorted(run.filter.ignore))
            shown.append(f"ignored: {codes}")
        if report.hidden:
            shown.append(f"{report.hidden} not shown")
        if run.config is not None:
            shown.append(f"settings from {_e(run.config)}")
        parts.append(f'<p class="meta">{"; ".join(shown)}</p>')
        top = report.top_findings()
        if top:
            parts.append('<h2>Most common findings</h2><table class="top">')
            parts.append("<tr><th>links</th><th>severity</th><th>code</th><th>meaning</th></tr>")
            for code, severity, n in top:
                help_ = FINDING_HELP.get(code)
                meaning = _e(help_.plain_summary) if help_ else ""
                parts.append(
                    f"<tr><td>{n}</td><td>{_e(severity)}</td><td><code>{_e(code)}</code></td>"
                    f"<td>{meaning}</td></tr>"
                )
            parts.append("</table>")
        if self._images:
            parts.append(
                '<p class="note">Card images load from their own sites when this page is '
                "opened (--html-images).</p>"
            )
        else:
            parts.append(
                '<p class="note">Card images are not loaded: this page fetches nothing from '
                "the checked sites. Each image's address is under its card; "
                "<code>--html-images</code> shows them (loaded from their sites).</p>"
            )
        return "".join(parts)

    def close(self, run: Run) -> None:
        report = run.report
        csp = HTML_CSP_IMAGES if self._images else HTML_CSP
        out = self._out
        out.write(
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
            '<meta name="referrer" content="no-referrer">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            "<title>Link previews: ogpreview check</title>"
            f"<style>{PAGE_CSS}{CARD_CSS}</style></head><body>\n"
        )
        out.write(f"<header>{self._summary(run)}</header>\n<main>\n")
        filters = [("all", "All", report.total)] + [
            (v, _LABELS[v], report.verdicts[v]) for v in _VERDICTS
        ]
        for key, _, _ in filters:
            checked = " checked" if key == "all" else ""
            out.write(
                f'<input class="filter" type="radio" name="verdict" id="show-{key}"{checked}>'
            )
        out.write('\n<nav class="tabs" aria-label="Show links by verdict">')
        for key, label, n in filters:
            out.write(f'<label for="show-{key}">{_e(label)} ({n})</label>')
        out.write("</nav>\n")
        if self._written:
            out.write('<ol class="links">\n')
            self._body.copy_to(out)
            out.write("</ol>\n")
        else:
            out.write('<p class="empty">No links were found in the input.</p>\n')
        out.write("</main></body></html>\n")
        out.flush()
