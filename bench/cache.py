"""Cache hits per second through the previewer, against a bare Redis GET of the same key.

A local aiohttp server on 127.0.0.1 serves one page; it is previewed once (a miss), then
looked up ``--requests`` times through a previewer on the memory cache and one on Redis,
and the raw cache value is read as many times with a bare ``redis.asyncio`` GET, all in
the same run. Target (issue #4): the Redis cache path adds at most 30% over the bare GET.

    python bench/cache.py [--redis-url URL] [--requests N] [--rounds N]

Uses its own key prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ogpreview import MemoryCache, Previewer, RedisCache, Settings
from ogpreview.urls import cache_key
from tests.servers import site_server

MAX_OVERHEAD = 0.30


async def _rate(op: Callable[[], Awaitable[object]], n: int, rounds: int) -> float:
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            await op()
        best = max(best, n / (time.perf_counter() - start))
    return best


async def main_async(redis_url: str, requests: int, rounds: int) -> int:
    prefix = f"ogpreview-bench:{uuid.uuid4().hex}:"
    settings = Settings(
        allow_networks=["127.0.0.0/8"], allowed_ports=None, redis_url=redis_url, cache_prefix=prefix
    )
    raw = aioredis.from_url(redis_url)
    try:
        async with site_server() as site, Previewer(settings) as on_redis:
            url = site.url("/article.html")
            await on_redis.preview(url)
            async with Previewer(settings, cache=MemoryCache()) as in_memory:
                await in_memory.preview(url)
                shared = on_redis.cache
                assert isinstance(shared, RedisCache)
                key = shared.card_key(cache_key(url))
                assert (await on_redis.lookup(url)).cache == "hit"
                memory = await _rate(lambda: in_memory.lookup(url), requests, rounds)
                bare = await _rate(lambda: raw.get(key), requests, rounds)
                redis = await _rate(lambda: on_redis.lookup(url), requests, rounds)
                bare = max(bare, await _rate(lambda: raw.get(key), requests, rounds))
    finally:
        keys = [k async for k in raw.scan_iter(match=prefix + "*")]
        if keys:
            await raw.delete(*keys)
        await raw.aclose()
    overhead = bare / redis - 1
    print(f"{requests} sequential lookups x {rounds} rounds, best round")
    print(f"{'bare redis GET':<22} {bare:9.0f}/s  {1e6 / bare:7.1f} us")
    print(f"{'previewer, Redis hit':<22} {redis:9.0f}/s  {1e6 / redis:7.1f} us")
    print(f"{'previewer, memory hit':<22} {memory:9.0f}/s  {1e6 / memory:7.1f} us")
    print(f"Redis cache path overhead {overhead:+.1%} over the bare GET (target <= 30%)")
    return 0 if overhead <= MAX_OVERHEAD else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("OGPREVIEW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    )
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    return asyncio.run(main_async(args.redis_url, args.requests, args.rounds))


if __name__ == "__main__":
    sys.exit(main())
