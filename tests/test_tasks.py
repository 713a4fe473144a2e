"""SingleFlight: one task per key, shared by its callers."""

from __future__ import annotations

import asyncio

from ogpreview.tasks import SingleFlight


async def test_callers_of_one_key_share_one_run() -> None:
    """Two joins of one key while it runs get the one run's result."""
    flights: SingleFlight[int] = SingleFlight()
    release = asyncio.Event()
    runs = 0

    async def work() -> int:
        nonlocal runs
        runs += 1
        await release.wait()
        return runs

    both = asyncio.gather(flights.join("k", work), flights.join("k", work))
    release.set()
    assert (await both, runs, "k" in flights) == ([1, 1], 1, False)


async def test_the_last_caller_giving_up_cancels_the_run() -> None:
    """When every caller of a joined run is cancelled, the run is cancelled too."""
    flights: SingleFlight[None] = SingleFlight()
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    caller = asyncio.ensure_future(flights.join("k", work))
    await started.wait()
    caller.cancel()
    await cancelled.wait()
    assert cancelled.is_set()


async def test_a_started_run_outlives_a_caller_that_gives_up() -> None:
    """A run begun with start() goes on when a caller that joined it is cancelled."""
    flights: SingleFlight[str] = SingleFlight()
    release = asyncio.Event()

    async def work() -> str:
        await release.wait()
        return "done"

    run = flights.start("k", work)
    caller = asyncio.ensure_future(flights.join("k", work))
    await asyncio.sleep(0)  # one loop step, not a timed wait: the caller joins the run
    caller.cancel()
    release.set()
    assert await run == "done"
