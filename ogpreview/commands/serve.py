"""``ogpreview serve``: the HTTP API, in one process or ``--workers N`` sharing the port."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from ogpreview.commands.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    add_fetch_options,
    settings_from_args,
)
from ogpreview.settings import Settings

__all__ = ["add_parser", "run"]

#: Seconds in-flight requests get to finish after SIGTERM/SIGINT.
SHUTDOWN_TIMEOUT = 30.0
#: Seconds the parent waits for workers after forwarding a stop signal, before killing.
WORKER_STOP_GRACE = SHUTDOWN_TIMEOUT + 5.0
#: How often the parent looks at its workers.
WORKER_POLL = 0.2
#: Set by the parent in each worker: bind with SO_REUSEPORT.
REUSE_PORT_ENV = "OGPREVIEW_REUSE_PORT"


def add_parser(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="serve previews over HTTP",
        description="Serve the preview API. Every flag is also an OGPREVIEW_* variable.",
    )
    parser.add_argument("--host", default=None, help="address to bind (OGPREVIEW_HOST)")
    parser.add_argument("--port", type=int, default=None, help="port to bind (OGPREVIEW_PORT)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes sharing the port (OGPREVIEW_WORKERS)",
    )
    parser.add_argument(
        "--log-level", default="INFO", help="log level; access logs are INFO (default INFO)"
    )
    add_fetch_options(parser)
    parser.set_defaults(run=run)


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for name in ("host", "port", "workers"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    try:
        return settings_from_args(args, **overrides)
    except ValueError as exc:  # a flag value the Settings constructor refused
        raise UsageError(str(exc)) from exc


def _configure_logging(level: str) -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise UsageError(f"unknown log level {level!r}")
    logging.basicConfig(level=numeric, format="%(message)s", stream=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM/SIGINT; in-flight requests are finished first."""
    settings = _settings(args)
    _configure_logging(args.log_level)
    if settings.workers > 1:
        return _supervise(settings, args)
    return _serve(settings, reuse_port=os.environ.get(REUSE_PORT_ENV) == "1")


def _serve(settings: Settings, *, reuse_port: bool) -> int:
    from ogpreview.extraction.jsonld import preload_lenient_jsonld
    from ogpreview.web import create_app, serve_app
    from ogpreview.web.accesslog import install_writer

    preload_lenient_jsonld()  # a long-lived server pays for the import now, not mid-request
    # Access lines go to stderr as the other logs do, but written in batches by a thread.
    access_writer = install_writer(sys.stderr)
    try:
        # SIGTERM and SIGINT stop it gracefully: it stops accepting, lets in-flight
        # requests finish (up to SHUTDOWN_TIMEOUT), then runs the cleanup contexts.
        serve_app(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            reuse_port=reuse_port,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            announce=lambda text: print(text, file=sys.stderr, flush=True),
        )
    finally:
        access_writer.close()  # every line of the answered requests is written
    return EXIT_OK


def _supervise(settings: Settings, args: argparse.Namespace) -> int:
    """Start ``workers`` processes bound with SO_REUSEPORT; forward stop signals to them."""
    env = dict(os.environ)
    env[REUSE_PORT_ENV] = "1"
    env["OGPREVIEW_WORKERS"] = "1"
    env["OGPREVIEW_HOST"] = settings.host
    env["OGPREVIEW_PORT"] = str(settings.port)
    # One secret for all workers, or an image URL signed by one fails on another.
    env["OGPREVIEW_SECRET"] = settings.secret or secrets.token_hex(32)
    if settings.redis_url:
        env["OGPREVIEW_REDIS_URL"] = settings.redis_url
    env["OGPREVIEW_REDIS_MODE"] = settings.redis_mode
    if settings.allow_networks:
        env["OGPREVIEW_ALLOW_NETWORKS"] = ",".join(settings.allow_networks)
    env["OGPREVIEW_ALLOWED_PORTS"] = (
        "any"
        if settings.allowed_ports is None
        else ",".join(str(p) for p in sorted(settings.allowed_ports))
    )
    command = [sys.executable, "-m", "ogpreview.cli", "serve", "--log-level", args.log_level]
    workers = [subprocess.Popen(command, env=env) for _ in range(settings.workers)]  # noqa: S603
    requested = False

    def terminate_all() -> None:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal requested
        requested = True
        terminate_all()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not requested and all(w.poll() is None for w in workers):
        time.sleep(WORKER_POLL)
    if not requested:  # a worker died on its own: stop the others and report failure
        terminate_all()
    deadline = time.monotonic() + WORKER_STOP_GRACE
    codes: list[int] = []
    for worker in workers:
        try:
            codes.append(worker.wait(timeout=max(0.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            worker.kill()
            codes.append(worker.wait())
    # A worker still starting when the stop came dies of the SIGTERM itself: that is clean.
    clean = all(code in (0, -signal.SIGTERM) for code in codes)
    return EXIT_OK if requested and clean else EXIT_FAILURE
