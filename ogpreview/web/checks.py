"""Batch link checks over HTTP: ``POST /v1/checks`` queues a job, ``GET /v1/checks/{id}``
reads its progress and results (JSON, or JSON lines streamed until the job is done)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import orjson
from aiohttp import web

from ogpreview.check.checker import Checker
from ogpreview.check.jobs import jobs_for
from ogpreview.check.jobs.base import (
    JobsBusy,
    JobStoreError,
    JobView,
    dedupe_urls,
    valid_job_id,
)
from ogpreview.tasks import offload
from ogpreview.text import ascii_int
from ogpreview.web.apierror import ApiError
from ogpreview.web.body import parse_json_body, read_body
from ogpreview.web.keys import JOBS_KEY, PREVIEWER_KEY, SETTINGS_KEY

__all__ = ["jobs_ctx", "routes"]

routes = web.RouteTableDef()
log = logging.getLogger("ogpreview.web")

#: Digits accepted in offset/limit (more is no real position).
MAX_INT_DIGITS = 10
#: Results per page of the JSON view, by default and at most.
DEFAULT_PAGE = 1000
MAX_PAGE = 10_000
#: How often a followed JSON-lines stream looks for new results, and for how long at most
#: (then it ends; the client goes on with ``offset=``).
FOLLOW_POLL = 0.25
FOLLOW_MAX = 300.0
JSONL = "application/x-ndjson"


async def jobs_ctx(app: web.Application) -> AsyncIterator[None]:
    """The job store (Redis Streams, or in-process) and this instance's worker."""
    jobs = jobs_for(app[SETTINGS_KEY], Checker(app[PREVIEWER_KEY]))
    app[JOBS_KEY] = jobs
    await jobs.start()
    try:
        yield
    finally:
        await jobs.aclose()


def _unavailable(exc: JobStoreError) -> ApiError:
    # The cause names the job store's address: for the operator's log, not for clients.
    log.warning("batch checks are unavailable: %s", exc)
    return ApiError(
        "jobs_unavailable", "batch checks are unavailable: the job store cannot be reached"
    )


def _links(job_id: str) -> dict[str, str]:
    return {"self": f"/v1/checks/{job_id}", "results": f"/v1/checks/{job_id}?format=jsonl"}


def _submitted_urls(raw: bytes) -> list[str]:
    """The URLs a job body names, without blanks and repeats (see dedupe_urls)."""
    body = parse_json_body(raw)
    urls = body.get("urls") if isinstance(body, dict) else None
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise ApiError("bad_request", 'the body must be {"urls": [string, ...]}')
    return dedupe_urls(urls)


@routes.post("/v1/checks")
async def submit(request: web.Request) -> web.Response:
    """Queue a check of up to ``check_max_urls`` URLs; 202 with the job's id."""
    raw = await read_body(request)
    wanted = await offload(len(raw), _submitted_urls, raw)
    settings = request.app[SETTINGS_KEY]
    if not wanted:
        raise ApiError("bad_request", "no URLs to check")
    if len(wanted) > settings.check_max_urls:
        raise ApiError("too_many_urls", f"at most {settings.check_max_urls} URLs per job")
    try:
        view = await request.app[JOBS_KEY].submit(wanted)
    except JobsBusy as exc:
        raise ApiError(
            "jobs_busy", f"too much work queued: {exc}", headers={"Retry-After": "60"}
        ) from exc
    except JobStoreError as exc:
        raise _unavailable(exc) from exc
    body = {**view.to_dict(), "links": _links(view.id)}
    return web.Response(
        status=202,
        body=orjson.dumps(body),
        content_type="application/json",
        headers={"Location": f"/v1/checks/{view.id}"},
    )


def _int_param(request: web.Request, name: str, default: int, maximum: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    number = ascii_int(raw, max_digits=MAX_INT_DIGITS)
    if number is None:
        raise ApiError("bad_request", f"{name!r} must be a non-negative integer")
    return min(number, maximum)


async def _view(request: web.Request, job_id: str) -> JobView:
    if not valid_job_id(job_id):
        raise ApiError("job_not_found", "no such check job")
    try:
        view = await request.app[JOBS_KEY].view(job_id)
    except JobStoreError as exc:
        raise _unavailable(exc) from exc
    if view is None:
        raise ApiError("job_not_found", "no such check job (or it expired)")
    return view


@routes.get("/v1/checks/{id}")
async def job(request: web.Request) -> web.StreamResponse:
    """Progress and results; ``format=jsonl`` streams one result per line."""
    job_id = request.match_info["id"]
    form = request.query.get("format", "json")
    if form not in ("json", "jsonl"):
        raise ApiError("bad_request", "format must be 'json' or 'jsonl'")
    offset = _int_param(request, "offset", 0, 2**31)
    view = await _view(request, job_id)
    if form == "jsonl":
        follow = request.query.get("follow", "1") not in ("0", "false", "no")
        return await _stream(request, view, offset, follow=follow)
    limit = _int_param(request, "limit", DEFAULT_PAGE, MAX_PAGE)
    try:
        results = await request.app[JOBS_KEY].results(job_id, offset, limit)
    except JobStoreError as exc:
        raise _unavailable(exc) from exc
    # The results are stored encoded; they are spliced in, not decoded and re-encoded.
    head = orjson.dumps({**view.to_dict(), "offset": offset, "links": _links(job_id)})
    body = head[:-1] + b',"results":[' + b",".join(results) + b"]}"
    return web.Response(body=body, content_type="application/json")


async def _stream(
    request: web.Request, view: JobView, offset: int, *, follow: bool
) -> web.StreamResponse:
    """Results from ``offset`` as JSON lines; with ``follow``, until the job is done."""
    jobs = request.app[JOBS_KEY]
    response = web.StreamResponse(
        headers={
            "Content-Type": JSONL,
            "Cache-Control": "no-store",
            "X-Check-Total": str(view.total),
        }
    )
    await response.prepare(request)
    sent = offset
    give_up = asyncio.get_running_loop().time() + FOLLOW_MAX
    while True:
        try:
            current = await jobs.view(view.id)
            batch = await jobs.results(view.id, sent, MAX_PAGE)
        except JobStoreError:
            break  # the stream has begun: end it; the client resumes with offset=
        if batch:
            await response.write(b"\n".join(batch) + b"\n")
            sent += len(batch)
            continue
        if current is None or not follow or sent >= current.total:
            break
        transport = request.transport
        if transport is None or transport.is_closing():
            return response  # the client left
        if asyncio.get_running_loop().time() > give_up:
            break
        await asyncio.sleep(FOLLOW_POLL)
    await response.write_eof()
    return response
