"""Writing an answer: sentences with their citation markers, the verdict a yes/no question gets from facts,
and the words a fact is quoted by."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from core.records import Citation, Fact
from core.text import strip_markup

MENTION_CHARS = 80  # a mentioned fact's sentence shown up to this long
SHORT_REFERENCE = 60  # a referenced text shown whole up to this long


@dataclass
class Draft:
    """An answer being written: sentences with their citation markers."""

    parts: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)

    def cite(self, citation: Citation) -> str:
        for n, existing in enumerate(self.citations, start=1):
            if (existing.doc_id, existing.start, existing.end) == (
                citation.doc_id,
                citation.start,
                citation.end,
            ):
                return f"[{n}]"
        self.citations.append(citation)
        return f"[{len(self.citations)}]"

    def add(self, text: str) -> None:
        self.parts.append(text)


def fact_verdict(facts: Sequence[Fact]) -> str:
    """是 / 否 / 视情况 for a yes/no question answered from facts: a yes/no value decides, and so does a
    quantity of zero (可删除、不保留 is 0 days: 数据还在吗？ → 否); a value stated under a condition
    depends on it; any other stated value says yes, the contract provides it."""
    flags = [f.value for f in facts if isinstance(f.value, bool)]
    flags += [
        f.value != 0 for f in facts if isinstance(f.value, int | float) and not isinstance(f.value, bool)
    ]
    if flags and not all(flags):
        return "否" if not any(flags) else "视情况"
    if flags and len(flags) == sum(isinstance(f.value, bool) for f in facts):
        return "是"
    if any(q.startswith("条件") for f in facts for q in f.qualifiers):
        return "视情况"
    return "是"


def quote(fact: Fact) -> str:
    """The words a fact stands on: its decisive words, or, for a fact mentioned without a figure (继续存储),
    its sentence, which says what the few words mean (仅在一定的缓冲期…内继续存储), cut around them."""
    if fact.state == "mentioned" and fact.wording:
        sentence = strip_markup(fact.citation.text).strip()
        at = max(sentence.find(fact.wording), 0)
        end = min(len(sentence), max(at + len(fact.wording) + 12, MENTION_CHARS))  # mostly what comes before
        start = max(0, end - MENTION_CHARS)
        return f"“{'……' if start else ''}{sentence[start:end]}{'……' if end < len(sentence) else ''}”"
    return f"“{fact.wording}”" if fact.wording and fact.wording not in fact.display else ""


def referenced(reference: Citation) -> str:
    """What a short referenced clause or sentence says (签订地为…), shown beside its number; a long one is
    only cited."""
    text = strip_markup(reference.text).strip()
    return f"：“{text}”" if len(text) <= SHORT_REFERENCE else ""
