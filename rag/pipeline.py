"""The read path assembled once from settings, shared by the CLI, the API and the UI: the embedder, the
index (built first if there is none), the hybrid retriever, the fact table and the answer composer."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.protocols import Embedder
from core.records import Answer, Clause, Heading, Hit
from index.embed import make_embedder, progress_bar
from index.store import BuildReport, Progress, build_index, index_exists, load_index
from index.structures import SearchIndex, set_search_threads
from rag.answer import Composer
from rag.facts import FactTable, Sentence, build_table
from rag.rerank import load_reranker
from rag.retrieve import HybridRetriever, Mode, provider_names_in, resolve_provider
from rag.settings import Settings
from rag.topics import QuestionTopics, load_bank, training_set
from rag.understand import normalise

#: Any question works; it only has to go through every stage once.
WARM_UP_QUESTION = "数据保留多久？"


@dataclass(slots=True)
class Pipeline:
    settings: Settings
    embedder: Embedder
    index: SearchIndex
    retriever: HybridRetriever  # a MilvusRetriever (its subclass) with RAG_BACKEND=milvus
    table: FactTable
    composer: Composer
    built: BuildReport | None = None  # the build made because there was no index, if any

    def provider(self, name: str | None) -> str | None:
        """The provider a filter value names (name, alias or entity); ValueError listing the valid ones."""
        return resolve_provider(name, self.index.providers.values()) if name else None

    def search(
        self, question: str, k: int = 5, *, provider: str | None = None, mode: Mode = "hybrid"
    ) -> list[Hit]:
        """Best clause spans: only ``provider``'s when given, else only those of providers the question
        names, else all."""
        named = self.provider(provider)
        wanted = [named] if named else provider_names_in(question, self.index.providers.values()) or None
        return self.retriever.search(question, k, mode=mode, providers=wanted)

    def ask(self, question: str, provider: str | None = None, history: Sequence[str] = ()) -> Answer:
        return self.composer.ask(question, self.provider(provider), history)

    def warm(self) -> None:
        """Load the model and answer one question end to end (tokeniser, classifier, caches), so the first
        real question is answered at full speed: the API and the UI call this before they say ready.
        The question classifier is trained here too (a question its words do not place would wait for it)."""
        self.ask(WARM_UP_QUESTION)
        if self.composer.topics is not None:
            self.composer.topics.train()

    def clauses_of(self, doc_id: str) -> list[Clause]:
        return [c for c in self.index.clauses if c.doc_id == doc_id]

    def headings_of(self, doc_id: str) -> list[Heading]:
        return [h for h in self.index.headings if h.doc_id == doc_id]

    def document_summary(self, doc_id: str) -> dict[str, Any]:
        """A contract in a list: id, provider, format, size and clause count (KeyError if unknown)."""
        doc = self.index.documents[doc_id]
        return {
            "doc_id": doc_id,
            "provider": self.index.providers[doc_id].name,
            "source_format": doc.source_format,
            "characters": len(doc.text),
            "clauses": len(self.clauses_of(doc_id)),
        }


def embedder_for(settings: Settings) -> Embedder:
    return make_embedder(
        settings.embed_model,
        settings.model_cache_dir,
        settings.embed_batch_size,
        threads=settings.embed_threads,
        index_threads=settings.embed_index_threads,
    )


def build(
    settings: Settings,
    embedder: Embedder,
    *,
    force: bool = False,
    progress: bool | Progress = True,
    publish: bool = True,
) -> BuildReport:
    """``rag index``: build or update the index of ``settings.contracts_dir`` (``progress``: a bar on
    stderr, none, or a callable of the embedding batches, as the UI's progress bar); with Milvus, publish
    the build there (``publish=False``: the caller's retriever publishes the build it loads)."""
    report = build_index(
        settings.contracts_dir,
        settings.index_dir,
        embedder,
        kind=settings.index_kind,
        ann_threshold=settings.ann_threshold,
        max_bytes=settings.max_file_bytes,
        progress=progress if callable(progress) else progress_bar if progress else None,
        force=force,
        batch_size=settings.embed_batch_size,
        allow_symlinks=settings.allow_symlinks,
        lock_timeout=settings.index_lock_timeout,
        on_wait=lambda message: print(message, file=sys.stderr, flush=True),
        queries=bank_questions()[0],
    )
    if publish and settings.backend == "milvus":  # the build's rows into Milvus, the alias switched
        from index import milvus_store

        try:
            client = milvus_store.connect(settings.milvus)
            milvus_store.publish(client, settings.milvus, load_index(settings.index_dir, embedder))
        except milvus_store.MilvusError as exc:
            raise milvus_store.MilvusError(
                f"{exc}. The index in {settings.index_dir} is built; a process that reaches Milvus publishes "
                "it when it loads it"
            ) from None
    return report


def sentence_vectors(index: SearchIndex) -> Callable[[list[Sentence]], np.ndarray]:
    """The index's vector of each sentence (a one-sentence clause's is its clause's): no re-embedding."""
    clause_row = {(c.doc_id, c.clause_id): row for row, c in enumerate(index.clauses)}
    sentence_row = {(int(c), int(p)): r for r, (c, p) in enumerate(index.sentence_owner.tolist())}

    def lookup(sentences: list[Sentence]) -> np.ndarray:
        rows = []
        for s in sentences:
            row = clause_row[(s.clause.doc_id, s.clause.clause_id)]
            own = sentence_row.get((row, s.clause.sentences.index(s.span)))
            rows.append(index.sentence_vectors[own] if own is not None else index.vectors[row])
        return np.stack(rows) if rows else np.zeros((0, index.vectors.shape[1]), np.float32)

    return lookup


def retriever_for(settings: Settings, index: SearchIndex, embedder: Embedder) -> HybridRetriever:
    """The search backend ``settings`` choose over ``index``: FAISS + bm25s here, or Milvus."""
    if settings.backend == "milvus":
        from rag.milvus_retrieve import open_milvus_retriever

        if settings.fusion != "rrf":
            raise ValueError("RAG_BACKEND=milvus fuses with Milvus' RRF ranker; unset RAG_FUSION=weighted")
        return open_milvus_retriever(
            index,
            embedder,
            settings.milvus,
            rrf_k=settings.rrf_k,
            engine_fusion=settings.milvus_fusion == "engine",
        )
    return HybridRetriever(
        index, embedder, fusion=settings.fusion, rrf_k=settings.rrf_k, weight=settings.fusion_weight
    )


def composer_for(index: SearchIndex, retriever: HybridRetriever, table: FactTable) -> Composer:
    """A composer over ``index``: what it needs from the index is handed to it, not reached for."""
    return Composer(
        retriever,
        table,
        providers=index.providers.values(),
        tokenizer=index.tokenizer,
        idf=index.idf,
        reranker=load_reranker(),
        clauses=index.clauses,
        topics=question_topics(index, retriever),
        texts={doc_id: doc.text for doc_id, doc in index.documents.items()},
    )


def bank_questions() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The question classifier's training questions (normalised) and their topics: the example bank and
    the catalog's examples. ``rag index`` stores their query vectors with the index."""
    texts, labels = training_set(load_bank())
    return tuple(normalise(t) for t in texts), tuple(labels)


def question_topics(index: SearchIndex, retriever: HybridRetriever) -> QuestionTopics:
    """The question classifier in the retriever's model, over the vectors the index stored (computed on
    first use instead when the bank changed since the index was built)."""
    texts, labels = bank_questions()
    stored = index.query_vectors if index.queries == texts else None
    return QuestionTopics(
        texts, labels, retriever.embedder.encode_queries, vectors=stored, vector_of=retriever.query_vector
    )


def open_pipeline(
    settings: Settings,
    *,
    progress: bool = True,
    embedder: Embedder | None = None,
    build_if_missing: bool = True,
    update: bool = False,
) -> Pipeline:
    """Everything needed to search and answer; pass the ``embedder`` of a previous pipeline to reuse its
    loaded model. ``update`` brings the index up to date first (the evals do; the CLI says to run
    ``rag index``)."""
    embedder = embedder or embedder_for(settings)
    report = None
    if update or (build_if_missing and not index_exists(settings.index_dir)):
        # incremental: only what changed; with Milvus, the retriever below publishes what it loads
        report = build(settings, embedder, progress=progress, publish=False)
    index = load_index(settings.index_dir, embedder)
    set_search_threads(settings.search_threads)
    retriever = retriever_for(settings, index, embedder)
    table = build_table(index.clauses, index.documents, index.providers, vectors=sentence_vectors(index))
    return Pipeline(
        settings, embedder, index, retriever, table, composer_for(index, retriever, table), report
    )
