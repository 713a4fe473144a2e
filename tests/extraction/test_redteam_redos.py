"""Red team: bodies built to make link finding slow (ReDoS) or to stall the event loop.

Link finding must be linear in its input whatever the input holds, and the CPU a body
costs must not hold up other requests: the server keeps answering /healthz while it
searches megabytes of unclosed Markdown links. Links point at 127.0.0.9, which the
servers here refuse, so nothing is ever fetched.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import threading
from typing import Any

import aiohttp
import pytest

from ogpreview import links_in
from ogpreview.tasks import OFFLOAD_SIZE, offload
from tests.service import serve

MIB = 1 << 20
#: A hang guard, not a timing assertion: linear link finding takes well under a second
#: on each of these inputs, the old backtracking pattern hours on some.
GUARD = 30.0
#: Longest any one /healthz may take while bodies are searched (a guard as well).
HEALTH_GUARD = 5.0
REFUSED = "http://127.0.0.9"

#: (name, a megabyte built against link finding, the links in it)
HOSTILE = [
    ("brackets", "[" * MIB + f" {REFUSED}/end", [f"{REFUSED}/end"]),
    ("unclosed-targets", f"[x]({REFUSED}/a" * (MIB // 22), [f"{REFUSED}/a"]),
    ("unclosed-titles", f'[x](<{REFUSED}/b "' * (MIB // 25), [f"{REFUSED}/b"]),
    ("unclosed-autolinks", f"<{REFUSED}/c" * (MIB // 19), [f"{REFUSED}/c"]),
    (
        "bracket-lines",
        ("[" * 1000 + "\n") * (MIB // 1001) + f"[ok]({REFUSED}/d)",
        [f"{REFUSED}/d"],
    ),
    ("close-parens", "](((" * (MIB // 4) + f"[ok]({REFUSED}/e)", [f"{REFUSED}/e"]),
    ("http-run", "http://" + "a" * MIB, ["http://" + "a" * 4096]),
    ("long-link-text", "[" + "a" * MIB + f"]({REFUSED}/f)", [f"{REFUSED}/f"]),
]

_FIND_LINKS = (
    "import json, sys; from ogpreview import links_in; "
    "print(json.dumps(links_in(sys.stdin.read())))"
)


@pytest.mark.parametrize(
    ("text", "links"), [(text, links) for _, text, links in HOSTILE], ids=[n for n, *_ in HOSTILE]
)
def test_link_finding_finishes_on_hostile_text(text: str, links: list[str]) -> None:
    """Each hostile megabyte is searched to its end and gives its links. (In a child
    process, so that a search that never ends is stopped at the guard.)"""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _FIND_LINKS],
            input=text,
            capture_output=True,
            text=True,
            timeout=GUARD,
            check=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"link finding still running after {GUARD:g} s")
    assert json.loads(done.stdout) == links


def test_a_link_urllib_cannot_split_is_still_a_link() -> None:
    """``[a](http://[x)`` (an IPv6 bracket never closed) is reported as a link, for the
    preview to refuse, instead of breaking the search of the whole body."""
    assert links_in("see [a](http://[x) and http://127.0.0.9/g") == [
        "http://[x",
        "http://127.0.0.9/g",
    ]


async def test_work_on_a_large_input_leaves_the_event_loop_running() -> None:
    """Work on an input of OFFLOAD_SIZE or more runs beside the event loop: here the work
    can only finish once the loop has run on (inline, it would wait out the guard)."""
    loop_ran = threading.Event()

    def work() -> str:
        return "finished" if loop_ran.wait(GUARD) else "the event loop was held up"

    search = asyncio.ensure_future(offload(OFFLOAD_SIZE, work))
    await asyncio.sleep(0)  # the search starts
    loop_ran.set()
    assert await search == "finished"


async def test_work_on_a_small_input_stays_on_the_event_loop() -> None:
    """A small input's work runs inline: a thread would cost more than the work."""
    assert await offload(OFFLOAD_SIZE - 1, threading.get_ident) == threading.get_ident()


async def test_health_answers_while_hostile_bodies_are_searched() -> None:
    """While four hostile megabytes are searched, /healthz keeps answering (one request
    after another, each within a guard), and every body gets its links' results."""
    env = {"OGPREVIEW_ALLOW_NETWORKS": "127.0.0.1/32", "OGPREVIEW_MAX_REQUEST_BYTES": str(2 * MIB)}
    chosen = [
        case
        for case in HOSTILE
        if case[0] in ("brackets", "unclosed-targets", "unclosed-titles", "unclosed-autolinks")
    ]
    async with serve(env) as server, aiohttp.ClientSession() as http:

        async def search(text: str) -> tuple[int, Any]:
            async with http.post(
                server.url("/v1/previews/response"),
                data=io.BytesIO(text.encode()),
                headers={"Content-Type": "text/plain; charset=utf-8"},
            ) as response:
                return response.status, await response.json()

        bodies = [asyncio.ensure_future(search(text)) for _, text, _ in chosen]
        health: list[int] = []
        while not all(body.done() for body in bodies):
            async with asyncio.timeout(HEALTH_GUARD):
                async with http.get(server.url("/healthz")) as response:
                    health.append(response.status)
        answers = await asyncio.gather(*bodies)

    assert set(health) == {200}
    assert answers == [
        (
            200,
            {
                "results": [
                    {
                        "url": url,
                        "error": {
                            "code": "blocked_address",
                            "message": "address 127.0.0.9 is not allowed",
                        },
                    }
                    for url in links
                ],
                "links_found": len(links),
                "truncated": False,
            },
        )
        for _, _, links in chosen
    ]
