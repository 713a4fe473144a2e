"""Pages per second of ``ogpreview.extract`` over the conformance corpus, against extruct.

The baseline, measured in the same run on the same pages, is extruct extracting OpenGraph
and JSON-LD (it parses the whole page with lxml and does no fallbacks). Target (issue #2):
``extract`` at least 3x extruct's pages per second while doing every fallback.

    python bench/extract.py [--corpus DIR] [--rounds N]

Exits 1 when the ratio is under the target.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import extruct
from conformance import DEFAULT_CORPUS

from ogpreview import extract

TARGET_RATIO = 3.0


def _extruct(page: bytes) -> None:
    # extruct raises on some real pages; the time it spent still counts.
    with contextlib.suppress(Exception):
        extruct.extract(page, syntaxes=["opengraph", "json-ld"], uniform=False)


def _ogpreview(page: bytes) -> None:
    extract(page, "https://example.com/")


def pages_per_second(fn: Callable[[bytes], None], pages: list[bytes], rounds: int) -> float:
    """Best-of-``rounds`` throughput: the least disturbed pass over all pages."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for page in pages:
            fn(page)
        times.append(time.perf_counter() - start)
    return len(pages) / min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    pages = [p.read_bytes() for p in sorted(args.corpus.glob("*/*.html"))]
    if not pages:
        print(f"no pages under {args.corpus}", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")
    sizes = sorted(len(p) for p in pages)
    print(f"{len(pages)} pages, median {statistics.median(sizes) / 1024:.0f} KiB")
    for fn in (_extruct, _ogpreview):  # warm caches and imports
        pages_per_second(fn, pages[:10], 1)
    # Rounds alternate between the two, so a slow spell of the machine (a shared VM's
    # CPU comes and goes) hits both alike; each keeps its best round.
    baseline = ours = 0.0
    for _ in range(args.rounds):
        baseline = max(baseline, pages_per_second(_extruct, pages, 1))
        ours = max(ours, pages_per_second(_ogpreview, pages, 1))
    ratio = ours / baseline
    print(f"{'extruct (og + json-ld)':<26} {baseline:8.1f} pages/s  {1000 / baseline:6.2f} ms/page")
    print(f"{'ogpreview.extract':<26} {ours:8.1f} pages/s  {1000 / ours:6.2f} ms/page")
    print(f"ratio {ratio:.2f}x (target >= {TARGET_RATIO:.1f}x)")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
