"""ASGI middleware and exception handlers: body-size limit (413 before the app reads the body), one JSON
log line per request with its id and latency, readable 422s, and no stack trace to a client."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from rag.api.holder import NotReady

log = logging.getLogger("rag.api")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class LimitAndLog:
    """Rejects bodies over the limit (413, before the app reads them) and logs one JSON line per request."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = headers.get("x-request-id", "")[:64] or uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500}

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        limit = self.max_body_bytes
        declared = headers.get("content-length")
        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await self._too_large(send_logged, int(declared), limit, request_id)
                return
            received = 0

            async def receive_limited() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise _BodyTooLarge(received)
                return message

            try:
                await self.app(scope, receive_limited, send_logged)
            except _BodyTooLarge as exc:
                await self._too_large(send_logged, exc.size, limit, request_id)
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

    @staticmethod
    async def _too_large(send: Send, size: int, limit: int, request_id: str) -> None:
        body = json.dumps(
            {
                "detail": f"request body is {size} bytes, over the limit of {limit} bytes",
                "request_id": request_id,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
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


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    problems = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        problems.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
    return JSONResponse(status_code=422, content={"detail": "; ".join(problems)})


async def _not_ready(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": str(exc)})


async def _crashed(request: Request, exc: Exception) -> JSONResponse:
    request_id = request.scope.get("state", {}).get("request_id", "")
    log.exception("request %s failed", request_id)
    return JSONResponse(status_code=500, content={"detail": "internal error", "request_id": request_id})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(NotReady, _not_ready)
    app.add_exception_handler(Exception, _crashed)
