"""The HTTP API for the intranet portal (FastAPI): ask, search, facts, documents, clauses, widget."""

from rag.api.holder import PipelineHolder
from rag.api.main import create_app, serve

__all__ = ["PipelineHolder", "create_app", "serve"]
