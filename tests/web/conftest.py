"""Fixtures of the web tests: the page origin and a client of the default app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.service import api
from tests.web_origin import SiteOrigin, site_origin


@pytest.fixture
async def origin() -> AsyncIterator[SiteOrigin]:
    async with site_origin() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    async with api() as running:
        yield running
