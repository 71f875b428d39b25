"""Who the provider is (运营主体, 签约主体, 哪家公司): the legal entity the reading found, quoted from the
first sentence of the provider's contracts that names it (of the contracts the question names, if any)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from core.records import Answer, Citation, Clause, Provider
from core.text import strip_markup
from rag.draft import Draft
from rag.understand import Analysis


def _naming(clauses: Iterable[Clause], name: str, entity: str, documents: Collection[str]) -> Citation | None:
    for c in clauses:
        if c.provider != name or entity not in c.text or (documents and c.doc_id not in documents):
            continue
        for s in c.sentences:
            if entity in s.text:
                return Citation(c.doc_id, c.provider, c.clause_id, s.start, s.end, s.text)
    return None


def identity_answer(
    question: str, analysis: Analysis, providers: Collection[Provider], clauses: Iterable[Clause]
) -> Answer | None:
    """Each provider the question names with its entity and the words naming it; None when none is read."""
    clauses = list(clauses)
    draft = Draft()
    for name in analysis.providers:
        for entity in dict.fromkeys(p.entity for p in providers if p.name == name and p.entity):
            found = _naming(clauses, name, entity, analysis.documents)
            if found is not None:
                shown = strip_markup(found.text).strip()
                draft.add(f"{name}的签约主体是{entity}：“{shown}”{draft.cite(found)}")
    if not draft.parts:
        return None
    return Answer(question, "；".join(draft.parts) + "。", False, analysis.intent, tuple(draft.citations))
