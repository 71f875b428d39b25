"""What keeps the index sound when runs overlap, die or meet damaged files: one writer at a time (a lock
file naming its holder), stale temporary builds removed, and vectors cached as they are computed so a
killed run resumes; a cache shard that does not read back whole is dropped, never trusted."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from core.protocols import Embedder
from index.manifest import Manifest


class IndexBusy(RuntimeError):
    """Another ``rag index`` holds the writer lock (or swapped in a newer build while this one ran)."""


LOCK_FILE = ".lock"
CACHE_DIR = "vector-cache"


class VectorCache:
    """Vectors as they are computed, in shards under ``vector-cache/<model digest>/``: a killed build
    resumes from what it had embedded. Each shard is an ``.npz`` written beside and renamed into place; one
    that does not read back whole (truncated, flipped bytes: the zip CRC) is dropped and recomputed."""

    def __init__(self, index_dir: Path, embedder: Embedder) -> None:
        digest = hashlib.sha256(f"{embedder.model_id}\0{embedder.weights_hash}".encode()).hexdigest()[:16]
        self.folder = index_dir / CACHE_DIR / digest

    def load(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if not self.folder.is_dir():
            return out
        for shard in sorted(self.folder.glob("*.npz")):
            try:
                with np.load(shard) as data:
                    keys, vectors = [str(k) for k in data["keys"]], np.asarray(data["vectors"], np.float32)
                if len(keys) != len(vectors) or vectors.ndim != 2:
                    raise ValueError("keys and vectors differ in length")
            except Exception:  # zipfile.BadZipFile, CRC errors, ValueError, OSError: a damaged shard
                shard.unlink(missing_ok=True)
                continue
            out.update(zip(keys, vectors, strict=True))
        return out

    def add(self, keys: list[str], vectors: np.ndarray) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        tmp = self.folder / f".{name}.tmp.npz"
        np.savez(tmp, keys=np.asarray(keys), vectors=np.asarray(vectors, np.float32))
        final = self.folder / f"{name}.npz"
        os.replace(tmp, final)
        return final

    def compact(self, keys: list[str], vectors: np.ndarray) -> None:
        """Keep exactly the vectors of the build just swapped in, in one shard (bounds the cache's size)."""
        old = list(self.folder.glob("*.npz")) + list(self.folder.glob(".*.tmp.npz"))
        unique = dict(zip(keys, range(len(keys)), strict=True))
        rows = list(unique.values())
        self.add(list(unique), vectors[rows] if rows else vectors[:0])
        for shard in old:
            shard.unlink(missing_ok=True)


class WriterLock:
    """``index_dir/.lock`` held for a whole build; ``.lock.owner`` names the holder for the one waiting."""

    def __init__(self, index_dir: Path, timeout: float, on_wait: Callable[[str], None] | None) -> None:
        self.lock = FileLock(str(index_dir / LOCK_FILE))
        self.owner = index_dir / (LOCK_FILE + ".owner")
        self.timeout = timeout
        self.on_wait = on_wait

    def holder(self) -> str:
        try:
            return self.owner.read_text(encoding="utf-8").strip() or "another process"
        except OSError:
            return "another process"

    def __enter__(self) -> None:
        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            if self.on_wait:
                self.on_wait(f"waiting for the index run of {self.holder()} to finish")
            try:
                self.lock.acquire(timeout=self.timeout)
            except Timeout:
                raise IndexBusy(
                    f"the index is being written by {self.holder()}; waited {self.timeout:.0f}s "
                    f"(remove {self.lock.lock_file} only if no `rag index` is running)"
                ) from None
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.owner.write_text(f"`rag index` pid {os.getpid()} started {started}", encoding="utf-8")

    def __exit__(self, *exc: object) -> None:
        self.owner.unlink(missing_ok=True)
        self.lock.release()


def clean_stale(index_dir: Path) -> list[Path]:
    """Under the lock no other build runs: any temporary build or link left by a killed run is stale."""
    stale = [p for p in (index_dir / "builds").glob(".tmp-*")] if (index_dir / "builds").is_dir() else []
    stale += [p for p in index_dir.glob(".current-*")]
    for path in stale:
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)
    return stale


def verified_vectors(build: Path | None, manifest: Manifest | None, embedder: Embedder) -> dict[str, Any]:
    """Vectors of the current build keyed by text hash, if it was built with the same model and its vector
    files still match the manifest's checksums (a corrupt file is recomputed, never carried forward)."""
    if build is None or manifest is None:
        return {}
    if (manifest.model.id, manifest.model.weights_hash) != (embedder.model_id, embedder.weights_hash):
        return {}
    if manifest.damaged(build, ("vector_keys.json", "vectors.npy")):
        return {}
    try:
        keys = json.loads((build / "vector_keys.json").read_text(encoding="utf-8"))
        vectors = np.load(build / "vectors.npy")
    except (OSError, ValueError, KeyError):
        return {}
    return {key: vectors[i] for i, key in enumerate(keys)} if len(keys) == len(vectors) else {}


def write_queries(build: Path, queries: tuple[str, ...], embedder: Embedder) -> None:
    """Store ``queries`` and their query vectors in a build being written (nothing when there are none)."""
    if queries:
        (build / "queries.json").write_text(json.dumps(list(queries), ensure_ascii=False), encoding="utf-8")
        np.save(build / "queries.npy", np.asarray(embedder.encode_queries(list(queries)), dtype=np.float32))


def stored_queries(build: Path | None) -> tuple[str, ...]:
    """The query texts a build stored vectors of (none for an older build)."""
    path = build / "queries.json" if build is not None else None
    if path is None or not path.exists():
        return ()
    try:
        return tuple(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return ()


def current_build(index_dir: Path) -> str | None:
    """The build ``current`` points at (builds/<date>-<time>-<id>), None when there is none."""
    try:
        return os.readlink(index_dir / "current")
    except OSError:
        return None


def swap_current(index_dir: Path, build: Path) -> None:
    """Point ``current`` at ``build`` atomically, then drop builds older than the previous one."""
    link = index_dir / "current"
    tmp = index_dir / f".current-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(build, index_dir), tmp)
    os.replace(tmp, link)
    builds = sorted(
        (p for p in (index_dir / "builds").iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
    )
    # Keep the new build and the one before it: a reader that resolved the old link can finish loading.
    for old in builds[:-2]:
        if old != build:
            shutil.rmtree(old, ignore_errors=True)
