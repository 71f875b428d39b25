"""The small interfaces the read path is written against (haystack's ``retrievers/types/protocol.py``).

Implementations live where they belong: embedders in ``index/embed.py`` (the write path needs them to
build vectors), the hybrid retriever in ``rag/retrieve.py``. A second retriever (another backend) only has
to satisfy :class:`Retriever`; nothing that answers questions changes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from core.records import Hit


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    @property
    def model_id(self) -> str: ...

    @property
    def weights_hash(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class Retriever(Protocol):
    """The ``k`` best clauses for a question; ``providers`` (display names) restricts the search."""

    def search(self, question: str, k: int = 5, *, providers: Collection[str] | None = None) -> list[Hit]: ...

    def search_vector(self, question: str, providers: Collection[str] | None = None) -> np.ndarray:
        """The query vector a search for ``question`` embeds (a classifier reads the question by it)."""
        ...
