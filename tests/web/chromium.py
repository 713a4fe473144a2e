"""Headless Chromium for the layout tests: one-shot runs (``--dump-dom``, ``--screenshot``)
and a browser driven over the DevTools protocol on loopback, which measures a page with a
script of its own (DevTools' evaluation is outside the page's Content-Security-Policy, so
the page under test keeps its real one), emulates dark mode and takes screenshots."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
#: Upper bound for one Chromium run or one DevTools call (a hang guard, not a timing test).
DEADLINE = 60.0
FLAGS = (
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
)
_LISTENING = re.compile(rb"DevTools listening on (ws://127\.0\.0\.1:\d+/\S+)")

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI", "").lower() != "true",
    reason="chromium is not installed (CI installs it)",
)


async def run_chromium(url: str, *extra: str, window: tuple[int, int] = (600, 720)) -> str:
    """One Chromium run on ``url`` (``--dump-dom`` prints the DOM after its scripts)."""
    with tempfile.TemporaryDirectory() as profile:
        process = await asyncio.create_subprocess_exec(
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={window[0]},{window[1]}",
            "--virtual-time-budget=5000",
            *extra,
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(DEADLINE):
            out, _ = await process.communicate()
        assert process.returncode == 0
    return out.decode()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


class Tab:
    """One page over the DevTools protocol: ``call`` a method, collect console errors."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: dict[str, list[asyncio.Future[dict[str, Any]]]] = {}
        #: Console and log messages of level error (CSP refusals are reported so).
        self.errors: list[str] = []
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self._ws:
            data = message.json()
            if "id" in data:
                future = self._waiting.pop(data["id"])
                if "error" in data:
                    future.set_exception(RuntimeError(str(data["error"])))
                else:
                    future.set_result(data.get("result", {}))
                continue
            method, params = data.get("method"), data.get("params", {})
            if method == "Log.entryAdded" and params["entry"]["level"] == "error":
                self.errors.append(params["entry"]["text"])
            elif method == "Runtime.exceptionThrown":
                self.errors.append(str(params["exceptionDetails"].get("exception")))
            for future in self._events.pop(method, []):
                future.set_result(params)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = future
        await self._ws.send_json({"id": ident, "method": method, "params": params})
        async with asyncio.timeout(DEADLINE):
            return await future

    def next_event(self, method: str) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._events.setdefault(method, []).append(future)
        return future

    async def goto(self, url: str) -> None:
        loaded = self.next_event("Page.loadEventFired")
        await self.call("Page.navigate", url=url)
        async with asyncio.timeout(DEADLINE):
            await loaded

    async def evaluate(self, expression: str) -> Any:
        """The value of ``expression`` (a promise is awaited), returned as JSON."""
        result = await self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(str(result["exceptionDetails"]))
        return result["result"].get("value")

    async def press(self, key: str, *, shift: bool = False) -> None:
        """One key press (Tab, Enter or space) as a keyboard would send it."""
        codes = {"Tab": ("Tab", 9, ""), "Enter": ("Enter", 13, "\r"), " ": ("Space", 32, " ")}
        code, number, text = codes[key]
        params: dict[str, Any] = {
            "key": key,
            "code": code,
            "windowsVirtualKeyCode": number,
            "modifiers": 8 if shift else 0,
        }
        await self.call("Input.dispatchKeyEvent", type="keyDown", text=text, **params)
        await self.call("Input.dispatchKeyEvent", type="keyUp", **params)

    async def type(self, text: str) -> None:
        await self.call("Input.insertText", text=text)

    async def dark(self, on: bool) -> None:
        scheme = "dark" if on else "light"
        await self.call(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-color-scheme", "value": scheme}],
        )

    async def viewport(self, width: int, height: int) -> None:
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    async def screenshot(self, path: Path, clip: dict[str, float] | None = None) -> Path:
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if clip is not None:
            params["clip"] = {**clip, "scale": 1}
        shot = await self.call("Page.captureScreenshot", **params)
        await asyncio.to_thread(_write, path, base64.b64decode(shot["data"]))
        return path

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@asynccontextmanager
async def browser_tab() -> AsyncIterator[Tab]:
    """A fresh headless Chromium with one tab, closed afterwards."""
    with tempfile.TemporaryDirectory() as profile:
        process = await asyncio.create_subprocess_exec(
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        try:
            async with asyncio.timeout(DEADLINE):
                while True:
                    line = await process.stderr.readline()
                    assert line, "chromium exited before listening"
                    found = _LISTENING.search(line)
                    if found is not None:
                        break
            drain = asyncio.ensure_future(process.stderr.read())
            port = found.group(1).decode().split(":")[2].split("/")[0]
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                    targets = await response.json()
                page = next(t for t in targets if t["type"] == "page")
                ws = await session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
                tab = Tab(ws)
                try:
                    for domain in ("Page", "Runtime", "Log"):
                        await tab.call(f"{domain}.enable")
                    yield tab
                finally:
                    await tab.close()
        finally:
            if process.returncode is None:
                process.kill()
            async with asyncio.timeout(DEADLINE):
                await process.wait()
            if "drain" in locals():
                await drain
