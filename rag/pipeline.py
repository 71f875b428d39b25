"""The answering pipeline, assembled once: search stack + fact table + composer (shared by CLI, API, UI)."""

from __future__ import annotations

from dataclasses import dataclass

from index.embed import Embedder
from rag.answer import Composer
from rag.facts import FactTable, build_table
from rag.search import SearchStack, open_stack
from rag.settings import Settings


@dataclass(slots=True)
class Pipeline:
    stack: SearchStack
    table: FactTable
    composer: Composer


def open_pipeline(settings: Settings, *, progress: bool = True, embedder: Embedder | None = None) -> Pipeline:
    """Everything needed to answer; pass the ``embedder`` of a previous pipeline to reuse its loaded model."""
    stack = open_stack(settings, progress=progress, embedder=embedder)
    index = stack.index
    table = build_table(index.clauses, index.documents, index.providers)
    return Pipeline(stack, table, Composer(stack.retriever, table))
