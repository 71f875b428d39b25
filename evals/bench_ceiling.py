"""The machine's ceiling under issue 12's two unmet targets, measured in the same run (a ``make bench`` part).

Embedding a text is float32 matrix products. This part counts the FLOPs the bundled model spends on the
bundled corpus (padded exactly as the ONNX encoder batches it) and on the load test's questions (every one
made new), times ONNX Runtime on them, and times numpy's sgemm on the model's own shapes with the same
threads. From those: the share of the machine's matrix-product rate the encoder already reaches, the most
texts/s any float32 encoder could index at here, and the lowest mean latency a closed loop of N clients can
see when every request encodes its question (N × CPU per request ÷ cores, before any HTTP).
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.dataset import load_questions
from index.store import build_index
from rag.settings import BUNDLED_CONTRACTS, Settings


class _Recording:
    """An embedder that keeps every document text it is asked to encode."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.texts: list[str] = []
        self.model_id, self.weights_hash = inner.model_id, inner.weights_hash

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return np.asarray(self.inner.encode_documents(texts))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.inner.encode_queries(texts))


def layer_flops(config: dict[str, Any], rows: int, length: int) -> float:
    """FLOPs of the encoder layers on a ``rows`` × ``length`` batch: the four attention projections, the
    two feed-forward products and the attention scores and mix (embeddings, norms and softmax left out)."""
    h, ff, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    per_token = 2 * 4 * h * h + 2 * 2 * h * ff + 2 * 2 * length * h
    return float(layers * rows * length * per_token)


def sgemm_gflops(rows: int, config: dict[str, Any], threads: int, seconds: float = 1.0) -> float:
    """numpy's float32 rate on the model's feed-forward shape (rows × hidden @ hidden × intermediate)."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.random((rows, config["hidden_size"]), dtype=np.float32)
    b = rng.random((config["hidden_size"], config["intermediate_size"]), dtype=np.float32)
    with threadpool_limits(threads):
        for _ in range(5):
            a @ b
        n, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            a @ b
            n += 1
        elapsed = time.perf_counter() - started
    return n * 2 * rows * config["hidden_size"] * config["intermediate_size"] / elapsed / 1e9


def _load_mix(texts: dict[str, str], n: int) -> list[str]:
    """The load test's questions, every one made new the way ``bench_load(distinct=True)`` makes them."""
    from evals.answers import UNANSWERABLE

    questions = [q.question for q in load_questions(texts)]
    questions += [q.question for q in load_questions(texts, UNANSWERABLE)]
    rng = random.Random(1)
    return [rng.choice(questions) + f" 编号{rng.randrange(10**9)}" for _ in range(n)]


