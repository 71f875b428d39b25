"""Request and response models: the OpenAPI contract of the HTTP API.

Every response model that carries a record has exactly the fields of that record's ``to_dict``
(``tests/test_api_contract.py`` checks it), so adding a field to a record is one edit in ``core/`` plus
one here, and the test says when the second is missing. ``DocumentOut`` and ``Status`` are views, not
records.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AskRequest(BaseModel):
    """A question; an unknown field is a 422 naming it (a misspelt ``provder`` is never silently ignored)."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=10_000, description="The question, in Chinese.")
    history: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Earlier questions of the conversation, oldest first (for follow-ups: 那码尚云呢？).",
    )
    provider: str | None = Field(
        default=None, max_length=100, description="Only this provider (name or alias)."
    )


class CitationOut(BaseModel):
    """``Citation.to_dict``: ``text == document_text[start:end]``."""

    doc_id: str
    provider: str
    clause_id: str
    start: int
    end: int
    text: str


class NumberedCitationOut(BaseModel):
    """A citation of an answer, numbered like its ``[n]`` marker."""

    n: int
    doc_id: str
    provider: str
    clause_id: str
    start: int
    end: int
    text: str


class AskResponse(BaseModel):
    """``Answer.to_dict``."""

    question: str
    answer: str
    refused: bool
    intent: str
    citations: list[NumberedCitationOut]
    related: list[CitationOut] = Field(description="Closest clauses when nothing answers (never support).")


class SearchHitOut(CitationOut):
    """``Hit.to_dict``: the best span of a clause (as a citation) and the fused score."""

    score: float


class SearchResponse(BaseModel):
    question: str
    results: list[SearchHitOut]


class ProviderOut(BaseModel):
    """``Provider.to_dict``."""

    doc_id: str
    name: str
    entity: str | None
    aliases: list[str]
    unidentified: str


class FactOut(BaseModel):
    """``Fact.to_dict``; a cell the contract does not state has ``citation`` null and display 未约定."""

    provider: str
    attribute: str
    label: str
    state: Literal["read", "mentioned", "absent"]
    value: float | bool | str | None
    unit: str
    display: str
    wording: str
    qualifier: str
    qualifiers: list[str]
    citation: CitationOut | None
    refs: list[CitationOut]


class SpanOut(BaseModel):
    """``Span.to_dict``."""

    start: int
    end: int
    text: str


class ClauseOut(BaseModel):
    """``Clause.to_dict``."""

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
    """``Heading.to_dict``."""

    doc_id: str
    clause_id: str
    title: str
    start: int
    end: int
    depth: int


class DocumentOut(BaseModel):
    """A contract in a list (``Pipeline.document_summary``)."""

    doc_id: str
    provider: str
    source_format: str
    characters: int
    clauses: int


class DocumentDetailOut(DocumentOut):
    text: str
    headings: list[HeadingOut]
    clause_list: list[ClauseOut]


class Status(BaseModel):
    status: str
    build: str | None = None
    clauses: int | None = None
    reason: str | None = None  # why the service is not ready (the search backend unreachable, …)


class UploadedOut(BaseModel):
    """A contract added through ``POST /v1/documents``: its id, the provider read from it, and the build the
    index was rebuilt into (the server swaps to it within ``RAG_RELOAD_CHECK_SECONDS``)."""

    doc_id: str
    provider: str
    entity: str | None
    aliases: list[str]
    build: str | None
