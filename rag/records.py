"""Records that cross a stage boundary (load → segment → index → retrieve → compose).

Every record carries its provenance: the document id (the contract's file name) and character offsets
into the document text exactly as loaded, so that ``document.text[start:end] == record.text`` can be
checked anywhere downstream.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from rag.markup import strip_markup

ClauseKind = Literal["title", "preamble", "clause"]


@dataclass(frozen=True, slots=True)
class Document:
    """A contract as loaded: its id (file name), text and where that text came from."""

    doc_id: str
    text: str
    source_format: str  # "txt", "md", "docx", "pdf"
    encoding: str  # the detected text encoding, or the converter for docx/pdf
    content_hash: str  # sha256 of the file's bytes

    @staticmethod
    def hash_bytes(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Provider:
    """The party that offers the service in one contract."""

    name: str  # display name, e.g. 码尚云
    entity: str | None  # legal entity, e.g. 上海码昶信息技术咨询中心
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the provider can be mentioned by, longest first."""
        names = {self.name, *self.aliases}
        if self.entity:
            names.add(self.entity)
        return tuple(sorted(names, key=lambda n: (-len(n), n)))


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of a document: ``document.text[start:end] == text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Heading:
    """A section title line such as ``三、 服务使用守则`` or ``#### 1. 术语和定义``."""

    doc_id: str
    clause_id: str
    title: str  # the title without its number or markup
    start: int  # offsets of the whole heading line (number included)
    end: int
    depth: int


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


@dataclass(frozen=True, slots=True)
class Citation:
    """Exact words of a contract: ``document_text[start:end] == text``."""

    doc_id: str
    provider: str
    clause_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Fact:
    """One typed fact read from a clause by rule: who, what, the normalised value and its source words.

    ``value`` is a number in ``unit`` (days, hours, %/日, 倍 …), a boolean, or None when the clause states the
    attribute without a number (e.g. 提前通知 with no period); ``display`` is the value as an answer gives it.
    """

    provider: str
    attribute: str
    value: float | bool | str | None
    unit: str
    display: str
    wording: str  # the decisive words as written, e.g. "30 个自然日"
    citation: Citation
    qualifier: str = ""  # e.g. "弹性云主机" when a clause states several values


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answer: str
    refused: bool
    intent: str
    citations: tuple[Citation, ...]
