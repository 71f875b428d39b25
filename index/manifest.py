"""The manifest of a build: what made it (model, segmenter, dictionaries, format) and checksums of its files.

One typed, frozen record and one function, :func:`incompatibility`, that decides whether a build can be
loaded (or reused by the next ``rag index``) with the current code and model, and says why not. Both the
loader and the builder ask it, so the two can never disagree about what "compatible" means.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import MappingProxyType
from typing import Any

from core.protocols import Embedder
from index.e5_wheel import sha256_file
from index.segment import SEGMENTER_VERSION
from index.textproc import resources_hash

#: Bump when the files of a build change shape.
FORMAT_VERSION = 2
MANIFEST_FILE = "manifest.json"
FIX = "run `rag index` to rebuild it"
_PACKAGES = ("contract-rag", "faiss-cpu", "bm25s", "jieba", "sentence-transformers", "numpy", "torch")


class IndexLoadError(RuntimeError):
    """The index is missing, corrupt or built with another model; the message says to run ``rag index``."""


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    weights_hash: str
    dim: int


@dataclass(frozen=True, slots=True)
class Manifest:
    format: int
    built_at: str
    model: ModelInfo
    index_kind: str  # "flat" or "hnsw"
    files: Mapping[str, str] = field(default_factory=dict)  # doc id -> sha256 of the file's bytes
    tokenizer_words: tuple[str, ...] = ()  # provider names added to jieba's dictionary
    counts: Mapping[str, int] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)  # segmenter, tokenizer, python, packages
    artifacts: Mapping[str, str] = field(default_factory=dict)  # file in the build -> sha256

    def __post_init__(self) -> None:
        for name in ("files", "counts", "versions", "artifacts"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "built_at": self.built_at,
            "model": {"id": self.model.id, "weights_hash": self.model.weights_hash, "dim": self.model.dim},
            "index_kind": self.index_kind,
            "files": dict(self.files),
            "tokenizer_words": list(self.tokenizer_words),
            "counts": dict(self.counts),
            "versions": dict(self.versions),
            "artifacts": dict(self.artifacts),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """Raises ``KeyError`` / ``TypeError`` / ``ValueError`` on a malformed manifest."""
        model = data["model"]
        return cls(
            format=int(data["format"]),
            built_at=str(data.get("built_at", "")),
            model=ModelInfo(str(model["id"]), str(model["weights_hash"]), int(model["dim"])),
            index_kind=str(data["index_kind"]),
            files=dict(data.get("files", {})),
            tokenizer_words=tuple(data.get("tokenizer_words", ())),
            counts=dict(data.get("counts", {})),
            versions=dict(data.get("versions", {})),
            artifacts=dict(data.get("artifacts", {})),
        )

    @classmethod
    def read(cls, build: Path) -> Manifest:
        """The manifest of ``build``; :class:`IndexLoadError` saying how to fix a missing or bad one."""
        path = build / MANIFEST_FILE
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            if build.is_dir():  # a build without its manifest: damaged, not absent
                raise IndexLoadError(f"index file {MANIFEST_FILE} is missing in {build}; {FIX}") from None
            raise IndexLoadError(f"no index in {build.parent}; run `rag index` to build it") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexLoadError(f"{path} is unreadable ({exc}); {FIX}") from None

    def damaged(self, build: Path, names: Iterable[str] | None = None) -> str | None:
        """The first of ``names`` (default: every artifact) that is not listed, missing, or does not match
        its recorded sha256; None when all are sound."""
        for name in self.artifacts if names is None else names:
            digest, path = self.artifacts.get(name), build / name
            if digest is None or not path.is_file() or sha256_file(path) != digest:
                return name
        return None

    def write(self, build: Path) -> None:
        (build / MANIFEST_FILE).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")


#: The code and data that read a contract into the records a build stores (text cleanup, numbering,
#: segmentation, providers): a build made by other versions of them holds other clauses or providers.
_READER_SOURCES = (
    "core/text.py",
    "core/numbers.py",
    "index/load.py",
    "index/cleanup.py",
    "index/numbering.py",
    "index/outline.py",
    "index/segment.py",
    "index/providers.py",
    "index/party_words.py",
    "index/provider_manifest.py",
    "index/resources/parties.toml",
)
_ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def reader_version() -> str:
    """The segmenter's version and a digest of the reading code, so an upgraded reader is never served
    records its predecessor wrote (a stale provider name or clause split) until ``rag index`` runs."""
    digest = hashlib.sha256()
    for name in _READER_SOURCES:
        path = _ROOT / name
        digest.update(path.read_bytes() if path.exists() else name.encode())
    return f"{SEGMENTER_VERSION}+{digest.hexdigest()[:12]}"


def current_versions() -> dict[str, str]:
    """Versions of everything that shapes a build: the segmenter, the dictionaries, Python and packages."""
    out = {"python": platform.python_version(), "segmenter": reader_version(), "tokenizer": resources_hash()}
    for package in _PACKAGES:
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "absent"
    return out


def incompatibility(
    manifest: Manifest, embedder: Embedder, *, build: Path | None = None, check_dim: bool = False
) -> str | None:
    """Why a build cannot be used with this code and ``embedder`` (None when it can).

    Checked in order: file format, segmenter version, tokenizer dictionaries, model id and weights, vector
    dimension (``check_dim``: the embedder's ``dim`` is only known cheaply for some models), and, when
    ``build`` is given, every artifact's checksum.
    """
    if manifest.format != FORMAT_VERSION:
        return f"index format {manifest.format} is not {FORMAT_VERSION}"
    if manifest.versions.get("segmenter") != reader_version():
        return "index was read by another version of the contract reader (segmenter or providers)"
    if manifest.versions.get("tokenizer") != resources_hash():
        return "index was tokenised with other dictionaries or stop words"
    if (manifest.model.id, manifest.model.weights_hash) != (embedder.model_id, embedder.weights_hash):
        return (
            f"index was built with model {manifest.model.id!r}, "
            f"but RAG_EMBED_MODEL gives {embedder.model_id!r}"
        )
    if check_dim and manifest.model.dim != embedder.dim:
        return f"index vectors have dimension {manifest.model.dim}, the model gives {embedder.dim}"
    damaged = manifest.damaged(build) if build is not None else None
    return f"index file {damaged} is missing or corrupt" if damaged else None
