"""Build, persist and load the search index: plain files plus a manifest checked on load.

Layout of ``RAG_INDEX_DIR``::

    current -> builds/<id>          a symlink swapped atomically after a build completes
    builds/<id>/manifest.json       model id + weights hash, dimension, per-file content hashes,
                                    segmenter and package versions, artifact checksums
    builds/<id>/documents.json      the text of every document exactly as indexed (offsets refer to it)
    builds/<id>/clauses.jsonl       clauses with heading paths, offsets and sentences
    builds/<id>/vectors.npy         float32, L2-normalised: one row per clause, then one per sentence of
                                    each multi-sentence clause (sentence_owner.npy maps those rows back)
    builds/<id>/vector_keys.json    hash of (model, text) per row, to reuse vectors in the next build
    builds/<id>/faiss.index         exact inner product, or HNSW above the size threshold
    builds/<id>/bm25/               bm25s index over jieba tokens

A build is written beside the current one and swapped in by replacing the symlink, so a reader sees the
old index or the new one, never half of each, and a failed build loses nothing. Vectors are keyed by a hash
of (model, text): re-running ``rag index`` embeds only clauses of files that changed; removing a file
removes its clauses.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import platform
import shutil
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import numpy as np

from index.corpus import build_corpus
from index.embed import Embedder
from index.load import LoadError
from index.textproc import ChineseTokenizer, resources_hash, shared_tokenizer
from rag.markup import strip_markup
from rag.records import Clause, Document, Heading, Provider, Span

FORMAT_VERSION = 1
#: Bump when segmentation output changes, so old indexes are rebuilt rather than misread.
SEGMENTER_VERSION = "2026.11-1"
IndexKind = Literal["auto", "flat", "hnsw"]
INDEX_KINDS: tuple[str, ...] = ("auto", "flat", "hnsw")
#: Above this many clauses ``auto`` picks HNSW. Exact search over 384-d float32 vectors costs ~0.1 ms per
#: 1,000 vectors here (see the README's benchmark), so 250k vectors is where it passes ~25 ms, half the
#: latency budget; below it exact search is both fast enough and perfectly accurate.
ANN_THRESHOLD = 250_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


class IndexLoadError(RuntimeError):
    """The index is missing, corrupt or built with another model; the message says to run ``rag index``."""


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


@dataclass(slots=True)
class SearchIndex:
    """A loaded index: everything retrieval needs, in memory."""

    root: Path
    manifest: dict[str, Any]
    documents: dict[str, Document]
    providers: dict[str, Provider]
    clauses: list[Clause]
    headings: list[Heading]
    all_vectors: np.ndarray  # clause rows, then sentence rows (the FAISS index holds all of them)
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_owner: np.ndarray  # (m, 2): clause row, sentence position
    faiss: Any
    bm25: Any
    sentence_bm25: Any
    tokenizer: ChineseTokenizer
    idf: dict[str, float]
    # Derived in __post_init__: clause row -> its sentence rows, and (doc_id, clause_id) -> clause.
    sentence_rows: dict[int, list[int]] = field(default_factory=dict, init=False, repr=False)
    _by_id: dict[tuple[str, str], Clause] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {(c.doc_id, c.clause_id): c for c in self.clauses}
        rows: dict[int, list[int]] = {}
        for row, (clause_row, _) in enumerate(self.sentence_owner.tolist()):
            rows.setdefault(int(clause_row), []).append(row)
        self.sentence_rows = rows

    def clause(self, doc_id: str, clause_id: str) -> Clause | None:
        """The clause with this id in this document, or None."""
        return self._by_id.get((doc_id, clause_id))


def embed_text(clause: Clause) -> str:
    """What the model sees for a clause: its heading path, then its text without markup."""
    path = " > ".join(clause.heading_path)
    return f"{path}：{clause.display_text}" if path else clause.display_text


def bm25_text(clause: Clause) -> str:
    return " ".join((*clause.heading_path, clause.display_text))


def _key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()[:32]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "segmenter": SEGMENTER_VERSION, "tokenizer": resources_hash()}
    for package in ("contract-rag", "faiss-cpu", "bm25s", "jieba", "sentence-transformers", "numpy", "torch"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "absent"
    return out


def choose_kind(kind: IndexKind, count: int, threshold: int = ANN_THRESHOLD) -> str:
    if kind not in INDEX_KINDS:
        raise ValueError(f"unknown index kind {kind!r}; valid: {', '.join(INDEX_KINDS)}")
    if kind == "auto":
        return "hnsw" if count > threshold else "flat"
    return kind


def build_faiss(vectors: np.ndarray, kind: str) -> Any:
    import faiss

    dim = vectors.shape[1]
    index: Any
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def compute_idf(token_lists: Sequence[Sequence[str]]) -> dict[str, float]:
    """BM25 (Lucene) IDF per token, ln(1 + (N − df + 0.5) / (df + 0.5)): weights words when picking spans."""
    n = len(token_lists)
    df: Counter[str] = Counter()
    for tokens in token_lists:
        df.update(set(tokens))
    return {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}


def build_bm25(token_lists: Sequence[Sequence[str]]) -> Any:
    import bm25s

    retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    retriever.index([list(tokens) for tokens in token_lists], show_progress=False)
    return retriever


# --- persistence -----------------------------------------------------------------------------------


def _clause_to_json(clause: Clause) -> dict[str, Any]:
    data = dataclasses.asdict(clause)
    data["heading_path"] = list(clause.heading_path)
    data["sentences"] = [[s.start, s.end] for s in clause.sentences]
    del data["text"]  # stored once, in documents.json; rebuilt from offsets on load
    return data


def _clause_from_json(data: dict[str, Any], text: str) -> Clause:
    start, end = data["start"], data["end"]
    return Clause(
        doc_id=data["doc_id"],
        provider=data["provider"],
        clause_id=data["clause_id"],
        kind=data["kind"],
        heading_path=tuple(data["heading_path"]),
        start=start,
        end=end,
        text=text[start:end],
        sentences=tuple(Span(s, e, text[s:e]) for s, e in data["sentences"]),
        number=data.get("number", ""),
    )


def _current(index_dir: Path) -> Path | None:
    link = index_dir / "current"
    if not link.exists():
        return None
    return link.resolve()


def _previous_vectors(index_dir: Path, model_id: str, weights_hash: str) -> dict[str, np.ndarray]:
    """Vectors of the current build keyed by text hash, if it was built with the same model."""
    build = _current(index_dir)
    if build is None:
        return {}
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        if manifest["model"]["id"] != model_id or manifest["model"]["weights_hash"] != weights_hash:
            return {}
        keys = json.loads((build / "vector_keys.json").read_text(encoding="utf-8"))
        vectors = np.load(build / "vectors.npy")
    except (OSError, ValueError, KeyError):
        return {}
    return {key: vectors[i] for i, key in enumerate(keys)} if len(keys) == len(vectors) else {}


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def build_index(
    contracts_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    *,
    kind: IndexKind = "auto",
    ann_threshold: int = ANN_THRESHOLD,
    max_bytes: int | None = None,
    progress: Callable[[Iterable[Any], int, str], Iterable[Any]] | None = None,
    force: bool = False,
    batch_size: int = 32,
) -> BuildReport:
    """Build the index for every contract in ``contracts_dir`` into ``index_dir``, atomically."""
    started = time.perf_counter()
    corpus = build_corpus(contracts_dir, max_bytes)
    files = {doc_id: doc.content_hash for doc_id, doc in corpus.documents.items()}
    old_build = _current(index_dir)
    old_manifest: dict[str, Any] = {}
    if old_build is not None:
        try:
            old_manifest = json.loads((old_build / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old_manifest = {}
    old_files: dict[str, str] = old_manifest.get("files", {})
    added = tuple(sorted(set(files) - set(old_files)))
    removed = tuple(sorted(set(old_files) - set(files)))
    changed = tuple(sorted(d for d in files if d in old_files and old_files[d] != files[d]))
    clauses = corpus.clauses
    old_model = old_manifest.get("model", {})
    up_to_date = (
        not force
        and old_build is not None
        and not (added or removed or changed)
        and (old_model.get("id"), old_model.get("weights_hash")) == (embedder.model_id, embedder.weights_hash)
        and old_manifest.get("format") == FORMAT_VERSION
        and old_manifest.get("versions", {}).get("segmenter") == SEGMENTER_VERSION
        and old_manifest.get("versions", {}).get("tokenizer") == resources_hash()
        and old_manifest.get("index_kind")
        == choose_kind(kind, old_manifest.get("counts", {}).get("vectors", -1), ann_threshold)
    )
    if up_to_date and old_build is not None:
        seconds = time.perf_counter() - started
        return BuildReport(
            old_build, len(files), len(clauses), 0, 0, (), (), (), corpus.errors, seconds, True
        )

    sentence_owner = [
        (row, pos)
        for row, clause in enumerate(clauses)
        if len(clause.sentences) > 1
        for pos in range(len(clause.sentences))
    ]
    texts = [embed_text(c) for c in clauses] + [
        strip_markup(clauses[row].sentences[pos].text) for row, pos in sentence_owner
    ]
    keys = [_key(embedder.model_id, t) for t in texts]
    cache = {} if force else _previous_vectors(index_dir, embedder.model_id, embedder.weights_hash)
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
    iterator: Iterable[Any] = progress(batches, len(todo), "embedding") if progress else batches
    for batch in iterator:
        vectors = embedder.encode_documents([t for _, t in batch])
        for (key, _), vec in zip(batch, vectors, strict=True):
            cache[key] = np.asarray(vec, dtype=np.float32)
    dim = int(next(iter(cache.values())).shape[0]) if cache else int(embedder.dim)
    all_vectors = np.stack([cache[k] for k in keys]) if keys else np.zeros((0, dim), np.float32)

    providers = corpus.providers
    tokenizer = shared_tokenizer(tuple(_provider_words(providers)))
    token_lists = [tokenizer.tokenize(bm25_text(c)) for c in clauses]
    bm25 = build_bm25(token_lists)
    sentence_bm25 = build_bm25(
        [tokenizer.tokenize(texts[len(clauses) + i]) for i in range(len(sentence_owner))]
    )
    index_kind = choose_kind(kind, len(all_vectors), ann_threshold)
    faiss_index = build_faiss(all_vectors, index_kind)

    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    work = builds / f".tmp-{build_id}"
    work.mkdir()
    try:
        _write_json(
            work / "documents.json",
            {
                d.doc_id: {
                    "text": d.text,
                    "source_format": d.source_format,
                    "encoding": d.encoding,
                    "content_hash": d.content_hash,
                }
                for d in corpus.documents.values()
            },
        )
        _write_json(work / "providers.json", {k: dataclasses.asdict(p) for k, p in providers.items()})
        with (work / "clauses.jsonl").open("w", encoding="utf-8") as handle:
            for clause in clauses:
                handle.write(json.dumps(_clause_to_json(clause), ensure_ascii=False) + "\n")
        _write_json(
            work / "headings.json",
            [dataclasses.asdict(h) for seg in corpus.segmentations.values() for h in seg.headings],
        )
        np.save(work / "vectors.npy", all_vectors)
        np.save(work / "sentence_owner.npy", np.asarray(sentence_owner, dtype=np.int64).reshape(-1, 2))
        _write_json(work / "vector_keys.json", keys)
        import faiss

        faiss.write_index(faiss_index, str(work / "faiss.index"))
        bm25.save(str(work / "bm25"), show_progress=False)
        sentence_bm25.save(str(work / "bm25_sentences"), show_progress=False)
        _write_json(work / "idf.json", compute_idf(token_lists))
        _write_json(work / "errors.json", [str(e) for e in corpus.errors])
        artifacts = {str(p.relative_to(work)): _sha256(p) for p in sorted(work.rglob("*")) if p.is_file()}
        manifest = {
            "format": FORMAT_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "model": {"id": embedder.model_id, "weights_hash": embedder.weights_hash, "dim": dim},
            "files": files,
            "index_kind": index_kind,
            "tokenizer_words": list(tokenizer.extra_words),
            "counts": {
                "documents": len(files),
                "clauses": len(clauses),
                "sentences": len(sentence_owner),
                "vectors": len(all_vectors),
            },
            "versions": _versions(),
            "artifacts": artifacts,
        }
        _write_json(work / "manifest.json", manifest)
        final = builds / build_id
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _swap(index_dir, final)
    return BuildReport(
        final,
        len(files),
        len(clauses),
        len(todo),
        len(set(keys)) - len(todo),
        added,
        changed,
        removed,
        corpus.errors,
        time.perf_counter() - started,
    )


def _provider_words(providers: dict[str, Provider]) -> list[str]:
    return sorted({name for p in providers.values() for name in (p.name, *p.aliases) if len(name) >= 2})


def _swap(index_dir: Path, build: Path) -> None:
    """Point ``current`` at ``build`` atomically, then drop builds older than the previous one."""
    link = index_dir / "current"
    tmp = index_dir / f".current-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(build, index_dir), tmp)
    os.replace(tmp, link)
    builds = sorted(
        (p for p in (index_dir / "builds").iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
    )
    # Keep the new build and the one before it: a reader that resolved the old link can finish loading.
    for old in builds[:-2]:
        if old != build:
            shutil.rmtree(old, ignore_errors=True)


def index_exists(index_dir: Path) -> bool:
    return (index_dir / "current" / "manifest.json").is_file()


def read_manifest(index_dir: Path) -> dict[str, Any]:
    path = index_dir / "current" / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexLoadError(f"no index in {index_dir}; run `rag index` to build it") from None
    except (OSError, ValueError) as exc:
        raise IndexLoadError(f"{path} is unreadable ({exc}); run `rag index` to rebuild it") from None


def load_index(index_dir: Path, embedder: Embedder, verify: bool = True) -> SearchIndex:
    """Load the current build, refusing one that is corrupt or was built with another model."""
    build = _current(index_dir)
    if build is None:
        raise IndexLoadError(f"no index in {index_dir}; run `rag index` to build it")
    manifest = read_manifest(index_dir)
    fix = "run `rag index` to rebuild it"
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexLoadError(f"index format {manifest.get('format')} is not {FORMAT_VERSION}; {fix}")
    if manifest.get("versions", {}).get("segmenter") != SEGMENTER_VERSION:
        raise IndexLoadError(f"index was segmented by another version of the segmenter; {fix}")
    if manifest.get("versions", {}).get("tokenizer") != resources_hash():
        raise IndexLoadError(f"index was tokenised with other dictionaries or stop words; {fix}")
    model = manifest.get("model", {})
    if model.get("id") != embedder.model_id or model.get("weights_hash") != embedder.weights_hash:
        raise IndexLoadError(
            f"index was built with model {model.get('id')!r}, "
            f"but RAG_EMBED_MODEL gives {embedder.model_id!r}; {fix}"
        )
    if verify:
        for name, digest in manifest.get("artifacts", {}).items():
            path = build / name
            if not path.is_file() or _sha256(path) != digest:
                raise IndexLoadError(f"index file {name} is missing or corrupt; {fix}")
    try:
        import bm25s
        import faiss

        docs_json = json.loads((build / "documents.json").read_text(encoding="utf-8"))
        documents = {
            doc_id: Document(doc_id, d["text"], d["source_format"], d["encoding"], d["content_hash"])
            for doc_id, d in docs_json.items()
        }
        providers = {
            k: Provider(v["name"], v["entity"], tuple(v["aliases"]))
            for k, v in json.loads((build / "providers.json").read_text(encoding="utf-8")).items()
        }
        clauses = []
        with (build / "clauses.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                data = json.loads(line)
                clauses.append(_clause_from_json(data, documents[data["doc_id"]].text))
        headings = [Heading(**h) for h in json.loads((build / "headings.json").read_text(encoding="utf-8"))]
        all_vectors = np.load(build / "vectors.npy")
        vectors, sentence_vectors = all_vectors[: len(clauses)], all_vectors[len(clauses) :]
        sentence_owner = np.load(build / "sentence_owner.npy")
        faiss_index: Any = faiss.read_index(str(build / "faiss.index"))
        if manifest["index_kind"] == "hnsw":
            faiss_index.hnsw.efSearch = HNSW_EF_SEARCH
        bm25 = bm25s.BM25.load(str(build / "bm25"), show_progress=False)
        sentence_bm25 = bm25s.BM25.load(str(build / "bm25_sentences"), show_progress=False)
        idf = json.loads((build / "idf.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexLoadError(
            f"index in {build} cannot be read ({type(exc).__name__}: {exc}); {fix}"
        ) from None
    if len(sentence_vectors) != len(sentence_owner) or faiss_index.ntotal != len(all_vectors):
        raise IndexLoadError(f"index in {build} is inconsistent (vectors vs clauses); {fix}")
    if len(vectors) and vectors.shape[1] != model.get("dim"):
        raise IndexLoadError(
            f"index vectors have dimension {vectors.shape[1]}, manifest says {model.get('dim')}; {fix}"
        )
    tokenizer = shared_tokenizer(tuple(manifest.get("tokenizer_words", ())))
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
    )


def progress_bar(iterable: Iterable[Any], total: int, desc: str) -> Iterable[Any]:
    """A tqdm progress bar counting texts (not batches), written to stderr."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="text", file=sys.stderr, disable=total == 0)
    for item in iterable:
        yield item
        bar.update(len(item))
    bar.close()
