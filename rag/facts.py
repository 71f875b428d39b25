"""Typed facts read from clauses by rule: provider × attribute → normalised value + the exact source span.

Each extractor looks at one sentence at a time (with its clause and heading path as context), decides from
the words whether the sentence states the attribute, and parses the value with :mod:`core.numbers`. The
cited span is the sentence, so the value the answer states always occurs inside the words it cites. No value
is typed in by hand and nothing is keyed to a provider: who "the provider" is comes from the contract
(its names, 本公司/我公司, or the party role the contract gives it, e.g. 乙方).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from core.numbers import rates
from core.records import Citation, Clause, Document, Fact, Provider, Span
from core.text import strip_markup
from index.party_words import GENERIC_SUFFIXES, GENERIC_TERMS
from rag.catalog import ATTRIBUTES, SKIP, Attribute
from rag.classify import features, train
from rag.qualifiers import CONDITION, qualifiers
from rag.readers import READERS, Extracted, Text, in_tier
from rag.references import References

GENERIC_SELF = ("本公司", "我公司", "我司", "本平台")
#: The qualifier of a fact found in a sentence the classifier chose (the cues did not).
FLAGGED = ("识别：语义相近（线索词未覆盖）",)
_USER = ("您", "用户", "客户")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a clause, with what an extractor needs to judge it."""

    clause: Clause
    span: Span
    plain: str  # the sentence without markup
    context: str  # heading path and the whole clause, without markup
    parent: str  # the clause this one is an item of (e.g. 下述情况不属于违约：), without markup
    self_names: tuple[str, ...]  # how this contract refers to the provider

    def mentions_self(self, text: str | None = None) -> bool:
        return any(name in (text if text is not None else self.plain) for name in self.self_names)


def provider_roles(text: str, provider: Provider) -> tuple[str, ...]:
    """The party role (甲方/乙方) a contract gives the provider: 乙方：指为您提供… or 乙方：<entity>."""
    roles = []
    for role in ("甲方", "乙方"):
        for m in re.finditer(rf"{role}\s*[：:]\s*([^\n]{{0,60}})", text):
            head = m.group(1)
            if head.startswith(("指为您提供", "指提供", "为您提供")) or (
                provider.entity and provider.entity in head
            ):
                roles.append(role)
                break
    return tuple(roles)


_SCOPE_TEXT: dict[str, Callable[[Sentence], str]] = {
    "sentence": lambda s: s.plain,
    "context": lambda s: s.context,
    "sentence+heading": lambda s: s.plain + " ".join(s.clause.heading_path),
    "sentence|parent": lambda s: f"{s.plain}\n{s.parent}",
}


def _about(attribute: Attribute, s: Sentence) -> bool:
    """Every cue of the attribute matches in its scope, no disqualifying context does, and the provider is
    named where the attribute asks for it."""
    if attribute.self_in and not s.mentions_self(_SCOPE_TEXT[attribute.self_in](s)):
        return False
    if any(not cue.pattern.search(_SCOPE_TEXT[cue.scope](s)) for cue in attribute.cues):
        return False
    return not any(cue.pattern.search(_SCOPE_TEXT[cue.scope](s)) for cue in attribute.unless)


def read(attribute: Attribute, s: Sentence, *, anchored: bool = False) -> list[Extracted]:
    """Values of the first reader of ``attribute`` that reads any in ``s`` (none if ``s`` is not about it).

    ``anchored``: the classifier, not the cues, chose ``s``; only the disqualifying contexts are checked and
    only readers with a pattern of their own (the value's words, not any number in the sentence) may read,
    and only a figure: a constant (可删除 → 0 days) needs the cues' context to mean what it says.
    """
    if anchored:
        if any(cue.pattern.search(_SCOPE_TEXT[cue.scope](s)) for cue in attribute.unless):
            return []
    elif not _about(attribute, s):
        return []
    text = Text(s.plain, s.clause.provider, GENERIC_SELF)
    for reader in attribute.readers:
        if anchored and (reader.pattern is None or reader.kind == "const"):
            continue
        if reader.need and not reader.need.search(_SCOPE_TEXT[reader.need_in](s)):
            continue
        if reader.unless and reader.unless.search(s.plain):
            continue
        if reader.self_in and not s.mentions_self(_SCOPE_TEXT[reader.self_in](s)):
            continue
        found = READERS[reader.kind](reader, text)
        if found:
            return found
    return []


