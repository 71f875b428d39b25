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


@router.get("/readyz", response_model=Status, responses={503: {"description": "not loaded"}})
def readyz(request: Request) -> Status | JSONResponse:
    """The index is loaded and requests can be answered."""
    holder: PipelineHolder = request.app.state.holder
    if not holder.ready:
        return JSONResponse(status_code=503, content={"status": "loading"})
    return Status(status="ready", build=holder.build, clauses=len(holder.get().index.clauses))
