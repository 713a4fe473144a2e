"""CheckPool: link checks in worker processes, against the fixture site and a silent
listener on 127.0.0.1."""

from __future__ import annotations

import asyncio
import math
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ogpreview import Checker, NullCache, Previewer, Settings
from ogpreview.check.checker import CheckResult, check_stream
from ogpreview.check.pool import CheckPool, decode_config, encode_config
from tests.servers import Silent, Site, running, silent_listener

LOCAL = Settings(allow_networks=("127.0.0.0/8",), allowed_ports=None)
#: Upper bound for anything here to finish (a hang guard, not a timing assertion).
DEADLINE = 30.0


@pytest.fixture
async def silent() -> AsyncIterator[Silent]:
    async with silent_listener() as listener:
        yield listener


def _summary(result: CheckResult) -> tuple[str, str, list[tuple[str, str]]]:
    return (result.url, result.verdict, [(f.code, f.message) for f in result.findings])


def test_settings_survive_the_trip_to_a_worker() -> None:
    """Settings and the slow-page threshold sent to a worker come back equal: sets of
    ports, tuples of networks and infinite values included."""
    settings = Settings(
        allow_networks=("127.0.0.0/8",),
        block_networks=("192.0.2.0/24",),
        allowed_ports=frozenset({80, 8080}),
        api_keys=("k1",),
        redis_url="redis://127.0.0.1:6379/15",
        total_timeout=3.5,
        cache_ttl=math.inf,
    )
    assert decode_config(encode_config(settings, math.inf)) == (settings, math.inf)


async def test_an_infinite_threshold_reaches_the_workers(site: Site) -> None:
    """A pool told slow_ms=inf starts and checks (no page is ever slow)."""
    async with asyncio.timeout(DEADLINE), CheckPool(LOCAL, 1, slow_ms=math.inf) as pool:
        result = await pool.check(site.url("/check-good.html"))
    assert result.verdict == "ok"


async def test_an_overlong_url_is_refused_and_the_worker_lives(site: Site) -> None:
    """A URL longer than any link gets the invalid_url error one process gives, and the
    pool goes on checking."""
    long_url = site.url("/" + "a" * 5000)
    async with asyncio.timeout(DEADLINE), CheckPool(LOCAL, 1) as pool:
        refused = await pool.check(long_url)
        after = await pool.check(site.url("/check-good.html"))
    assert (_summary(refused)[1:], after.verdict) == (
        ("error", [("invalid_url", "URL longer than 4096 characters")]),
        "ok",
    )


async def test_workers_are_out_of_the_terminals_process_group() -> None:
    """Workers run in their own session, so a terminal's Ctrl-C reaches only the command
    (which then stops them), never a worker still importing."""
    async with asyncio.timeout(DEADLINE), CheckPool(LOCAL, 2) as pool:
        groups = [os.getpgid(pid) for pid in pool.pids]
    assert [group == os.getpgid(0) for group in groups] == [False, False]


async def test_workers_do_not_import_from_the_current_folder(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module in the folder the command runs from (here a fake orjson) is not what
    the workers import."""
    marker = tmp_path / "imported"
    (tmp_path / "orjson.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.chdir(tmp_path)
    async with asyncio.timeout(DEADLINE), CheckPool(LOCAL, 1) as pool:
        result = await pool.check(site.url("/check-good.html"))
    assert (result.verdict, marker.exists()) == ("ok", False)


async def test_a_cancelled_check_stops_in_its_worker(silent: Silent) -> None:
    """Cancelling a check in the pool makes its worker drop the request (the listener
    sees the connection close), so the host's running checks are what is counted."""
    async with asyncio.timeout(DEADLINE), CheckPool(LOCAL, 1) as pool:
        hanging = asyncio.ensure_future(pool.check(silent.url("/hangs")))
        await silent.connected.wait()
        hanging.cancel()
        await silent.closed.wait()
        alive = pool.pids
    assert (hanging.cancelled(), len(alive)) == (True, 1)


async def test_workers_give_the_same_results_as_one_process(site: Site) -> None:
    """The same links checked in two workers and in-process give equal verdicts and
    findings, each link once."""
    urls = [
        site.url("/check-good.html"),
        site.url("/check-no-image.html"),
        site.url("/missing.html"),
        "ftp://example.com/file",
        site.url("/check-good.html#again"),
    ]
    async with asyncio.timeout(DEADLINE), CheckPool(LOCAL, 2) as pool:
        pooled = [r async for r in check_stream(pool.check, urls, concurrency=4, per_host=2)]
    async with asyncio.timeout(DEADLINE):
        async with Previewer(LOCAL, cache=NullCache()) as previewer:
            checker = Checker(previewer)
            alone = [r async for r in check_stream(checker.check, urls, concurrency=4, per_host=2)]
    assert sorted(map(_summary, pooled)) == sorted(map(_summary, alone))


async def test_a_dead_workers_check_is_an_internal_error(silent: Silent) -> None:
    """A worker killed while a check hangs in it: that check ends as an internal error
    saying the worker died, instead of hanging."""
    async with asyncio.timeout(DEADLINE), CheckPool(LOCAL, 2) as pool:
        hanging = asyncio.ensure_future(pool.check(silent.url("/hangs")))
        await silent.connected.wait()  # the worker has connected: the check is in flight
        os.kill(pool.pids[0], signal.SIGKILL)
        result = await hanging
    assert _summary(result) == (
        silent.url("/hangs"),
        "error",
        [("internal_error", "the check itself failed: its worker process died")],
    )


async def test_checks_after_a_worker_died_go_to_the_live_one(site: Site, silent: Silent) -> None:
    """Once a worker has died, new checks run in the remaining worker and succeed."""
    async with asyncio.timeout(DEADLINE), CheckPool(LOCAL, 2) as pool:
        hanging = asyncio.ensure_future(pool.check(silent.url("/hangs")))
        await silent.connected.wait()
        os.kill(pool.pids[0], signal.SIGKILL)
        await hanging
        after = [await pool.check(site.url(f"/check-good.html?n={n}")) for n in range(3)]
    assert [r.verdict for r in after] == ["ok", "ok", "ok"]


async def test_closing_the_pool_stops_its_workers(silent: Silent) -> None:
    """Leaving the pool while a check still hangs stops every worker process."""
    async with asyncio.timeout(DEADLINE):
        async with CheckPool(LOCAL, 2) as pool:
            pids = pool.pids
            hanging = asyncio.ensure_future(pool.check(silent.url("/hangs")))
            await silent.connected.wait()
            hanging.cancel()
    assert (len(pids), running(pids)) == (2, [])


def test_no_processes_is_refused() -> None:
    """A pool of zero workers is a ValueError, not a pool that never checks."""
    with pytest.raises(ValueError, match="processes must be at least 1"):
        CheckPool(LOCAL, 0)
