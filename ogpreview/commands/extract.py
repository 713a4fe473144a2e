"""``ogpreview extract FILE --url URL``: the extractor on a saved page (or file), no network."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson

from ogpreview.commands.common import EXIT_OK, UsageError
from ogpreview.errors import InvalidURL
from ogpreview.extraction.extractor import explain

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="extract the card from a saved page",
        description="Run the extractor on a saved page and print the card as JSON.",
    )
    parser.add_argument("file", metavar="FILE", help="the saved page ('-': standard input)")
    parser.add_argument(
        "--url",
        required=True,
        help="the page's URL (relative links resolve against it)",
    )
    parser.add_argument(
        "--content-type",
        default=None,
        metavar="TYPE",
        help="the Content-Type it was served with: its charset decodes the page, and a type "
        "that is not HTML gives that file's card (e.g. 'text/html; charset=utf-8')",
    )
    parser.add_argument(
        "--sources",
        action="store_true",
        help='print {"card": ..., "sources": ...}: which rule gave each field',
    )
    parser.set_defaults(run=run)


def _read(name: str) -> bytes:
    if name == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is not None:
            data: bytes = buffer.read()
            return data
        return sys.stdin.read().encode("utf-8", "surrogateescape")
    try:
        with open(name, "rb") as file:
            return file.read()
    except OSError as exc:
        raise UsageError(f"extract: cannot read {name}: {exc.strerror}") from exc


def run(args: argparse.Namespace) -> int:
    """Print the card JSON (with ``--sources``, and where each field came from)."""
    html = _read(args.file)
    try:
        card, sources = explain(html, args.url, content_type=args.content_type)
    except InvalidURL as exc:
        raise UsageError(f"extract: --url: {exc.message}") from exc
    data: dict[str, Any] = card.to_dict()
    if args.sources:
        data = {"card": data, "sources": sources}
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
    return EXIT_OK
