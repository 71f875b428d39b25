"""The HTTP schema is the records' own shape: every response model that carries a record has exactly the
fields of that record's ``to_dict`` (nested models included). Add a field to a record in ``core/`` and
forget the schema, and this fails."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from pydantic import BaseModel

from core.records import Answer, Citation, Fact, Hit
from index.corpus import Corpus
from rag.api import schemas


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X``, ``list[X]`` or ``X | None``, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def mismatches(model: type[BaseModel], data: dict[str, Any], where: str = "") -> list[str]:
    """Fields the model has and the dict lacks, or the other way round, recursively."""
    where = where or model.__name__
    problems = [f"{where}: schema lacks {k}" for k in sorted(set(data) - set(model.model_fields))]
    problems += [f"{where}: record lacks {k}" for k in sorted(set(model.model_fields) - set(data))]
    for name, field in model.model_fields.items():
        nested, value = _model_of(field.annotation), data.get(name)
        if nested is None or value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            problems += mismatches(nested, item, f"{where}.{name}")
    return problems


def _records(corpus: Corpus) -> dict[str, dict[str, Any]]:
    seg = corpus.segmentations["002_111862d00bf5977e.txt"]
    clause = next(c for c in seg.clauses if len(c.sentences) > 1)
    citation = Citation.of(clause, clause.sentences[0])
    fact = Fact("码尚云", "data_retention", 30.0, "天", "30 天", "30 个自然日", citation, "", "数据保留期")
    return {
        "CitationOut": citation.to_dict(),
        "AskResponse": Answer("问", "答[1]。", False, "lookup", (citation,)).to_dict(),
        "SearchHitOut": Hit(clause, 0.5, clause.sentences[0]).to_dict(),
        "ProviderOut": corpus.providers["002_111862d00bf5977e.txt"].to_dict(),
        "FactOut": fact.to_dict(),
        "ClauseOut": clause.to_dict(),
        "HeadingOut": seg.headings[0].to_dict(),
        "SpanOut": clause.sentences[0].to_dict(),
    }


CHECKED = (
    "CitationOut",
    "AskResponse",
    "SearchHitOut",
    "ProviderOut",
    "FactOut",
    "ClauseOut",
    "HeadingOut",
    "SpanOut",
)


@pytest.mark.parametrize("model", CHECKED)
def test_each_response_model_has_exactly_its_records_fields(bundled: Corpus, model: str) -> None:
    assert mismatches(getattr(schemas, model), _records(bundled)[model]) == []


def test_an_absent_fact_cell_fits_the_fact_schema() -> None:
    assert mismatches(schemas.FactOut, Fact.absent("甲云", "late_fee", "滞纳金", "%/日")) == []


def test_the_parity_check_catches_a_forgotten_field() -> None:
    citation = Citation("a.txt", "甲云", "1", 0, 1, "甲")
    assert mismatches(schemas.CitationOut, {**citation.to_dict(), "page": 3}) == [
        "CitationOut: schema lacks page"
    ]
    answer = Answer("问", "答[1]", False, "lookup", (citation,)).to_dict()
    answer["citations"][0].pop("clause_id")
    assert mismatches(schemas.AskResponse, answer) == ["AskResponse.citations: record lacks clause_id"]


def test_every_response_model_is_checked_or_declared_a_view() -> None:
    """A new model in schemas.py must join the parity check, or be listed here as a view of no record."""
    views = {"AskRequest", "SearchResponse", "DocumentOut", "DocumentDetailOut", "Status", "UploadedOut"}
    nested = {"NumberedCitationOut"}  # checked inside AskResponse
    models = {
        name
        for name, obj in vars(schemas).items()
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == schemas.__name__
    }
    assert models - views - nested == set(CHECKED)
