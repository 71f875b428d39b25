"""The question classifier's example bank (data, checked on load) and the query vectors the index stores."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from index.embed import HashingEmbedder
from index.store import build_index, load_index
from rag.catalog import ATTRIBUTES
from rag.topics import NONE, STYLES, BankError, QuestionTopics, load_bank, training_set


def test_the_bank_covers_every_catalog_topic_in_every_style() -> None:
    bank = load_bank()
    topics = {a.topic for a in ATTRIBUTES.values()} | {NONE}
    assert {(e.topic, e.style) for e in bank} == {(t, s) for t in topics for s in STYLES}
    assert len({e.question for e in bank}) == len(bank)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "bank.jsonl line 2: not JSON"),
        ('{"topic": "late_fee", "style": "terse"}', "bank.jsonl line 2.question: required"),
        (
            '{"topic": "weather", "style": "terse", "question": "q"}',
            "line 2.topic: 'weather' is not a catalog",
        ),
        ('{"topic": "late_fee", "style": "poem", "question": "q"}', "line 2.style: 'poem' is not one of"),
    ],
)
def test_a_malformed_bank_line_is_refused_naming_line_and_field(
    tmp_path: Path, line: str, message: str
) -> None:
    path = tmp_path / "bank.jsonl"
    good = json.dumps({"topic": "late_fee", "style": "terse", "question": "滞纳金 多少"}, ensure_ascii=False)
    path.write_text(f"{good}\n{line}\n", encoding="utf-8")
    with pytest.raises(BankError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_bank(path)


def test_the_catalog_examples_join_the_bank() -> None:
    texts, labels = training_set(load_bank())
    example = next(a for a in ATTRIBUTES.values() if a.examples)
    assert example.examples[0] in texts and labels[texts.index(example.examples[0])] == example.topic


def test_the_classifier_learns_the_bank_and_says_none_below_its_threshold() -> None:
    """Over separable vectors it names the topic; over a vector between topics, nothing."""
    texts = ["a1", "a2", "b1", "b2", "n1", "n2"]
    labels = ["late_fee", "late_fee", "refund", "refund", NONE, NONE]
    basis = {"a": [1.0, 0.0, 0.0], "b": [0.0, 1.0, 0.0], "n": [0.0, 0.0, 1.0]}
    vectors = np.asarray([basis[t[0]] for t in texts])
    topics = QuestionTopics(texts, labels, lambda qs: np.asarray([basis[q[0]] for q in qs]), vectors=vectors)
    assert topics.topic("a3")[0] == "late_fee" and topics.topic("b3")[0] == "refund"
    assert topics.topic("n3")[0] is None
    between = QuestionTopics(texts, labels, lambda qs: np.full((len(qs), 3), 0.577), vectors=vectors)
    assert between.topic("x")[0] is None


def test_the_index_stores_query_vectors_and_rebuilds_when_the_queries_change(
    write_contract: Callable[..., Path], tmp_path: Path
) -> None:
    folder = write_contract("星河.txt", "星河云服务协议\n一、 数据\n1. 星河云保存您的数据 30 日。\n").parent
    embedder = HashingEmbedder()
    first = build_index(folder, tmp_path / "index", embedder, queries=("滞纳金 多少", "能退款吗"))
    index = load_index(tmp_path / "index", embedder)
    assert index.queries == ("滞纳金 多少", "能退款吗")
    assert index.query_vectors is not None
    np.testing.assert_allclose(index.query_vectors, embedder.encode_queries(["滞纳金 多少", "能退款吗"]))
    again = build_index(folder, tmp_path / "index", embedder, queries=("滞纳金 多少", "能退款吗"))
    assert again.up_to_date
    changed = build_index(folder, tmp_path / "index", embedder, queries=("能退款吗",))
    assert not changed.up_to_date and changed.build_dir != first.build_dir
    assert load_index(tmp_path / "index", embedder).queries == ("能退款吗",)
