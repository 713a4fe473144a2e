"""``ogpreview check`` on 10,000 URLs against a local server that answers each in 100 ms.

The server (a separate process, a bare asyncio protocol so that it costs the machine as
little as possible) listens on the same port of several loopback addresses, 127.0.0.2 and
up, so that per-host politeness spreads the work the way it would over real sites. The
checker runs as the real command, in its own process:

    ogpreview check URLS --format jsonl --concurrency 200 --per-host (200 / hosts) \
        --processes P ...

Reported: the checking time (the command's own summary, start-up excluded) and the
whole process's wall time, each against the ideal (URLs x latency / concurrency), the
command's peak memory (the sum of the RSS of the command and its worker processes,
sampled every 20 ms, and the largest single process's peak), and its CPU time (user +
system of the command and its workers, start-up included) in all and per URL. Targets
(issue "ogpreview check"): within 1.3x of the ideal, under 200 MB. Every page declares
the same og:image, so each checking process probes it once (it remembers image probes)
and every verdict is "ok". ``--processes`` defaults to the machine's CPU count.

    python bench/check.py [--urls N] [--latency S] [--concurrency N] [--hosts N]
                          [--processes P]

Traffic stays on 127.0.0.0/8; the run is bounded by the URL count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

MAX_RATIO = 1.3
MAX_RSS_MB = 200.0
PAGE = (
    b"<!doctype html><html lang=en><head><meta charset=utf-8><title>Bench page | Bench</title>"
    b'<meta property="og:title" content="Bench page">'
    b'<meta property="og:description" content="A page the link checker benchmark checks.">'
    b'<meta property="og:site_name" content="Bench">'
    b'<meta property="og:image" content="/card.png">'
    b'<meta property="og:image:width" content="1200">'
    b'<meta property="og:image:height" content="630">'
    b"</head><body><h1>Bench page</h1><p>Body text.</p></body></html>"
)
_IHDR = b"IHDR" + struct.pack(">IIBBBBB", 1200, 630, 8, 2, 0, 0, 0)
#: A PNG's signature and header: all a size probe reads.
PNG_1200x630 = (
    b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + _IHDR + struct.pack(">I", zlib.crc32(_IHDR))
)


def _response(body: bytes, content_type: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


HTML_RESPONSE = _response(PAGE, b"text/html; charset=utf-8")
PNG_RESPONSE = _response(PNG_1200x630, b"image/png")


class _Slow(asyncio.Protocol):
    """HTTP/1.1 keep-alive: every request answered after ``latency`` seconds."""

    latency = 0.1

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""
        self.loop = asyncio.get_running_loop()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"/"
            answer = PNG_RESPONSE if path.endswith(b".png") else HTML_RESPONSE
            self.loop.call_later(self.latency, self._reply, answer)

    def _reply(self, answer: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(answer)


async def _serve(port: int, hosts: int, latency: float) -> None:
    _Slow.latency = latency
    loop = asyncio.get_running_loop()
    servers = []
    for i in range(hosts):
        host = f"127.0.0.{2 + i}"
        servers.append(await loop.create_server(_Slow, host, port, backlog=4096))
        port = servers[0].sockets[0].getsockname()[1]
    print(port, flush=True)
    await asyncio.Event().wait()


def _wait_usage(pid: int, proc: subprocess.Popen[bytes]) -> tuple[int, float, float, float]:
    """Exit code, the largest process's peak RSS (MB), and user and system CPU seconds of
    the finished command and the workers it waited for."""
    _, status, usage = os.wait4(pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_mb = usage.ru_maxrss / 1024  # Linux: kilobytes
    return proc.returncode, rss_mb, usage.ru_utime, usage.ru_stime


def _tree_rss_kb(pid: int) -> int:
    """RSS of ``pid`` and its children (Linux /proc), in kB; 0 once it is gone."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{pid}/children") as f:
        pids += [int(p) for p in f.read().split()]
    for p in pids:
        with contextlib.suppress(OSError, ValueError), open(f"/proc/{p}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
    return total


def _sample_peak(pid: int, stop: threading.Event, peak: list[int]) -> None:
    while not stop.wait(0.02):
        peak[0] = max(peak[0], _tree_rss_kb(pid))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.port, args.hosts, args.latency))
        return 0
    if not 1 <= args.hosts <= 200:
        parser.error("--hosts must be 1-200 (127.0.0.2 and up)")

    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--hosts", str(args.hosts), "--latency",
         str(args.latency)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            urls = Path(tmp) / "urls.txt"
            with urls.open("w") as f:
                for i in range(args.urls):
                    f.write(f"http://127.0.0.{2 + i % args.hosts}:{port}/page/{i}\n")
            out = Path(tmp) / "out.jsonl"
            per_host = max(1, args.concurrency // args.hosts)
            command = [
                sys.executable, "-m", "ogpreview.cli", "check", str(urls),
                "--format", "jsonl", "--concurrency", str(args.concurrency),
                "--per-host", str(per_host), "--fail-on", "never",
                "--allow-network", "127.0.0.0/8", "--allow-port", "any",
                "--processes", str(args.processes),
            ]  # fmt: skip
            started = time.perf_counter()
            with out.open("wb") as sink:
                proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE)
                stop, peak = threading.Event(), [0]
                sampler = threading.Thread(target=_sample_peak, args=(proc.pid, stop, peak))
                sampler.start()
                assert proc.stderr is not None
                stderr = proc.stderr.read().decode()
                stop.set()
                sampler.join()
                code, rss_mb, user_s, system_s = _wait_usage(proc.pid, proc)
                tree_mb = peak[0] / 1024
            wall = time.perf_counter() - started
            results = sum(1 for _ in out.open("rb"))
    finally:
        server.terminate()
        server.wait()

    summary = re.search(r"^checked (\d+) URLs: (.*) \(([\d.]+) s\)$", stderr, re.MULTILINE)
    if code != 0 or summary is None or results != args.urls:
        print(f"the check failed (exit {code}, {results} results):\n{stderr}", file=sys.stderr)
        return 1
    checking = float(summary.group(3))
    ideal = args.urls * args.latency / args.concurrency
    print(f"URLs:            {args.urls} over {args.hosts} loopback hosts, {per_host} per host")
    print(f"verdicts:        {summary.group(2)}")
    print(
        f"ideal:           {ideal:.2f} s  ({args.urls} x {args.latency:g} s / {args.concurrency})"
    )
    print(
        f"checking time:   {checking:.2f} s  = {checking / ideal:.2f}x ideal (target {MAX_RATIO}x)"
    )
    print(f"process wall:    {wall:.2f} s  = {wall / ideal:.2f}x ideal (start-up included)")
    print(
        f"peak RSS:        {tree_mb:.1f} MB, all {args.processes + (args.processes > 1)} "
        f"processes together (target < {MAX_RSS_MB:g} MB); largest one {rss_mb:.1f} MB"
    )
    cpu = user_s + system_s
    print(
        f"checker CPU:     {cpu:.2f} s  = {cpu * 1000 / args.urls:.3f} ms per URL "
        f"(user {user_s:.2f} s + system {system_s:.2f} s, start-up included)"
    )
    print(f"CPUs:            {os.cpu_count()}, checking processes: {args.processes}")
    ok = checking / ideal <= MAX_RATIO and max(tree_mb, rss_mb) < MAX_RSS_MB
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
