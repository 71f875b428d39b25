"""Load contracts from a folder: detect the encoding or extract the text, never guess silently.

A file that cannot be read gives a :class:`LoadError` naming the file and the reason; the other files
still load. Text files are decoded and their line ends normalised the way ``open(path).read()`` does, so
offsets index the text exactly as Python reads the file. For ``.docx`` and ``.pdf`` the offsets refer to
the extracted text, which is stored with the index so every citation stays checkable.
"""

from __future__ import annotations

import codecs
import io
import logging
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.records import Document

log = logging.getLogger(__name__)

#: A file in the contracts folder with this name is the provider manifest, not a contract.
MANIFEST_NAME = "providers.toml"
SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")


class LoadError(Exception):
    """A contract that cannot be loaded; ``str()`` names the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


@dataclass(frozen=True, slots=True)
class LoadResult:
    documents: tuple[Document, ...]
    errors: tuple[LoadError, ...]


def _normalise_newlines(text: str) -> str:
    # What open(path, encoding=...).read() does with universal newlines.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_binary(text: str) -> bool:
    """Control characters other than tab/newline/form feed mean this is not a text document."""
    if not text:
        return False
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    return controls > max(2, len(text) // 200)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _plausible_chinese(text: str) -> bool:
    """Whether a decoding looks like a real Chinese document rather than mojibake.

    Real contracts use common characters: nearly all of their Han characters are in GB2312, and they never
    contain private-use code points. Latin-1 bytes read as GB18030, or GBK bytes read as UTF-16, fail this.
    """
    if any("\ue000" <= ch <= "\uf8ff" for ch in text):
        return False
    han = [ch for ch in text if _is_cjk(ch)]
    others = [ch for ch in text if not ch.isascii() and not _is_cjk(ch)]
    if not han:
        return False
    common = 0
    for ch in han:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(han) >= 0.9 and len(others) <= len(han)


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """Decode a text file, detecting UTF-8 (with or without BOM), UTF-16 and GB18030/GBK.

    Returns ``(text, encoding)``; raises :class:`LoadError` for empty, binary or undecodable input.
    """
    if not data.strip():
        raise LoadError(path, "the file is empty")
    boms = (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    for bom, codec in boms:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise LoadError(path, f"undecodable bytes at offset {exc.start} for {codec}") from None
            return _checked(text, codec, path)
    bad_offset: int | None = None
    try:
        text = data.decode("utf-8")
        if not _looks_binary(text):  # NUL-laden "UTF-8" is UTF-16 without a BOM, or binary
            return _checked(text, "utf-8", path)
    except UnicodeDecodeError as exc:
        bad_offset = exc.start
    # Not UTF-8: UTF-16 without a BOM (NUL bytes around ASCII) or GB18030 (a superset of GBK and GB2312).
    candidates = ("utf-16-le", "utf-16-be", "gb18030") if len(data) % 2 == 0 else ("gb18030",)
    for codec in candidates:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if not _looks_binary(text) and _plausible_chinese(text):
            return _checked(text, codec, path)
    if b"\x00" in data or _looks_binary(data.decode("latin-1")):
        raise LoadError(path, "binary content, not a text contract")
    where = f" at offset {bad_offset}" if bad_offset is not None else ""
    raise LoadError(path, f"undecodable bytes{where}: not UTF-8, UTF-16 or GB18030/GBK Chinese text")


def _checked(text: str, encoding: str, path: Path) -> tuple[str, str]:
    text = _normalise_newlines(text)
    if _looks_binary(text):
        raise LoadError(path, f"binary content (control characters) after decoding as {encoding}")
    if not text.strip():
        raise LoadError(path, "the file is empty")
    return text, encoding


def _docx_text(data: bytes, path: Path) -> tuple[str, str]:
    import docx  # python-docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # PackageNotFoundError, BadZipFile, KeyError, lxml errors: all mean "not a docx"
        raise LoadError(path, f"not a readable .docx file ({type(exc).__name__})") from None
    text = "\n".join(p.text for p in document.paragraphs)
    return _checked(_normalise_newlines(text), "docx", path)


def _pdf_text(data: bytes, path: Path) -> tuple[str, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    with _quiet_pypdf() as notes:  # pypdf's own lines ("invalid pdf header") go into our message
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise LoadError(path, "the PDF is encrypted; decrypt it or export the text first")
            pages = [page.extract_text() or "" for page in reader.pages]
        except LoadError:
            raise
        except (PdfReadError, ValueError, OSError) as exc:
            raise LoadError(path, f"not a readable PDF ({_with_notes(str(exc), notes)})") from None
        except Exception as exc:  # pypdf raises a wide range of errors on damaged streams
            reason = _with_notes(type(exc).__name__, notes)
            raise LoadError(path, f"cannot extract text from the PDF ({reason})") from None
    text = "\n".join(page.strip("\n") for page in pages)
    if not text.strip():
        raise LoadError(path, "the PDF has no text layer (image-only); run OCR on it first")
    return _checked(text, "pdf", path)


@contextmanager
def _quiet_pypdf() -> Iterator[list[str]]:
    """Collect what pypdf logs while reading one file instead of letting it print unattributed lines."""
    notes: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            notes.append(record.getMessage())

    logger = logging.getLogger("pypdf")
    handler, propagate = Collect(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield notes
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _with_notes(reason: str, notes: list[str]) -> str:
    shown = "; ".join(dict.fromkeys(n.strip() for n in notes if n.strip()))
    return f"{reason}; pypdf: {shown}" if shown else reason


def _plain_text(data: bytes, path: Path) -> tuple[str, str]:
    return decode_text(data, path)


_READERS: dict[str, Callable[[bytes, Path], tuple[str, str]]] = {
    ".txt": _plain_text,
    ".md": _plain_text,
    ".html": _plain_text,  # markup stays in the text (offsets stay exact); readers skip it
    ".htm": _plain_text,
    ".docx": _docx_text,
    ".pdf": _pdf_text,
}


def load_document(path: Path, max_bytes: int | None = None) -> Document:
    """Load one contract; raise :class:`LoadError` naming the file and the reason."""
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise LoadError(
            path, f"unsupported file type {suffix or '(none)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise LoadError(path, f"file is {size} bytes, over the limit of {max_bytes} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read the file ({exc.strerror or exc})") from None
    text, encoding = reader(data, path)
    return Document(
        doc_id=path.name,
        text=text,
        source_format=suffix.lstrip("."),
        encoding=encoding,
        content_hash=Document.hash_bytes(data),
    )


def contract_paths(folder: Path) -> list[Path]:
    """Every file in the contracts folder that should be a contract, in a stable order."""
    if not folder.is_dir():
        raise LoadError(folder, "contracts folder does not exist (set RAG_CONTRACTS_DIR)")
    return sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.name != MANIFEST_NAME
    )


def outside_folder(path: Path, folder: Path) -> bool:
    """Whether ``path`` resolves (through symlinks) to somewhere outside ``folder``."""
    return not path.resolve().is_relative_to(folder.resolve())


def load_folder(
    folder: Path,
    max_bytes: int | None = None,
    only: Iterable[str] | None = None,
    *,
    allow_symlinks: bool = False,
) -> LoadResult:
    """Load every contract in ``folder``; files that fail are reported, not fatal. A link to a file
    outside the folder is skipped unless ``allow_symlinks`` (RAG_ALLOW_SYMLINKS)."""
    wanted = set(only) if only is not None else None
    documents: list[Document] = []
    errors: list[LoadError] = []
    for path in contract_paths(folder):
        if wanted is not None and path.name not in wanted:
            continue
        if not allow_symlinks and outside_folder(path, folder):
            errors.append(
                LoadError(
                    path,
                    "links to a file outside the contracts folder; not indexed "
                    "(set RAG_ALLOW_SYMLINKS=true to allow it)",
                )
            )
            continue
        try:
            documents.append(load_document(path, max_bytes))
        except LoadError as exc:
            errors.append(exc)  # the caller reports it, once
    return LoadResult(tuple(documents), tuple(errors))
