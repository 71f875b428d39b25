"""Contracts and an embedder the persistence tests share (written here once, imported by the tests)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.protocols import Embedder
from index.embed import HashingEmbedder
from index.milvus_store import MilvusConfig
from index.structures import SearchIndex
from rag.retrieve import HybridRetriever

#: The search backends every retrieval and answer test runs against (``backend`` fixture).
BACKENDS = ("local", "milvus")
_MILVUS_DIR: list[Path] = []


def milvus_config(alias: str | None = None) -> MilvusConfig:
    """A collection alias of its own in the test session's one Milvus Lite file (Milvus Lite serves a file
    from one process: every test of the session shares it, each under a fresh alias)."""
    if not _MILVUS_DIR:
        _MILVUS_DIR.append(Path(tempfile.mkdtemp(prefix="rag-milvus-")))
        atexit.register(shutil.rmtree, _MILVUS_DIR[0], True)  # the session's file goes with the session
    return MilvusConfig(str(_MILVUS_DIR[0] / "tests.db"), collection=alias or f"t_{uuid.uuid4().hex[:12]}")


def retriever_over(backend: str, index: SearchIndex, embedder: Embedder, **kwargs: Any) -> HybridRetriever:
    """The retriever of ``backend`` over ``index``: FAISS + bm25s, or the build published to Milvus Lite."""
    if backend == "milvus":
        from rag.milvus_retrieve import open_milvus_retriever

        return open_milvus_retriever(index, embedder, milvus_config(), **kwargs)
    return HybridRetriever(index, embedder, **kwargs)


STARRY = (
    "星河云服务协议\n本协议是杭州星河数据科技有限公司（以下简称“星河云”）与您订立的协议。\n"
    "一、 数据\n1. 服务终止后，星河云将保留您的数据 90 个自然日。逾期删除。\n"
    "2. 逾期付款的，每日按应付金额的千分之一收取滞纳金。\n"
)
BLUE = (
    "蓝海云服务协议\n本协议是深圳蓝海网络技术有限公司（以下简称“蓝海云”）与您订立的协议。\n"
    "一、 费用\n1. 蓝海云按月收取服务费用。\n2. 争议提交深圳市南山区人民法院管辖。\n"
)


class CountingEmbedder(HashingEmbedder):
    """Counts the texts it embeds; can fail after a number of texts (as a killed run would), or wait for
    an event before embedding (to hold a build in the middle)."""

    def __init__(
        self, dim: int = 384, fail_after: int | None = None, gate: threading.Event | None = None
    ) -> None:
        super().__init__(dim)
        self.embedded = 0
        self.fail_after = fail_after
        self.gate = gate
        self.started = threading.Event()

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(30)
        self.embedded += len(texts)
        if self.fail_after is not None and self.embedded > self.fail_after:
            raise RuntimeError("embedding failed: killed")
        return super().encode_documents(texts)
