"""The app factory: settings, the pipeline holder loaded in ``lifespan``, middleware, routers.

The pipeline (model, index, fact table) is loaded and warmed once at start-up (``/readyz`` says ready only
then), never per request, and swapped when
``rag index`` builds a new index (:mod:`rag.api.holder`). Optional API keys (``X-API-Key``), CORS origins
from settings (none by default), question and body size limits with messages that name the limit, 404 for
unknown ids (ids are looked up, never used as paths), no stack trace to a client, and one JSON log line
per request with its id and latency (:mod:`rag.api.middleware`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from rag.api.holder import PipelineHolder
from rag.api.middleware import LimitAndLog, install_error_handlers
from rag.api.routes import ask, documents, facts, health, search, widget
from rag.settings import Settings

ROUTERS = (health.router, ask.router, search.router, facts.router, documents.router, widget.router)


def create_app(settings: Settings | None = None, holder: PipelineHolder | None = None) -> FastAPI:
    settings = settings or Settings()
    live = holder or PipelineHolder(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not live.ready:
            live.load()
        yield

    # /docs and /redoc with Swagger UI and ReDoc served from the fastapi-offline package: no CDN request
    app: FastAPI = FastAPIOffline(
        title="contract-rag",
        version="0.1.0",
        description="Cited answers over Chinese cloud-service contracts. Every citation's text equals "
        "document_text[start:end].",
        lifespan=lifespan,
    )
    app.state.holder = live
    app.state.settings = settings
    app.add_middleware(LimitAndLog, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "X-Request-ID"],
        )
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    settings: Settings | None = None,
    holder: PipelineHolder | None = None,
) -> None:
    """Run the API; pass a loaded ``holder`` so start-up problems are reported before uvicorn starts."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    uvicorn.run(create_app(settings, holder), host=host, port=port, log_level="warning")
