"""The ``ogpreview`` command: a thin dispatcher over ``ogpreview.commands.*``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ogpreview.commands.common import EXIT_USAGE, UsageError
from ogpreview.settings import __version__

__all__ = ["main"]

#: Sub-command name -> module under ogpreview.commands (each has add_parser and run).
COMMANDS = {
    "serve": "serve",
    "preview": "preview",
    "check": "check",
    "extract": "extract",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ogpreview", description="Safe, fast link previews.")
    parser.add_argument("--version", action="version", version=f"ogpreview {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, module_name in COMMANDS.items():
        # Imported here, one command at a time: `ogpreview extract` need not load aiohttp's
        # server, nor `serve` the checker.
        module = importlib.import_module(f"ogpreview.commands.{module_name}")
        module.add_parser(sub, name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 findings/failure, 2 usage error)."""
    try:
        args = build_parser().parse_args(argv)
        code: int = args.run(args)
        return code
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
