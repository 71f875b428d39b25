"""Writing an answer: sentences with their citation markers, the verdict a yes/no question gets from facts,
and the words a fact is quoted by."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from core.records import Answer, Citation, Clause, Fact, Hit
from core.text import strip_markup
from rag.understand import ASKS_DEFINITION, DEFINITION, VALUE_FINDERS, asked_types, states_value

MENTION_CHARS = 80  # a mentioned fact's sentence shown up to this long
SHORT_REFERENCE = 60  # a referenced text shown whole up to this long
SHORT_CLAUSE = 120  # a clause quoted whole up to this long, else by its best sentence
BARE_ITEM = 20  # a list item this short (长期未使用账户) is a phrase: no statement without its lead-in
#: A list lead-in is quoted with its items: at most this many characters inside a clause, or item clauses.
LIST_CHARS = 400
LIST_ITEMS = 6
_CJK = re.compile(r"[\u4e00-\u9fff]{3,}")  # words, not a number such as （十一）


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


class ListItems(dict[tuple[str, str], list[Clause]]):
    """Each clause's items by (doc_id, clause_id), and each item's clause above it (``parents``)."""

    def __init__(self) -> None:
        super().__init__()
        self.parents: dict[tuple[str, str], Clause] = {}


def list_items(clauses: Sequence[Clause]) -> ListItems:
    """Each clause's items: the clauses numbered under it that follow it (一.1 → 一.1.1, or 1 → 1.1)."""
    children = ListItems()
    for row, clause in enumerate(clauses):
        # 一.1's items may restart at 1.1 (its own number, 1, then a dot); 1.1's are 1.1.x, not its siblings
        head, _, own = clause.clause_id.rpartition(".")
        prefixes = (
            clause.clause_id + ".",
            (clause.clause_id if re.fullmatch(r"[\d.]*", head) else own) + ".",
        )
        items = children.setdefault((clause.doc_id, clause.clause_id), [])
        for later in clauses[row + 1 : row + 1 + LIST_ITEMS]:
            if later.doc_id != clause.doc_id or not later.clause_id.startswith(prefixes):
                break
            items.append(later)
            children.parents.setdefault((later.doc_id, later.clause_id), clause)
    return children


def definitions_last(question: str, hits: list[Hit]) -> list[Hit]:
    """Clauses that only define a term ("续费"系指…) after the others, unless the question asks what a term
    means: a definition says what a word means, not what happens, how long or how much."""
    if ASKS_DEFINITION.search(question):
        return hits
    defining = [
        h
        for h in hits
        if DEFINITION.match(strip_markup(h.span.text)) or DEFINITION.match(strip_markup(h.clause.text))
    ]
    return [h for h in hits if h not in defining] + defining


def value_sentence(question: str, hit: Hit, score: Callable[[str], float]) -> Hit:
    """A long clause is quoted by one sentence: when the question asks for a kind of value (多久 → a length
    of time) that the retrieved sentence does not state, the clause's sentence stating one that ``score``s
    highest (says most of the question)."""
    asked = asked_types(question) & VALUE_FINDERS.keys()
    if not asked or len(hit.clause.text) <= SHORT_CLAUSE or states_value(asked, hit.span.text):
        return hit
    stating = [s for s in hit.clause.sentences if states_value(asked, s.text)]
    return replace(hit, span=max(stating, key=lambda s: score(s.text))) if stating else hit


