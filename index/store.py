"""Build, persist and load the search index: plain files plus a manifest checked on load.

Layout of ``RAG_INDEX_DIR``::

    current -> builds/<id>          a symlink swapped atomically after a build completes
    builds/<id>/manifest.json       model id + weights hash, dimension, per-file content hashes,
                                    segmenter and package versions, artifact checksums
    builds/<id>/documents.json      every document as ``Document.to_dict`` (offsets refer to its text)
    builds/<id>/providers.json      every provider as ``Provider.to_dict``
    builds/<id>/clauses.jsonl       every clause as ``Clause.to_dict`` (heading path, offsets, sentences)
    builds/<id>/headings.json       every heading as ``Heading.to_dict``
    builds/<id>/vectors.npy         float32, L2-normalised: one row per clause, then one per sentence of
                                    each multi-sentence clause (sentence_owner.npy maps those rows back)
    builds/<id>/vector_keys.json    hash of (model, text) per row, to reuse vectors in the next build
    builds/<id>/faiss.index         HNSW above the size threshold (loaded); below it a flat index, not
                                    loaded: a flat build is searched with one numpy product
    builds/<id>/bm25/               bm25s index over jieba tokens (bm25_sentences/ for sentences)
    builds/<id>/queries.json        texts the read path asked to have embedded as queries (its example
    builds/<id>/queries.npy         questions) and their query vectors, so it never embeds them at start
    vector-cache/<model>/*.npz      vectors as they are computed, keyed by hash of (model, text): a killed
                                    run resumes instead of starting over (compacted after each build)
    .lock, .lock.owner              one writer at a time; the owner file says who holds the lock

A build is written beside the current one and swapped in by replacing the symlink, so a reader sees the
old index or the new one, never half of each, and a failed build loses nothing. Vectors are keyed by a hash
of (model, text): re-running ``rag index`` embeds only clauses of files that changed; removing a file
removes its clauses. Nothing is reused unverified: the current build counts as up to date only when every
artifact matches the manifest's checksum, its vectors are reused only when they do, and a cache shard that
does not read back whole (zip CRC) is dropped. Writers hold ``.lock`` (another waits, saying who holds
it); a build whose inputs are older than what another writer swapped in meanwhile is never swapped in.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.protocols import Embedder
from core.records import Clause, Document, Heading, Provider
from core.text import strip_markup
from index.corpus import Corpus, build_corpus
from index.durable import (
    IndexBusy,
    VectorCache,
    WriterLock,
    clean_stale,
    stored_queries,
    swap_current,
    verified_vectors,
    write_queries,
)
from index.e5_wheel import sha256_file
from index.load import LoadError
from index.manifest import (
    FIX,
    FORMAT_VERSION,
    IndexLoadError,
    Manifest,
    ModelInfo,
    current_versions,
    incompatibility,
)
from index.structures import (
    ANN_THRESHOLD,
    HNSW_EF_SEARCH,
    IndexKind,
    SearchIndex,
    bm25_text,
    build_bm25,
    build_faiss,
    choose_kind,
    compute_idf,
    embed_text,
)
from index.textproc import shared_tokenizer

Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]


@dataclass(frozen=True, slots=True)
class BuildReport:
    build_dir: Path
    documents: int
    clauses: int
    embedded: int  # texts encoded by the model in this build
    reused: int  # texts whose vectors came from the previous build
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    errors: tuple[LoadError, ...]
    seconds: float
    up_to_date: bool = False


def _key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()[:32]


def _current(index_dir: Path) -> Path | None:
    link = index_dir / "current"
    if not link.exists():
        return None
    return link.resolve()


def _current_manifest(index_dir: Path) -> tuple[Path | None, Manifest | None]:
    build = _current(index_dir)
    if build is None:
        return None, None
    try:
        return build, Manifest.read(build)
    except IndexLoadError:
        return build, None


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@dataclass(frozen=True, slots=True)
class _Vectors:
    """Every text the model sees for a corpus (clauses, then sentences of multi-sentence clauses)."""

    texts: list[str]
    keys: list[str]
    sentence_owner: list[tuple[int, int]]  # (clause row, sentence position) per sentence row

    @classmethod
    def of(cls, clauses: list[Clause], model_id: str) -> _Vectors:
        owner = [
            (row, pos)
            for row, clause in enumerate(clauses)
            if len(clause.sentences) > 1
            for pos in range(len(clause.sentences))
        ]
        texts = [embed_text(c) for c in clauses] + [
            strip_markup(clauses[row].sentences[pos].text) for row, pos in owner
        ]
        return cls(texts, [_key(model_id, t) for t in texts], owner)


def _embed(
    vectors: _Vectors,
    cache: dict[str, Any],
    embedder: Embedder,
    batch_size: int,
    progress: Progress | None,
    store: VectorCache | None = None,
) -> tuple[np.ndarray, int]:
    """The vector of every text (cached ones reused, the rest encoded in batches and each batch written to
    ``store`` as it is computed) and how many were new."""
    todo = sorted({k: t for k, t in zip(vectors.keys, vectors.texts, strict=True) if k not in cache}.items())
    # Hand the encoder a cache shard's worth at a time (it batches by ``batch_size`` or by length itself):
    # the ONNX encoder sorts what it gets by length, so bigger groups mean less padding.
    group = max(batch_size, _SHARD_TEXTS)
    batches = [todo[i : i + group] for i in range(0, len(todo), group)]
    iterator: Iterable[Any] = progress(batches, len(todo), "embedding") if progress else batches
    pending_keys: list[str] = []
    pending: list[np.ndarray] = []
    for batch in iterator:
        encoded = embedder.encode_documents([t for _, t in batch])
        for (key, _), vec in zip(batch, encoded, strict=True):
            cache[key] = np.asarray(vec, dtype=np.float32)
            pending_keys.append(key)
            pending.append(cache[key])
        if store is not None and len(pending_keys) >= _SHARD_TEXTS:
            store.add(pending_keys, np.stack(pending))
            pending_keys, pending = [], []
    if store is not None and pending_keys:
        store.add(pending_keys, np.stack(pending))
    dim = int(next(iter(cache.values())).shape[0]) if cache else int(embedder.dim)
    if not vectors.keys:
        return np.zeros((0, dim), np.float32), len(todo)
    return np.stack([cache[k] for k in vectors.keys]), len(todo)


#: Texts per cache shard: a killed run loses at most this many embeddings.
_SHARD_TEXTS = 256


def _write_build(
    work: Path,
    corpus: Corpus,
    vectors: _Vectors,
    all_vectors: np.ndarray,
    index_kind: str,
    embedder: Embedder,
    queries: tuple[str, ...] = (),
) -> None:
    """Write every artifact of a build into ``work``, the manifest (with their checksums) last."""
    import faiss

    clauses = corpus.clauses
    tokenizer = shared_tokenizer(tuple(_provider_words(corpus.providers)))
    token_lists = [tokenizer.tokenize(bm25_text(c)) for c in clauses]
    sentence_tokens = [tokenizer.tokenize(t) for t in vectors.texts[len(clauses) :]]
    _write_json(work / "documents.json", [d.to_dict() for d in corpus.documents.values()])
    _write_json(work / "providers.json", [p.to_dict() for p in corpus.providers.values()])
    with (work / "clauses.jsonl").open("w", encoding="utf-8") as handle:
        for clause in clauses:
            handle.write(json.dumps(clause.to_dict(), ensure_ascii=False) + "\n")
    headings = [h.to_dict() for seg in corpus.segmentations.values() for h in seg.headings]
    _write_json(work / "headings.json", headings)
    np.save(work / "vectors.npy", all_vectors)
    owner = np.asarray(vectors.sentence_owner, dtype=np.int64).reshape(-1, 2)
    np.save(work / "sentence_owner.npy", owner)
    _write_json(work / "vector_keys.json", vectors.keys)
    faiss.write_index(build_faiss(all_vectors, index_kind), str(work / "faiss.index"))
    build_bm25(token_lists).save(str(work / "bm25"), show_progress=False)
    build_bm25(sentence_tokens).save(str(work / "bm25_sentences"), show_progress=False)
    _write_json(work / "idf.json", compute_idf(token_lists))
    _write_json(work / "errors.json", [str(e) for e in corpus.errors])
    write_queries(work, queries, embedder)
    files = {doc_id: doc.content_hash for doc_id, doc in corpus.documents.items()}
    Manifest(
        format=FORMAT_VERSION,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        model=ModelInfo(embedder.model_id, embedder.weights_hash, int(all_vectors.shape[1])),
        index_kind=index_kind,
        files=files,
        tokenizer_words=tuple(tokenizer.extra_words),
        counts={
            "documents": len(files),
            "clauses": len(clauses),
            "sentences": len(vectors.sentence_owner),
            "vectors": len(all_vectors),
        },
        versions=current_versions(),
        artifacts={str(p.relative_to(work)): sha256_file(p) for p in sorted(work.rglob("*")) if p.is_file()},
    ).write(work)


def build_index(
    contracts_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    *,
    kind: IndexKind = "auto",
    ann_threshold: int = ANN_THRESHOLD,
    max_bytes: int | None = None,
    progress: Progress | None = None,
    force: bool = False,
    batch_size: int = 32,
    allow_symlinks: bool = False,
    lock_timeout: float = 600.0,
    on_wait: Callable[[str], None] | None = None,
    queries: Sequence[str] = (),
) -> BuildReport:
    """Build the index for every contract in ``contracts_dir`` into ``index_dir``, atomically, one writer at
    a time (:class:`IndexBusy` after ``lock_timeout`` seconds of waiting; ``on_wait`` hears who holds it).
    ``queries``: texts to store query vectors of beside the index (``SearchIndex.queries``)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with WriterLock(index_dir, lock_timeout, on_wait):
        clean_stale(index_dir)
        return _build_locked(
            contracts_dir,
            index_dir,
            embedder,
            kind=kind,
            ann_threshold=ann_threshold,
            max_bytes=max_bytes,
            progress=progress,
            force=force,
            batch_size=batch_size,
            allow_symlinks=allow_symlinks,
            queries=tuple(queries),
        )


