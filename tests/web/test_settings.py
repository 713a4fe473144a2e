"""The API's settings: OGPREVIEW_* variables and the serve command's flags."""

from __future__ import annotations

import argparse
import re

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


def test_plugin_and_public_fields_from_env() -> None:
    """The public URL, hosts, CORS origins and manifest fields read from their variables,
    normalised (no trailing slash, lower-case hosts and origins)."""
    env = {
        "OGPREVIEW_PUBLIC_URL": "https://Previews.example.com/base/",
        "OGPREVIEW_ALLOWED_HOSTS": "Previews.example.com, 10.0.0.5:8080,[::1]",
        "OGPREVIEW_CORS_ORIGINS": "https://App.example.com/, http://localhost:3000",
        "OGPREVIEW_PLUGIN_NAME": "Acme previews",
        "OGPREVIEW_PLUGIN_CONTACT_EMAIL": "ops@example.com",
        "OGPREVIEW_PLUGIN_LEGAL_URL": "https://example.com/legal",
        "OGPREVIEW_PLUGIN_VERIFICATION_TOKEN": "abc123",
        "OGPREVIEW_IMAGE_RATE_LIMIT": "0",
    }
    s = Settings.from_env(env)
    assert (
        s.api.public_url,
        s.api.allowed_hosts,
        s.api.cors_origins,
        s.plugin.plugin_name,
        s.plugin.plugin_contact_email,
        s.plugin.plugin_legal_url,
        s.plugin.plugin_verification_token,
        s.api.image_rate_limit,
    ) == (
        "https://Previews.example.com/base",
        ("previews.example.com", "10.0.0.5:8080", "[::1]"),
        ("https://app.example.com", "http://localhost:3000"),
        "Acme previews",
        "ops@example.com",
        "https://example.com/legal",
        "abc123",
        0,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "plugin_name",
            "x" * 21,
            "plugin_name is 21 characters; the plugin manifest allows at most 20",
        ),
        ("plugin_model_name", "x" * 51, "plugin_model_name is 51 characters"),
        ("plugin_model_name", "link previews", "must not contain spaces"),
        ("plugin_description", "x" * 101, "plugin_description is 101 characters"),
        ("plugin_model_description", "x" * 8001, "plugin_model_description is 8001 characters"),
        ("plugin_name", "  ", "plugin_name must not be empty"),
        ("plugin_contact_email", "nobody", "is not an e-mail address"),
        ("plugin_legal_url", "/legal", "is not an absolute http(s) URL"),
        ("plugin_logo_url", "ftp://x.example/l.png", "is not an absolute http(s) URL"),
        ("plugin_verification_token", "two words", "without spaces"),
        ("public_url", "https://x.example/?a=1", "must not have a query or fragment"),
        ("public_url", "https://user@x.example", "is not an absolute http(s) URL"),
        ("allowed_hosts", ("evil.example/path",), "is not a host or host:port"),
        ("cors_origins", ("https://app.example.com/path",), "is not an origin"),
    ],
)
def test_bad_plugin_or_public_values_are_refused(field: str, value: object, message: str) -> None:
    """Each is a ValueError naming the field and why, at construction (start-up)."""
    with pytest.raises(ValueError, match=re.escape(message)):
        Settings(**{field: value})  # type: ignore[arg-type]
