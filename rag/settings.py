"""One typed settings class for the whole product, read from ``RAG_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CONTRACTS = PROJECT_ROOT / "data" / "contracts"
DEFAULT_INDEX_DIR = PROJECT_ROOT / "data" / "index"


class Settings(BaseSettings):
    """Settings, validated at start-up. Every field can be set as ``RAG_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    contracts_dir: Path = Field(
        default=BUNDLED_CONTRACTS, description="Folder of contracts to index (.txt, .md, .docx, .pdf)."
    )
    index_dir: Path = Field(default=DEFAULT_INDEX_DIR, description="Where built indexes are written.")
    max_file_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="Contracts larger than this are refused."
    )

    @field_validator("contracts_dir", "index_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
