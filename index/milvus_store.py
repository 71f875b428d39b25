"""The search rows of a build in Milvus (``RAG_BACKEND=milvus``): one collection per build, an alias on the
current one.

The local build (``index/store.py``) stays the source: it segments, embeds (reusing vectors by file hash)
and writes the records every reader needs (documents, clauses, headings, providers). Publishing copies its
search rows into Milvus::

    <name>                     an alias, switched atomically to the newest published build
    <name>_<build id>          one row per clause and per sentence of a multi-sentence clause (title lines
                               are left out: they answer nothing): id (the row in the build's vectors), owner
                               (its clause row), doc_id, provider, clause_id, start_offset, end_offset, kind,
                               the dense vector and a sparse vector of the build's own BM25 weights over
                               its jieba tokens, so Chinese tokenisation is ours on every backend.
                               Collection properties record the build, model, weights, dimension, segmenter
                               and dictionaries; a reader refuses a collection that does not match.

The sparse weights are exactly bm25s' precomputed Lucene BM25 scores of each (token, row): a query vector of
token counts then scores every row by inner product as bm25s does. Publishing a build that is already in
Milvus does nothing; older collections than the previous one are dropped, as local builds are.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from core.records import Clause
from index.manifest import FORMAT_VERSION
from index.structures import SearchIndex

if TYPE_CHECKING:
    from pymilvus import MilvusClient

BATCH = 2_000  # rows per insert call
VARCHAR = 4_096  # bytes of UTF-8
#: A row without a single token still needs a non-empty sparse vector; key 0 is never a query token.
NO_TOKENS = {0: 1.0}
HNSW = {"M": 32, "efConstruction": 80}
MIN_VERSION = (2, 4)  # sparse vectors, grouping search and hybrid_search (Milvus Lite 3.x reports its own)


class MilvusError(RuntimeError):
    """Milvus cannot be used as configured: the message says what and how to fix it (one line)."""


@dataclass(frozen=True, slots=True)
class MilvusConfig:
    uri: str
    token: str = ""
    collection: str = "contract_rag"
    timeout: float = 10.0

    @property
    def embedded(self) -> bool:
        """A file path runs Milvus Lite inside this process; http(s)/tcp URIs reach a server."""
        return not re.match(r"^(https?|tcp|unix)://", self.uri)


def connect(config: MilvusConfig) -> MilvusClient:
    """A client for ``config``; :class:`MilvusError` naming the URI when Milvus is unreachable or refuses
    the token."""
    try:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException
    except ImportError:  # pragma: no cover - pymilvus is a dependency
        raise MilvusError("RAG_BACKEND=milvus needs the pymilvus package: pip install pymilvus") from None
    for name in ("pymilvus", "milvus_lite"):  # their tracebacks reach the user as one line, below
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if config.embedded and not config.uri.endswith(".db"):
        raise MilvusError(f"RAG_MILVUS_URI {config.uri!r}: a Milvus Lite file must end in .db")

    # Milvus Lite's in-process gRPC server keeps gRPC's default ping policy and answers pymilvus' idle
    # keepalive pings (every 10 s) with GOAWAY "too_many_pings": the channel in the same process needs none.
    options = {"grpc.keepalive_time_ms": 300_000, "grpc.keepalive_permit_without_calls": False}

    def open_client() -> tuple[MilvusClient, str]:
        client = MilvusClient(
            uri=config.uri,
            token=config.token,
            timeout=config.timeout,
            grpc_options=options if config.embedded else {},
        )
        client.list_collections()  # a server that accepts the connection but not the token fails here
        return client, str(client.get_server_version())

    try:
        try:
            client, version = open_client()
        except MilvusException:  # pymilvus' shared channel can be stale after a long idle: one retry
            client, version = open_client()
    except MilvusException as exc:
        if config.embedded:  # Milvus Lite opens its file in one process only
            raise MilvusError(
                f"cannot open the Milvus Lite file {config.uri} ({exc.message}): another process may have it "
                "open (one process per file; share a Milvus server via RAG_MILVUS_URI=http://host:19530)"
            ) from None
        raise MilvusError(explain(exc, config)) from None
    found = re.match(r"^v?(\d+)\.(\d+)", version)
    if found and (int(found[1]), int(found[2])) < MIN_VERSION:
        raise MilvusError(
            f"Milvus at {config.uri} is {version}; the milvus backend needs Milvus 2.4 or newer "
            "(sparse vectors, grouping search, hybrid_search)"
        )
    return client


def explain(exc: BaseException, config: MilvusConfig) -> str:
    """One line for a Milvus failure: unreachable, refused token, or the server's own message."""
    message = str(getattr(exc, "message", "") or exc)
    # pymilvus wraps the gRPC error that says why (StatusCode.UNAUTHENTICATED auth check failure …)
    causes: list[str] = []
    cause: BaseException | None = exc
    while cause is not None and len(causes) < 5:
        details, code = getattr(cause, "details", None), getattr(cause, "code", None)
        if callable(details):
            causes.append(f"{code() if callable(code) else ''} {details()}")
        else:
            causes.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    low = " ".join(causes).lower()
    if "unauthenticated" in low or "auth check" in low or "credential" in low or "password" in low:
        why = next((c for c in causes if "auth" in c.lower()), message).strip()
        return f"Milvus at {config.uri} refused the credentials (RAG_MILVUS_TOKEN): {why}"
    if "fail connecting" in low or "unavailable" in low or "deadline" in low or "timeout" in low:
        return f"Milvus is unreachable at {config.uri} (RAG_MILVUS_URI): {message}"
    return f"Milvus at {config.uri}: {message}"


