"""The shared cache on a real Redis Cluster and behind real Sentinels: one fetch between
instances, keys that meet in one slot, and previews served through node loss and failover."""

from __future__ import annotations

import asyncio

from ogpreview import Previewer, RedisCache, Settings
from ogpreview.urls import cache_key
from tests.redis_topology import Cluster, SentinelSet
from tests.servers import Site
from tests.service import until

LOCAL = Settings(allow_networks=["127.0.0.0/8"], allowed_ports=None, oembed=False)


def _redis_cache(previewer: Previewer) -> RedisCache:
    cache = previewer.cache
    assert isinstance(cache, RedisCache)
    return cache


async def test_twenty_callers_on_two_instances_make_one_fetch(
    site: Site, scaled_redis: Cluster | SentinelSet, scaled_prefix: str
) -> None:
    """Twenty callers split over two previewers sharing a cluster (or a Sentinel-watched
    master) cause one upstream request and get one card."""
    site.delay = 0.1
    settings = scaled_redis.settings(LOCAL, scaled_prefix)
    async with Previewer(settings) as a, Previewer(settings) as b:
        # Connected first, as a service is before its readiness probe lets traffic in
        # (a cluster client's first call also reads the cluster's layout).
        assert (await a.cache_ready(), await b.cache_ready()) == (True, True)
        url = site.url("/plain.html")
        cards = await asyncio.gather(*(p.preview(url) for _ in range(10) for p in (a, b)))
        errors = a.redis_errors + b.redis_errors
    assert (len(set(cards)), site.hits["/plain.html"], errors) == (1, 1, 0)


async def test_a_card_and_its_lock_meet_in_one_slot(cluster: Cluster, scaled_prefix: str) -> None:
    """On a cluster each card's fetch lock is in the card's slot, and the cards of many
    pages spread over every node."""
    cache = RedisCache(cluster.url, prefix=scaled_prefix, mode="cluster")
    await cache.aclose()  # only its key names are needed
    keys = [cache_key(f"https://example.com/page/{i}") for i in range(60)]
    same_slot = {
        cluster.slot_of(cache.card_key(k)) == cluster.slot_of(cache.lock_key(k)) for k in keys
    }
    nodes = {cluster.node_of(cache.card_key(k)).port for k in keys}
    assert (same_slot, nodes) == ({True}, {node.port for node in cluster.nodes})


async def test_a_cluster_node_down_degrades_its_keys_and_comes_back(
    site: Site, cluster: Cluster, scaled_prefix: str
) -> None:
    """With the node holding a card's slot killed, that preview is still served (fetched
    directly) and readiness says degraded; once the node restarts the same previewer
    caches there again, without a restart of its own."""
    settings = cluster.settings(LOCAL, scaled_prefix)
    async with Previewer(settings) as previewer:
        cache = _redis_cache(previewer)
        url = site.url("/plain.html")
        node = cluster.node_of(cache.card_key(cache_key(url)))
        await previewer.preview(site.url("/article.html"))  # the client knows the cluster
        node.kill()
        try:
            down = [(await previewer.lookup(url)).cache for _ in range(2)]
            ready_while_down = await previewer.cache_ready()
        finally:
            node.start()
        cluster.wait_healthy()
        await until(previewer.cache_ready)
        await previewer.preview(url, refresh=True)
        back = await previewer.lookup(url)
    assert (down, site.hits["/plain.html"], ready_while_down, back.cache) == (
        ["miss", "miss"],
        3,
        False,
        "hit",
    )


async def test_previews_are_served_through_a_sentinel_failover(
    site: Site, sentinel_set: SentinelSet, scaled_prefix: str
) -> None:
    """While the sentinels fail the master over, every preview is answered; afterwards
    a card one instance fetched is a hit for another (the shared cache is back without a
    restart)."""
    settings = sentinel_set.settings(LOCAL, scaled_prefix)
    answered: list[str] = []
    async with Previewer(settings) as a, Previewer(settings) as b:
        await a.preview(site.url("/plain.html"))
        stop = asyncio.Event()

        async def keep_previewing() -> None:
            i = 0
            while not stop.is_set():
                card = await a.preview(site.url(f"/article.html?n={i}"))
                answered.append(card.title or "")
                i += 1
                await asyncio.sleep(0.01)

        previewing = asyncio.ensure_future(keep_previewing())
        try:
            await asyncio.to_thread(sentinel_set.fail_over)
        finally:
            stop.set()
            await previewing
            await asyncio.to_thread(sentinel_set.settle)
        await a.preview(site.url("/card-normal.html"))
        after = await b.lookup(site.url("/card-normal.html"))
    assert (set(answered), len(answered) > 10, after.cache) == ({"An article"}, True, "hit")
