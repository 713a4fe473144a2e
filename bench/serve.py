"""Cache hits on ``GET /v1/preview`` against a bare aiohttp handler returning the same JSON.

Both servers run as real processes on 127.0.0.1: ``ogpreview serve`` (memory cache, access
log on, rate limit off) and a bare aiohttp app answering the bytes ogpreview answered.
A Python load generator (aiohttp client, ``--concurrency`` requests at a time) sends
``--requests`` requests to each, in alternating rounds of the same run; the best round of
each counts. Target (issue 5): ogpreview reaches at least 70% of the bare handler's req/s,
and costs at most 1/0.7 of its server CPU per request (the load generator shares the
machine and may be the bottleneck, which hides server cost from req/s alone).

    python bench/serve.py [--requests N] [--concurrency N] [--rounds N]

Exit status 1 when under target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.web_origin import site_origin

TARGET_RATIO = 0.70
#: Upper bound for one measured round; a round stops early past it (reported as such).
ROUND_TIME_CAP = 30.0
STARTUP_DEADLINE = 20.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to compare server cost per request
    even when the load generator, not the server, limits the request rate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def bare_server(port: int, body_file: str) -> None:
    """The baseline: the least an aiohttp handler can do to answer the same bytes."""
    body = Path(body_file).read_bytes()

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/v1/preview", handler)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=lambda *_: None)


async def start(command: list[str], port: int, env: dict[str, str]) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with asyncio.timeout(STARTUP_DEADLINE):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return process


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await process.wait()


async def load(
    url: str, params: dict[str, str], requests: int, concurrency: int
) -> tuple[float, float, int]:
    """(requests per second, p99 latency in ms, requests sent) for one round."""
    latencies: list[float] = []
    remaining = requests
    deadline = time.perf_counter() + ROUND_TIME_CAP
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                began = time.perf_counter()
                async with session.get(url, params=params) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{url} answered {response.status}")
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    return len(latencies) / elapsed, p99, len(latencies)


async def main(args: argparse.Namespace) -> int:
    api_port, bare_port = free_port(), free_port()
    env = {
        **os.environ,
        "OGPREVIEW_ALLOW_NETWORKS": "127.0.0.0/8",
        "OGPREVIEW_ALLOWED_PORTS": "any",
        "OGPREVIEW_RATE_LIMIT": "0",
        "OGPREVIEW_SECRET": "bench",
        "OGPREVIEW_OEMBED": "false",
        "OGPREVIEW_REDIS_URL": "",
    }
    async with site_origin() as origin:
        page = origin.url("/card-normal.html")
        api = await start(
            [sys.executable, "-m", "ogpreview.cli", "serve", "--port", str(api_port)],
            api_port,
            env,
        )
        bare: asyncio.subprocess.Process | None = None
        try:
            api_url = f"http://127.0.0.1:{api_port}/v1/preview"
            async with aiohttp.ClientSession() as session:
                for _ in range(2):  # the first is the miss; the second is a hit
                    async with session.get(api_url, params={"url": page}) as response:
                        body = await response.read()
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
                tmp.write(body)
            bare = await start(
                [sys.executable, __file__, "--bare-server", str(bare_port), tmp.name],
                bare_port,
                env,
            )
            bare_url = f"http://127.0.0.1:{bare_port}/v1/preview"
            params = {"url": page}
            warm = min(2000, args.requests)
            await load(api_url, params, warm, args.concurrency)
            await load(bare_url, params, warm, args.concurrency)
            best: dict[str, tuple[float, float, int]] = {}
            cpu: dict[str, float] = {}
            servers = {"ogpreview": (api_url, api.pid), "bare": (bare_url, bare.pid)}
            for _ in range(args.rounds):
                for name, (url, pid) in servers.items():
                    before = cpu_seconds(pid)
                    result = await load(url, params, args.requests, args.concurrency)
                    per_request = (cpu_seconds(pid) - before) / result[2]
                    cpu[name] = min(cpu.get(name, per_request), per_request)
                    if name not in best or result[0] > best[name][0]:
                        best[name] = result
            os.unlink(tmp.name)
        finally:
            await stop(api)
            if bare is not None:
                await stop(bare)
    print(f"origin fetches: {origin.hits['/card-normal.html']} (cache hits only after the first)")
    for name, (rps, p99, sent) in best.items():
        print(
            f"{name:>10}: {rps:9.0f} req/s   p99 {p99:6.2f} ms   "
            f"server CPU {cpu[name] * 1e6:6.1f} us/request   ({sent} requests)"
        )
    ratio = best["ogpreview"][0] / best["bare"][0]
    cpu_ratio = cpu["bare"] / cpu["ogpreview"]
    print(f"     ratio: {ratio:.2f} of the bare handler's req/s (target >= {TARGET_RATIO:.2f})")
    print(
        f" CPU ratio: {cpu_ratio:.2f} (bare CPU per request / ogpreview's: the throughput "
        "ratio when the server, not the load generator, is the bottleneck)"
    )
    return 0 if min(ratio, cpu_ratio) >= TARGET_RATIO else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--bare-server":
        bare_server(int(sys.argv[2]), sys.argv[3])
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    sys.exit(asyncio.run(main(parser.parse_args())))
