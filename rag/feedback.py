"""Users' verdicts on answers: 👍 / 👎 with an optional comment, kept with the question, the answer and its
citations in one SQLite table under the index dir (created on first use), for the maintainers' eval set
(``rag feedback [--csv]``)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.records import Answer

FILE = "feedback.sqlite3"
VERDICTS = ("up", "down")
MAX_COMMENT = 2000  # characters
COLUMNS = ("id", "created", "verdict", "comment", "question", "answer", "citations")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL
)
"""


class FeedbackError(ValueError):
    """Feedback that cannot be stored, with the field and the limit it breaks."""


class FeedbackStore:
    """The feedback table of one index dir."""

    def __init__(self, index_dir: Path) -> None:
        self.path = Path(index_dir) / FILE

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute(_SCHEMA)
        return connection

    def add(self, answer: Answer, verdict: str, comment: str = "") -> int:
        """Store a verdict on ``answer``; the new row's id."""
        if verdict not in VERDICTS:
            raise FeedbackError(f"verdict: must be one of {', '.join(VERDICTS)}, got {verdict!r}")
        if len(comment) > MAX_COMMENT:
            raise FeedbackError(f"comment: at most {MAX_COMMENT} characters, got {len(comment)}")
        citations = json.dumps([c.to_dict() for c in answer.citations], ensure_ascii=False)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO feedback (created, verdict, comment, question, answer, citations)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (created, verdict, comment.strip(), answer.question, answer.answer, citations),
            )
            return int(cursor.lastrowid or 0)

    def rows(self) -> list[dict[str, Any]]:
        """Every verdict, oldest first (none when nobody has given one yet)."""
        if not self.path.exists():
            return []
        with closing(self._connect()) as db:
            found = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall()
        return [dict(zip(COLUMNS, row, strict=True)) for row in found]


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV with a header (citations as their JSON list)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
