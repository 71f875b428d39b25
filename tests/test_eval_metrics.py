"""Eval metrics against hand-worked examples, and the dev set's gold spans."""

from __future__ import annotations

import pytest

from evals.dataset import DATA, DatasetError, load_questions, locate
from evals.metrics import char_precision_recall, hit_at, merge, mrr_at, recall_at
from index.corpus import Corpus

GOLD = [("a", 10, 20), ("b", 0, 5)]
RETRIEVED = [("a", 100, 120), ("a", 15, 30), ("b", 3, 4), ("c", 0, 9)]


def test_hit_recall_mrr_by_hand() -> None:
    assert hit_at(RETRIEVED, GOLD, 1) == 0.0
    assert hit_at(RETRIEVED, GOLD, 2) == 1.0
    assert recall_at(RETRIEVED, GOLD, 2) == 0.5
    assert recall_at(RETRIEVED, GOLD, 3) == 1.0
    assert mrr_at(RETRIEVED, GOLD, 10) == 0.5
    assert mrr_at(RETRIEVED, GOLD, 1) == 0.0


def test_character_precision_and_recall_merge_overlaps_first() -> None:
    assert merge([("a", 5, 10), ("a", 8, 12), ("a", 20, 25), ("b", 0, 1)]) == [
        ("a", 5, 12),
        ("a", 20, 25),
        ("b", 0, 1),
    ]
    # top 3: a[100,120) 20 chars + a[15,30) 15 chars + b[3,4) 1 char = 36 retrieved;
    # overlap with gold: a[15,20) 5 + b[3,4) 1 = 6; gold has 10 + 5 = 15 chars.
    precision, recall = char_precision_recall(RETRIEVED, GOLD, 3)
    assert precision == pytest.approx(6 / 36)
    assert recall == pytest.approx(6 / 15)
    # the same span twice counts once
    assert char_precision_recall([("a", 10, 20), ("a", 10, 20)], GOLD, 2) == (1.0, pytest.approx(10 / 15))


def test_every_gold_quote_is_found_exactly_once(bundled: Corpus) -> None:
    texts = {d: doc.text for d, doc in bundled.documents.items()}
    dev = load_questions(texts)
    held = load_questions(texts, DATA / "heldout_questions.jsonl")
    assert len(dev) >= 60 and sum(q.style == "colloquial" for q in dev) >= 20
    assert len({q.question for q in dev} | {q.question for q in held}) == len(dev) + len(held)
    providers = {d for q in dev for g in q.gold for d in [g.doc_id]}
    assert providers == set(texts)  # all five contracts are asked about
    for q in dev + held:
        for g in q.gold:
            assert 0 <= g.start < g.end <= len(texts[g.doc_id])


def test_a_bad_quote_names_the_question() -> None:
    with pytest.raises(DatasetError, match="q7: quote not found"):
        locate("不存在的句子", "合同正文", "q7")
    with pytest.raises(DatasetError, match="occurs more than once"):
        locate("数据", "数据与数据", "q8")


def test_paraphrase_robustness_counts_a_fact_only_when_all_five_styles_are_right() -> None:
    from evals.conversations import Asked
    from evals.paraphrase import robustness

    styles = ("colloquial", "terse", "long", "english_mix", "typo_or_traditional")

    def asked(group: str, style: str) -> Asked:
        return Asked(f"{group}-{style}", "q", style, (), (("a.txt", 0, 5),), ("30",), False)

    results = [(asked("p-1", s), True) for s in styles] + [(asked("p-2", s), s != "terse") for s in styles]
    groups = {q.qid: q.qid.rsplit("-", 1)[0] for q, _ in results}
    report = robustness(results, groups)
    assert report["facts_right_in_all_5"].startswith("1/2 = 0.50")
    assert report["facts_right_in_at_least_one"] == "2/2"
    assert report["questions_right"] == "9/10 = 0.90"
    assert report["per_style"]["terse"] == "1/2"
