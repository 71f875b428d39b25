"""Cross-references inside a sentence (第5.2条, 第三条, 前款, 上述条款) resolved to the clauses they point at,
so an answer can cite the clause a fact depends on beside the fact's own words.

The reference words are data (``PATTERNS``): a numbered reference is looked up by the contract's own
clause numbers; 前款 is the clause just before; 上述 is the lead-in the sentence is an item of, else the
clause before; a place defined elsewhere (本协议签订地) is the sentence defining it (签订地为…). A reference
that does not resolve is left alone, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.records import Citation, Clause

#: (kind, pattern): "number" captures the number as the contract writes it.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("number", re.compile(r"第\s*(?P<n>\d+(?:\.\d+)*)\s*[条款项]")),
    ("number", re.compile(r"第(?P<n>[一二三四五六七八九十百]+)条")),
    ("number", re.compile(r"(?<![\d.])(?P<n>\d+\.\d+(?:\.\d+)*)\s*条")),
    ("previous", re.compile(r"前款|上款|上一款|前项|上一条")),
    ("above", re.compile(r"上述条款|上述约定|上述规定|前述条款|前述约定")),
    # a place the contract defines elsewhere (本协议签订地 … 法院 → 本协议签订地为广东省深圳市南山区)
    ("defined", re.compile(r"(?P<n>签订地|签署地|履行地)(?![（(为是])")),
)


class References:
    """Resolves references against one corpus' clauses (document order)."""

    def __init__(self, clauses: Sequence[Clause]) -> None:
        self._clauses = [c for c in clauses if c.kind == "clause"]
        self._position = {(c.doc_id, c.clause_id): i for i, c in enumerate(self._clauses)}
        self._by_id = {(c.doc_id, c.clause_id): c for c in self._clauses}

    def _before(self, clause: Clause) -> Clause | None:
        i = self._position.get((clause.doc_id, clause.clause_id))
        if not i:
            return None
        previous = self._clauses[i - 1]
        return previous if previous.doc_id == clause.doc_id else None

    def _parent(self, clause: Clause) -> Clause | None:
        if "." not in clause.clause_id:
            return None
        return self._by_id.get((clause.doc_id, clause.clause_id.rsplit(".", 1)[0]))

    def resolve(self, clause: Clause, sentence: str) -> tuple[Citation, ...]:
        found: list[Clause] = []
        defined: list[Citation] = []
        for kind, pattern in PATTERNS:
            for m in pattern.finditer(sentence):
                target: Clause | None
                if kind == "number":  # as numbered here: 5.2, or 第三条 for an article
                    ids = (m.group("n"), f"第{m.group('n')}条", m.group(0))
                    target = next(
                        (self._by_id[(clause.doc_id, i)] for i in ids if (clause.doc_id, i) in self._by_id),
                        None,
                    )
                elif kind == "defined":
                    definition = self._definition(clause, m.group("n"))
                    if definition is not None and definition not in defined:
                        defined.append(definition)
                    continue
                elif kind == "previous":
                    target = self._before(clause)
                else:
                    target = self._parent(clause) or self._before(clause)
                if target is not None and target != clause and target not in found:
                    found.append(target)
        return (*(Citation.of(c) for c in found), *defined)

    def _definition(self, clause: Clause, term: str) -> Citation | None:
        """The sentence of the same contract saying what ``term`` is (签订地为…), never ``clause``'s own."""
        said = re.compile(rf"{term}\s*(?:为|是|位于)")
        for other in self._clauses:
            if other.doc_id != clause.doc_id or other == clause:
                continue
            for s in other.sentences:
                if said.search(s.text):
                    return Citation(other.doc_id, other.provider, other.clause_id, s.start, s.end, s.text)
        return None
