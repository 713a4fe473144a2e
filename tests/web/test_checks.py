"""Batch check jobs over HTTP: POST /v1/checks, GET /v1/checks/{id} (JSON and JSON lines)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import requests
import schemathesis
from aiohttp.test_utils import TestClient
from schemathesis.core.transport import Response

from ogpreview.settings import Settings
from tests.service import BASE, api
from tests.web_origin import SiteOrigin

#: A hang guard, not a timing assertion.
DEADLINE = 30.0


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    async with api(BASE.replace(image_probe=False)) as running:
        yield running


async def wait_done(client: TestClient[Any, Any], job_id: str) -> dict[str, Any]:
    async with asyncio.timeout(DEADLINE):
        while True:
            body: dict[str, Any] = await (await client.get(f"/v1/checks/{job_id}")).json()
            if body["status"] == "done":
                return body
            await asyncio.sleep(0.02)


async def test_submit_returns_202_with_job(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """A job is accepted with 202, a Location and its (deduplicated) size."""
    url = origin.url("/slow/200/a")
    response = await client.post("/v1/checks", json={"urls": [url, url, " "]})
    body = await response.json()
    assert response.status == 202
    assert response.headers["Location"] == f"/v1/checks/{body['id']}"
    assert {k: body[k] for k in ("status", "total", "done", "counts", "finished_at")} == {
        "status": "queued",
        "total": 1,
        "done": 0,
        "counts": {"ok": 0, "warning": 0, "error": 0},
        "finished_at": None,
    }


async def test_submit_checks_spellings_of_one_page_once(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """POST /v1/checks counts one page under several spellings (tracking parameters, a
    fragment) once, and reports it under the first spelling."""
    first = origin.url("/card-normal.html?utm_source=x")
    urls = [first, origin.url("/card-normal.html"), origin.url("/card-normal.html#top")]
    job = await (await client.post("/v1/checks", json={"urls": urls})).json()
    body = await wait_done(client, job["id"])
    assert (job["total"], [r["url"] for r in body["results"]]) == (1, [first])


async def test_job_json_has_every_result(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """When done, the JSON view holds one result per URL with its verdict."""
    urls = [origin.url("/card-normal.html"), origin.url("/status/404")]
    job = await (await client.post("/v1/checks", json={"urls": urls})).json()
    body = await wait_done(client, job["id"])
    verdicts = {r["url"]: r["verdict"] for r in body["results"]}
    assert (body["done"], body["counts"]["error"]) == (2, 1)
    assert verdicts[urls[1]] == "error"
    assert set(verdicts) == set(urls)


async def test_job_results_page_by_offset(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """offset and limit page through the results."""
    urls = [origin.url(f"/slow/1/p{i}") for i in range(5)]
    job = await (await client.post("/v1/checks", json={"urls": urls})).json()
    everything = (await wait_done(client, job["id"]))["results"]
    page = await (await client.get(f"/v1/checks/{job['id']}?offset=1&limit=2")).json()
    assert (page["offset"], page["results"]) == (1, everything[1:3])


async def test_jsonl_streams_until_done(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """format=jsonl streams one result per line and ends when the job is done."""
    urls = [origin.url(f"/slow/100/j{i}") for i in range(4)]
    job = await (await client.post("/v1/checks", json={"urls": urls})).json()
    async with asyncio.timeout(DEADLINE):
        response = await client.get(f"/v1/checks/{job['id']}?format=jsonl")
        text = await response.text()
    lines = [orjson.loads(line) for line in text.splitlines()]
    assert response.headers["Content-Type"] == "application/x-ndjson"
    assert sorted(line["url"] for line in lines) == sorted(urls)
    assert {tuple(sorted(line)) for line in lines} == {
        ("card", "elapsed_ms", "final_url", "findings", "status", "url", "verdict")
    }


async def test_unknown_job_is_404(client: TestClient[Any, Any]) -> None:
    """An id never issued (or malformed) is a JSON 404 job_not_found."""
    for job_id in ("A" * 16, "not-a-job"):
        response = await client.get(f"/v1/checks/{job_id}")
        assert (response.status, (await response.json())["error"]["code"]) == (
            404,
            "job_not_found",
        )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "bad_request"),
        (b'{"urls": "http://x"}', "bad_request"),
        (b'{"urls": []}', "bad_request"),
        (b'{"urls": [1]}', "bad_request"),
    ],
)
async def test_bad_submission_is_400(client: TestClient[Any, Any], body: bytes, code: str) -> None:
    """A malformed job body is a JSON 400, not a job."""
    response = await client.post(
        "/v1/checks", data=body, headers={"Content-Type": "application/json"}
    )
    assert (response.status, (await response.json())["error"]["code"]) == (400, code)


async def test_too_many_urls_is_413() -> None:
    """More URLs than check_max_urls is refused with 413 too_many_urls."""
    async with api(BASE.replace(check_max_urls=3)) as client:
        urls = [f"http://127.0.0.1:9/{i}" for i in range(4)]
        response = await client.post("/v1/checks", json={"urls": urls})
        assert (response.status, (await response.json())["error"]["code"]) == (
            413,
            "too_many_urls",
        )


async def test_jobs_unavailable_when_redis_down() -> None:
    """With Redis unreachable a job is refused with 503 jobs_unavailable, not a 500."""
    async with api(BASE.replace(redis_url="redis://127.0.0.1:1/0")) as client:
        response = await client.post("/v1/checks", json={"urls": ["http://127.0.0.1:9/"]})
        assert (response.status, (await response.json())["error"]["code"]) == (
            503,
            "jobs_unavailable",
        )


async def test_redis_job_over_http(origin: SiteOrigin, redis_url: str, redis_prefix: str) -> None:
    """With Redis configured, jobs go through the stream and come back complete."""
    settings: Settings = BASE.replace(redis_url=redis_url, cache_prefix=redis_prefix)
    async with api(settings) as client:
        urls = [origin.url(f"/slow/5/r{i}") for i in range(6)]
        job = await (await client.post("/v1/checks", json={"urls": urls})).json()
        body = await wait_done(client, job["id"])
    assert sorted(r["url"] for r in body["results"]) == sorted(urls)


async def test_non_ascii_digits_are_400(client: TestClient[Any, Any], origin: SiteOrigin) -> None:
    """offset=² is a bad request, not a crash."""
    job = await (await client.post("/v1/checks", json={"urls": [origin.url("/x")]})).json()
    response = await client.get(f"/v1/checks/{job['id']}", params={"offset": "²"})
    assert (response.status, (await response.json())["error"]["code"]) == (400, "bad_request")


async def test_too_much_queued_work_is_503_busy(origin: SiteOrigin) -> None:
    """Past check_max_queued waiting URLs, new jobs get 503 jobs_busy with Retry-After."""
    async with api(BASE.replace(check_max_queued=3, image_probe=False)) as client:
        first = await client.post("/v1/checks", json={"urls": [origin.url("/hold/a")] * 1})
        urls = [origin.url(f"/hold/b{i}") for i in range(3)]
        second = await client.post("/v1/checks", json={"urls": urls})
        body = await second.json()
        assert (first.status, second.status, body["error"]["code"]) == (202, 503, "jobs_busy")
        assert second.headers["Retry-After"] == "60"
        origin.release.set()


def _conforms(document: dict[str, Any], body: dict[str, Any]) -> None:
    """Raise unless ``body`` is a 200 answer of GET /v1/checks/{id} as ``document`` says."""
    operation = schemathesis.openapi.from_dict(document)["/v1/checks/{id}"]["GET"]
    request = requests.Request("GET", "http://127.0.0.1/v1/checks/x").prepare()
    operation.validate_response(
        Response(
            status_code=200,
            headers={"Content-Type": ["application/json"]},
            content=orjson.dumps(body),
            request=request,
            elapsed=0.0,
            verify=True,
        )
    )


async def test_finished_job_answer_is_as_documented(
    client: TestClient[Any, Any], origin: SiteOrigin
) -> None:
    """A real finished job (its progress, links and results with cards and findings)
    matches the document's schema, generated from JobView and CheckResult; a result
    with a wrong verdict does not (so the check can fail)."""
    document = await (await client.get("/openapi.json")).json()
    urls = [origin.url("/card-small.html"), origin.url("/missing-page")]
    job = await (await client.post("/v1/checks", json={"urls": urls})).json()
    body = await wait_done(client, job["id"])
    assert (len(body["results"]), body["status"]) == (2, "done")
    _conforms(document, body)
    body["results"][0]["verdict"] = "fine"
    with pytest.raises(AssertionError):
        _conforms(document, body)
