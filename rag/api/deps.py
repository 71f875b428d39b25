"""Dependencies of the routes, as ``Annotated`` aliases (the fastapi full-stack template's ``deps.py``):
the API-key check, the live pipeline, a provider filter resolved to its name, and a question cleaned the
way the composer reads it and checked against the configured length limit and for something to search."""

from __future__ import annotations

import hmac
from collections.abc import Collection
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from rag.api.holder import PipelineHolder
from rag.pipeline import Pipeline
from rag.settings import Settings
from rag.understand import normalise

#: Chinese function words that are no question on their own: particles, structural words, conjunctions.
FUNCTION_CHARACTERS = frozenset("的地得了着过吗呢吧啊呀哇嘛么呗啦哦噢之和与及或而也都就是在")
_CJK = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)


def settings(request: Request) -> Settings:
    config: Settings = request.app.state.settings
    return config


def key_accepted(given: str | None, keys: Collection[str]) -> bool:
    """``given`` is one of ``keys`` (compared in constant time)."""
    if given is None:
        return False
    raw = given.encode("utf-8", "surrogateescape")
    return any(hmac.compare_digest(raw, key.encode("utf-8")) for key in keys)


def require_key(
    request: Request,
    x_api_key: Annotated[str | None, Header(description="Required when keys are set")] = None,
) -> None:
    keys = request.app.state.settings.api_keys
    if keys and not key_accepted(x_api_key, keys):
        raise HTTPException(401, "missing or invalid X-API-Key")


def live_pipeline(request: Request) -> Pipeline:
    holder: PipelineHolder = request.app.state.holder
    return holder.get()


Config = Annotated[Settings, Depends(settings)]
Keyed = Annotated[None, Depends(require_key)]
Live = Annotated[Pipeline, Depends(live_pipeline)]


def _cjk(ch: str) -> bool:
    return any(low <= ord(ch) <= high for low, high in _CJK)


def searchable(text: str) -> bool:
    """A letter or digit other than a lone Chinese function word (的, 了, 吗 …): something to search for."""
    return any(ch.isalnum() and not (_cjk(ch) and ch in FUNCTION_CHARACTERS) for ch in text)


def resolved_provider(pipeline: Pipeline, name: str | None, field: str = "provider") -> str | None:
    """The provider ``name`` names (cleaned like a question), or 404 listing the known ones."""
    if not name:
        return None
    clean = normalise(name)
    if not clean:
        raise HTTPException(422, f"{field}: must not be blank")
    try:
        return pipeline.provider(clean)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from None


def checked_question(text: str, field: str, config: Settings) -> str:
    """``text`` as the composer reads it (:func:`rag.understand.normalise`), or 422 naming the field:
    blank, nothing to search for, or over the limit."""
    question = normalise(text)
    if not question:
        raise HTTPException(422, f"{field}: must not be blank")
    if len(question) > config.max_question_chars:
        raise HTTPException(
            422, f"{field}: {len(question)} characters, over the limit of {config.max_question_chars}"
        )
    if not searchable(question):
        raise HTTPException(
            422,
            f"{field}: nothing to search for (only spaces, punctuation, symbols or function words such as "
            "的/了/吗; a question needs a Chinese word, a letter or a digit)",
        )
    return question


def known_document(pipeline: Pipeline, doc_id: str) -> str:
    if doc_id not in pipeline.index.documents:
        raise HTTPException(404, f"unknown document id {doc_id!r}")
    return doc_id