def _build_locked(
    contracts_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    *,
    kind: IndexKind,
    ann_threshold: int,
    max_bytes: int | None,
    progress: Progress | None,
    force: bool,
    batch_size: int,
    allow_symlinks: bool,
    queries: tuple[str, ...] = (),
) -> BuildReport:
    started = time.perf_counter()
    corpus = build_corpus(contracts_dir, max_bytes, allow_symlinks=allow_symlinks)
    if not corpus.documents:
        raise LoadError(contracts_dir, _nothing_readable(corpus.errors))
    files = {doc_id: doc.content_hash for doc_id, doc in corpus.documents.items()}
    old_build, old = _current_manifest(index_dir)
    old_files = dict(old.files) if old else {}
    added = tuple(sorted(set(files) - set(old_files)))
    removed = tuple(sorted(set(old_files) - set(files)))
    changed = tuple(sorted(d for d in files if d in old_files and old_files[d] != files[d]))
    clauses = corpus.clauses
    reusable = (
        not force
        and old is not None
        and old_build is not None
        and not (added or removed or changed)
        and old.index_kind == choose_kind(kind, old.counts.get("vectors", -1), ann_threshold)
        and incompatibility(old, embedder, build=old_build) is None  # every artifact's checksum too
        and stored_queries(old_build) == queries
    )
    if reusable and old_build is not None:
        seconds = time.perf_counter() - started
        return BuildReport(
            old_build, len(files), len(clauses), 0, 0, (), (), (), corpus.errors, seconds, True
        )

    vectors = _Vectors.of(clauses, embedder.model_id)
    store = VectorCache(index_dir, embedder)
    cache = {} if force else {**verified_vectors(old_build, old, embedder), **store.load()}
    all_vectors, embedded = _embed(vectors, cache, embedder, batch_size, progress, store)
    index_kind = choose_kind(kind, len(all_vectors), ann_threshold)
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    work = builds / f".tmp-{build_id}"
    work.mkdir()
    try:
        _write_build(work, corpus, vectors, all_vectors, index_kind, embedder, queries)
        final = builds / build_id
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if _current(index_dir) != old_build:  # someone swapped in a build while this one ran (no lock held)
        shutil.rmtree(final, ignore_errors=True)
        raise IndexBusy(
            "another index run swapped in a newer build while this one ran; run `rag index` again"
        )
    swap_current(index_dir, final)
    store.compact(vectors.keys, all_vectors)
    return BuildReport(
        final,
        len(files),
        len(clauses),
        embedded,
        len(set(vectors.keys)) - embedded,
        added,
        changed,
        removed,
        corpus.errors,
        time.perf_counter() - started,
    )


