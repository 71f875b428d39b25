"""Users' 👍 / 👎 on answers: one SQLite table under the index dir, exported by ``rag feedback``."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from core.records import Answer, Citation
from rag.cli import main
from rag.feedback import FILE, MAX_COMMENT, FeedbackError, FeedbackStore

ANSWER = Answer(
    "码尚云的数据保留多久？",
    "码尚云：终止后保留 30 个自然日[1]。",
    False,
    "lookup",
    (Citation("002.txt", "码尚云", "4.3", 10, 20, "30 个自然日内"),),
)


def test_a_verdict_is_stored_with_question_answer_and_citations(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "index")
    assert store.rows() == [] and not store.path.exists()  # nothing is created until someone rates
    first = store.add(ANSWER, "up")
    second = store.add(ANSWER, "down", "  引用的条款不对  ")
    assert (first, second) == (1, 2)
    rows = store.rows()
    assert [r["verdict"] for r in rows] == ["up", "down"] and rows[1]["comment"] == "引用的条款不对"
    assert rows[0]["question"] == ANSWER.question and rows[0]["answer"] == ANSWER.answer
    assert json.loads(rows[0]["citations"])[0]["clause_id"] == "4.3"
    tables = sqlite3.connect(tmp_path / "index" / FILE).execute("SELECT name FROM sqlite_master").fetchall()
    assert ("feedback",) in tables


@pytest.mark.parametrize(
    ("verdict", "comment", "message"),
    [("meh", "", "verdict: must be one of up, down"), ("up", "长" * (MAX_COMMENT + 1), "comment: at most")],
)
def test_bad_feedback_names_the_field_and_stores_nothing(
    tmp_path: Path, verdict: str, comment: str, message: str
) -> None:
    store = FeedbackStore(tmp_path)
    store.add(ANSWER, "up")
    with pytest.raises(FeedbackError, match=message):
        store.add(ANSWER, verdict, comment)
    assert len(store.rows()) == 1


def test_rag_feedback_lists_and_exports_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path))
    assert main(["feedback"]) == 0 and "no feedback yet" in capsys.readouterr().out
    FeedbackStore(tmp_path).add(ANSWER, "down", "应为 30 天")
    assert main(["feedback"]) == 0
    listed = capsys.readouterr().out
    assert "👎" in listed and ANSWER.question in listed and "应为 30 天" in listed
    assert main(["feedback", "--csv"]) == 0
    (row,) = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert (row["verdict"], row["question"]) == ("down", ANSWER.question)
    assert json.loads(row["citations"])[0]["text"] == "30 个自然日内"