def collection_name(config: MilvusConfig, build_id: str) -> str:
    """``<alias>_<build id>`` with anything Milvus does not allow in a name made ``_``."""
    return re.sub(r"\W", "_", f"{config.collection}_{build_id}", flags=re.ASCII)


def build_properties(index: SearchIndex) -> dict[str, str]:
    """What a collection records about the build it holds (strings: Milvus properties are text)."""
    manifest = index.manifest
    return {
        "rag.build": index.root.name,
        "rag.format": str(FORMAT_VERSION),
        "rag.model": manifest.model.id,
        "rag.weights": manifest.model.weights_hash,
        "rag.dim": str(manifest.model.dim),
        "rag.segmenter": manifest.versions.get("segmenter", ""),
        "rag.tokenizer": manifest.versions.get("tokenizer", ""),
        "rag.rows": str(row_count(index)),
    }


def row_count(index: SearchIndex) -> int:
    """How many rows the build's collection holds (searchable clauses and their sentence rows)."""
    searchable = [c.kind != "title" for c in index.clauses]
    return sum(searchable) + sum(searchable[owner] for owner in index.sentence_owner[:, 0].tolist())


def mismatch(found: Mapping[str, str], wanted: Mapping[str, str], name: str) -> str | None:
    """Why collection ``name`` (properties ``found``) cannot serve the build ``wanted`` describes."""
    labels = {
        "rag.format": "index format",
        "rag.model": "embedding model",
        "rag.weights": "model weights",
        "rag.dim": "vector dimension",
        "rag.segmenter": "segmenter version",
        "rag.tokenizer": "tokenizer dictionaries",
        "rag.build": "build",
    }
    for key, label in labels.items():
        if found.get(key) != wanted.get(key):
            return (
                f"Milvus collection {name} was built with another {label} "
                f"({found.get(key) or 'none'} instead of {wanted.get(key)}); run `rag index`"
            )
    return None


def vocabulary(index: SearchIndex) -> dict[str, int]:
    """One sparse key per token of the build's clause and sentence BM25 vocabularies (0 is reserved)."""
    tokens = set(index.bm25.vocab_dict) | set(index.sentence_bm25.vocab_dict)
    return {token: key for key, token in enumerate(sorted(tokens), start=1)}


def sparse_rows(bm25: Any, keys: Mapping[str, int], count: int) -> list[dict[int, float]]:
    """Each of the ``count`` documents of a bm25s index as {sparse key: its BM25 weight of that token}."""
    scores = bm25.scores
    indptr = np.asarray(scores["indptr"])
    token_of = {i: keys[t] for t, i in bm25.vocab_dict.items() if t in keys}
    rows: list[dict[int, float]] = [{} for _ in range(count)]
    docs, data = np.asarray(scores["indices"]), np.asarray(scores["data"], dtype=np.float32)
    for token_id in range(len(indptr) - 1):
        key = token_of.get(token_id)
        if key is None:
            continue
        for doc, weight in zip(
            docs[indptr[token_id] : indptr[token_id + 1]].tolist(),
            data[indptr[token_id] : indptr[token_id + 1]].tolist(),
            strict=True,
        ):
            if doc < count and weight > 0:
                rows[doc][key] = weight
    return rows