def _segment(text: str, words: str, limit: int = 60) -> str:
    """The comma-delimited part of ``text`` around ``words``: the decisive words in their context."""
    at = text.find(words)
    start = max(text.rfind(ch, 0, at) for ch in "，,；;：:。") + 1
    ends = [i for i in (text.find(ch, at + len(words)) for ch in "，,；;。") if i >= 0]
    end = min(ends) if ends else len(text)
    segment = text[start:end].strip().strip("*")
    return segment if words in segment and len(segment) <= limit else words


def sentences_of(
    clauses: Iterable[Clause], documents: dict[str, Document], providers: dict[str, Provider]
) -> list[Sentence]:
    """Every sentence a fact can be read from, with its clause, context and list lead-in, in order."""
    by_name = {p.name: p for p in providers.values()}
    clauses = list(clauses)
    by_id = {(c.doc_id, c.clause_id): c for c in clauses}
    roles: dict[str, tuple[str, ...]] = {}
    out: list[Sentence] = []
    for clause in clauses:
        if clause.kind == "title":
            continue
        provider = by_name.get(clause.provider) or Provider(clause.provider, None)
        if clause.doc_id not in roles:
            roles[clause.doc_id] = provider_roles(documents[clause.doc_id].text, provider)
        self_names = (*provider.names, *GENERIC_SELF, *roles[clause.doc_id])
        context = strip_markup(" ".join((*clause.heading_path, clause.text)))
        parent_id = clause.clause_id.rsplit(".", 1)[0] if "." in clause.clause_id else None
        parent = by_id.get((clause.doc_id, parent_id)) if parent_id else None
        parent_text = strip_markup(parent.text) if parent is not None else ""
        for span in clause.sentences:
            sentence = Sentence(clause, span, strip_markup(span.text), context, parent_text, self_names)
            if not any(p.search(sentence.plain) for p in SKIP):
                out.append(sentence)
    return out


def scope_of(clause: Clause) -> str:
    """The product section a clause of a document's second part belongs to (Alibaba's 专用服务条款 >
    【日志服务】 → 日志服务): facts there hold for that product only. "" for the general terms."""
    path = clause.heading_path
    in_part = len(path) >= 2 and clause.clause_id.startswith(f"{path[0]}.")
    return path[1].strip("【】[] ") if in_part else ""


def _on_topic(attribute: Attribute, s: Sentence) -> tuple[int, int]:
    """How many of the attribute's cues and question words the clause's headings carry, then the sentence
    itself: where the contract deals with the attribute, not where it mentions it in passing."""

    def hits(text: str) -> int:
        return sum(bool(c.pattern.search(text)) for c in attribute.cues) + sum(
            w in text for w in attribute.question_words
        )

    return hits(" ".join(s.clause.heading_path)), hits(s.plain)


