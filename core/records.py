"""Records that cross a stage boundary (load → segment → index → retrieve → compose), each declared once.

Every record carries its provenance: the document id (the contract's file name) and character offsets
into the document text exactly as loaded, so that ``document.text[start:end] == record.text`` can be
checked anywhere downstream. Every record converts itself to and from plain JSON-ready dicts
(``to_dict`` / ``from_dict``, as haystack's ``Document`` does); the index files, the CLI's JSON and the
HTTP responses are all written from these, so they cannot drift apart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

from core.text import strip_markup

ClauseKind = Literal["title", "preamble", "clause"]


@dataclass(frozen=True, slots=True)
class Document:
    """A contract as loaded: its id (file name), text and where that text came from."""

    doc_id: str
    text: str
    source_format: str  # "txt", "md", "html", "htm", "docx", "pdf"
    encoding: str  # the detected text encoding, or the converter for docx/pdf
    content_hash: str  # sha256 of the file's bytes

    @staticmethod
    def hash_bytes(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "text": self.text,
            "source_format": self.source_format,
            "encoding": self.encoding,
            "content_hash": self.content_hash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(
            data["doc_id"], data["text"], data["source_format"], data["encoding"], data["content_hash"]
        )


@dataclass(frozen=True, slots=True)
class Provider:
    """The party that offers the service in one contract (``doc_id``: the contract it was read from)."""

    name: str  # display name, e.g. 码尚云
    entity: str | None  # legal entity, e.g. 上海码昶信息技术咨询中心
    aliases: tuple[str, ...] = ()
    doc_id: str = ""
    unidentified: str = ""  # why the text names no provider (a template placeholder …), else ""

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the provider can be mentioned by, longest first."""
        names = {self.name, *self.aliases}
        if self.entity:
            names.add(self.entity)
        return tuple(sorted(names, key=lambda n: (-len(n), n)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "name": self.name,
            "entity": self.entity,
            "aliases": list(self.aliases),
            "unidentified": self.unidentified,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provider:
        return cls(
            data["name"],
            data["entity"],
            tuple(data["aliases"]),
            data.get("doc_id", ""),
            data.get("unidentified", ""),
        )


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of a document: ``document.text[start:end] == text``."""

    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Span:
        return cls(data["start"], data["end"], data["text"])


@dataclass(frozen=True, slots=True)
class Heading:
    """A section title line such as ``三、 服务使用守则`` or ``#### 1. 术语和定义``."""

    doc_id: str
    clause_id: str
    title: str  # the title without its number or markup
    start: int  # offsets of the whole heading line (number included)
    end: int
    depth: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "clause_id": self.clause_id,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "depth": self.depth,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Heading:
        return cls(**{k: data[k] for k in ("doc_id", "clause_id", "title", "start", "end", "depth")})


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause: the contract's own number, the titles above it and its exact text.

    ``text`` is the raw body after the clause number (markup kept, so offsets stay exact);
    ``display_text`` is the same with markup such as ``**`` or ``[bookmark: …]`` removed.
    """

    doc_id: str
    provider: str
    clause_id: str
    kind: ClauseKind
    heading_path: tuple[str, ...]
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...] = field(default=())
    number: str = ""  # the number as written, e.g. "4.3", "八、1.", "（2）"

    @property
    def display_text(self) -> str:
        return strip_markup(self.text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "provider": self.provider,
            "clause_id": self.clause_id,
            "kind": self.kind,
            "number": self.number,
            "heading_path": list(self.heading_path),
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "sentences": [s.to_dict() for s in self.sentences],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Clause:
        return cls(
            doc_id=data["doc_id"],
            provider=data["provider"],
            clause_id=data["clause_id"],
            kind=data["kind"],
            heading_path=tuple(data["heading_path"]),
            start=data["start"],
            end=data["end"],
            text=data["text"],
            sentences=tuple(Span.from_dict(s) for s in data["sentences"]),
            number=data.get("number", ""),
        )


@dataclass(frozen=True, slots=True)
class Citation:
    """Exact words of a contract: ``document_text[start:end] == text``."""

    doc_id: str
    provider: str
    clause_id: str
    start: int
    end: int
    text: str

    @classmethod
    def of(cls, clause: Clause, span: Span | None = None) -> Citation:
        """The whole clause, or one span inside it."""
        span = span or Span(clause.start, clause.end, clause.text)
        return cls(clause.doc_id, clause.provider, clause.clause_id, span.start, span.end, span.text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "provider": self.provider,
            "clause_id": self.clause_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        return cls(**{k: data[k] for k in ("doc_id", "provider", "clause_id", "start", "end", "text")})


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved clause, its fused score and the best-matching span inside it."""

    clause: Clause
    score: float
    span: Span
    scores: tuple[tuple[str, float], ...] = ()  # per-method scores, e.g. (("bm25", 7.1), ("dense", 0.83))

    @property
    def citation(self) -> Citation:
        return Citation.of(self.clause, self.span)

    def to_dict(self) -> dict[str, Any]:
        """The span as a citation plus the fused score (the clause itself is looked up by id)."""
        return {**self.citation.to_dict(), "score": round(self.score, 6)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], clause: Clause) -> Hit:
        """A hit on ``clause`` (the clause ``data`` names, looked up by the caller)."""
        if (clause.doc_id, clause.clause_id) != (data["doc_id"], data["clause_id"]):
            raise ValueError(f"hit names {data['doc_id']} {data['clause_id']}, not {clause.clause_id}")
        return cls(clause, float(data["score"]), Span(data["start"], data["end"], data["text"]))


@dataclass(frozen=True, slots=True)
class Fact:
    """One typed fact read from a clause by rule: who, what, the normalised value and its source words.

    ``value`` is a number in ``unit`` (days, hours, %/日, 倍 …), a boolean, or None when the clause states the
    attribute without a number (e.g. 提前通知 with no period); ``display`` is the value as an answer gives it.
    A table cell the contract does not state is written as a fact-shaped row with ``citation`` None
    (see :meth:`absent`), so every row of ``rag facts --json`` and ``/v1/facts`` has one shape.
    """

    provider: str
    attribute: str
    value: float | bool | str | None
    unit: str
    display: str
    wording: str  # the decisive words as written, e.g. "30 个自然日"
    citation: Citation
    qualifier: str = ""  # e.g. "弹性云主机" when a clause states several values
    label: str = ""  # how answers name the attribute, e.g. 合同终止后的数据保留期
    #: conditions, exceptions, negations its sentence (or list lead-in) states, e.g. 条件：如为包月服务
    qualifiers: tuple[str, ...] = ()
    #: the clauses its sentence refers to (第5.2条, 前款, 上述条款), resolved in the same contract
    refs: tuple[Citation, ...] = ()

    @property
    def state(self) -> str:
        """``read`` (a value was read) or ``mentioned`` (addressed without a figure, e.g. 提前通知 with no
        period); a cell with no fact at all is ``absent``, the only state shown as 未约定."""
        return "mentioned" if self.value is None else "read"

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "attribute": self.attribute,
            "label": self.label,
            "state": self.state,
            "value": self.value,
            "unit": self.unit,
            "display": self.display,
            "wording": self.wording,
            "qualifier": self.qualifier,
            "qualifiers": list(self.qualifiers),
            "citation": self.citation.to_dict(),
            "refs": [r.to_dict() for r in self.refs],
        }

    @staticmethod
    def absent(provider: str, attribute: str, label: str, unit: str) -> dict[str, Any]:
        """The row of a cell the contract does not state: 未约定, no value, no citation."""
        return {
            "provider": provider,
            "attribute": attribute,
            "label": label,
            "state": "absent",
            "value": None,
            "unit": unit,
            "display": "未约定",
            "wording": "",
            "qualifier": "",
            "qualifiers": [],
            "citation": None,
            "refs": [],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fact:
        if data.get("citation") is None or data.get("state") == "absent":
            raise ValueError(f"{data.get('provider')}/{data.get('attribute')}: an absent cell is not a fact")
        return cls(
            provider=data["provider"],
            attribute=data["attribute"],
            value=data["value"],
            unit=data["unit"],
            display=data["display"],
            wording=data["wording"],
            citation=Citation.from_dict(data["citation"]),
            qualifier=data.get("qualifier", ""),
            label=data.get("label", ""),
            qualifiers=tuple(data.get("qualifiers", ())),
            refs=tuple(Citation.from_dict(r) for r in data.get("refs", ())),
        )


@dataclass(frozen=True, slots=True)
class Answer:
    """A composed answer; its ``[n]`` markers number ``citations`` from 1."""

    question: str
    answer: str
    refused: bool
    intent: str
    citations: tuple[Citation, ...]
    #: closest clauses when nothing answers the question: shown as 可能相关, never as support
    related: tuple[Citation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "intent": self.intent,
            "citations": [{"n": n, **c.to_dict()} for n, c in enumerate(self.citations, start=1)],
            "related": [c.to_dict() for c in self.related],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        return cls(
            data["question"],
            data["answer"],
            data["refused"],
            data["intent"],
            tuple(Citation.from_dict(c) for c in data["citations"]),
            tuple(Citation.from_dict(c) for c in data.get("related", ())),
        )
