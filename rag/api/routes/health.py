from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from rag.api.holder import PipelineHolder
from rag.api.schemas import Status

router = APIRouter(tags=["ops"])


@router.get("/healthz", response_model=Status)
def healthz() -> Status:
    """The process is up."""
    return Status(status="ok")


@router.get(
    "/readyz",
    response_model=Status,
    responses={503: {"description": "not loaded, or the search backend is unavailable"}},
)
def readyz(request: Request) -> Status | JSONResponse:
    """The index is loaded and requests can be answered (with RAG_BACKEND=milvus: Milvus answers too)."""
    holder: PipelineHolder = request.app.state.holder
    if not holder.ready:
        return JSONResponse(status_code=503, content={"status": "loading"})
    pipeline = holder.get()
    problem = pipeline.retriever.problem()
    if problem:
        return JSONResponse(status_code=503, content={"status": "unavailable", "reason": problem})
    return Status(status="ready", build=holder.build, clauses=len(pipeline.index.clauses))
