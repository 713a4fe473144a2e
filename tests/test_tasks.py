"""The shared asyncio helpers: the per-host limiter and single flight."""

from __future__ import annotations

import asyncio

import pytest

from ogpreview.tasks import HostLimiter, SingleFlight


async def test_the_limiter_lets_per_host_holders_in_at_once_and_no_more() -> None:
    """With per_host=2, five holders of one host run two at a time, in arrival order,
    while another host is not held up by them."""
    limiter = HostLimiter(2)
    gate, two_in = asyncio.Event(), asyncio.Event()
    entered: list[int] = []
    inside = 0
    most = 0

    async def hold(i: int) -> None:
        nonlocal inside, most
        async with limiter.hold("http://a.test/page"):
            entered.append(i)
            if len(entered) == 2:
                two_in.set()
            inside += 1
            most = max(most, inside)
            await gate.wait()
            inside -= 1

    tasks = [asyncio.create_task(hold(i)) for i in range(5)]
    await two_in.wait()
    other = HostLimiter(2)
    async with limiter.hold("http://b.test/"), other.hold("http://a.test/"):
        pass  # neither waits
    await asyncio.sleep(0)  # one more turn: the three others reach the limiter and wait
    assert (entered, limiter.in_use("a.test")) == ([0, 1], 2)
    gate.set()
    await asyncio.gather(*tasks)
    assert (entered, most, len(limiter)) == ([0, 1, 2, 3, 4], 2, 0)


async def test_the_limiter_forgets_a_host_nobody_holds_or_waits_on() -> None:
    """Memory follows the hosts in flight: after 1,000 hosts were held, taken with
    try_acquire, refused, or waited on by a cancelled waiter, none is remembered."""
    limiter = HostLimiter(1)
    for i in range(1000):
        async with limiter.hold(f"http://h{i}.test/"):
            assert len(limiter) == 1
    assert limiter.try_acquire("x.test")
    assert not limiter.try_acquire("x.test")
    waiter = asyncio.create_task(limiter.acquire("x.test"))
    await asyncio.sleep(0)  # it is waiting now
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    limiter.release("x.test")
    assert len(limiter) == 0


async def test_a_released_slot_goes_to_the_waiter_not_to_a_newcomer() -> None:
    """Waiters are served first come, first served: while one waits, try_acquire
    refuses even at the moment the slot is handed over."""
    limiter = HostLimiter(1)
    assert limiter.try_acquire("a.test")
    waiter = asyncio.create_task(limiter.acquire("a.test"))
    await asyncio.sleep(0)
    limiter.release("a.test")
    assert not limiter.try_acquire("a.test")
    await waiter
    assert limiter.in_use("a.test") == 1
    limiter.release("a.test")
    assert len(limiter) == 0


def test_the_limiter_needs_at_least_one_slot_per_host() -> None:
    """per_host=0 would deadlock every caller: it is refused."""
    with pytest.raises(ValueError, match="per_host must be at least 1"):
        HostLimiter(0)


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
