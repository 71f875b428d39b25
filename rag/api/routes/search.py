from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from rag.api.deps import Config, Keyed, Live, checked_question, resolved_provider
from rag.api.schemas import SearchHitOut, SearchResponse

router = APIRouter(tags=["search"])


@router.get("/v1/search", response_model=SearchResponse)
def search(
    _: Keyed,
    p: Live,
    config: Config,
    q: Annotated[str, Query(min_length=1, max_length=10_000, description="The question")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    provider: Annotated[str | None, Query(max_length=100)] = None,
    mode: Literal["hybrid", "bm25", "dense"] = "hybrid",
) -> SearchResponse:
    """The best clause spans for a question (``rag search --json``); ``q`` is read as ``/v1/ask`` reads a
    question (normalised, invisible characters removed) and 422 when nothing searchable is left."""
    q = checked_question(q, "q", config)
    hits = p.search(q, k, provider=resolved_provider(p, provider), mode=mode)
    return SearchResponse(question=q, results=[SearchHitOut(**h.to_dict()) for h in hits])