def bench_ceiling(settings: Settings, clients: int = 20, asks: int = 200) -> dict[str, Any]:
    from index.e5_wheel import ensure_model
    from index.onnx_encoder import DOCUMENT_PROMPTS, QUERY_PROMPTS, OnnxEmbedder
    from rag.pipeline import embedder_for, open_pipeline

    embedder = embedder_for(settings)
    if not isinstance(embedder, OnnxEmbedder):
        return {"skipped": f"{settings.embed_model} is not the ONNX encoder"}
    spec, tokenizer = embedder._load()
    config = json.loads((ensure_model(settings.model_cache_dir) / "config.json").read_text(encoding="utf-8"))
    recording = _Recording(embedder)
    with tempfile.TemporaryDirectory() as tmp:
        build_index(BUNDLED_CONTRACTS, Path(tmp), recording)
    docs = recording.texts
    prompt = spec.prompt(DOCUMENT_PROMPTS)
    lengths = [len(ids) for ids in tokenizer.encode_ids([prompt + t for t in docs])]
    batches = embedder._batches(lengths)
    padded = sum(layer_flops(config, len(b), max(lengths[i] for i in b)) for b in batches)
    embedder.encode_documents(docs[:32])
    started = time.perf_counter()
    embedder.encode_documents(docs)
    doc_seconds = time.perf_counter() - started
    rows = int(np.median([len(b) * max(lengths[i] for i in b) for b in batches]))
    peak_docs = sgemm_gflops(rows, config, embedder.index_threads)

    # one query thread, as a server's request runs; its encoder, without the retriever's query cache
    pipeline = open_pipeline(settings.model_copy(update={"embed_threads": 1}), progress=False, update=True)
    pipeline.warm()
    texts = {d: doc.text for d, doc in pipeline.index.documents.items()}
    mix = _load_mix(texts, asks)
    q_prompt = spec.prompt(QUERY_PROMPTS)
    q_lengths = [len(ids) for ids in tokenizer.encode_ids([q_prompt + q for q in mix])]
    q_flops = float(np.mean([layer_flops(config, 1, n) for n in q_lengths]))
    one = pipeline.retriever.embedder
    one.encode_queries(mix[:10])
    cpu = time.process_time()
    for q in mix:
        one.encode_queries([q])
    encode_ms = (time.process_time() - cpu) / len(mix) * 1000
    for q in _load_mix(texts, 20):
        pipeline.ask(q + "预热")
    cpu = time.process_time()
    for q in mix:
        pipeline.ask(q)
    ask_ms = (time.process_time() - cpu) / len(mix) * 1000
    cores = os.cpu_count() or 1
    # a query encoded at the per-core rate of the batched documents: what batching queries could reach
    floor_ms = q_flops / (peak_docs / embedder.index_threads * 1e9) * 1000
    return {
        "texts": len(docs),
        "tokens": sum(lengths),
        "gflop_padded": round(padded / 1e9, 1),
        "onnx_texts_per_second": round(len(docs) / doc_seconds, 1),
        "onnx_gflops": round(padded / doc_seconds / 1e9, 1),
        "sgemm_gflops": round(peak_docs, 1),
        "sgemm_rows": rows,
        "threads": embedder.index_threads,
        "ceiling_texts_per_second": round(len(docs) / (padded / (peak_docs * 1e9)), 1),
        "query_tokens_mean": round(float(np.mean(q_lengths)), 1),
        "query_gflop": round(q_flops / 1e9, 3),
        "query_cpu_ms": round(encode_ms, 2),
        "query_gflops": round(q_flops / (encode_ms / 1000) / 1e9, 1),
        "query_floor_ms": round(floor_ms, 2),
        "ask_cpu_ms": round(ask_ms, 2),
        "cores": cores,
        "clients": clients,
        "closed_loop_mean_ms_floor": round(clients * ask_ms / cores, 1),
        "closed_loop_mean_ms_floor_at_peak": round(clients * (ask_ms - encode_ms + floor_ms) / cores, 1),
    }


def print_ceiling(c: dict[str, Any], builds: dict[str, float]) -> None:
    """``builds``: texts/s of whole index builds per encoder name, measured earlier in the run."""
    if "skipped" in c:
        print(f"\nceiling: skipped ({c['skipped']})")
        return
    share = c["onnx_gflops"] / c["sgemm_gflops"]
    print(
        f"\nceiling (float32 matrix products on this machine, same run):\n"
        f"  indexing: {c['texts']} texts, {c['tokens']} tokens, {c['gflop_padded']} GFLOP as batched; "
        f"ONNX {c['onnx_texts_per_second']} texts/s = {c['onnx_gflops']} GFLOP/s, numpy sgemm on "
        f"{c['sgemm_rows']} × 384 @ 384 × 1536 with {c['threads']} threads {c['sgemm_gflops']} GFLOP/s "
        f"({share:.0%} of it reached); no float32 encoder indexes faster than "
        f"{c['ceiling_texts_per_second']} texts/s here"
    )
    if builds.get("onnx") and builds.get("torch"):
        best = builds["onnx"] * c["ceiling_texts_per_second"] / c["onnx_texts_per_second"]
        print(
            f"  whole builds in this run: ONNX {builds['onnx']} texts/s, torch {builds['torch']}; "
            f"ONNX's build at the sgemm rate would reach {best:.1f} texts/s = "
            f"{best / builds['torch']:.2f}× torch (3× asked)"
        )
    print(
        f"  a new question: {c['query_tokens_mean']} tokens, {c['query_gflop']} GFLOP, "
        f"{c['query_cpu_ms']} ms CPU on one thread = {c['query_gflops']} GFLOP/s (at the batched rate per "
        f"core: {c['query_floor_ms']} ms); a whole first-time ask {c['ask_cpu_ms']} ms CPU; "
        f"{c['clients']} closed-loop clients on {c['cores']} cores: mean latency ≥ "
        f"{c['closed_loop_mean_ms_floor']} ms before HTTP and the clients' own CPU, ≥ "
        f"{c['closed_loop_mean_ms_floor_at_peak']} ms with queries encoded at the batched rate "
        "(p95 ≤ 150 ms asked)"
    )
