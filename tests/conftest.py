"""Shared fixtures: the bundled corpus (built once per session) and a writer for test contracts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from index.corpus import Corpus, build_corpus
from rag.settings import BUNDLED_CONTRACTS
from tests.samples import BACKENDS, retriever_over

BUNDLED_IDS = (
    "000_9e585a3fd0b47425.txt",
    "001_d0ab719c5a823c3c.txt",
    "002_111862d00bf5977e.txt",
    "003_f9bd3b27cea2d084.txt",
    "004_ff0b5367f7bd4376.txt",
)


@pytest.fixture(scope="session")
def bundled() -> Corpus:
    return build_corpus(BUNDLED_CONTRACTS)


@pytest.fixture
def write_contract(tmp_path: Path) -> Callable[..., Path]:
    """Write a contract into a fresh contracts folder: ``write_contract(name, text_or_bytes)``."""
    folder = tmp_path / "contracts"
    folder.mkdir()

    def write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return write


@pytest.fixture(scope="session")
def hashing_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled contracts indexed with the model-free hashing embedder (built once per session)."""
    from index.embed import HashingEmbedder
    from index.store import build_index

    index_dir = tmp_path_factory.mktemp("index")
    build_index(BUNDLED_CONTRACTS, index_dir, HashingEmbedder())
    return index_dir


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The search backend a retrieval or answer test runs against: every such test runs on both."""
    return str(request.param)


@pytest.fixture(scope="session")
def hashing_retriever(hashing_index_dir: Path, backend: str):  # type: ignore[no-untyped-def]
    from index.embed import HashingEmbedder
    from index.store import load_index

    embedder = HashingEmbedder()
    return retriever_over(backend, load_index(hashing_index_dir, embedder), embedder)


@pytest.fixture(scope="module")
def bundled_composer(hashing_index_dir: Path, backend: str):  # type: ignore[no-untyped-def]
    """The composer over the bundled contracts with the hashing embedder (one per test module)."""
    from index.embed import HashingEmbedder
    from index.store import load_index
    from rag.facts import build_table
    from rag.pipeline import composer_for

    embedder = HashingEmbedder()
    index = load_index(hashing_index_dir, embedder)
    retriever = retriever_over(backend, index, embedder)
    return composer_for(index, retriever, build_table(index.clauses, index.documents, index.providers))
