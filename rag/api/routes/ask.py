from __future__ import annotations

from fastapi import APIRouter

from rag.api.deps import Config, Keyed, Live, checked_question, resolved_provider
from rag.api.schemas import AskRequest, AskResponse

router = APIRouter(tags=["answers"])


@router.post("/v1/ask", response_model=AskResponse)
def ask(body: AskRequest, _: Keyed, p: Live, config: Config) -> AskResponse:
    """Answer a question with numbered citations (the same object as ``rag ask --json``)."""
    question = checked_question(body.question, "question", config)
    answer = p.composer.ask(question, resolved_provider(p, body.provider))
    return AskResponse(**answer.to_dict())
