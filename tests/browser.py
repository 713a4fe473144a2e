"""Headless Chromium for the tests that look at pages as a person's browser shows them."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Upper bound for one Chromium run (a hang guard, not a timing assertion).
CHROMIUM_DEADLINE = 60.0

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI", "").lower() != "true",
    reason="chromium is not installed (CI installs it)",
)


async def chromium(url: str, *extra: str, window: tuple[int, int] = (800, 600)) -> str:
    """Open ``url`` in headless Chromium with ``extra`` flags (``--dump-dom``,
    ``--screenshot=FILE``); its standard output."""
    with tempfile.TemporaryDirectory() as profile:
        process = await asyncio.create_subprocess_exec(
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={window[0]},{window[1]}",
            "--virtual-time-budget=5000",
            *extra,
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(CHROMIUM_DEADLINE):
            out, _ = await process.communicate()
        assert process.returncode == 0
    return out.decode()
