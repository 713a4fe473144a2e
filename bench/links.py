"""Link finding (``links_in``) on hostile and on ordinary plugin responses.

Hostile: a megabyte of each shape built against link finding (``[`` alone, unclosed
Markdown targets and titles, unclosed autolinks, ``http://`` runs), in seconds per
megabyte: linear link finding keeps each well under a second (the backtracking pattern it
replaced took over a second on the first and hours on the second). Ordinary: a Markdown
and JSON answer full of links, against the baseline measured in the same run, a plain
``re.finditer`` of the replaced pattern (safe on such text) with the same deduplication.

    python bench/links.py [--rounds N]

Exits 1 when a hostile megabyte takes a second or more.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable

from ogpreview import links_in
from ogpreview.urls import cache_key

MIB = 1 << 20
LIMIT_SECONDS = 1.0
HOSTILE = {
    "[ x 1 MB": "[" * MIB,
    "unclosed [x](http://...": "[x](http://127.0.0.9/a" * (MIB // 22),
    'unclosed [x](<http://... "': '[x](<http://127.0.0.9/b "' * (MIB // 25),
    "unclosed <http://...": "<http://127.0.0.9/c" * (MIB // 19),
    "[](http://x  ": "[](http://x  " * (MIB // 13),
    "http:// x 1 MB": "http://" * (MIB // 7),
}
_OLD = re.compile(
    r"\[[^\]\n]{0,500}\]\(\s*<?(?P<md>https?://[^\s)>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
    r"|<(?P<auto>https?://[^\s<>]+)>"
    r"|(?P<bare>https?://[^\s<>\"'`{}|\\^\[\]]{1,4096})",
    re.IGNORECASE,
)


def _ordinary() -> str:
    items = [
        {
            "title": f"Result {i}",
            "text": f'See [the docs](https://docs.example.com/p/{i} "Docs") or '
            f"<https://example.org/{i}>, and https://news.example.net/{i}/story.",
        }
        for i in range(300)
    ]
    return json.dumps({"results": items})


def _baseline(text: str) -> list[str]:
    seen: set[str] = set()
    found: list[str] = []
    for value in json.loads(text)["results"]:
        for match in _OLD.finditer(value["text"]):
            url = match.group("md") or match.group("auto") or match.group("bare")
            key = cache_key(url)
            if key not in seen:
                seen.add(key)
                found.append(url)
    return found


def best(fn: Callable[[str], object], text: str, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn(text)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    worst = 0.0
    for name, text in HOSTILE.items():
        seconds = best(links_in, text, args.rounds) * MIB / len(text)
        worst = max(worst, seconds)
        print(f"{name:28} {seconds:6.3f} s/MB")
    ordinary = _ordinary()
    ours = best(links_in, ordinary, args.rounds * 5)
    base = best(_baseline, ordinary, args.rounds * 5)
    print(
        f"ordinary answer ({len(ordinary) // 1024} KB, 900 links): links_in {ours * 1000:.2f} ms, "
        f"re baseline {base * 1000:.2f} ms, ratio {base / ours:.2f}"
    )
    return 0 if worst < LIMIT_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