def quoted_for(hit: Hit, children: ListItems) -> list[Citation]:
    """What to quote for a hit: a short clause whole (its sentences explain each other), a long one by its
    best sentence. A list lead-in (…如下：) is quoted with its items, inside the clause or as the clauses
    under it, or not at all: a lead-in alone answers nothing; a short item of a lead-in's list is quoted
    after the lead-in (长期未使用账户 says nothing without 以下情况下，我们有权终止您的服务：)."""
    c = hit.clause
    items = children.get((c.doc_id, c.clause_id), [])
    start, end = (c.start, c.end) if len(c.text) <= SHORT_CLAUSE else (hit.span.start, hit.span.end)
    lead = Citation(c.doc_id, c.provider, c.clause_id, start, end, c.text[start - c.start : end - c.start])
    if not is_lead_in(lead.text):
        above = children.parents.get((c.doc_id, c.clause_id))
        intro = above.sentences[-1] if above and above.sentences else above
        if above and intro and len(c.text) <= BARE_ITEM and is_lead_in(intro.text):
            return [Citation(c.doc_id, c.provider, above.clause_id, intro.start, intro.end, intro.text), lead]
        return [lead]
    if end < c.end:  # the items follow in the same clause: quote up to LIST_CHARS of them
        for sentence in c.sentences:
            if sentence.start >= end and sentence.end - start <= LIST_CHARS:
                end = sentence.end
        text = c.text[start - c.start : end - c.start]
        return [] if is_lead_in(text) else [Citation(c.doc_id, c.provider, c.clause_id, start, end, text)]
    if not items:
        return []
    cited = (Citation(k.doc_id, k.provider, k.clause_id, k.start, k.end, k.text) for k in items[:LIST_ITEMS])
    return [lead, *cited]


def with_items(citation: Citation, children: ListItems, texts: Mapping[str, str]) -> Citation:
    """A citation of a list's lead-in (以下情况可申请退款：) extended over the items numbered under it, the
    one passage they make; any other citation as it is."""
    items = children.get((citation.doc_id, citation.clause_id), [])
    text = texts.get(citation.doc_id)
    if not items or text is None or not is_lead_in(citation.text):
        return citation
    end = max(citation.end, items[-1].end)
    return replace(citation, end=end, text=text[citation.start : end])


def shown_list(quoted: Sequence[Citation]) -> tuple[str, list[Citation]]:
    """The words a quote shows, as a reader sees them (a lead-in's items whole while it stays readable,
    then ……) and the citations of exactly what it shows."""
    shown, cited = quoted[0].text, [quoted[0]]
    for item in quoted[1:]:
        if len(shown) + len(item.text) > LIST_CHARS // 2:
            return display(shown) + "……", cited
        shown += item.text
        cited.append(item)
    return display(shown), cited


_WRAPPED = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t]*\n\s*(?=[\u3000-\u9fff\uff00-\uffef\d])")


def display(text: str) -> str:
    """Cited words as a reader sees them: no markup, and lines that markup broke between Chinese words
    joined (a JSX paragraph indents every line)."""
    return _WRAPPED.sub("", strip_markup(text)).strip()


def one_span(cited: Sequence[Citation], document: str | None) -> list[Citation]:
    """A lead-in and the item clauses under it, cited as the one passage of the document they make
    (numbers and line breaks between them included): they are read together, so they are cited together."""
    if len(cited) < 2 or document is None or len({c.doc_id for c in cited}) > 1:
        return list(cited)
    first, last = cited[0], cited[-1]
    # overlapping, or other clauses' words between them (a lead-in and its third item): cited apart
    if any(b.start < a.end or _CJK.search(document[a.end : b.start]) for a, b in pairwise(cited)):
        return list(cited)
    return [
        Citation(
            first.doc_id,
            first.provider,
            first.clause_id,
            first.start,
            last.end,
            document[first.start : last.end],
        )
    ]


def is_lead_in(text: str) -> bool:
    """A sentence that only introduces a list (…包括但不限于：)."""
    return strip_markup(text).rstrip().endswith(("：", ":"))


def joined(first: Answer, second: Answer) -> Answer:
    """One answer saying ``first`` and then ``second``, the second's ``[n]`` markers renumbered after the
    first's citations (a citation both make is listed once)."""
    citations = list(first.citations)
    numbers: dict[int, int] = {}
    for n, citation in enumerate(second.citations, start=1):
        key = (citation.doc_id, citation.start, citation.end)
        same = [i for i, c in enumerate(citations, start=1) if (c.doc_id, c.start, c.end) == key]
        if not same:
            citations.append(citation)
        numbers[n] = same[0] if same else len(citations)
    text = re.sub(r"\[(\d+)\]", lambda m: f"[{numbers.get(int(m.group(1)), int(m.group(1)))}]", second.answer)
    return replace(first, answer=first.answer.rstrip("。") + "；" + text, citations=tuple(citations))