def _nothing_readable(errors: tuple[LoadError, ...]) -> str:
    """Why no contract could be read, file by file (the current index is kept)."""
    if not errors:
        return "no contract found (.txt, .md, .html, .docx, .pdf); the current index is kept"
    reasons = "; ".join(str(e) for e in errors[:10]) + ("; …" if len(errors) > 10 else "")
    return f"no contract could be read ({reasons}); the current index is kept"


def _provider_words(providers: dict[str, Provider]) -> list[str]:
    return sorted({name for p in providers.values() for name in (p.name, *p.aliases) if len(name) >= 2})


def index_exists(index_dir: Path) -> bool:
    """Whether a build was ever swapped in (even one damaged since: that is refused, not silently rebuilt)."""
    return (index_dir / "current").is_symlink() or (index_dir / "current" / "manifest.json").is_file()


def read_manifest(index_dir: Path) -> Manifest:
    """The manifest of the current build (:class:`IndexLoadError` when there is none or it is bad)."""
    return Manifest.read(index_dir / "current")


def _read_records(
    build: Path,
) -> tuple[dict[str, Document], dict[str, Provider], list[Clause], list[Heading]]:
    def read(name: str) -> Any:
        return json.loads((build / name).read_text(encoding="utf-8"))

    documents = {d["doc_id"]: Document.from_dict(d) for d in read("documents.json")}
    providers = {p["doc_id"]: Provider.from_dict(p) for p in read("providers.json")}
    with (build / "clauses.jsonl").open(encoding="utf-8") as handle:
        clauses = [Clause.from_dict(json.loads(line)) for line in handle]
    headings = [Heading.from_dict(h) for h in read("headings.json")]
    return documents, providers, clauses, headings


