"""Cache hits on ``GET /v1/preview`` against a bare aiohttp handler answering the same bytes.

Both servers run as real processes on 127.0.0.1: ``ogpreview serve`` (memory cache, JSON
access log on and written to a file, rate limit off) and a bare aiohttp app answering the
bytes ogpreview answered for the hit. ``wrk -t1 -c50`` (a C load generator, so the load
generator is not the bottleneck) drives each for ``--duration`` seconds, in alternating
rounds of the same run; the median round of each counts. Reported per server: requests
per second, p99 latency (``wrk --latency``) and server CPU per request (``/proc/<pid>/stat``).
Target (issue 12): ogpreview answers at least 0.7x the bare handler's requests per second.

    python bench/serve.py [--duration S] [--rounds N] [--connections N]

Without ``wrk`` on PATH (Debian: ``apt-get install wrk``; ``.ci/run`` installs it) the bench
says so and exits 0. Exit status 1 when under target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.web_origin import site_origin

TARGET_RATIO = 0.70
STARTUP_DEADLINE = 20.0
#: Bounds on the run, whatever the flags say: rounds, and seconds per wrk run.
MAX_ROUNDS = 15
MAX_DURATION = 30
#: Seconds wrk may take beyond its own duration before it is killed.
WRK_GRACE = 15.0
WARMUP_SECONDS = 1
WRK_THREADS = 1
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Round:
    rps: float
    p99_ms: float
    requests: int
    cpu_per_request: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc): the server's cost per request,
    apart from the load generator's, which shares the machine."""
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


async def start(
    command: list[str], port: int, env: dict[str, str], stderr: int
) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=stderr,
    )
    async with asyncio.timeout(STARTUP_DEADLINE):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                if process.returncode is not None:
                    raise RuntimeError(f"{command[:3]} exited with {process.returncode}") from None
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return process


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(STARTUP_DEADLINE):
            await process.wait()


def parse_wrk(output: str) -> tuple[float, float, int]:
    """(requests per second, p99 in ms, requests completed) from ``wrk --latency`` output;
    ``RuntimeError`` when wrk saw errors or answers other than 2xx/3xx."""
    for marker in ("Non-2xx or 3xx responses", "Socket errors"):
        if marker in output:
            raise RuntimeError(f"wrk reported {marker.lower()}:\n{output}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    count = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    if not (rps and p99 and count):
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return float(rps[1]), float(p99[1]) * _UNITS[p99[2]], int(count[1])


async def wrk(wrk_path: str, url: str, seconds: int, connections: int) -> tuple[float, float, int]:
    process = await asyncio.create_subprocess_exec(
        wrk_path,
        f"-t{WRK_THREADS}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        url,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(seconds + WRK_GRACE):
            out, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"wrk exited with {process.returncode}:\n{out.decode()}")
    return parse_wrk(out.decode())


async def measure(wrk_path: str, url: str, pid: int, seconds: int, connections: int) -> Round:
    before = cpu_seconds(pid)
    rps, p99, count = await wrk(wrk_path, url, seconds, connections)
    return Round(rps, p99, count, (cpu_seconds(pid) - before) / count)


def median_round(rounds: list[Round]) -> Round:
    return Round(
        statistics.median(r.rps for r in rounds),
        statistics.median(r.p99_ms for r in rounds),
        sum(r.requests for r in rounds),
        statistics.median(r.cpu_per_request for r in rounds),
    )


def line(name: str, r: Round) -> str:
    return (
        f"{name:>10}: {r.rps:9.0f} req/s   p99 {r.p99_ms:6.2f} ms   "
        f"server CPU {r.cpu_per_request * 1e6:6.1f} us/request"
    )


async def run_rounds(
    wrk_path: str, seconds: int, rounds: int, connections: int, tmp: Path, log_fd: int
) -> tuple[dict[str, list[Round]], int]:
    """The measured rounds of both servers, and the origin's page fetches."""
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
    results: dict[str, list[Round]] = {"ogpreview": [], "bare": []}
    body_file = tmp / "hit.json"
    async with site_origin() as origin:
        page = origin.url("/card-normal.html")
        query = f"/v1/preview?url={quote(page, safe='')}"
        command = [sys.executable, "-m", "ogpreview.cli", "serve", "--port", str(api_port)]
        api = await start(command, api_port, env, log_fd)
        bare: asyncio.subprocess.Process | None = None
        try:
            api_url = f"http://127.0.0.1:{api_port}{query}"
            async with aiohttp.ClientSession() as session:
                for _ in range(2):  # the first is the miss; the second is a hit
                    async with session.get(api_url) as response:
                        body = await response.read()
            await asyncio.to_thread(body_file.write_bytes, body)
            bare = await start(
                [sys.executable, __file__, "--bare-server", str(bare_port), str(body_file)],
                bare_port,
                env,
                asyncio.subprocess.DEVNULL,
            )
            servers = {
                "ogpreview": (api_url, api.pid),
                "bare": (f"http://127.0.0.1:{bare_port}{query}", bare.pid),
            }
            for url, _ in servers.values():
                await wrk(wrk_path, url, WARMUP_SECONDS, connections)
            for n in range(rounds):
                for name, (url, pid) in servers.items():
                    result = await measure(wrk_path, url, pid, seconds, connections)
                    results[name].append(result)
                    print(f"round {n + 1} {line(name, result)}", flush=True)
        finally:
            await stop(api)  # its access log is flushed when it has exited
            if bare is not None:
                await stop(bare)
    return results, origin.hits["/card-normal.html"]


def main(args: argparse.Namespace, wrk_path: str) -> int:
    seconds = max(1, min(args.duration, MAX_DURATION))
    rounds = max(1, min(args.rounds, MAX_ROUNDS))
    with tempfile.TemporaryDirectory(prefix="ogpreview-bench-") as tmp:
        access_log = Path(tmp, "access.log")
        with access_log.open("wb") as log_file:
            rounds_run = run_rounds(
                wrk_path, seconds, rounds, args.connections, Path(tmp), log_file.fileno()
            )
            results, fetches = asyncio.run(rounds_run)
        access_lines = access_log.read_bytes().count(b'"route":"/v1/preview"')
    answered = sum(r.requests for r in results["ogpreview"])
    print(f"origin fetches: {fetches} (cache hits only after the first)")
    print(
        f"access-log lines for /v1/preview: {access_lines} "
        f"(wrk counted {answered} answers in the measured rounds, besides warm-up)"
    )
    print(f"median of {rounds} rounds of {seconds} s, wrk -t{WRK_THREADS} -c{args.connections}:")
    medians = {name: median_round(rs) for name, rs in results.items()}
    for name, r in medians.items():
        print(line(name, r))
    ratio = medians["ogpreview"].rps / medians["bare"].rps
    cpu_ratio = medians["bare"].cpu_per_request / medians["ogpreview"].cpu_per_request
    print(f"     ratio: {ratio:.2f} of the bare handler's req/s (target >= {TARGET_RATIO:.2f})")
    print(f" CPU ratio: {cpu_ratio:.2f} (bare CPU per request / ogpreview's)")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--bare-server":
        bare_server(int(sys.argv[2]), sys.argv[3])
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per round and server")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=50)
    arguments = parser.parse_args()
    found = shutil.which("wrk")
    if found is None:
        print("bench/serve.py: skipped, wrk is not installed (Debian: apt-get install wrk)")
        sys.exit(0)
    sys.exit(main(arguments, found))
