from __future__ import annotations

from fastapi import APIRouter, HTTPException

from rag.api.deps import Keyed, Live, known_document
from rag.api.schemas import ClauseOut, DocumentDetailOut, DocumentOut, HeadingOut

router = APIRouter(tags=["contracts"])


@router.get("/v1/documents", response_model=list[DocumentOut])
def documents(_: Keyed, p: Live) -> list[DocumentOut]:
    return [DocumentOut(**p.document_summary(d)) for d in p.index.documents]


@router.get(
    "/v1/documents/{doc_id}",
    response_model=DocumentDetailOut,
    responses={404: {"description": "unknown document"}},
)
def document(doc_id: str, _: Keyed, p: Live) -> DocumentDetailOut:
    """A contract's text (offsets index it) and its clause tree (headings and clauses)."""
    doc_id = known_document(p, doc_id)
    return DocumentDetailOut(
        **p.document_summary(doc_id),
        text=p.index.documents[doc_id].text,
        headings=[HeadingOut(**h.to_dict()) for h in p.headings_of(doc_id)],
        clause_list=[ClauseOut(**c.to_dict()) for c in p.clauses_of(doc_id)],
    )


@router.get(
    "/v1/clauses/{doc_id}/{clause_id}",
    response_model=ClauseOut,
    responses={404: {"description": "unknown document or clause"}},
)
def clause(doc_id: str, clause_id: str, _: Keyed, p: Live) -> ClauseOut:
    """One clause with its sentences and their offsets."""
    found = p.index.clause(known_document(p, doc_id), clause_id)
    if found is None:
        raise HTTPException(404, f"unknown clause {clause_id!r} in {doc_id}")
    return ClauseOut(**found.to_dict())
