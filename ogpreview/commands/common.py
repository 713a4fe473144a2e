"""Options shared by every command that fetches, and their mapping onto Settings."""

from __future__ import annotations

import argparse
from typing import Any

from ogpreview.cache.redisurl import REDIS_MODES
from ogpreview.settings import Settings

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "add_fetch_options",
    "settings_from_args",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A mistake in the command line or the environment; printed as one line, exit 2."""


def add_fetch_options(parser: argparse.ArgumentParser) -> None:
    """``--allow-network``, ``--allow-port``, ``--redis-url`` and ``--redis-mode``, on top
    of OGPREVIEW_*."""
    group = parser.add_argument_group("fetch policy")
    group.add_argument(
        "--allow-network",
        action="append",
        default=[],
        metavar="CIDR",
        help="allow fetching from this network even though it is private (repeatable)",
    )
    group.add_argument(
        "--allow-port",
        action="append",
        default=[],
        metavar="PORT|any",
        help="allow this port on top of the configured ones; 'any' allows every port (repeatable)",
    )
    group.add_argument(
        "--redis-url",
        default=None,
        metavar="URL",
        help="share the cache through Redis (default: OGPREVIEW_REDIS_URL, else in memory)",
    )
    group.add_argument(
        "--redis-mode",
        choices=REDIS_MODES,
        default=None,
        help="how --redis-url is read: one server, or comma-separated cluster nodes or "
        "sentinels (default: OGPREVIEW_REDIS_MODE, else standalone; sentinel mode names "
        "the master in OGPREVIEW_REDIS_SENTINEL_SERVICE)",
    )


def settings_from_args(args: argparse.Namespace, **overrides: Any) -> Settings:
    """Settings from the environment, with the command line's fetch options on top."""
    try:
        base = Settings.from_env()
        changes: dict[str, Any] = dict(overrides)
        allow = list(getattr(args, "allow_network", []) or [])
        if allow:
            changes["allow_networks"] = (*base.allow_networks, *allow)
        ports = list(getattr(args, "allow_port", []) or [])
        if ports:
            if any(str(p).strip().lower() == "any" for p in ports):
                changes["allowed_ports"] = None
            elif base.allowed_ports is not None:
                changes["allowed_ports"] = (*base.allowed_ports, *ports)
        redis_url = getattr(args, "redis_url", None)
        if redis_url:
            changes["redis_url"] = redis_url
        redis_mode = getattr(args, "redis_mode", None)
        if redis_mode:
            changes["redis_mode"] = redis_mode
        return base.replace(**changes) if changes else base
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