def search_rows(index: SearchIndex) -> Iterator[dict[str, Any]]:
    """The rows a collection holds: every searchable clause, then every sentence row of one."""
    keys = vocabulary(index)
    n = len(index.clauses)
    clause_sparse = sparse_rows(index.bm25, keys, n)
    sentence_sparse = sparse_rows(index.sentence_bm25, keys, len(index.sentence_owner))
    for row, clause in enumerate(index.clauses):
        if clause.kind != "title":
            yield _row(row, row, clause, clause.start, clause.end, "clause") | {
                "dense": index.vectors[row].tolist(),
                "sparse": clause_sparse[row] or NO_TOKENS,
            }
    for i, (owner, position) in enumerate(index.sentence_owner.tolist()):
        clause = index.clauses[owner]
        if clause.kind != "title":
            span = clause.sentences[position]
            yield _row(n + i, owner, clause, span.start, span.end, "sentence") | {
                "dense": index.sentence_vectors[i].tolist(),
                "sparse": sentence_sparse[i] or NO_TOKENS,
            }


def _row(row: int, owner: int, clause: Clause, start: int, end: int, kind: str) -> dict[str, Any]:
    return {
        "id": row,
        "owner": owner,
        "doc_id": _clip(clause.doc_id),
        "provider": _clip(clause.provider),
        "clause_id": _clip(clause.clause_id),
        "start_offset": start,
        "end_offset": end,
        "kind": kind,
    }


def _clip(text: str) -> str:
    """``text`` within a VARCHAR field's limit in UTF-8 bytes (a pathological clause id, never a name)."""
    return text.encode("utf-8")[:VARCHAR].decode("utf-8", errors="ignore")


def _create(client: MilvusClient, name: str, index: SearchIndex, properties: dict[str, str]) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("owner", DataType.INT64)
    for field in ("doc_id", "provider", "clause_id"):
        schema.add_field(field, DataType.VARCHAR, max_length=VARCHAR)
    schema.add_field("start_offset", DataType.INT64)
    schema.add_field("end_offset", DataType.INT64)
    schema.add_field("kind", DataType.VARCHAR, max_length=16)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=index.manifest.model.dim)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    params = client.prepare_index_params()
    if index.manifest.index_kind == "hnsw":  # the local build's choice by size, kept
        params.add_index("dense", index_type="HNSW", metric_type="IP", params=HNSW)
    else:
        params.add_index("dense", index_type="FLAT", metric_type="IP")
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    client.create_collection(name, schema=schema, properties=properties)
    # pymilvus polls a synchronous index build every 0.5 s; loading the collection waits for it instead
    client.create_index(name, params, sync=False)


def properties_of(client: MilvusClient, name: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in (client.describe_collection(name).get("properties") or {}).items()}


def alias_target(client: MilvusClient, alias: str) -> str | None:
    """The collection ``alias`` points at, None when there is no such alias."""
    try:
        return str(client.describe_alias(alias)["collection_name"])
    except Exception:  # pymilvus raises a MilvusException for an unknown alias
        return None


def publish(client: MilvusClient, config: MilvusConfig, index: SearchIndex) -> str:
    """Put ``index``'s search rows in Milvus (a collection of its own) and point the alias at it; the
    collection's name. A build already published is only pointed at."""
    name = collection_name(config, index.root.name)
    wanted = build_properties(index)
    if client.has_collection(name):
        found = properties_of(client, name)
        if found.get("rag.complete") != "yes" or mismatch(found, wanted, name):  # a killed run's half
            client.drop_collection(name)
    if not client.has_collection(name):
        _create(client, name, index, {**wanted, "rag.complete": "no", "rag.published": str(time.time_ns())})
        batch: list[dict[str, Any]] = []
        for row in search_rows(index):
            batch.append(row)
            if len(batch) >= BATCH:
                client.insert(name, batch)
                batch = []
        if batch:
            client.insert(name, batch)
        client.flush(name)
        client.alter_collection_properties(name, {"rag.complete": "yes"})
    client.load_collection(name)
    previous = alias_target(client, config.collection)
    if previous is None:
        client.create_alias(name, config.collection)
    elif previous != name:
        client.alter_alias(name, config.collection)  # atomic: a reader sees the old build or the new
    _drop_stale(client, config, name)
    return name


def _drop_stale(client: MilvusClient, config: MilvusConfig, current: str) -> None:
    """Drop this alias' collections published before the one before ``current``, as local builds are: a
    reader still on the previous build keeps working; one published later is left alone."""
    prefix = collection_name(config, "")
    published = {}
    for name in client.list_collections():
        if name.startswith(prefix):
            published[name] = int(properties_of(client, name).get("rag.published", "0") or 0)
    ours = sorted(published, key=lambda name: (published[name], name))
    for other in ours[: max(ours.index(current) - 1, 0)] if current in ours else ():
        client.drop_collection(other)
