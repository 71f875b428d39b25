from __future__ import annotations

from fastapi import APIRouter

from rag.api.deps import Config, Keyed, Live, checked_question, resolved_provider
from rag.api.schemas import AskRequest, AskResponse

router = APIRouter(tags=["answers"])


@router.post("/v1/ask", response_model=AskResponse)
def ask(body: AskRequest, _: Keyed, p: Live, config: Config) -> AskResponse:
    """Answer a question with numbered citations (the same object as ``rag ask --json``); ``history`` (the
    conversation's earlier questions) lets a follow-up such as 那码尚云呢？ reuse the previous topic. The
    question is echoed as read: normalised, invisible and control characters removed."""
    question = checked_question(body.question, "question", config)
    history = [checked_question(h, f"history.{i}", config) for i, h in enumerate(body.history)]
    answer = p.composer.ask(question, resolved_provider(p, body.provider), history)
    return AskResponse(**answer.to_dict())
