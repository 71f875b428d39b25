"""Adding and removing contracts from the UI: a file is checked with the same loader ``rag index`` uses (a
clear message naming the file on a bad one), written into the contracts folder only (its own name, never a
path; written whole, then renamed into place), and the provider a user confirms is kept in
``providers.toml``. Nothing already in the folder is touched by a failed upload."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.records import Document, Provider
from index.load import MANIFEST_NAME, SUPPORTED_SUFFIXES, LoadError, load_document
from index.provider_manifest import ManifestEntry, load_manifest
from index.providers import detect_provider

MAX_NAME = 120  # characters in an uploaded file's name


class UploadError(ValueError):
    """An upload that cannot be added or removed; the message names the file and the problem."""


class AlreadyLoaded(UploadError):
    """A contract of the upload's name is in the folder already."""


@dataclass(frozen=True)
class Checked:
    """An uploaded file as it would be indexed: its name, text and the provider read from it."""

    name: str
    document: Document
    provider: Provider


def safe_name(filename: str) -> str:
    """The file's own name if it can live in the contracts folder as is, else UploadError."""
    name = filename.strip()
    if not name or "/" in name or "\\" in name or "\x00" in name or name in (".", ".."):
        raise UploadError(f"{filename!r}: a file name without folders is needed")
    if name.startswith(".") or name == MANIFEST_NAME:
        raise UploadError(f"{name}: hidden files and {MANIFEST_NAME} cannot be uploaded as contracts")
    if len(name) > MAX_NAME:
        raise UploadError(f"{name[:40]}…: the file name is over {MAX_NAME} characters")
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UploadError(f"{name}: unsupported file type; supported: {', '.join(SUPPORTED_SUFFIXES)}")
    return name


def check_upload(filename: str, data: bytes, max_bytes: int) -> Checked:
    """Load the upload exactly as ``rag index`` would (size limit, encoding, docx/pdf text) and read its
    provider; UploadError naming the file otherwise."""
    name = safe_name(filename)
    if len(data) > max_bytes:
        raise UploadError(f"{name}: file is {len(data)} bytes, over the limit of {max_bytes} bytes")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            document = load_document(path, max_bytes)
        except LoadError as exc:
            raise UploadError(str(exc)) from None
    return Checked(name, document, detect_provider(document.text, doc_id=name))


def _write_manifest(path: Path, entries: dict[str, ManifestEntry]) -> None:
    """``providers.toml`` written whole from its entries (atomically; comments in it are not kept)."""
    lines = ["# Provider names confirmed or corrected by users (rag index reads it; see README)."]
    for doc_id, entry in entries.items():
        lines.append(f"\n[{json.dumps(doc_id, ensure_ascii=False)}]")
        for key in ("name", "entity"):
            value = getattr(entry, key)
            if value:
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        if entry.aliases:
            lines.append(f"aliases = {json.dumps(list(entry.aliases), ensure_ascii=False)}")
    _atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"))


def _atomic_write(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def add_contract(
    folder: Path,
    checked: Checked,
    data: bytes,
    *,
    name: str | None = None,
    aliases: tuple[str, ...] = (),
    replace: bool = False,
) -> Path:
    """Write the checked upload into ``folder``; a provider name or aliases the user gave go to
    ``providers.toml`` (the reading's own when they match it). The new file's path."""
    target = folder / checked.name
    if target.exists() and not replace:
        raise AlreadyLoaded(f"{checked.name}: a contract of that name is already loaded; remove it first")
    manifest_path = folder / MANIFEST_NAME
    entries = load_manifest(manifest_path)  # a malformed manifest stops the upload before any write
    _atomic_write(target, data)
    name = (name or "").strip() or None
    aliases = tuple(dict.fromkeys(a.strip() for a in aliases if a.strip()))
    if (name and name != checked.provider.name) or aliases:
        entries[checked.name] = ManifestEntry(name, None, aliases)
        _write_manifest(manifest_path, entries)
    return target


def remove_contract(folder: Path, doc_id: str) -> None:
    """Delete a contract of the folder (looked up by name among its files, never joined as a path) and its
    ``providers.toml`` entry."""
    found = next((p for p in folder.iterdir() if p.is_file() and p.name == doc_id), None)
    if found is None or doc_id == MANIFEST_NAME or doc_id.startswith("."):  # contracts only
        raise UploadError(f"{doc_id}: no such contract in the contracts folder")
    manifest_path = folder / MANIFEST_NAME
    entries = load_manifest(manifest_path)
    found.unlink()
    if doc_id in entries:
        del entries[doc_id]
        _write_manifest(manifest_path, entries)
