"""The corpus: every contract in the folder loaded, its provider detected and its clauses segmented."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from core.records import Clause, Document, Provider
from index.load import MANIFEST_NAME, LoadError, load_folder
from index.providers import ManifestError, detect_provider, load_manifest
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


def build_corpus(contracts_dir: Path, max_bytes: int | None = None) -> Corpus:
    """Load, detect providers and segment every contract; unreadable files are reported in ``errors``."""
    result = load_folder(contracts_dir, max_bytes)
    errors = list(result.errors)
    try:
        manifest = load_manifest(contracts_dir / MANIFEST_NAME)
    except ManifestError as exc:
        errors.append(LoadError(contracts_dir / MANIFEST_NAME, str(exc).split(": ", 1)[-1]))
        manifest = {}
    documents = {doc.doc_id: doc for doc in result.documents}
    providers = {
        doc_id: replace(detect_provider(doc.text, manifest.get(doc_id)), doc_id=doc_id)
        for doc_id, doc in documents.items()
    }
    segmentations = {doc_id: segment(doc, providers[doc_id].name) for doc_id, doc in documents.items()}
    return Corpus(documents, providers, segmentations, tuple(errors))
