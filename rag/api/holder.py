"""The live pipeline, swapped atomically when ``rag index`` swaps in a new build.

A rebuilt index is noticed (the ``current`` symlink changed), loaded beside the running pipeline in a
thread, and swapped in by replacing one reference: a request sees the old pipeline or the new one, never
half of each, and a failed reload keeps serving the old one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from index.durable import current_build
from rag.pipeline import Pipeline, open_pipeline
from rag.settings import Settings

log = logging.getLogger("rag.api")


class NotReady(RuntimeError):
    """The index is not loaded yet."""


class PipelineHolder:
    """Holds the live pipeline; loads a rebuilt index beside it and swaps the reference when ready."""

    def __init__(self, settings: Settings, factory: Callable[..., Pipeline] = open_pipeline) -> None:
        self.settings = settings
        self.factory = factory
        self._pipeline: Pipeline | None = None
        self._build: str | None = None
        self._checked = 0.0
        self._loading = threading.Lock()

    def load(self) -> None:
        """Load the index and warm the model (one question end to end): ready means full speed."""
        pipeline = self.factory(self.settings, progress=False)
        pipeline.warm()
        self._build = current_build(self.settings.index_dir)
        self._pipeline = pipeline

    @property
    def ready(self) -> bool:
        return self._pipeline is not None

    @property
    def build(self) -> str | None:
        return self._build

    def get(self) -> Pipeline:
        if self._pipeline is None:
            raise NotReady("the index is not loaded yet")
        self._maybe_reload()
        return self._pipeline

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.settings.reload_check_seconds:
            return
        self._checked = now
        build = current_build(self.settings.index_dir)
        if build and build != self._build and self._loading.acquire(blocking=False):
            threading.Thread(target=self._reload, args=(build,), daemon=True).start()

    def _reload(self, build: str) -> None:
        try:
            current = self._pipeline
            embedder = current.embedder if current is not None else None
            pipeline = self.factory(self.settings, progress=False, embedder=embedder)
            pipeline.warm()
            self._pipeline, self._build = pipeline, build  # one reference: requests see old or new
            log.info(json.dumps({"event": "index_swapped", "build": build}))
        except Exception:  # keep serving the old index; the next check tries again
            log.exception("reloading the index failed; still serving %s", self._build)
        finally:
            self._loading.release()
