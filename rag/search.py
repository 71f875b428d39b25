"""Open the search stack from settings: the embedder, the index (built if missing), the retriever."""

from __future__ import annotations

from dataclasses import dataclass

from index.embed import Embedder, make_embedder
from index.store import BuildReport, SearchIndex, build_index, index_exists, load_index, progress_bar
from rag.retrieve import HybridRetriever
from rag.settings import Settings


@dataclass(slots=True)
class SearchStack:
    settings: Settings
    embedder: Embedder
    index: SearchIndex
    retriever: HybridRetriever
    built: BuildReport | None = None


def embedder_for(settings: Settings) -> Embedder:
    return make_embedder(settings.embed_model, settings.model_cache_dir, settings.embed_batch_size)


def build(
    settings: Settings, embedder: Embedder, *, force: bool = False, progress: bool = True
) -> BuildReport:
    return build_index(
        settings.contracts_dir,
        settings.index_dir,
        embedder,
        kind=settings.index_kind,
        ann_threshold=settings.ann_threshold,
        max_bytes=settings.max_file_bytes,
        progress=progress_bar if progress else None,
        force=force,
        batch_size=settings.embed_batch_size,
    )


def open_stack(
    settings: Settings,
    *,
    build_if_missing: bool = True,
    progress: bool = True,
    embedder: Embedder | None = None,
) -> SearchStack:
    """Load the index (building it first if there is none) and a retriever over it."""
    embedder = embedder or embedder_for(settings)
    report = None
    if build_if_missing and not index_exists(settings.index_dir):
        report = build(settings, embedder, progress=progress)
    index = load_index(settings.index_dir, embedder)
    retriever = HybridRetriever(
        index, embedder, fusion=settings.fusion, rrf_k=settings.rrf_k, weight=settings.fusion_weight
    )
    return SearchStack(settings, embedder, index, retriever, report)
