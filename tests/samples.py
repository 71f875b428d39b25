"""Contracts and an embedder the persistence tests share (written here once, imported by the tests)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from index.embed import HashingEmbedder

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
