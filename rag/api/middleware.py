"""ASGI middleware and exception handlers, in the order a request meets them:

1. the API key when keys are set (401 for every ``/v1/`` path, before the body is read or parsed);
2. the body-size limit (413 naming the limit, from ``Content-Length`` or, for a chunked body, as soon as
   the bytes read pass it);
3. for a route that takes a JSON body, the body itself, each problem with its own status and a message
   that names it: 415 for a Content-Type other than ``application/json`` in UTF-8, 400 for invalid UTF-8
   (with the byte offset), JSON nested deeper than :data:`MAX_JSON_DEPTH` or malformed JSON (with line,
   column and offset), 422 for an empty body or one that is no JSON object;

then one JSON log line per request with its id and latency, readable 422s, 404s and 405s that name the
path and method, and no stack trace to a client.
"""

from __future__ import annotations

import email.message
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from index.milvus_store import MilvusError
from rag.api.deps import key_accepted
from rag.api.holder import NotReady

log = logging.getLogger("rag.api")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Deepest nesting of JSON arrays and objects accepted in a request body (a question needs 2).
MAX_JSON_DEPTH = 32
#: Paths under this prefix need an API key when keys are set (probes, docs and the widget do not).
KEYED_PREFIX = "/v1/"
UPLOAD_PATH = "/v1/documents"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_SHOWN = 120  # characters of a client's header or path quoted back in a message


