"""The HTTP API for the intranet portal (FastAPI): ask, search, providers, facts, documents, clauses.

The pipeline (model, index, fact table) is loaded once at start-up, never per request; a rebuilt index
(``rag index`` swaps the ``current`` symlink) is noticed and loaded beside the running one, then swapped in
by replacing one reference, so no request fails or sees half of each. Optional API keys (``X-API-Key``),
CORS origins from settings (none by default), question and body size limits with messages that name the
limit, 404 for unknown ids (ids are looked up, never used as paths), no stack trace to a client, and one
JSON log line per request with its id and latency.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from rag.pipeline import Pipeline, open_pipeline
from rag.retrieve import provider_names_in, resolve_provider
from rag.serialize import answer_json, clause_json, fact_rows, hit_json, provider_rows
from rag.settings import Settings

log = logging.getLogger("rag.api")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# --- request and response models ---------------------------------------------------------------------


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=10_000, description="The question, in Chinese.")
    provider: str | None = Field(
        default=None, max_length=100, description="Only this provider (name or alias)."
    )


class CitationOut(BaseModel):
    n: int
    doc_id: str
    provider: str
    clause_id: str
    start: int
    end: int
    text: str


class AskResponse(BaseModel):
    question: str
    answer: str
    refused: bool
    intent: str
    citations: list[CitationOut]


class SearchHitOut(BaseModel):
    doc_id: str
    provider: str
    clause_id: str
    start: int
    end: int
    text: str
    score: float


class SearchResponse(BaseModel):
    question: str
    results: list[SearchHitOut]


class ProviderOut(BaseModel):
    doc_id: str
    name: str
    entity: str | None
    aliases: list[str]


class FactOut(BaseModel):
    provider: str
    attribute: str
    label: str
    value: float | bool | str | None
    unit: str
    display: str
    qualifier: str
    citation: CitationOut | None


class DocumentOut(BaseModel):
    doc_id: str
    provider: str
    source_format: str
    characters: int
    clauses: int


class SpanOut(BaseModel):
    start: int
    end: int
    text: str


class ClauseOut(BaseModel):
    doc_id: str
    provider: str
    clause_id: str
    kind: str
    number: str
    heading_path: list[str]
    start: int
    end: int
    text: str
    sentences: list[SpanOut]


class HeadingOut(BaseModel):
    clause_id: str
    title: str
    start: int
    end: int
    depth: int


class DocumentDetailOut(DocumentOut):
    text: str
    headings: list[HeadingOut]
    clause_list: list[ClauseOut]


class Status(BaseModel):
    status: str
    build: str | None = None
    clauses: int | None = None


# --- the pipeline, swapped atomically --------------------------------------------------------------------


def _current_build(index_dir: Path) -> str | None:
    try:
        return os.readlink(index_dir / "current")
    except OSError:
        return None


class PipelineHolder:
    """Holds the live pipeline; loads a rebuilt index beside it and swaps the reference when ready."""

    def __init__(self, settings: Settings, factory: Callable[..., Pipeline] = open_pipeline) -> None:
        self.settings = settings
        self.factory = factory
        self._pipeline: Pipeline | None = None
        self._build: str | None = None
        self._checked = 0.0
        self._loading = threading.Lock()

    def load(self) -> None:
        pipeline = self.factory(self.settings, progress=False)
        self._build = _current_build(self.settings.index_dir)
        self._pipeline = pipeline

    @property
    def ready(self) -> bool:
        return self._pipeline is not None

    @property
    def build(self) -> str | None:
        return self._build

    def get(self) -> Pipeline:
        if self._pipeline is None:
            raise HTTPException(503, "the index is not loaded yet")
        self._maybe_reload()
        return self._pipeline

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.settings.reload_check_seconds:
            return
        self._checked = now
        build = _current_build(self.settings.index_dir)
        if build and build != self._build and self._loading.acquire(blocking=False):
            threading.Thread(target=self._reload, args=(build,), daemon=True).start()

    def _reload(self, build: str) -> None:
        try:
            current = self._pipeline
            embedder = current.stack.embedder if current is not None else None
            pipeline = self.factory(self.settings, progress=False, embedder=embedder)
            self._pipeline, self._build = pipeline, build  # one reference: requests see old or new
            log.info(json.dumps({"event": "index_swapped", "build": build}))
        except Exception:  # keep serving the old index; the next check tries again
            log.exception("reloading the index failed; still serving %s", self._build)
        finally:
            self._loading.release()


# --- middleware ------------------------------------------------------------------------------------------


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


# --- dependencies ----------------------------------------------------------------------------------------


def require_key(
    request: Request,
    x_api_key: Annotated[str | None, Header(description="Required when keys are set")] = None,
) -> None:
    keys = request.app.state.settings.api_keys
    if keys and x_api_key not in keys:
        raise HTTPException(401, "missing or invalid X-API-Key")


def live_pipeline(request: Request) -> Pipeline:
    holder: PipelineHolder = request.app.state.holder
    return holder.get()


Keyed = Annotated[None, Depends(require_key)]
Live = Annotated[Pipeline, Depends(live_pipeline)]

# --- the app ---------------------------------------------------------------------------------------------


def create_app(settings: Settings | None = None, holder: PipelineHolder | None = None) -> FastAPI:
    settings = settings or Settings()
    holder = holder or PipelineHolder(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not holder.ready:
            holder.load()
        yield

    app = FastAPI(
        title="contract-rag",
        version="0.1.0",
        description="Cited answers over Chinese cloud-service contracts. Every citation's text equals "
        "document_text[start:end].",
        lifespan=lifespan,
    )
    app.state.holder = holder
    app.state.settings = settings
    app.add_middleware(LimitAndLog, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "X-Request-ID"],
        )

    def provider_name(p: Pipeline, name: str | None) -> str | None:
        if not name:
            return None
        try:
            return resolve_provider(name, p.stack.index.providers.values())
        except ValueError as exc:
            raise HTTPException(404, str(exc)) from None

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
            problems.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
        return JSONResponse(status_code=422, content={"detail": "; ".join(problems)})

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        request_id = request.scope.get("state", {}).get("request_id", "")
        log.exception("request %s failed", request_id)
        return JSONResponse(status_code=500, content={"detail": "internal error", "request_id": request_id})

    @app.get("/healthz", response_model=Status, tags=["ops"])
    def healthz() -> Status:
        """The process is up."""
        return Status(status="ok")

    @app.get("/readyz", response_model=Status, tags=["ops"], responses={503: {"description": "not loaded"}})
    def readyz() -> Status | JSONResponse:
        """The index is loaded and requests can be answered."""
        if not holder.ready:
            return JSONResponse(status_code=503, content={"status": "loading"})
        p = holder.get()
        return Status(status="ready", build=holder.build, clauses=len(p.stack.index.clauses))

    @app.post("/v1/ask", response_model=AskResponse, tags=["answers"])
    def ask(body: AskRequest, _: Keyed, p: Live) -> AskResponse:
        """Answer a question with numbered citations (the same object as ``rag ask --json``)."""
        question = body.question.strip()
        if not question:
            raise HTTPException(422, "question: must not be blank")
        if len(question) > settings.max_question_chars:
            raise HTTPException(
                422, f"question: {len(question)} characters, over the limit of {settings.max_question_chars}"
            )
        return AskResponse(**answer_json(p.composer.ask(question, provider_name(p, body.provider))))

    @app.get("/v1/search", response_model=SearchResponse, tags=["search"])
    def search(
        _: Keyed,
        p: Live,
        q: Annotated[str, Query(min_length=1, max_length=10_000, description="The question")],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
        provider: Annotated[str | None, Query(max_length=100)] = None,
        mode: Literal["hybrid", "bm25", "dense"] = "hybrid",
    ) -> SearchResponse:
        """The best clause spans for a question."""
        if len(q) > settings.max_question_chars:
            raise HTTPException(
                422, f"q: {len(q)} characters, over the limit of {settings.max_question_chars}"
            )
        index = p.stack.index
        named = provider_name(p, provider)
        wanted = [named] if named else provider_names_in(q, index.providers.values()) or None
        hits = p.stack.retriever.search(q, k, mode=mode, providers=wanted)
        return SearchResponse(
            question=q,
            results=[SearchHitOut(**hit_json(h)) for h in hits],
        )

    @app.get("/v1/providers", response_model=list[ProviderOut], tags=["contracts"])
    def providers(_: Keyed, p: Live) -> list[ProviderOut]:
        return [ProviderOut(**row) for row in provider_rows(p.stack.index.providers)]

    @app.get("/v1/facts", response_model=list[FactOut], tags=["answers"])
    def facts(_: Keyed, p: Live) -> list[FactOut]:
        """The provider × attribute table; a cell without a citation is 未约定 (not stated)."""
        return [FactOut(**row) for row in fact_rows(p.table)]

    def summary(p: Pipeline, doc_id: str) -> DocumentOut:
        index = p.stack.index
        doc = index.documents[doc_id]
        return DocumentOut(
            doc_id=doc_id,
            provider=index.providers[doc_id].name,
            source_format=doc.source_format,
            characters=len(doc.text),
            clauses=sum(c.doc_id == doc_id for c in index.clauses),
        )

    def known_document(p: Pipeline, doc_id: str) -> None:
        if doc_id not in p.stack.index.documents:
            raise HTTPException(404, f"unknown document id {doc_id!r}")

    @app.get("/v1/documents", response_model=list[DocumentOut], tags=["contracts"])
    def documents(_: Keyed, p: Live) -> list[DocumentOut]:
        return [summary(p, d) for d in p.stack.index.documents]

    @app.get(
        "/v1/documents/{doc_id}",
        response_model=DocumentDetailOut,
        tags=["contracts"],
        responses={404: {"description": "unknown document"}},
    )
    def document(doc_id: str, _: Keyed, p: Live) -> DocumentDetailOut:
        """A contract's text (offsets index it) and its clause tree (headings and clauses)."""
        known_document(p, doc_id)
        index = p.stack.index
        return DocumentDetailOut(
            **summary(p, doc_id).model_dump(),
            text=index.documents[doc_id].text,
            headings=[
                HeadingOut(clause_id=h.clause_id, title=h.title, start=h.start, end=h.end, depth=h.depth)
                for h in index.headings
                if h.doc_id == doc_id
            ],
            clause_list=[ClauseOut(**clause_json(c)) for c in index.clauses if c.doc_id == doc_id],
        )

    @app.get(
        "/v1/clauses/{doc_id}/{clause_id}",
        response_model=ClauseOut,
        tags=["contracts"],
        responses={404: {"description": "unknown document or clause"}},
    )
    def clause(doc_id: str, clause_id: str, _: Keyed, p: Live) -> ClauseOut:
        known_document(p, doc_id)
        found = p.stack.index.clause(doc_id, clause_id)
        if found is not None:
            return ClauseOut(**clause_json(found))
        raise HTTPException(404, f"unknown clause {clause_id!r} in {doc_id}")

    @app.get("/widget", response_class=HTMLResponse, tags=["widget"])
    def widget() -> HTMLResponse:
        """The embeddable chat widget: one self-contained page for an iframe."""
        return HTMLResponse((files("ui") / "widget" / "index.html").read_text(encoding="utf-8"))

    return app


def serve(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
