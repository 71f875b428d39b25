"""The example bank (the catalog's example questions and ``rag/question_bank.jsonl``, which trains the
question classifier) never contains an eval question or a near copy of one: not after normalisation, not by
character 3-grams, and (slow, real model) not by embedding similarity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.catalog import ATTRIBUTES
from rag.topics import load_bank
from rag.understand import normalise

EVAL_DATA = Path(__file__).resolve().parent.parent / "evals" / "data"
#: Character 3-gram Jaccard at or above this is a near copy (the closest honest pair today is 0.35).
MAX_JACCARD = 0.5
#: Cosine of e5 query vectors at or above this is a near copy (e5 puts questions of one shape near 0.94).
MAX_COSINE = 0.95


def bank() -> list[str]:
    catalog = [example for attribute in ATTRIBUTES.values() for example in attribute.examples]
    return catalog + [e.question for e in load_bank()]


def eval_questions() -> list[str]:
    questions = []
    for path in [
        *sorted(EVAL_DATA.glob("*.jsonl")),
        *sorted(EVAL_DATA.parent.glob("probes/*/questions.jsonl")),
    ]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and (question := json.loads(line).get("question")):
                questions.append(question)
                questions += json.loads(line).get("history", [])
    return questions


def grams(text: str) -> set[str]:
    text = "".join(normalise(text).split())
    return {text[i : i + 3] for i in range(len(text) - 2)}


def test_the_bank_and_the_eval_sets_are_not_empty() -> None:
    assert len(bank()) >= 400 and len(eval_questions()) >= 500


def test_no_eval_question_is_in_the_bank_after_normalisation() -> None:
    examples = {"".join(normalise(e).split()) for e in bank()}
    assert not [q for q in eval_questions() if "".join(normalise(q).split()) in examples]


def test_no_eval_question_is_a_near_copy_of_an_example_by_character_3_grams() -> None:
    near = []
    for example in bank():
        mine = grams(example)
        for question in eval_questions():
            theirs = grams(question)
            score = len(mine & theirs) / max(1, len(mine | theirs))
            if score >= MAX_JACCARD:
                near.append((round(score, 2), example, question))
    assert not near


def test_the_check_catches_a_near_copy() -> None:
    """The measure is not vacuous: a one-word edit of an example is caught."""
    example = bank()[0]
    edited = example[:-2] + "呢？"
    assert len(grams(example) & grams(edited)) / len(grams(example) | grams(edited)) >= MAX_JACCARD


@pytest.mark.slow
def test_no_eval_question_is_a_near_copy_of_an_example_by_embedding() -> None:
    from index.embed import SentenceTransformerEmbedder
    from rag.settings import Settings

    embedder = SentenceTransformerEmbedder(cache_dir=Settings().model_cache_dir)
    examples, questions = bank(), eval_questions()
    similarity = embedder.encode_queries(examples) @ embedder.encode_queries(questions).T
    worst = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
    assert similarity[worst] < MAX_COSINE, (examples[worst[0]], questions[worst[1]], float(similarity[worst]))
