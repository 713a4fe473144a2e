"""Fixtures of the web tests: the test site on loopback, and the API in process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.service import api
from tests.web_origin import SiteOrigin, site_origin


@pytest.fixture
async def origin() -> AsyncIterator[SiteOrigin]:
    """The fixtures/site pages (and a few odd paths) served on 127.0.0.1."""
    async with site_origin() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    """The API with the test settings (tests.service.BASE), in process."""
    async with api() as running:
        yield running
