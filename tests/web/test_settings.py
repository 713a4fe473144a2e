"""The API's settings: OGPREVIEW_* variables and the serve command's flags."""

from __future__ import annotations

import argparse

import pytest

from ogpreview.cli import build_parser
from ogpreview.commands.common import UsageError
from ogpreview.commands.serve import _settings
from ogpreview.settings import Settings


def test_api_fields_from_env() -> None:
    """Every API field reads from its OGPREVIEW_* variable; lists are comma-separated."""
    env = {
        "OGPREVIEW_HOST": "0.0.0.0",
        "OGPREVIEW_PORT": "9000",
        "OGPREVIEW_WORKERS": "3",
        "OGPREVIEW_SECRET": "s3",
        "OGPREVIEW_API_KEYS": "k1, k2,",
        "OGPREVIEW_MAX_URL_LENGTH": "100",
        "OGPREVIEW_MAX_BATCH_URLS": "5",
        "OGPREVIEW_MAX_REQUEST_BYTES": "1000",
        "OGPREVIEW_MAX_UPSTREAM_FETCHES": "7",
        "OGPREVIEW_RATE_LIMIT": "0",
        "OGPREVIEW_TRUST_FORWARDED_FOR": "true",
    }
    s = Settings.from_env(env)
    assert (
        s.host,
        s.port,
        s.workers,
        s.secret,
        s.api_keys,
        s.max_url_length,
        s.max_batch_urls,
        s.max_request_bytes,
        s.max_upstream_fetches,
        s.rate_limit,
        s.trust_forwarded_for,
    ) == ("0.0.0.0", 9000, 3, "s3", ("k1", "k2"), 100, 5, 1000, 7, 0, True)


def test_api_defaults() -> None:
    """Without variables: loopback, port 8080, one worker, no keys, no secret."""
    s = Settings.from_env({})
    assert (s.host, s.port, s.workers, s.secret, s.api_keys, s.rate_limit) == (
        "127.0.0.1",
        8080,
        1,
        None,
        (),
        120,
    )


def test_bad_worker_count_refused() -> None:
    """Zero workers is a configuration error naming the variable."""
    with pytest.raises(ValueError, match="workers must be at least 1"):
        Settings.from_env({"OGPREVIEW_WORKERS": "0"})


def test_serve_flags_override_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """serve's flags win over the environment; unset flags leave it alone."""
    monkeypatch.setenv("OGPREVIEW_PORT", "9000")
    monkeypatch.setenv("OGPREVIEW_HOST", "0.0.0.0")
    args = build_parser().parse_args(
        ["serve", "--port", "9100", "--workers", "2", "--allow-network", "10.0.0.0/8"]
    )
    s = _settings(args)
    assert (s.host, s.port, s.workers, s.allow_networks) == ("0.0.0.0", 9100, 2, ("10.0.0.0/8",))


def test_serve_bad_port_is_usage_error() -> None:
    """An out-of-range port is reported as a usage error."""
    args = argparse.Namespace(host=None, port=70000, workers=None)
    with pytest.raises(UsageError):
        _settings(args)
