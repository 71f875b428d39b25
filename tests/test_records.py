"""Every record converts itself to a plain JSON-ready dict and back without loss."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.records import Answer, Citation, Clause, Document, Fact, Heading, Hit, Provider, Span
from index.corpus import Corpus


def _json_round_trip(data: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(data, ensure_ascii=False))
    return loaded


def test_corpus_records_round_trip_through_json(bundled: Corpus) -> None:
    records: list[Any] = [*bundled.documents.values(), *bundled.providers.values()]
    for segmentation in bundled.segmentations.values():
        records += [*segmentation.clauses, *segmentation.headings]
    for record in records:
        assert type(record).from_dict(_json_round_trip(record.to_dict())) == record


def test_provider_knows_its_document(bundled: Corpus) -> None:
    assert all(p.doc_id == doc_id for doc_id, p in bundled.providers.items())


def test_answer_numbers_its_citations_and_round_trips() -> None:
    cites = (Citation("a.txt", "甲云", "1.1", 0, 4, "甲乙丙丁"), Citation("b.txt", "乙云", "2", 5, 7, "戊己"))
    answer = Answer("问题", "回答[1][2]。", False, "lookup", cites)
    data = _json_round_trip(answer.to_dict())
    assert [c["n"] for c in data["citations"]] == [1, 2]
    assert Answer.from_dict(data) == answer


def test_fact_round_trips_and_an_absent_cell_has_the_same_shape() -> None:
    citation = Citation("a.txt", "甲云", "4.3", 10, 20, "保留 30 个自然日")
    fact = Fact("甲云", "data_retention", 30.0, "天", "30 天", "30 个自然日", citation, "", "数据保留期")
    data = _json_round_trip(fact.to_dict())
    assert Fact.from_dict(data) == fact
    absent = Fact.absent("乙云", "data_retention", "数据保留期", "天")
    assert set(absent) == set(data) and absent["citation"] is None and absent["display"] == "未约定"
    with pytest.raises(ValueError, match="absent cell is not a fact"):
        Fact.from_dict(absent)


def test_hit_serialises_its_span_as_a_citation_and_needs_its_clause_back() -> None:
    span = Span(3, 5, "丙丁")
    clause = Clause("a.txt", "甲云", "1.1", "clause", ("总则",), 0, 7, "甲乙丙丁。戊己", (span,), "1.1")
    hit = Hit(clause, 0.25, span)
    data = _json_round_trip(hit.to_dict())
    assert data == {**Citation.of(clause, span).to_dict(), "score": 0.25}
    assert Hit.from_dict(data, clause) == hit
    other = Clause("a.txt", "甲云", "9", "clause", (), 0, 1, "甲")
    with pytest.raises(ValueError, match=r"hit names a\.txt 1\.1"):
        Hit.from_dict(data, other)


def test_record_dicts_hold_only_json_types() -> None:
    doc = Document("a.txt", "正文", "txt", "utf-8", "0" * 64)
    heading = Heading("a.txt", "一", "总则", 0, 4, 1)
    provider = Provider("甲云", None, ("甲",), "a.txt")
    for record in (doc, heading, provider):
        assert _json_round_trip(record.to_dict()) == record.to_dict()
