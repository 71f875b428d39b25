"""Answering every part of a question: a question often asks two things of one clause (仲裁在哪里进行，用什么
语言？), and the sentence quoted for the first (…通过仲裁解决) leaves the second unsaid though the same clause
says it (仲裁语言应为英语). For each part of the question that asks something and that no quote answers, the
sentence of a cited clause that says most of that part is quoted after the answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from core.records import Answer, Citation, Clause
from core.text import strip_markup
from rag.understand import VALUE_FINDERS, asked_types, question_parts, states_value

#: a part of the question is answered when the quotes say at least this share of its words (IDF-weighted);
#: a sentence answers an unanswered part when it says at least this share
ANSWERED = 0.5
#: sentences added to one answer at most
MAX_ADDED = 2
#: a clause a quote points on to is quoted whole up to this long, else by its first sentence
FOLLOWED_CHARS = 160

Explain = Callable[[str, str, Sequence[str]], tuple[dict[str, float], set[str]]]


def _share(weight: Mapping[str, float], said: set[str]) -> float:
    total = sum(weight.values())
    return sum(weight[w] for w in said) / total if total else 1.0


def _unquoted(clause: Clause, answer: Answer) -> list[tuple[int, int]]:
    """The clause's sentences the answer does not show: whole, or the rest after the part shown (a fact
    shows its decisive words: …个人仲裁解决 shown, 并且你放弃参加集体诉讼… left)."""
    shown = re.findall(r"“([^”]{4,})”", answer.answer)
    out = []
    for sentence in clause.sentences:
        start = sentence.start
        if any(
            c.doc_id == clause.doc_id and c.start < sentence.end and start < c.end for c in answer.citations
        ):
            ends = [sentence.text.find(q) + len(q) for q in shown if q in sentence.text]
            if not ends:
                continue  # cited, and shown in a form not found here: leave it
            start += max(ends)
        text = clause.text[start - clause.start : sentence.end - clause.start]
        lead = len(text) - len(text.lstrip("，,；; \t\n"))
        if len(text.strip("，,；;。 \t\n")) >= 4:
            out.append((start + lead, sentence.end))
    return out


#: A quote that sends the reader on (…只对超出部分进行扣费，具体介绍见下。): the clause after says it.
FORWARD = re.compile(r"(?:见下|见下文|详见下文|见下表|如下所示)[。.]?$")


def _followed(answer: Answer, clause_of: Mapping[tuple[str, str], Clause]) -> Answer:
    """``answer`` with the clause after its last quote when that quote ends by pointing below (the same
    contract's next clause, whole while short, else its first sentence)."""
    last = answer.citations[-1] if answer.citations else None
    if last is None or not FORWARD.search(strip_markup(last.text).strip().strip("*").strip()):
        return answer
    keys = list(clause_of)
    at = keys.index((last.doc_id, last.clause_id)) if (last.doc_id, last.clause_id) in keys else -1
    nxt = clause_of[keys[at + 1]] if 0 <= at < len(keys) - 1 else None
    if nxt is None or nxt.doc_id != last.doc_id or not nxt.sentences:
        return answer
    s = nxt.sentences[0] if len(nxt.text) > FOLLOWED_CHARS else nxt
    text = nxt.text[s.start - nxt.start : s.end - nxt.start]
    added = Citation(nxt.doc_id, nxt.provider, nxt.clause_id, s.start, s.end, text)
    more = f"第 {nxt.clause_id} 条接着约定：“{strip_markup(text).strip()}”[{len(answer.citations) + 1}]"
    return replace(
        answer, answer=f"{answer.answer.rstrip('。')}；{more}。", citations=(*answer.citations, added)
    )


def completed(
    answer: Answer,
    question: str,
    providers: Sequence[str],
    clause_of: Mapping[tuple[str, str], Clause],
    explain: Explain,
) -> Answer:
    """``answer`` with, for each asking part of ``question`` its quotes leave unanswered, the sentence of its
    cited clauses that answers that part, and the clause a quote points on to (见下). Only an answer about
    one provider: a comparison quotes each provider's fact and stops."""
    if not answer.refused and len({c.provider for c in answer.citations}) == 1:
        answer = _followed(answer, clause_of)
    parts = [question[s:e] for s, e, asks in question_parts(question) if asks]
    parts = parts if len(parts) >= 2 else [question]  # one ask: the whole question (腾讯企业邮 赔偿申请 渠道)
    if answer.refused or len({c.provider for c in answer.citations}) != 1:
        return answer
    open_parts = [p for p in parts if _share(*explain(p, answer.answer, providers)) < ANSWERED]
    clauses = dict.fromkeys(
        c for c in (clause_of.get((q.doc_id, q.clause_id)) for q in answer.citations) if c is not None
    )
    spans = [(c, s, e) for c in clauses for s, e in _unquoted(c, answer)]
    if len(parts) == 1:  # one ask: a sentence not cited yet, or the rest of a cited one only for its figure
        spans = [
            (c, s, e)
            for c, s, e in spans
            if not any(q.start < e and s < q.end for q in answer.citations)
            or states_value(VALUE_FINDERS.keys(), c.text[s - c.start : e - c.start])
        ]
    added: list[Citation] = []
    for part in open_parts[:MAX_ADDED]:
        # a kind of value the part asks and the answer states already (多久 → 18 个小时): only a sentence
        # stating one too can say more of it (not the clause's other sentence about the same thing)
        asked = {t for t in asked_types(part) if states_value({t}, answer.answer)}
        scored = [
            (_share(*explain(part, c.text[s - c.start : e - c.start], providers)), k)
            for k, (c, s, e) in enumerate(spans)
            if not asked or states_value(asked, c.text[s - c.start : e - c.start])
        ]
        share, best = max(scored, default=(0.0, -1))
        if share < ANSWERED:
            continue
        clause, start, end = spans.pop(best)
        text = clause.text[start - clause.start : end - clause.start]
        added.append(Citation(clause.doc_id, clause.provider, clause.clause_id, start, end, text))
    if not added:
        return answer
    n = len(answer.citations)
    more = "；".join(
        f"第 {c.clause_id} 条还约定：“{strip_markup(c.text).strip()}”[{n + k}]"
        for k, c in enumerate(added, start=1)
    )
    return replace(
        answer, answer=f"{answer.answer.rstrip('。')}；{more}。", citations=(*answer.citations, *added)
    )
