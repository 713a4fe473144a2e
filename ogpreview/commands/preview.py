"""``ogpreview preview URL``: one link's card, as JSON or as Markdown."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import orjson

from ogpreview.card import Card
from ogpreview.commands.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    add_fetch_options,
    settings_from_args,
)
from ogpreview.errors import InvalidURL, PreviewError
from ogpreview.previewer import Previewer
from ogpreview.settings import Settings
from ogpreview.web.render import card_to_markdown

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="preview one link",
        description="Fetch one link and print its preview card.",
    )
    parser.add_argument("url", metavar="URL", help="the link to preview")
    parser.add_argument(
        "--format",
        choices=("json", "markdown"),
        default="json",
        help="the card as JSON (default) or as a Markdown block quote",
    )
    add_fetch_options(parser)
    parser.set_defaults(run=run)


async def _preview(settings: Settings, url: str) -> Card:
    async with Previewer(settings) as previewer:
        return await previewer.preview(url)


def run(args: argparse.Namespace) -> int:
    """Print the card; a link that does not preview is one line on stderr and exit 1."""
    settings = settings_from_args(args)
    try:
        card = asyncio.run(_preview(settings, args.url))
    except InvalidURL as exc:
        raise UsageError(f"preview: {exc.message}") from exc
    except PreviewError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    if args.format == "markdown":
        sys.stdout.write(card_to_markdown(card))
    else:
        sys.stdout.write(orjson.dumps(card.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    return EXIT_OK
