"""The corpus: every contract in the folder loaded, its provider detected and its clauses segmented."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from core.records import Clause, Document, Provider
from index.load import MANIFEST_NAME, LoadError, load_folder
from index.provider_manifest import ManifestError, load_manifest
from index.providers import detect_provider
from index.segment import Segmentation, segment


@dataclass(frozen=True, slots=True)
class Corpus:
    documents: dict[str, Document]
    providers: dict[str, Provider]
    segmentations: dict[str, Segmentation]
    errors: tuple[LoadError, ...]

    @property
    def clauses(self) -> list[Clause]:
        return [c for seg in self.segmentations.values() for c in seg.clauses]


def build_corpus(
    contracts_dir: Path, max_bytes: int | None = None, *, allow_symlinks: bool = False
) -> Corpus:
    """Load, detect providers and segment every contract; unreadable files are reported in ``errors``, and
    so is a file identical to another (same bytes: only the first by name is indexed)."""
    result = load_folder(contracts_dir, max_bytes, allow_symlinks=allow_symlinks)
    errors = list(result.errors)
    try:
        manifest = load_manifest(contracts_dir / MANIFEST_NAME)
    except ManifestError as exc:
        errors.append(LoadError(contracts_dir / MANIFEST_NAME, str(exc).split(": ", 1)[-1]))
        manifest = {}
    documents: dict[str, Document] = {}
    first_of: dict[str, str] = {}
    for doc in sorted(result.documents, key=lambda d: d.doc_id):
        kept = first_of.setdefault(doc.content_hash, doc.doc_id)
        if kept != doc.doc_id:
            errors.append(
                LoadError(contracts_dir / doc.doc_id, f"identical to {kept}; only {kept} is indexed")
            )
            continue
        documents[doc.doc_id] = doc
    providers = {
        doc_id: replace(detect_provider(doc.text, manifest.get(doc_id), doc_id), doc_id=doc_id)
        for doc_id, doc in documents.items()
    }
    segmentations = {doc_id: segment(doc, providers[doc_id].name) for doc_id, doc in documents.items()}
    return Corpus(documents, providers, segmentations, tuple(errors))
