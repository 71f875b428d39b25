"""Invariants of segmentation, on the bundled contracts and on synthetic contracts made by hypothesis.

* exact spans: ``text[start:end] == clause.text`` for clauses and sentences;
* document order and no overlaps;
* every non-blank body character is in exactly one clause: what no clause covers is a heading line, a
  clause number, or editor markup, nothing else.

The synthetic contracts are rendered from a random clause tree in one of several numbering schemes, so the
expected clause ids and texts are known without asking the segmenter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.records import Document
from index.corpus import Corpus
from index.segment import Segmentation, segment
from tests.conftest import BUNDLED_IDS

# Independent of the segmenter's own patterns: what may legitimately lie outside every clause.
NUMBERING = re.compile(
    r"^(第[一二三四五六七八九十百\d]+[条章节]|[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十\d]+[）)]"
    r"|\d+(\.\d+)*\.?|\d+、|[a-z][)）]?)[ \t]*$"
)
MARKUP = re.compile(r"\*\*|__|\[bookmark:[^\]]*\]|^#{1,6}$")


def check_invariants(document: Document, seg: Segmentation) -> None:
    text = document.text
    previous_end = 0
    owner = [0] * len(text)
    for clause in seg.clauses:
        assert text[clause.start : clause.end] == clause.text
        assert clause.start >= previous_end, f"{clause.clause_id} overlaps or is out of order"
        assert clause.text == clause.text.strip() and clause.text
        previous_end = clause.end
        for i in range(clause.start, clause.end):
            owner[i] += 1
        sentence_end = clause.start
        for sentence in clause.sentences:
            assert text[sentence.start : sentence.end] == sentence.text
            assert clause.start <= sentence.start < sentence.end <= clause.end
            assert sentence.start >= sentence_end
            sentence_end = sentence.end
        assert clause.sentences, f"{clause.clause_id} has no sentence"
    assert max(owner, default=0) <= 1

    allowed = [0] * len(text)
    for heading in seg.headings:
        assert heading.title in text[heading.start : heading.end]
        for i in range(heading.start, heading.end):
            allowed[i] = 1
    for span in seg.markers:
        assert text[span.start : span.end] == span.text
        assert NUMBERING.match(span.text.strip()), span.text
        for i in range(span.start, span.end):
            allowed[i] = 1
    for m in MARKUP.finditer(text):
        for i in range(m.start(), m.end()):
            allowed[i] = 1
    for m in re.finditer(r"(?m)^[ \t]*#{1,6}[ \t]", text):
        for i in range(m.start(), m.end()):
            allowed[i] = 1
    stray = [i for i, ch in enumerate(text) if not ch.isspace() and not owner[i] and not allowed[i]]
    assert not stray, f"characters in no clause: {text[stray[0] : stray[0] + 20]!r}"


@pytest.mark.parametrize("doc_id", BUNDLED_IDS)
def test_bundled_contracts_keep_every_invariant(bundled: Corpus, doc_id: str) -> None:
    check_invariants(bundled.documents[doc_id], bundled.segmentations[doc_id])


def test_clause_ids_are_unique_within_a_document(bundled: Corpus) -> None:
    for seg in bundled.segmentations.values():
        ids = [c.clause_id for c in seg.clauses]
        assert len(ids) == len(set(ids))


# --- synthetic contracts -------------------------------------------------------------------------------

CN = "零一二三四五六七八九"


def cn_numeral(n: int) -> str:
    if n < 10:
        return CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN[tens]) + "十" + (CN[ones] if ones else "")


SENTENCES = st.sampled_from(
    [
        "服务商应当在五个工作日内答复您的请求。",
        "您应按时支付服务费用；",
        "逾期付款的，每日按应付金额的万分之五支付滞纳金。",
        "数据将在服务终止后保留 30 个自然日。",
        "双方应友好协商解决争议，协商不成的，提交被告所在地人民法院诉讼解决。",
        "本条款在本协议终止后仍然有效。",
        "因不可抗力造成的损失，双方互不承担责任！",
        "服务可用性低于 99.9% 时，按故障时间的 10 倍延长服务期。",
    ]
)
TITLES = st.sampled_from(["服务内容", "费用与支付", "数据保存", "违约责任", "争议解决", "保密", "其他约定"])


@dataclass
class Expected:
    clause_id: str
    start: int
    end: int


class Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.expected: list[Expected] = []

    def write(self, s: str) -> tuple[int, int]:
        start = self.size
        self.parts.append(s)
        self.size += len(s)
        return start, self.size

    def line(self, prefix: str, body: str, clause_id: str | None, gap: bool, suffix: str = "") -> None:
        self.write(prefix)
        start, end = self.write(body)
        self.write(suffix + ("\n\n" if gap else "\n"))
        if clause_id is not None:
            self.expected.append(Expected(clause_id, start, end))

    def extend_last(self, body: str, gap: bool) -> None:
        _, end = self.write(body)
        self.write("\n\n" if gap else "\n")
        self.expected[-1].end = end

    @property
    def text(self) -> str:
        return "".join(self.parts)


def body(draw: st.DrawFn) -> str:
    return "".join(draw(st.lists(SENTENCES, min_size=1, max_size=3)))


@st.composite
def synthetic_contract(draw: st.DrawFn) -> tuple[str, list[Expected]]:
    scheme = draw(st.sampled_from(["cn-dot", "num-paren-alpha", "markdown-dotted", "article"]))
    gap = draw(st.booleans())
    w = Writer()
    for _ in range(draw(st.integers(0, 2))):  # un-numbered preamble lines
        w.line("", body(draw), None, gap)
    for s in range(1, draw(st.integers(1, 4)) + 1):
        title = draw(TITLES)
        intro = draw(st.booleans())
        n_items = draw(st.integers(0 if intro else 1, 3))
        if scheme == "cn-dot":
            section_id, w_prefix = cn_numeral(s), f"{cn_numeral(s)}、 "
        elif scheme == "num-paren-alpha":
            section_id, w_prefix = str(s), f"{s}、 "
        elif scheme == "markdown-dotted":
            section_id, w_prefix = str(s), f"#### {s}. "
        else:
            section_id, w_prefix = f"第{cn_numeral(s)}条", f"第{cn_numeral(s)}条 "
        w.write(w_prefix + title + ("\n\n" if gap else "\n"))
        if intro:
            w.line("", body(draw), section_id, gap)
        for i in range(1, n_items + 1):
            if scheme == "cn-dot":
                item_id, prefix = f"{section_id}.{i}", f"{i}.\t"
            elif scheme == "num-paren-alpha":
                item_id, prefix = f"{section_id}.({i})", f"（{i}）"
            elif scheme == "markdown-dotted":
                item_id, prefix = f"{s}.{i}", f"{s}.{i} "
            else:
                item_id, prefix = (
                    f"{section_id}.(一)" if i == 1 else f"{section_id}.({cn_numeral(i)})",
                    f"（{cn_numeral(i)}）",
                )
            emphasis = draw(st.booleans()) and scheme == "markdown-dotted"
            text = body(draw)
            if emphasis:  # "**3.2 …**" as in Markdown contracts
                w.line("**" + prefix, text, item_id, gap, suffix="**")
            else:
                w.line(prefix, text, item_id, gap)
            if draw(st.booleans()):  # a continuation paragraph belongs to the item above it
                w.extend_last(body(draw), gap)
            if scheme == "num-paren-alpha" and draw(st.booleans()):
                for k, letter in enumerate("abc"[: draw(st.integers(1, 3))]):
                    sep = ")" if k == 0 or draw(st.booleans()) else " "
                    w.line(f"{letter}{sep}", body(draw), f"{item_id}.{letter}", gap)
    return w.text, w.expected


@settings(max_examples=150, deadline=None)
@given(synthetic_contract())
def test_synthetic_contracts_segment_into_the_clauses_they_were_built_from(
    contract: tuple[str, list[Expected]],
) -> None:
    text, expected = contract
    document = Document("synthetic.txt", text, "txt", "utf-8", "")
    seg = segment(document, "测试云")
    check_invariants(document, seg)
    numbered = [c for c in seg.clauses if c.kind == "clause"]
    assert [c.clause_id for c in numbered] == [e.clause_id for e in expected]
    assert [(c.start, c.end) for c in numbered] == [(e.start, e.end) for e in expected]