class _Collector:
    """Facts in the order found. Per document (a provider's documents differ) and per condition (如为包月…
    / 如为按量付费…), a value stated twice is kept once, where the headings (then the sentence itself) are
    most about the attribute; within one clause a value is kept once whatever its conditions (…冻结后的 30
    个自然日内… then 如果在冻结起的 30 个自然日内…); and a cell that has a value read drops its mentions
    without a figure."""

    def __init__(self, references: References) -> None:
        self.references = references
        self.facts: list[Fact] = []
        self.where: dict[tuple[str, str, str, str, tuple[str, ...]], tuple[int, tuple[int, int]]] = {}
        self.stated: set[tuple[str, str, str, str, str]] = set()  # doc, clause, attribute, display, scope
        self.scopes: list[str] = []  # per fact: the product section of its clause ("" for general terms)

    def add(
        self, attribute: Attribute, s: Sentence, found: list[Extracted], extra: tuple[str, ...] = ()
    ) -> None:
        span, clause, a = s.span, s.clause, attribute
        shown = strip_markup(span.text)  # an HTML row's cells: 低于99% | 月度服务费用的25%
        for value, display, wording, qualifier in found:
            if wording not in span.text and wording not in shown:
                continue
            qualifier = qualifier or scope_of(clause)
            stated = (clause.doc_id, clause.clause_id, a.key, display, qualifier)
            if stated in self.stated:
                continue
            self.stated.add(stated)
            conditions = (*qualifiers(s.plain, s.parent), *extra)
            only_if = tuple(q for q in conditions if q.startswith(CONDITION))
            key = (clause.doc_id, a.key, display, qualifier, only_if)
            score = _on_topic(a, s)
            if key in self.where and self.where[key][1] >= score:
                continue
            words = _segment(span.text if wording in span.text else shown, wording)
            fact = Fact(clause.provider, a.key, value, a.unit, display, words, Citation.of(clause, span))
            refs = self.references.resolve(clause, strip_markup(clause.text))
            fact = replace(fact, qualifier=qualifier, label=a.label, qualifiers=conditions, refs=refs)
            if key in self.where:
                self.facts[self.where[key][0]] = fact
                self.scopes[self.where[key][0]] = scope_of(clause)
                self.where[key] = (self.where[key][0], score)
            else:
                self.where[key] = (len(self.facts), score)
                self.facts.append(fact)
                self.scopes.append(scope_of(clause))

    def result(self) -> list[Fact]:
        """A mention without a figure is dropped where a value is read for the same attribute in the same
        document and product section: the general terms' 缓冲期 stays beside one product's 7 days."""
        pairs = list(zip(self.facts, self.scopes, strict=True))
        read = {(f.citation.doc_id, f.attribute, scope) for f, scope in pairs if f.state == "read"}
        return [
            f
            for f, scope in pairs
            if f.state == "read" or (f.citation.doc_id, f.attribute, scope) not in read
        ]


def extract_facts(
    clauses: Iterable[Clause],
    documents: dict[str, Document],
    providers: dict[str, Provider],
    catalog: Mapping[str, Attribute] = ATTRIBUTES,
    vectors: Callable[[list[Sentence]], np.ndarray | None] | None = None,
) -> list[Fact]:
    """Every fact the catalog's readers find: first in the sentences its cues select, then in sentences a
    classifier trained on those (weak labels) flags, where only readers anchored by their own pattern may
    read a value. ``vectors`` gives the sentences' embeddings when an index is at hand."""
    clauses = list(clauses)
    sentences = sentences_of(clauses, documents, providers)
    collector = _Collector(References(clauses))
    positive = {key: np.zeros(len(sentences), dtype=bool) for key in catalog}
    for i, s in enumerate(sentences):
        for key, attribute in catalog.items():
            found = read(attribute, s)
            positive[key][i] = bool(found)
            collector.add(attribute, s, found)
    if not sentences:
        return collector.result()
    x = features([s.plain for s in sentences], vectors(sentences) if vectors else None)
    for key, rows in train(x, positive).flagged(x).items():
        for i in rows:
            if not positive[key][i]:
                collector.add(
                    catalog[key], sentences[i], read(catalog[key], sentences[i], anchored=True), FLAGGED
                )
    return collector.result()


