"""Hostile HTTP: every odd request gets a 4xx whose message names the field, limit or header at fault, never
a 5xx and never a stack trace; the key check comes before any body parsing; a blank or content-free query
is a 422 on /v1/search as on /v1/ask; invisible characters inside a question change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from rag.api import PipelineHolder, create_app
from rag.api.middleware import MAX_JSON_DEPTH, json_depth
from rag.settings import Settings

ASK = "/v1/ask"
JSON = {"content-type": "application/json"}
KEY = "s3cret"
LIMIT = 16_384  # Settings().max_body_bytes


@pytest.fixture(scope="module")
def settings(hashing_index_dir: Any) -> Settings:
    return Settings(index_dir=hashing_index_dir, embed_model="hashing", reload_check_seconds=3600)


@pytest.fixture(scope="module")
def holder(settings: Settings) -> PipelineHolder:
    loaded = PipelineHolder(settings)
    loaded.load()
    return loaded


@pytest.fixture(scope="module")
def client(settings: Settings, holder: PipelineHolder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, holder), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def keyed(settings: Settings, holder: PipelineHolder) -> Iterator[TestClient]:
    config = settings.model_copy(update={"api_keys": [KEY]})
    with TestClient(create_app(config, holder), raise_server_exceptions=False) as c:
        yield c


def raw(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def chunks(data: bytes, size: int = 1000) -> Iterator[bytes]:
    """A body httpx sends with ``Transfer-Encoding: chunked`` and no ``Content-Length``."""
    for i in range(0, len(data), size):
        yield data[i : i + size]


def sent(client: TestClient, method: str, url: str, kwargs: dict[str, Any]) -> Response:
    options = dict(kwargs)
    if "chunked" in options:
        options["content"] = chunks(options.pop("chunked"))
    return client.request(method, url, **options)


def checked(response: Response, status: int, needle: str) -> None:
    """No 5xx, no traceback, the expected status and the message naming the problem."""
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert response.status_code == status, response.text
    if status >= 400:
        detail = response.json()["detail"]
        assert needle in detail, detail
    else:
        assert needle in response.text


def nested(depth: int) -> bytes:
    """An ask body whose ``history`` nests arrays so the whole body is ``depth`` levels deep."""
    return b'{"question": "x", "history": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


BIG = b'{"question": "' + b"a" * 20_000 + b'"}'

# (method, url, request kwargs, status, a substring the body must contain)
CASES: list[Any] = [
    # methods
    pytest.param("DELETE", ASK, {}, 405, "method DELETE is not allowed on '/v1/ask'", id="delete-ask"),
    pytest.param("PUT", ASK, {"json": {"question": "滞纳金"}}, 405, "(allowed: POST)", id="put-ask"),
    pytest.param("GET", ASK, {}, 405, "(allowed: POST)", id="get-ask"),
    pytest.param("PATCH", "/v1/search", {"json": {}}, 405, "(allowed: GET)", id="patch-search"),
    pytest.param("POST", "/v1/search", {"content": b"x"}, 405, "'/v1/search'", id="post-search-text"),
    pytest.param("POST", "/healthz", {}, 405, "method POST", id="post-healthz"),
    pytest.param("TRACE", "/v1/documents", {}, 405, "method TRACE", id="trace"),
    pytest.param("OPTIONS", ASK, {}, 405, "method OPTIONS", id="options-without-cors"),
    # unknown paths
    pytest.param("GET", "/v2/ask", {}, 404, "unknown path '/v2/ask'", id="v2"),
    pytest.param("GET", "/v1/nope", {}, 404, "unknown path '/v1/nope'", id="v1-nope"),
    pytest.param("POST", "/v1/ask/extra", {"content": b"x"}, 404, "'/v1/ask/extra'", id="ask-extra"),
    pytest.param("GET", "/.env", {}, 404, "unknown path '/.env'", id="dotenv"),
    pytest.param("GET", "/static/../../etc/passwd", {}, 404, "unknown path '/etc/passwd'", id="dotdot"),
    pytest.param("GET", "/" + "a" * 5000, {}, 404, "unknown path '/aaaa", id="long-path"),
    # path traversal and odd ids
    pytest.param("GET", "/v1/documents/..%2F..%2Fetc%2Fpasswd", {}, 404, "etc/passwd", id="traversal"),
    pytest.param("GET", "/v1/documents/%2e%2e%2f%2e%2e%2fetc%2fpasswd", {}, 404, "passwd", id="traversal-lc"),
    pytest.param("GET", "/v1/documents/..%5C..%5Cwin.ini", {}, 404, "unknown document id", id="backslash"),
    pytest.param("GET", "/v1/documents/%00", {}, 404, "unknown document id", id="doc-nul"),
    pytest.param(
        "GET", "/v1/documents/%3Cscript%3E", {}, 404, "unknown document id '<script>'", id="doc-tag"
    ),
    pytest.param("GET", "/v1/documents/%FF%FE", {}, 404, "unknown document id", id="doc-bad-utf8"),
    pytest.param("GET", "/v1/documents/" + "a" * 3000, {}, 404, "unknown document id", id="doc-long"),
    pytest.param("GET", "/v1/clauses/..%2F..%2Fetc/passwd", {}, 404, "etc/passwd", id="clause-traversal"),
    pytest.param(
        "GET", "/v1/clauses/002_111862d00bf5977e.txt/%00", {}, 404, "unknown clause", id="clause-nul"
    ),
    # query strings
    pytest.param("GET", "/v1/search", {}, 422, "q: Field required", id="q-missing"),
    pytest.param("GET", "/v1/search?q=", {}, 422, "q: String should have at least 1", id="q-empty"),
    pytest.param("GET", "/v1/search?q=%20%20", {}, 422, "q: must not be blank", id="q-spaces"),
    pytest.param("GET", "/v1/search?q=%00", {}, 422, "q: must not be blank", id="q-nul"),
    pytest.param("GET", "/v1/search?q=%E2%80%8B%EF%BB%BF", {}, 422, "q: must not be blank", id="q-zw-bom"),
    pytest.param("GET", "/v1/search?q=%E7%9A%84", {}, 422, "q: nothing to search for", id="q-de"),
    pytest.param("GET", "/v1/search", {"params": {"q": "？！。"}}, 422, "q: nothing to search", id="q-punct"),
    pytest.param("GET", "/v1/search", {"params": {"q": "😀"}}, 422, "q: nothing to search", id="q-emoji"),
    pytest.param("GET", "/v1/search?q=%FF", {}, 422, "q: nothing to search for", id="q-bad-utf8"),
    pytest.param("GET", "/v1/search", {"params": {"q": "a" * 600}}, 422, "q: 600 characters", id="q-600"),
    pytest.param(
        "GET",
        "/v1/search",
        {"params": {"q": "a" * 12_000}},
        422,
        "q: String should have at most 10000",
        id="q-huge",
    ),
    pytest.param("GET", "/v1/search?q=abc&k=0", {}, 422, "k: Input should be greater than", id="k-0"),
    pytest.param("GET", "/v1/search?q=abc&k=-1", {}, 422, "k: Input should be greater than", id="k-neg"),
    pytest.param(
        "GET", "/v1/search?q=abc&k=51", {}, 422, "k: Input should be less than or equal to 50", id="k-51"
    ),
    pytest.param("GET", "/v1/search?q=abc&k=abc", {}, 422, "k: Input should be a valid integer", id="k-text"),
    pytest.param(
        "GET", "/v1/search?q=abc&k=1.5", {}, 422, "k: Input should be a valid integer", id="k-float"
    ),
    pytest.param("GET", "/v1/search?q=abc&k=" + "9" * 5000, {}, 422, "k: ", id="k-huge"),
    pytest.param("GET", "/v1/search?q=abc&mode=magic", {}, 422, "mode: Input should be 'hybrid'", id="mode"),
    pytest.param(
        "GET",
        "/v1/search",
        {"params": {"q": "滞纳金", "provider": "阿里云"}},
        404,
        "unknown provider '阿里云'",
        id="provider-unknown",
    ),
    pytest.param(
        "GET",
        "/v1/search",
        {"params": {"q": "滞纳金", "provider": "x" * 101}},
        422,
        "provider: String should have at most 100",
        id="provider-long",
    ),
    pytest.param(
        "GET", "/v1/search?q=abc&provider=%00", {}, 422, "provider: must not be blank", id="provider-nul"
    ),
    pytest.param(
        "GET", "/v1/search", {"params": {"q": "<script>alert(1)</script>"}}, 200, '"results"', id="q-script"
    ),
    # fields: wrong types, missing, extra, blank, limits
    pytest.param("POST", ASK, {"json": {}}, 422, "question: Field required", id="missing"),
    pytest.param("POST", ASK, {"json": {"history": []}}, 422, "question: Field required", id="missing-2"),
    pytest.param(
        "POST", ASK, {"json": {"question": 123}}, 422, "question: Input should be a valid string", id="int"
    ),
    pytest.param(
        "POST",
        ASK,
        {"json": {"question": ["滞纳金"]}},
        422,
        "question: Input should be a valid string",
        id="list",
    ),
    pytest.param(
        "POST", ASK, {"json": {"question": None}}, 422, "question: Input should be a valid string", id="null"
    ),
    pytest.param(
        "POST",
        ASK,
        {"json": {"question": "滞纳金", "history": "x"}},
        422,
        "history: Input should be a valid list",
        id="history-str",
    ),
    pytest.param(
        "POST",
        ASK,
        {"json": {"question": "滞纳金", "history": [1]}},
        422,
        "history.0: Input should be a valid string",
        id="history-int",
    ),
    pytest.param(
        "POST",
        ASK,
        {"json": {"question": "滞纳金", "history": ["滞纳金"] * 21}},
        422,
        "history: List should have at most 20 items",
        id="history-21",
    ),
    pytest.param(
        "POST",
        ASK,
        {"json": {"question": "滞纳金", "history": ["的"]}},
        422,
        "history.0: nothing to search for",
        id="history-de",
    ),
    pytest.param(
        "POST",
        ASK,
        {"json": {"question": "滞纳金", "provider": 5}},
        422,
        "provider: Input should be a valid string",
        id="provider-int",
    ),
    pytest.param(
        "POST",
        ASK,
        {"json": {"question": "滞纳金", "provider": "\u200b"}},
        422,
        "provider: must not be blank",
        id="provider-zw",
    ),
    pytest.param(
        "POST",
        ASK,
        {"json": {"question": "滞纳金", "provder": "码尚云"}},
        422,
        "provder: Extra inputs are not permitted",
        id="extra-field",
    ),
    pytest.param(
        "POST",
        ASK,
        {"json": {"question": "滞纳金", "k": 5}},
        422,
        "k: Extra inputs are not permitted",
        id="extra-k",
    ),
    pytest.param("POST", ASK, {"json": {"question": "\u0000"}}, 422, "question: must not be blank", id="nul"),
    pytest.param(
        "POST",
        ASK,
        {"json": {"question": "\u3000\t\n"}},
        422,
        "question: must not be blank",
        id="blank-ideographic",
    ),
    pytest.param("POST", ASK, {"json": {"question": "的"}}, 422, "question: nothing to search for", id="de"),
    pytest.param(
        "POST", ASK, {"json": {"question": "吗？"}}, 422, "question: nothing to search for", id="ma"
    ),
    pytest.param(
        "POST", ASK, {"json": {"question": "😀😀"}}, 422, "question: nothing to search for", id="emoji-only"
    ),
    pytest.param("POST", ASK, {"json": {"question": "😀码尚云的滞纳金标准？"}}, 200, "码尚云", id="emoji"),
    pytest.param(
        "POST",
        ASK,
        {"json": {"question": "<script>alert(1)</script>滞纳金怎么收？"}},
        200,
        '"answer"',
        id="script",
    ),
    pytest.param(
        "POST",
        ASK,
        {"json": {"question": "x" * 10_001}},
        422,
        "question: String should have at most 10000 characters",
        id="question-10001",
    ),
    pytest.param(
        "POST", ASK, {"json": {"question": "滞纳金" * 200}}, 422, "over the limit of 500", id="question-600"
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": b'{"question": "\\ud800"}', "headers": JSON},
        422,
        "question: Input should be a valid string",
        id="lone-surrogate",
    ),
    # malformed JSON and bodies that are no object
    pytest.param(
        "POST",
        ASK,
        {"content": b'{"question": }', "headers": JSON},
        400,
        "body is not valid JSON: Expecting value at line 1, column 14",
        id="malformed",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": b'{"question": "x"} x', "headers": JSON},
        400,
        "body is not valid JSON: Extra data at line 1",
        id="trailing",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": b"{'question': 'x'}", "headers": JSON},
        400,
        "Expecting property name enclosed in double quotes",
        id="single-quotes",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": b'{"question": "a\x00b"}', "headers": JSON},
        400,
        "Invalid control character at line 1, column 16",
        id="raw-nul",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": b'{"question": ' + b"1" * 5000 + b"}", "headers": JSON},
        400,
        "(4300 digits)",
        id="huge-number",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": b'{"question": NaN}', "headers": JSON},
        422,
        "question: Input should be a valid string",
        id="nan",
    ),
    pytest.param("POST", ASK, {"content": b"", "headers": JSON}, 422, "body: required", id="empty"),
    pytest.param(
        "POST",
        ASK,
        {"content": b"null", "headers": JSON},
        422,
        "expected a JSON object, got null",
        id="json-null",
    ),
    pytest.param("POST", ASK, {"content": b"[]", "headers": JSON}, 422, "got an array", id="json-array"),
    pytest.param(
        "POST", ASK, {"content": raw("滞纳金"), "headers": JSON}, 422, "got a string", id="json-string"
    ),
    pytest.param("POST", ASK, {"content": b"42", "headers": JSON}, 422, "got a number", id="json-number"),
    # encodings
    pytest.param(
        "POST",
        ASK,
        {"content": b'{"question": "\xff\xfe"}', "headers": JSON},
        400,
        "body is not valid UTF-8 (byte 14: 0xff)",
        id="invalid-utf8",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": b'{"question": "\xc0\xaf"}', "headers": JSON},
        400,
        "body is not valid UTF-8 (byte 14: 0xc0)",
        id="overlong-utf8",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": b'{"question": "' + "滞".encode()[:2] + b'"}', "headers": JSON},
        400,
        "body is not valid UTF-8 (byte 14",
        id="truncated-utf8",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": '{"question": "滞纳金"}'.encode("gbk"), "headers": JSON},
        400,
        "body is not valid UTF-8 (byte 14",
        id="gbk-bytes",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": '{"question": "滞纳金"}'.encode("utf-16"), "headers": JSON},
        400,
        "body is not valid UTF-8 (byte 0: 0xff)",
        id="utf16",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": b"\xef\xbb\xbf" + raw({"question": "码尚云的滞纳金标准"}), "headers": JSON},
        200,
        "码尚云",
        id="utf8-bom",
    ),
    # nesting
    pytest.param(
        "POST",
        ASK,
        {"content": nested(MAX_JSON_DEPTH + 1), "headers": JSON},
        400,
        "more than 32 levels deep",
        id="deep-33",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": nested(5000), "headers": JSON},
        400,
        "over the depth limit of 32",
        id="deep-5000",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": b'{"a":' * 40 + b"1" + b"}" * 40, "headers": JSON},
        400,
        "32 levels",
        id="deep-objects",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": nested(MAX_JSON_DEPTH), "headers": JSON},
        422,
        "history.0: Input should be a valid string",
        id="deep-32-is-parsed",
    ),
    pytest.param(
        "POST", ASK, {"json": {"question": "[" * 50 + "{滞纳金"}}, 200, '"answer"', id="brackets-in-a-string"
    ),
    # content types
    pytest.param(
        "POST",
        ASK,
        {"content": b"question", "headers": {"content-type": "text/plain"}},
        415,
        "Content-Type 'text/plain' is not supported: expected application/json (UTF-8)",
        id="text-plain",
    ),
    pytest.param(
        "POST", ASK, {"data": {"question": "滞纳金"}}, 415, "'application/x-www-form-urlencoded'", id="form"
    ),
    pytest.param(
        "POST", ASK, {"files": {"question": ("q.txt", b"x")}}, 415, "'multipart/form-data", id="multipart"
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": raw({"question": "滞纳金"})},
        415,
        "Content-Type header is missing",
        id="no-content-type",
    ),
    pytest.param(
        "POST",
        ASK,
        {
            "content": '{"question": "滞纳金"}'.encode("gbk"),
            "headers": {"content-type": "application/json; charset=gbk"},
        },
        415,
        "charset 'gbk' is not supported",
        id="charset-gbk",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": raw({"question": "x"}), "headers": {"content-type": "application/json; charset=latin-1"}},
        415,
        "charset 'latin-1'",
        id="charset-latin1",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": raw({"question": "x"}), "headers": {"content-type": "application/json; charset=utf-16"}},
        415,
        "charset 'utf-16'",
        id="charset-utf16",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": b"<q>x</q>", "headers": {"content-type": "application/xml"}},
        415,
        "'application/xml'",
        id="xml",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": raw({"question": "x"}), "headers": {"content-type": "application/json, text/plain"}},
        415,
        "'application/json, text/plain'",
        id="two-types",
    ),
    pytest.param(
        "POST",
        ASK,
        {
            "content": raw({"question": "码尚云的滞纳金标准"}),
            "headers": {"content-type": "application/json; charset=UTF-8"},
        },
        200,
        "码尚云",
        id="charset-utf8",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": raw({"question": "码尚云的滞纳金标准"}), "headers": {"content-type": "APPLICATION/JSON"}},
        200,
        "码尚云",
        id="upper-case",
    ),
    # sizes, with and without Content-Length
    pytest.param(
        "POST",
        ASK,
        {"content": BIG, "headers": JSON},
        413,
        "request body is 20016 bytes, over the limit of 16384 bytes",
        id="big",
    ),
    pytest.param(
        "POST", ASK, {"chunked": BIG, "headers": JSON}, 413, "over the limit of 16384 bytes", id="big-chunked"
    ),
    pytest.param(
        "POST",
        ASK,
        {"chunked": b" " * 100_000, "headers": JSON},
        413,
        "over the limit of 16384 bytes",
        id="huge-chunked",
    ),
    pytest.param(
        "POST",
        ASK,
        {"chunked": raw({"question": "码尚云的滞纳金标准"}), "headers": JSON},
        200,
        "码尚云",
        id="small-chunked",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": raw({"question": "x"}), "headers": {**JSON, "content-length": "99999999"}},
        413,
        "request body is 99999999 bytes, over the limit of 16384",
        id="declared-huge",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": raw({"question": "x"}), "headers": {**JSON, "content-length": "9" * 5000}},
        413,
        "request body is 999999999999999999999999… bytes, over the limit of 16384",
        id="declared-5000-digits",
    ),
    pytest.param(
        "GET",
        "/v1/search?q=abc",
        {"content": BIG},
        413,
        "over the limit of 16384 bytes",
        id="big-body-on-get",
    ),
    pytest.param(
        "POST",
        ASK,
        {"content": raw({"question": "a" * (LIMIT - 16)}), "headers": JSON},
        422,
        "question: String should have at most 10000",
        id="at-the-limit",
    ),
    # headers with odd values
    pytest.param(
        "GET", "/v1/providers", {"headers": {"x-api-key": b"\xff\xfe"}}, 200, "码尚云", id="odd-key"
    ),
    pytest.param(
        "GET", "/v1/providers", {"headers": {"accept": "text/html"}}, 200, "码尚云", id="accept-html"
    ),
    pytest.param("GET", "/healthz", {"headers": {"x-request-id": "a b\tc"}}, 200, "ok", id="odd-request-id"),
    pytest.param(
        "GET", "/healthz", {"headers": {"x-request-id": b"\xff" * 300}}, 200, "ok", id="long-request-id"
    ),
]


@pytest.mark.parametrize(("method", "url", "kwargs", "status", "needle"), CASES)
def test_hostile_requests_get_a_named_4xx(
    client: TestClient, method: str, url: str, kwargs: dict[str, Any], status: int, needle: str
) -> None:
    checked(sent(client, method, url, kwargs), status, needle)


def test_there_are_enough_hostile_cases() -> None:
    assert len(CASES) >= 60


def test_the_request_id_is_echoed_only_when_it_is_a_plain_token(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"x-request-id": "abc-123.x"}).headers["x-request-id"] == "abc-123.x"
    )
    odd = client.get("/healthz", headers={"x-request-id": "<script>"}).headers["x-request-id"]
    assert odd != "<script>" and odd.isalnum()


# --- item 7: the key check comes first -----------------------------------------------------------------


def _keyed_routes(client: TestClient) -> list[tuple[str, str]]:
    schema = client.get("/openapi.json").json()
    return [
        (method.upper(), path.replace("{doc_id}", "x.txt").replace("{clause_id}", "1"))
        for path, item in schema["paths"].items()
        if path.startswith("/v1/")
        for method in item
    ]


def test_every_v1_route_is_401_without_a_key(keyed: TestClient) -> None:
    routes = _keyed_routes(keyed)
    assert len(routes) >= 7
    for method, path in routes:
        for headers in ({}, {"x-api-key": "wrong"}, {"x-api-key": b"\xff"}, {"x-api-key": ""}):
            checked(keyed.request(method, path, headers=headers), 401, "missing or invalid X-API-Key")
    checked(keyed.get("/v1/nope"), 401, "X-API-Key")
    for open_path in ("/healthz", "/readyz", "/widget", "/openapi.json"):
        assert keyed.get(open_path).status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"content": b'{"question": }', "headers": JSON},
        {"content": b"question", "headers": {"content-type": "text/plain"}},
        {"content": b'{"question": "\xff"}', "headers": JSON},
        {"content": nested(5000), "headers": JSON},
        {"content": BIG, "headers": JSON},
        {"chunked": BIG, "headers": JSON},
        {"json": {"question": "滞纳金", "provder": "码尚云"}},
        {"json": {}},
    ],
    ids=["malformed", "text", "utf8", "deep", "big", "big-chunked", "extra", "missing"],
)
def test_the_key_is_checked_before_the_body(keyed: TestClient, kwargs: dict[str, Any]) -> None:
    checked(sent(keyed, "POST", ASK, kwargs), 401, "missing or invalid X-API-Key")
    with_key = {**kwargs, "headers": {**kwargs.get("headers", {}), "x-api-key": KEY}}
    response = sent(keyed, "POST", ASK, with_key)
    assert response.status_code in (400, 413, 415, 422), response.text


def test_a_valid_key_is_answered(keyed: TestClient) -> None:
    response = keyed.post(ASK, json={"question": "码尚云的滞纳金标准"}, headers={"x-api-key": KEY})
    checked(response, 200, "码尚云")


def test_cors_stays_strict_on_refusals(settings: Settings, holder: PipelineHolder) -> None:
    config = settings.model_copy(update={"cors_origins": ["https://portal.intranet"]})
    with TestClient(create_app(config, holder), raise_server_exceptions=False) as c:
        allowed = c.post(ASK, content=b"x", headers={"origin": "https://portal.intranet"})
        assert allowed.status_code == 415
        assert allowed.headers["access-control-allow-origin"] == "https://portal.intranet"
        other = c.post(ASK, content=b"x", headers={"origin": "https://evil.example"})
        assert other.status_code == 415 and "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    ("length", "status"), [(b"\xb2", 200), (b"\xd9\xa3", 200), (b"-1", 200), (b"0" * 30 + b"31", 200)]
)
def test_odd_content_length_bytes_are_no_crash(
    settings: Settings, holder: PipelineHolder, length: bytes, status: int
) -> None:
    """Raw ASGI (a client library would refuse these): Latin-1 ² passes ``str.isdigit`` but not ``int``."""
    import asyncio

    app = create_app(settings, holder)
    body = raw({"question": "码尚云的滞纳金标准"})
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": ASK,
        "raw_path": ASK.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", length)],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    messages: list[dict[str, Any]] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    assert messages[0]["status"] == status
    assert "码尚云" in b"".join(m.get("body", b"") for m in messages[1:]).decode()


def test_json_depth_skips_strings() -> None:
    assert json_depth('{"a": [1, {"b": "[[[[\\"{{"}]}') == 3
    assert json_depth("[" * 100, limit=32) == 33
    assert json_depth('"[[[["') == 0


# --- item 8: blank queries are 422 on /v1/search as on /v1/ask ------------------------------------------

BLANK = [
    "  ",
    "\x00",
    "\u200b",
    "\ufeff\u00ad",
    "的",
    "了",
    "吗？",
    "的了吗",
    "？？？",
    "...",
    "😀",
    "\x01\x1f",
]


@pytest.mark.parametrize("text", BLANK)
def test_search_refuses_what_ask_refuses(client: TestClient, text: str) -> None:
    searched = client.get("/v1/search", params={"q": text})
    asked = client.post(ASK, json={"question": text})
    checked(searched, 422, "q: ")
    checked(asked, 422, "question: ")
    assert searched.json()["detail"].removeprefix("q: ") == asked.json()["detail"].removeprefix("question: ")


@pytest.mark.parametrize("text", ["费", "API", "30", "SLA?", "滞纳金", "的滞纳金", "码尚云的"])
def test_a_single_searchable_word_is_searched(client: TestClient, text: str) -> None:
    response = client.get("/v1/search", params={"q": text, "k": 2})
    checked(response, 200, '"results"')
    assert len(response.json()["results"]) == 2


# --- item 14: invisible characters do not flip answers ---------------------------------------------------

QUESTION = "码尚云的滞纳金标准"


@pytest.mark.parametrize(
    "mark", ["\u200b", "\u00ad", "\ufeff", "\x00", "\u2060", "\u200b\u00ad\ufeff\x00"], ids=repr
)
def test_invisible_characters_do_not_flip_answers(client: TestClient, mark: str) -> None:
    dirty = f"{QUESTION[:5]}{mark}{QUESTION[5:]}"
    clean_answer = client.post(ASK, json={"question": QUESTION}).json()
    dirty_response = client.post(ASK, json={"question": dirty})
    checked(dirty_response, 200, "码尚云")
    assert clean_answer["citations"] and clean_answer["answer"].startswith("码尚云：每日 0.05%")
    assert dirty_response.json() == clean_answer
    clean_hits = client.get("/v1/search", params={"q": QUESTION}).json()
    dirty_hits = client.get("/v1/search", params={"q": f"{mark}{dirty}{mark}"})
    checked(dirty_hits, 200, '"results"')
    assert dirty_hits.json() == clean_hits
