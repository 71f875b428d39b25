"""Dependencies of the routes, as ``Annotated`` aliases (the fastapi full-stack template's ``deps.py``):
the API-key check, the live pipeline, a provider filter resolved to its name, and a question checked
against the configured length limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from rag.api.holder import PipelineHolder
from rag.pipeline import Pipeline
from rag.settings import Settings


def settings(request: Request) -> Settings:
    config: Settings = request.app.state.settings
    return config


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


Config = Annotated[Settings, Depends(settings)]
Keyed = Annotated[None, Depends(require_key)]
Live = Annotated[Pipeline, Depends(live_pipeline)]


def resolved_provider(pipeline: Pipeline, name: str | None) -> str | None:
    """The provider ``name`` names, or 404 listing the known ones."""
    try:
        return pipeline.provider(name)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from None


def checked_question(text: str, field: str, config: Settings, *, strip: bool = True) -> str:
    """``text`` (stripped unless ``strip`` is false), or 422 naming the field and the limit."""
    question = text.strip() if strip else text
    if strip and not question:
        raise HTTPException(422, f"{field}: must not be blank")
    if len(question) > config.max_question_chars:
        raise HTTPException(
            422, f"{field}: {len(question)} characters, over the limit of {config.max_question_chars}"
        )
    return question


def known_document(pipeline: Pipeline, doc_id: str) -> str:
    if doc_id not in pipeline.index.documents:
        raise HTTPException(404, f"unknown document id {doc_id!r}")
    return doc_id