class Refusal(Exception):
    """A request refused before it reaches a route: the status and the message naming the problem."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep arrays and objects nest in JSON ``text`` (strings skipped); stops counting past ``limit``."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub('""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > limit:
            break
    return deepest


def _content_type_problem(value: str | None) -> str | None:
    expected = "expected application/json (UTF-8)"
    if value is None:
        return f"Content-Type header is missing: {expected}"
    shown = repr(value[:_SHOWN])
    header = email.message.Message()
    try:
        header["content-type"] = value
        main, sub = header.get_content_maintype(), header.get_content_subtype()
        charset = header.get_param("charset")
    except Exception:  # a header email cannot read is no JSON content type either
        return f"Content-Type {shown} is not supported: {expected}"
    if main != "application" or not (sub == "json" or sub.endswith("+json")):
        return f"Content-Type {shown} is not supported: {expected}"
    if isinstance(charset, tuple):  # RFC 2231: (charset, language, value)
        charset = charset[2]
    if charset is not None and str(charset).strip().lower() not in ("utf-8", "utf8"):
        return f"Content-Type {shown}: charset {str(charset)[:_SHOWN]!r} is not supported: {expected}"
    return None


def json_body_problem(body: bytes, content_type: str | None) -> Refusal | None:
    """Why ``body`` is no JSON object in UTF-8, as a :class:`Refusal`, or None when it is one."""
    if not body:
        return Refusal(422, "body: required, a JSON object sent as application/json (UTF-8)")
    problem = _content_type_problem(content_type)
    if problem:
        return Refusal(415, problem)
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        return Refusal(
            400, f"body is not valid UTF-8 (byte {exc.start}: 0x{body[exc.start]:02x}); send JSON in UTF-8"
        )
    if json_depth(text) > MAX_JSON_DEPTH:
        return Refusal(
            400,
            f"body nests arrays/objects more than {MAX_JSON_DEPTH} levels deep, "
            f"over the depth limit of {MAX_JSON_DEPTH}",
        )
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"at line {exc.lineno}, column {exc.colno} (char {exc.pos})"
        return Refusal(400, f"body is not valid JSON: {exc.msg.removesuffix(' at')} {where}")
    except (ValueError, RecursionError) as exc:  # e.g. a number of over 4300 digits
        return Refusal(400, f"body is not valid JSON: {str(exc).split(':')[0]}")
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(value), "a number"
        )
        return Refusal(422, f"body: expected a JSON object, got {kind}")
    return None


def _routed(scope: Scope) -> bool:
    """A route of the app takes this method and path (not a 404 or a 405)."""
    app = scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", ())
    return any(route.matches(scope)[0] is Match.FULL for route in routes)


class LimitAndLog:
    """API key, body limit and JSON body checks before the app (see the module docstring), and one JSON
    log line per request."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for key, value in scope.get("headers", []):
            headers.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
        given_id = headers.get("x-request-id", "")
        request_id = given_id if _REQUEST_ID.fullmatch(given_id) else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500}

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self._checked(scope, receive, send_logged, headers)
        except Refusal as refusal:
            await _reply(send_logged, refusal, request_id)
        except _Disconnected:  # the client left while sending the body: no one to answer
            status["code"] = 499
        finally:
            log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status["code"],
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                )
            )

    async def _checked(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        """The key, the declared size and (for a JSON route) the body, then the app; Refusal on a problem."""
        settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
        keys = getattr(settings, "api_keys", None)
        keyed = bool(keys) and scope.get("path", "").startswith(KEYED_PREFIX)
        if keyed and not key_accepted(headers.get("x-api-key"), keys or ()):
            raise Refusal(401, "missing or invalid X-API-Key")
        # a contract upload carries a file, not JSON: up to the loader's file limit
        upload = scope.get("method") == "POST" and scope.get("path") == UPLOAD_PATH
        limit = getattr(settings, "max_file_bytes", self.max_body_bytes) if upload else self.max_body_bytes
        declared = headers.get("content-length", "").strip().lstrip("0")
        if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
            shown = declared if len(declared) <= 24 else f"{declared[:24]}…"
            raise Refusal(413, f"request body is {shown} bytes, over the limit of {limit} bytes")
        if scope.get("method") in BODY_METHODS and _routed(scope) and not upload:
            body = await self._read(receive)
            problem = json_body_problem(body, headers.get("content-type"))
            if problem:
                raise problem
            await self.app(scope, _replay(body, receive), send)
            return
        received = 0

        async def receive_limited() -> Message:  # a route that reads a body it was not expected to
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(received)
            return message

        try:
            await self.app(scope, receive_limited, send)
        except _BodyTooLarge as exc:
            message = f"request body is at least {exc.size} bytes, over the limit of {limit} bytes"
            raise Refusal(413, message) from None

    async def _read(self, receive: Receive) -> bytes:
        """The whole body, or a 413 Refusal as soon as it passes the limit (chunked bodies included)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise Refusal(
                    413,
                    f"request body is at least {size} bytes, over the limit of {self.max_body_bytes} bytes",
                )
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then whatever the client sends next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def _reply(send: Send, refusal: Refusal, request_id: str) -> None:
    body = json.dumps({"detail": refusal.detail, "request_id": request_id}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


class _Disconnected(Exception):
    pass


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each field at fault (``question: Field required``); malformed JSON is a 400."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    problems = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":  # normally refused before the route (json_body_problem)
            reason = error.get("ctx", {}).get("error", "invalid")
            return JSONResponse(
                status_code=400, content={"detail": f"body is not valid JSON: {reason} at char {loc[-1]}"}
            )
        where = ".".join(str(p) for p in loc if p not in ("body", "query", "path", "header"))
        problems.append(f"{where or (loc[0] if loc else 'request')}: {error.get('msg', 'invalid')}")
    return JSONResponse(status_code=422, content={"detail": "; ".join(problems)})


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """HTTP errors as JSON; the router's bare 404 and 405 name the path and the method."""
    assert isinstance(exc, StarletteHTTPException)
    detail: Any = exc.detail
    path = repr(request.url.path[:_SHOWN])
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"unknown path {path}"
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        allowed = (exc.headers or {}).get("Allow", "")
        detail = f"method {request.method[:_SHOWN]} is not allowed on {path} (allowed: {allowed})"
    return JSONResponse(status_code=exc.status_code, content={"detail": detail}, headers=exc.headers)


async def _not_ready(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": str(exc)})


async def _crashed(request: Request, exc: Exception) -> JSONResponse:
    request_id = request.scope.get("state", {}).get("request_id", "")
    log.exception("request %s failed", request_id)
    return JSONResponse(status_code=500, content={"detail": "internal error", "request_id": request_id})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(NotReady, _not_ready)
    app.add_exception_handler(MilvusError, _not_ready)  # the search backend went away: 503 saying so
    app.add_exception_handler(Exception, _crashed)
