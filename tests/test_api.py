"""The HTTP API with TestClient: every endpoint and error path, keys on and off, CORS, limits, swaps."""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.embed import HashingEmbedder
from index.store import build_index
from rag.api import create_app
from rag.settings import BUNDLED_CONTRACTS, Settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    index_dir = tmp_path_factory.mktemp("api-index")
    build_index(BUNDLED_CONTRACTS, index_dir, HashingEmbedder())
    return Settings(index_dir=index_dir, embed_model="hashing", reload_check_seconds=0)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "build": None, "clauses": None, "reason": None}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["clauses"] == 371 and ready["build"].startswith("builds/")


def test_ask_returns_the_cli_object_with_exact_citations(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": "哪家数据保留期最长？"})
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"question", "answer", "refused", "intent", "citations", "related"}
    assert body["answer"].startswith("合同终止后的数据保留期最长的是码尚云")
    for c in body["citations"]:
        text = (BUNDLED_CONTRACTS / c["doc_id"]).read_text(encoding="utf-8")
        assert text[c["start"] : c["end"]] == c["text"]
    assert response.headers["x-request-id"]


def test_ask_with_a_provider_filter_and_refusal(client: TestClient) -> None:
    body = client.post("/v1/ask", json={"question": "滞纳金怎么收？", "provider": "码尚云"}).json()
    assert body["answer"].startswith("（范围：按所选服务商码尚云）码尚云：每日 0.05%")
    refused = client.post("/v1/ask", json={"question": "阿里云的滞纳金是多少？"}).json()
    assert refused["refused"] is True and refused["citations"] == []


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"question": "滞纳金" * 200}, 422, "question: 600 characters, over the limit of 500"),
        ({"question": "   "}, 422, "question: must not be blank"),
        ({"question": ""}, 422, "question: String should have at least 1 character"),
        ({}, 422, "question: Field required"),
        ({"question": "滞纳金", "provider": "阿里云"}, 404, "unknown provider '阿里云'"),
    ],
)
def test_ask_errors_name_the_problem(client: TestClient, payload: dict, status: int, message: str) -> None:
    response = client.post("/v1/ask", json=payload)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_body_size_limit_is_413_with_the_limit(client: TestClient) -> None:
    response = client.post(
        "/v1/ask",
        content=b'{"question": "' + b"a" * 20_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "request body is 20016 bytes, over the limit of 16384 bytes"


def test_search(client: TestClient) -> None:
    body = client.get("/v1/search", params={"q": "西部数码逾期付款怎么收滞纳金？", "k": 3}).json()
    assert len(body["results"]) == 3 and {r["provider"] for r in body["results"]} == {"西部数码"}
    assert client.get("/v1/search", params={"q": "滞纳金", "k": 0}).status_code == 422
    assert client.get("/v1/search", params={"q": "滞纳金", "mode": "magic"}).status_code == 422


def test_providers_facts_documents_and_clauses(client: TestClient) -> None:
    providers = client.get("/v1/providers").json()
    assert {p["name"] for p in providers} >= {"码尚云", "西部数码", "京东云-微电云"}
    facts = client.get("/v1/facts").json()
    cell = next(f for f in facts if f["provider"] == "码尚云" and f["attribute"] == "data_retention")
    assert cell["value"] == 30.0 and cell["citation"]["clause_id"] == "4.3"
    documents = client.get("/v1/documents").json()
    assert [d["doc_id"] for d in documents] == sorted(d["doc_id"] for d in documents) and len(documents) == 5
    detail = client.get("/v1/documents/004_ff0b5367f7bd4376.txt").json()
    assert detail["text"] == (BUNDLED_CONTRACTS / "004_ff0b5367f7bd4376.txt").read_text(encoding="utf-8")
    assert any(h["title"] == "服务费用及支付" for h in detail["headings"])
    clause = client.get("/v1/clauses/004_ff0b5367f7bd4376.txt/4.7").json()
    assert detail["text"][clause["start"] : clause["end"]] == clause["text"]
    assert client.get("/v1/clauses/001_d0ab719c5a823c3c.txt/5.(2).a").status_code == 200
    assert client.get("/v1/clauses/002_111862d00bf5977e.txt/%E5%85%AB.1").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/v1/documents/nope.txt",
        "/v1/documents/..%2F..%2Fetc%2Fpasswd",
        "/v1/clauses/nope.txt/1",
        "/v1/clauses/002_111862d00bf5977e.txt/99.9",
        "/v1/documents/%2E%2E",
    ],
)
def test_unknown_ids_are_404_never_a_path(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "unknown" in response.json()["detail"] or response.json()["detail"] == "Not Found"


def test_widget_is_self_contained(client: TestClient) -> None:
    page = client.get("/widget")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/v1/ask" in page.text and "<mark>" not in page.text.split("<script>")[0]
    assert "http://" not in page.text.replace("http://www", "") and "https://cdn" not in page.text


def test_openapi_schema_and_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/v1/ask", "/v1/search", "/v1/facts", "/v1/clauses/{doc_id}/{clause_id}"} <= set(schema["paths"])
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_need_no_network(client: TestClient, path: str) -> None:
    """Swagger UI and ReDoc come from this server (the fastapi-offline package), not from a CDN."""
    page = client.get(path)
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") for a in assets), assets  # same server, no https://cdn…
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_one_json_log_line_per_request(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="rag.api"):
        client.get("/healthz", headers={"X-Request-ID": "abc123"})
    lines = [
        json.loads(r.message) for r in caplog.records if r.name == "rag.api" and r.message.startswith("{")
    ]
    assert (
        lines[-1]["request_id"] == "abc123" and lines[-1]["path"] == "/healthz" and lines[-1]["status"] == 200
    )
    assert lines[-1]["ms"] >= 0


def test_api_keys_when_set(settings: Settings) -> None:
    keyed = settings.model_copy(update={"api_keys": ["s3cret"]})
    with TestClient(create_app(keyed)) as c:
        assert c.get("/v1/providers").status_code == 401
        assert c.get("/v1/providers").json()["detail"] == "missing or invalid X-API-Key"
        assert c.get("/v1/providers", headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.get("/v1/providers", headers={"X-API-Key": "s3cret"}).status_code == 200
        assert c.get("/healthz").status_code == 200  # probes need no key


def test_cors_allowed_and_refused(settings: Settings, client: TestClient) -> None:
    preflight = {"Origin": "https://portal.intranet", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options("/v1/ask", headers=preflight).headers
    allowed = settings.model_copy(update={"cors_origins": ["https://portal.intranet"]})
    with TestClient(create_app(allowed)) as c:
        ok = c.options("/v1/ask", headers=preflight)
        assert ok.headers["access-control-allow-origin"] == "https://portal.intranet"
        other = c.options("/v1/ask", headers={**preflight, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_no_stack_trace_reaches_a_client(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom")
    assert response.status_code == 500
    assert response.json()["detail"] == "internal error" and "secret" not in response.text
    assert response.json()["request_id"]


def test_a_rebuilt_index_is_swapped_in_without_failing_requests(tmp_path: Path) -> None:
    folder = tmp_path / "contracts"
    folder.mkdir()
    shutil.copy(BUNDLED_CONTRACTS / "002_111862d00bf5977e.txt", folder)
    index_dir = tmp_path / "index"
    build_index(folder, index_dir, HashingEmbedder())
    settings = Settings(
        contracts_dir=folder, index_dir=index_dir, embed_model="hashing", reload_check_seconds=0
    )
    with TestClient(create_app(settings)) as c:
        assert len(c.get("/v1/documents").json()) == 1
        shutil.copy(BUNDLED_CONTRACTS / "004_ff0b5367f7bd4376.txt", folder)
        build_index(folder, index_dir, HashingEmbedder())
        seen = set()
        for _ in range(400):  # requests keep succeeding while the new index loads beside the old one
            response = c.get("/v1/documents")
            assert response.status_code == 200
            seen.add(len(response.json()))
            if 2 in seen:
                break
            import time

            time.sleep(0.01)
        assert seen >= {1, 2} or seen == {2}
        assert 2 in seen


class _LazyModel(HashingEmbedder):
    """Stands in for a model that loads on its first query: counts the queries it encoded."""

    def __init__(self) -> None:
        super().__init__(384)
        self.queries = 0

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        self.queries += len(texts)
        return super().encode_queries(texts)


def test_ready_means_the_model_is_loaded_and_warm(settings: Settings) -> None:
    """The model is loaded (one question answered end to end) in lifespan, before /readyz says ready: the
    first real request does not pay for loading it."""
    from rag.api.holder import PipelineHolder
    from rag.pipeline import open_pipeline

    model = _LazyModel()
    holder = PipelineHolder(settings, factory=lambda s, **kw: open_pipeline(s, **{**kw, "embedder": model}))
    assert not holder.ready
    with TestClient(create_app(settings, holder)) as c:
        assert model.queries >= 1  # warmed before any request
        assert c.get("/readyz").json()["status"] == "ready"
