"""JSON shapes shared by the command line and the HTTP API, so ``rag ask --json`` and ``POST /v1/ask``
return the same object by construction."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rag.facts import ATTRIBUTES, FactTable
from rag.records import Answer, Citation, Clause, Provider
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


def provider_rows(providers: dict[str, Provider]) -> list[dict[str, Any]]:
    return [
        {"doc_id": d, "name": p.name, "entity": p.entity, "aliases": list(p.aliases)}
        for d, p in providers.items()
    ]


def fact_rows(table: FactTable) -> list[dict[str, Any]]:
    """One row per fact, and one 未约定 row (no citation) for every cell a contract does not state."""
    rows: list[dict[str, Any]] = []
    for provider, attribute, facts in table.rows():
        spec = ATTRIBUTES[attribute]
        base: dict[str, Any] = {
            "provider": provider,
            "attribute": attribute,
            "label": spec.label,
            "unit": spec.unit,
        }
        if not facts:
            rows.append({**base, "value": None, "display": "未约定", "qualifier": "", "citation": None})
        for f in facts:
            citation = citation_json(1, f.citation)
            rows.append(
                {
                    **base,
                    "value": f.value,
                    "display": f.display,
                    "qualifier": f.qualifier,
                    "citation": citation,
                }
            )
    return rows