@dataclass(frozen=True, slots=True)
class FactTable:
    """Provider × attribute → facts; an empty cell means no contract of the provider states it (未约定).

    Facts are keyed by provider and document: a provider with several contracts (a master agreement, an
    SLA, product terms) has the facts of each, and ``document_label`` names the contract a fact is from.
    """

    providers: tuple[str, ...]
    facts: tuple[Fact, ...]
    titles: Mapping[str, str] = field(default_factory=dict)  # doc id -> the contract's title
    documents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # provider -> its doc ids

    def document_label(self, fact: Fact) -> str:
        """《title》 of the fact's contract when its provider has several, else ""."""
        if len(self.documents.get(fact.provider, ())) < 2:
            return ""
        return f"《{self.titles.get(fact.citation.doc_id, fact.citation.doc_id)}》"

    def titled(
        self, question: str, provider: str, tokenize: Callable[[str], list[str]]
    ) -> tuple[tuple[str, ...], set[str]]:
        """The provider's contracts whose title's own words the question says (UCloud 的域名… → 《域名服务
        协议》 among UCloud's domain terms and storage SLA), and those words; words every one of its titles
        has, or that name a kind of document (服务, 协议), do not count. None when the question says no such
        word or says them of every contract."""
        docs = self.documents.get(provider, ())
        if len(docs) < 2:
            return (), set()
        words = {d: tokenize(self.titles.get(d, "")) for d in docs}
        kinds = set(GENERIC_SUFFIXES)
        for ws in words.values():  # 域名服务 (one word to jieba) says 域名 once 服务 is off
            ws += [w[: -len(end)] for w in ws for end in kinds if w.endswith(end) and len(w) - len(end) >= 2]
        shared = set.intersection(*(set(w) for w in words.values()))
        # a piece of the provider's name (七牛 of 七牛云) never decides; the whole name only when no other
        # word does (七牛云短信: 短信 decides)
        asked = {w for w in set(tokenize(question)) - shared - kinds if w == provider or w not in provider}
        own = asked - {provider}
        asked = own if any(own & set(words[d]) for d in docs) else asked
        chosen = tuple(d for d in docs if asked & set(words[d]))
        if len(chosen) == len(docs):
            return (), set()
        return chosen, {w for d in chosen for w in asked & set(words[d])}

    def cell(self, provider: str, attribute: str) -> list[Fact]:
        return [f for f in self.facts if f.provider == provider and f.attribute == attribute]

    def rows(self) -> list[tuple[str, str, list[Fact]]]:
        return [(p, a, self.cell(p, a)) for p in self.providers for a in ATTRIBUTES]

    def to_dicts(self) -> list[dict[str, Any]]:
        """One row per fact (``Fact.to_dict``), and a 未约定 row without citation per cell a contract does
        not state: the shape of ``rag facts --json`` and ``GET /v1/facts``."""
        out: list[dict[str, Any]] = []
        for provider, attribute, facts in self.rows():
            spec = ATTRIBUTES[attribute]
            out.extend(
                [f.to_dict() for f in facts] or [Fact.absent(provider, attribute, spec.label, spec.unit)]
            )
        return out


def build_table(
    clauses: Iterable[Clause],
    documents: dict[str, Document],
    providers: dict[str, Provider],
    vectors: Callable[[list[Sentence]], np.ndarray | None] | None = None,
) -> FactTable:
    """The fact table of a corpus; ``vectors`` (the index's sentence vectors) sharpens the classifier."""
    clauses = list(clauses)
    names = tuple(dict.fromkeys(p.name for p in providers.values()))
    docs: dict[str, list[str]] = {}
    for doc_id, provider in providers.items():
        docs.setdefault(provider.name, []).append(doc_id)
    titles = {doc_id: _title(doc_id, clauses, doc.text) for doc_id, doc in documents.items()}
    facts = tuple(extract_facts(clauses, documents, providers, vectors=vectors))
    return FactTable(names, facts, titles, {k: tuple(v) for k, v in docs.items()})


_TITLE_WORDS = re.compile(r"(?:协议|条款|合同|规则)(?:[（(][A-Za-z]{2,6}[）)])?$")


