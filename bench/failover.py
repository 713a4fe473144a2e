"""How long the shared cache takes to come back after a Redis failover or node loss, and
what the callers saw meanwhile, on a real Sentinel set and Redis Cluster on loopback.

Two previewers (two instances) share the Redis. For each event one of them keeps
previewing fresh URLs of a local site while the other reads what it wrote:

- ``sentinel-failover``: SENTINEL FAILOVER; ``sentinel-kill``: SIGKILL of the master
  (the sentinels count it down after 1 s); ``cluster-kill``: SIGKILL of the node holding
  the probe's slot, restarted at once from its append-only file.
- promoted: seconds until the sentinels agree on the new master (or until the killed
  node is back and the cluster ok on every node);
- shared again: seconds from the event until a card written by one instance is read by
  the other from the Redis that now serves the key (for Sentinel: the new master, read
  directly, so a write that a demoted master would drop does not count).

Every preview asked in the run must be answered; the script exits 1 if one is not, or if
twenty callers over the two instances ever make more than one upstream fetch.

    python bench/failover.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ogpreview import Previewer, RedisCache, Settings
from ogpreview.urls import cache_key
from tests.redis_topology import Cluster, SentinelSet, binaries, running
from tests.servers import Site, site_server

LOCAL = Settings(allow_networks=["127.0.0.0/8"], allowed_ports=None, oembed=False)
#: Pause between probe rounds (the resolution of "shared again").
PROBE_EVERY = 0.02


def _card_key(previewer: Previewer, url: str) -> str:
    cache = previewer.cache
    assert isinstance(cache, RedisCache)
    return cache.card_key(cache_key(url))


def _stored(topology: Cluster | SentinelSet, key: str) -> bool:
    node = topology.node_of(key) if isinstance(topology, Cluster) else topology.master()
    with node.client() as client:
        return bool(client.exists(key))


async def _one_fetch(site: Site, a: Previewer, b: Previewer, round_no: int) -> int:
    site.delay = 0.1
    path = f"/plain.html?one={round_no}"
    before = site.hits["/plain.html"]
    await asyncio.gather(*(p.preview(site.url(path)) for _ in range(10) for p in (a, b)))
    site.delay = 0.0
    return site.hits["/plain.html"] - before


def _probes(site: Site, topology: Cluster | SentinelSet, a: Previewer) -> list[str]:
    """Fresh URLs to preview; on a cluster, only ones whose cards are on the node that is
    killed (the others' keys are not affected)."""
    urls = [site.url(f"/article.html?probe={uuid.uuid4().hex}") for _ in range(3000)]
    if isinstance(topology, SentinelSet):
        return urls
    target = topology.nodes[0]
    return [url for url in urls if topology.node_of(_card_key(a, url)) is target]


def _kill_and_restart(topology: Cluster) -> float:
    node = topology.nodes[0]
    started = time.monotonic()
    node.kill()
    node.start()
    topology.wait_healthy()
    return time.monotonic() - started


async def _event(
    site: Site, topology: Cluster | SentinelSet, kind: str, a: Previewer, b: Previewer
) -> dict[str, float]:
    """Run one event while probing; the figures of that run."""
    probes = iter(await asyncio.to_thread(_probes, site, topology, a))
    answered = unanswered = 0
    shared_at: float | None = None
    done = asyncio.Event()
    started = time.monotonic()

    async def keep_probing() -> None:
        nonlocal answered, unanswered, shared_at
        while shared_at is None:
            url = next(probes)
            try:
                await a.preview(url)
                answered += 1
            except Exception:
                unanswered += 1
            hit = (await b.lookup(url)).cache == "hit"
            key = _card_key(a, url)
            if done.is_set() and hit and await asyncio.to_thread(_stored, topology, key):
                shared_at = time.monotonic()
            await asyncio.sleep(PROBE_EVERY)

    probing = asyncio.ensure_future(keep_probing())
    if isinstance(topology, SentinelSet):
        promoted = await asyncio.to_thread(topology.fail_over, kill=kind == "sentinel-kill")
    else:
        promoted = await asyncio.to_thread(_kill_and_restart, topology)
    done.set()
    async with asyncio.timeout(120):
        await probing
    if isinstance(topology, SentinelSet):
        await asyncio.to_thread(topology.settle)
    assert shared_at is not None
    return {
        "promoted": promoted,
        "shared": shared_at - started,
        "answered": answered,
        "unanswered": unanswered,
    }


async def main_async(rounds: int) -> int:
    found = binaries()
    if found is None:
        print("needs redis-server, redis-cli and redis-sentinel", file=sys.stderr)
        return 2
    server, cli, sentinel = found
    results: dict[str, list[dict[str, float]]] = {}
    fetches: list[int] = []
    with tempfile.TemporaryDirectory() as root:
        topologies: list[tuple[Cluster | SentinelSet, list[str]]] = [
            (
                SentinelSet(server, sentinel, Path(root, "s")),
                ["sentinel-failover", "sentinel-kill"],
            ),
            (Cluster(server, cli, Path(root, "c")), ["cluster-kill"]),
        ]
        async with site_server() as site:
            for topology, kinds in topologies:
                with running(topology):
                    settings = topology.settings(LOCAL, f"bench:{uuid.uuid4().hex}:")
                    async with Previewer(settings) as a, Previewer(settings) as b:
                        assert await a.cache_ready() and await b.cache_ready()
                        for round_no in range(rounds):
                            fetches.append(await _one_fetch(site, a, b, round_no))
                            for kind in kinds:
                                results.setdefault(kind, []).append(
                                    await _event(site, topology, kind, a, b)
                                )
    header = ("event", "promoted s", "shared again s", "previews", "unanswered")
    print("{:<18} {:>11} {:>15} {:>9} {:>11}".format(*header))
    failed = False
    for kind, runs in results.items():
        promoted = statistics.median(r["promoted"] for r in runs)
        shared = statistics.median(r["shared"] for r in runs)
        answered = int(sum(r["answered"] for r in runs))
        unanswered = int(sum(r["unanswered"] for r in runs))
        failed |= unanswered > 0
        print(f"{kind:<18} {promoted:11.2f} {shared:15.2f} {answered:9d} {unanswered:11d}")
    print(f"upstream fetches for 20 callers over two instances: {fetches}")
    failed |= any(n != 1 for n in fetches)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    return asyncio.run(main_async(parser.parse_args().rounds))


if __name__ == "__main__":
    raise SystemExit(main())
