"""JSON shapes shared by the command line and the HTTP API, so ``rag ask --json`` and ``POST /v1/ask``
return the same object by construction."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rag.records import Answer, Citation, Clause
from rag.retrieve import Hit


def clause_json(clause: Clause) -> dict[str, Any]:
    return {
        "doc_id": clause.doc_id,
        "provider": clause.provider,
        "clause_id": clause.clause_id,
        "kind": clause.kind,
        "number": clause.number,
        "heading_path": list(clause.heading_path),
        "start": clause.start,
        "end": clause.end,
        "text": clause.text,
        "sentences": [asdict(s) for s in clause.sentences],
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    c, span = hit.clause, hit.span
    row = citation_json(0, Citation(c.doc_id, c.provider, c.clause_id, span.start, span.end, span.text))
    del row["n"]
    return {**row, "score": round(hit.score, 6)}


def citation_json(n: int, c: Citation) -> dict[str, Any]:
    return {
        "n": n,
        "doc_id": c.doc_id,
        "provider": c.provider,
        "clause_id": c.clause_id,
        "start": c.start,
        "end": c.end,
        "text": c.text,
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answer": answer.answer,
        "refused": answer.refused,
        "intent": answer.intent,
        "citations": [citation_json(n, c) for n, c in enumerate(answer.citations, start=1)],
    }
