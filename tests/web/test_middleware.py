"""The error middleware, the rate limiter and the image signer on their own."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ogpreview.settings import Settings
from ogpreview.web.imageproxy import ImageSigner
from ogpreview.web.keys import METRICS_KEY, SETTINGS_KEY
from ogpreview.web.metrics import ApiMetrics
from ogpreview.web.middleware import observe
from ogpreview.web.ratelimit import RateLimiter


async def test_unexpected_error_is_500_without_detail(caplog: pytest.LogCaptureFixture) -> None:
    """A bug answers 500 internal_error with no traceback text; the log has the detail."""

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret detail")

    app = web.Application(middlewares=[observe])
    app[SETTINGS_KEY] = Settings()
    app[METRICS_KEY] = ApiMetrics()
    app.router.add_get("/boom", boom)
    caplog.set_level(logging.ERROR, logger="ogpreview.web")
    client: TestClient[Any, Any]
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        response = await client.get("/boom")
        assert response.status == 500
        assert await response.json() == {
            "error": {"code": "internal_error", "message": "internal error"}
        }
    assert "secret detail" in caplog.text


def test_rate_limiter_refills_over_time() -> None:
    """A client past its budget waits for one token; time refills the bucket."""
    limiter = RateLimiter(60)  # one token per second
    assert [limiter.check("a", now=100.0) for _ in range(60)] == [0.0] * 60
    assert limiter.check("a", now=100.0) == pytest.approx(1.0)
    assert limiter.check("b", now=100.0) == 0.0
    assert limiter.check("a", now=102.0) == 0.0


def test_rate_limiter_off_at_zero() -> None:
    """rate_limit=0 never limits."""
    limiter = RateLimiter(0)
    assert {limiter.check("a", now=1.0) for _ in range(1000)} == {0.0}


def test_signer_accepts_only_its_own_signatures() -> None:
    """A signature verifies for its URL, expiry and secret only."""
    signer = ImageSigner("k1", clock=lambda: 1000.0)
    sig = signer.sign("https://e.com/i.png", 5000)
    assert [
        signer.verify("https://e.com/i.png", "5000", sig),
        signer.verify("https://e.com/j.png", "5000", sig),
        signer.verify("https://e.com/i.png", "5001", sig),
        ImageSigner("k2", clock=lambda: 1000.0).verify("https://e.com/i.png", "5000", sig),
        signer.verify("https://e.com/i.png", "5000", "ü" + sig[1:]),
        signer.verify("https://e.com/i.png", "\u0665000", sig),
    ] == ["valid", "invalid", "invalid", "invalid", "invalid", "invalid"]