def _title(doc_id: str, clauses: list[Clause], text: str = "") -> str:
    """The contract's title line (not a prompt such as 提示条款); else the 《…》 its opening defines as 本协议
    (您应当阅读并遵守《腾讯企业邮服务等级协议》（以下简称“本协议”）); else what its opening says it is about
    (本服务条款是…就您使用文字识别服务… → 文字识别服务条款); else its file name."""
    own = [c for c in clauses if c.doc_id == doc_id]
    title = next((c.display_text.strip("# ").strip() for c in own if c.kind == "title"), "")
    if title and title not in GENERIC_TERMS:
        return title[:40]
    opening = strip_markup(text[:1500])
    defined = re.search(
        r"《([^》\n]{2,40})》[^。；\n]{0,6}以下简称[^。；\n]{0,4}本(?:协议|条款|合同)", opening
    )
    if defined:
        return defined.group(1).strip()
    # a heading the segmenter kept as the opening's (## 域名服务协议), or the opening naming itself without
    # 《》 (UCloud US3服务等级协议（以下简称“本协议”）)
    first = next((line.strip("# ").strip() for line in opening.splitlines() if line.strip()), "")
    if len(first) <= 40 and _TITLE_WORDS.search(first) and first not in GENERIC_TERMS:  # not 提示条款
        return first
    named = re.search(r"([^，。；（(\n]{2,40}?)[（(]以下简称[“\"]?本(?:协议|条款)", opening)
    if named:
        return named.group(1).strip()
    # 本服务条款是腾讯云与您，就您使用文字识别服务…签订的合同 → 文字识别服务条款
    said = re.search(
        r"本(服务条款|服务协议|协议|条款|合同)(?:是|系)[^。；\n]{0,40}?就您?使用([^，。；（(\n]{2,30}?)"
        r"(?:（|\(|的相关|相关|所)",
        opening,
    )
    if said:
        word, product = said.group(1), said.group(2).strip()
        overlap = next((n for n in range(len(word), 0, -1) if product.endswith(word[:n])), 0)
        return product + word[overlap:]
    return doc_id.rsplit(".", 1)[0]


#: Words that make a percentage of the question a bound from above: 掉到99%以下, 低于99.9%, 不到 99%.
_BELOW_BEFORE = re.compile(r"(?:低于|不到|不足|小于|跌破|达不到)\s*$")
_BELOW_AFTER = re.compile(r"^\s*(?:以下|之下)")


def _levels_asked(question: str) -> list[float]:
    """The percentages a question states, one just under the figure where it says "below" it (99% 以下
    falls in the tier 低于 99%, not in 99%–99.9%)."""
    levels = []
    for q in rates(question):
        at = question.find(q.text)
        below = at >= 0 and (
            _BELOW_BEFORE.search(question[max(0, at - 4) : at])
            or _BELOW_AFTER.match(question[at + len(q.text) : at + len(q.text) + 4])
        )
        levels.append(q.value - 1e-6 if below else q.value)
    return levels


def facts_shown(facts: list[Fact], question: str, most: int) -> tuple[list[Fact], int]:
    """The facts an answer states for one provider: per contract, the general terms' before a product's
    or a tier's, the same words once, at most ``most``; only the tier holding a percentage the
    question states (可用性只有96% → 95%–99%); and how many it leaves out (said, cited nowhere)."""
    asked = _levels_asked(question)
    facts = [f for f in facts if not asked or in_tier(f.qualifier, asked) is not False]
    shown: list[Fact] = []
    left = 0
    for doc_id in dict.fromkeys(f.citation.doc_id for f in facts):
        mine = [f for f in facts if f.citation.doc_id == doc_id]
        seen: set[tuple[str, str]] = set()
        ordered = []
        for f in [f for f in mine if not f.qualifier] + [f for f in mine if f.qualifier]:
            said = (f.display, f.wording or f.citation.text)  # the same words from two clauses: once
            if said not in seen:
                seen.add(said)
                ordered.append(f)
        shown += ordered[:most]
        left += max(0, len(ordered) - most)  # a repeat of the same words is not another provision
    return shown, left
