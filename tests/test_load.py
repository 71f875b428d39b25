"""Loading contracts: encodings are detected, converted formats keep checkable text, bad files are named."""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from index.corpus import build_corpus
from index.load import LoadError, load_document, load_folder

CONTRACT = (
    "星河云服务协议\n"
    "本协议是杭州星河数据科技有限公司（以下简称“星河云”）与您订立的协议。\n"
    "一、 数据保留\n"
    "1. 服务终止后，星河云将保留您的数据 90 个自然日。\n"
    "2. 逾期付款的，每日按应付金额的万分之五收取滞纳金。\n"
)


def pdf_bytes(lines: list[str]) -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont("STSong-Light", 11)
    for i, line in enumerate(lines):
        page.drawString(50, 800 - 16 * i, line)
    page.save()
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("gb18030", b""),
        ("gbk", b""),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16-le", b""),
    ],
)
def test_text_encodings_are_detected(
    write_contract: Callable[..., Path], encoding: str, prefix: bytes
) -> None:
    path = write_contract("c.txt", prefix + CONTRACT.encode(encoding))
    assert load_document(path).text == CONTRACT


def test_windows_line_ends_read_as_python_reads_them(write_contract: Callable[..., Path]) -> None:
    path = write_contract("c.txt", CONTRACT.replace("\n", "\r\n"))
    document = load_document(path)
    assert document.text == path.open(encoding="utf-8").read() == CONTRACT


def test_markdown_loads_like_text(write_contract: Callable[..., Path]) -> None:
    path = write_contract("c.md", "#### 1. 数据\n\n1.1 保留 30 日。\n")
    assert load_document(path).source_format == "md"


def test_docx_paragraph_text_is_the_document_text(
    write_contract: Callable[..., Path], tmp_path: Path
) -> None:
    document = docx.Document()
    for line in CONTRACT.splitlines():
        document.add_paragraph(line)
    path = tmp_path / "contracts" / "c.docx"
    document.save(str(path))
    loaded = load_document(path)
    assert loaded.text == CONTRACT.rstrip("\n")
    assert loaded.source_format == "docx"


def test_pdf_with_a_text_layer(write_contract: Callable[..., Path]) -> None:
    path = write_contract("c.pdf", pdf_bytes(CONTRACT.splitlines()))
    loaded = load_document(path)
    assert "星河云将保留您的数据 90 个自然日" in loaded.text
    assert loaded.source_format == "pdf"


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_only_pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.rect(50, 50, 200, 200, fill=1)  # a scan would be an image: no text operators at all
    page.save()
    return buffer.getvalue()


BAD_FILES = [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\n ", "empty"),
    ("binary.txt", bytes(range(256)) * 8, "binary"),
    ("latin.txt", "Vertrag über Dienste".encode("latin-1"), "undecodable bytes"),
    ("random.txt", bytes([0x81, 0x30, 0xFF, 0xFE, 0xC0]) * 50, "undecodable|binary"),
    ("notes.rtf", b"{\\rtf1 hello}", "unsupported file type .rtf"),
    ("noext", b"text", "unsupported file type"),
    ("locked.pdf", encrypted_pdf(), "encrypted"),
    ("scan.pdf", image_only_pdf(), "no text layer"),
    ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
    ("broken.docx", b"PK\x03\x04 not a zip", "not a readable .docx"),
]


@pytest.mark.parametrize(("name", "content", "reason"), BAD_FILES)
def test_bad_files_give_an_error_naming_the_file_and_reason(
    write_contract: Callable[..., Path], name: str, content: bytes, reason: str
) -> None:
    path = write_contract(name, content)
    with pytest.raises(LoadError, match=rf"^{name}: .*({reason})"):
        load_document(path)


def test_one_bad_file_does_not_stop_the_others(write_contract: Callable[..., Path]) -> None:
    good = write_contract("good.txt", CONTRACT)
    for name, content, _ in BAD_FILES:
        write_contract(name, content)
    result = load_folder(good.parent)
    assert [d.doc_id for d in result.documents] == ["good.txt"]
    assert sorted(e.path.name for e in result.errors) == sorted(name for name, _, _ in BAD_FILES)


def test_file_size_limit_names_the_limit(write_contract: Callable[..., Path]) -> None:
    path = write_contract("big.txt", CONTRACT * 10)
    with pytest.raises(LoadError, match=r"big.txt: file is \d+ bytes, over the limit of 100 bytes"):
        load_document(path, max_bytes=100)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="contracts folder does not exist"):
        load_folder(tmp_path / "nope")


def test_converted_documents_segment_like_text(write_contract: Callable[..., Path], tmp_path: Path) -> None:
    write_contract("a.txt", CONTRACT)
    write_contract("b.pdf", pdf_bytes(CONTRACT.splitlines()))
    document = docx.Document()
    for line in CONTRACT.splitlines():
        document.add_paragraph(line)
    document.save(str(tmp_path / "contracts" / "c.docx"))
    corpus = build_corpus(tmp_path / "contracts")
    ids = {doc_id: [c.clause_id for c in seg.clauses] for doc_id, seg in corpus.segmentations.items()}
    assert ids["a.txt"] == ids["b.pdf"] == ids["c.docx"] == ["标题", "前言.1", "一.1", "一.2"]
    for doc_id, seg in corpus.segmentations.items():
        text = corpus.documents[doc_id].text
        assert all(text[c.start : c.end] == c.text for c in seg.clauses)