def load_index(index_dir: Path, embedder: Embedder, verify: bool = True) -> SearchIndex:
    """Load the current build, refusing one that is corrupt or was built with another model."""
    build = _current(index_dir)
    if build is None:
        raise IndexLoadError(f"no index in {index_dir}; run `rag index` to build it")
    manifest = read_manifest(index_dir)
    problem = incompatibility(manifest, embedder, build=build if verify else None)
    if problem:
        raise IndexLoadError(f"{problem}; {FIX}")
    try:
        import bm25s
        import faiss

        documents, providers, clauses, headings = _read_records(build)
        all_vectors = np.load(build / "vectors.npy")
        sentence_owner = np.load(build / "sentence_owner.npy")
        faiss_index: Any = None  # a flat build is searched by one matrix product over all_vectors
        if manifest.index_kind == "hnsw":
            faiss_index = faiss.read_index(str(build / "faiss.index"))
            faiss_index.hnsw.efSearch = HNSW_EF_SEARCH
        bm25 = bm25s.BM25.load(str(build / "bm25"), show_progress=False)
        sentence_bm25 = bm25s.BM25.load(str(build / "bm25_sentences"), show_progress=False)
        idf = json.loads((build / "idf.json").read_text(encoding="utf-8"))
        queries = stored_queries(build)
        query_vectors = np.load(build / "queries.npy") if queries else None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexLoadError(
            f"index in {build} cannot be read ({type(exc).__name__}: {exc}); {FIX}"
        ) from None
    vectors, sentence_vectors = all_vectors[: len(clauses)], all_vectors[len(clauses) :]
    wrong_ann = faiss_index is not None and faiss_index.ntotal != len(all_vectors)
    if len(sentence_vectors) != len(sentence_owner) or wrong_ann:
        raise IndexLoadError(f"index in {build} is inconsistent (vectors vs clauses); {FIX}")
    if len(vectors) and vectors.shape[1] != manifest.model.dim:
        raise IndexLoadError(
            f"index vectors have dimension {vectors.shape[1]}, manifest says {manifest.model.dim}; {FIX}"
        )
    tokenizer = shared_tokenizer(manifest.tokenizer_words)
    return SearchIndex(
        build,
        manifest,
        documents,
        providers,
        clauses,
        headings,
        all_vectors,
        vectors,
        sentence_vectors,
        sentence_owner,
        faiss_index,
        bm25,
        sentence_bm25,
        tokenizer,
        idf,
        queries,
        query_vectors,
    )
