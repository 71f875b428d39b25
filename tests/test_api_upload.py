"""POST /v1/documents and DELETE /v1/documents/{doc_id}: behind the API key (refused when no keys are set),
the loader's checks as 422 naming the file, 409 for a name already loaded, 413 over the file limit, and an
added contract answered once the server has swapped to the rebuilt index."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.embed import HashingEmbedder
from index.store import build_index
from rag.api import create_app
from rag.settings import BUNDLED_CONTRACTS, Settings

KEY = {"X-API-Key": "k1"}
CONTRACT = (
    "晨星云服务协议\n本协议是杭州晨星数据科技有限公司（以下简称“晨星云”）与您订立的协议。\n"
    "1. 数据\n1.1 服务期满或协议终止后，晨星云将继续保存您的数据 45 个自然日，逾期删除。\n"
).encode()


def _settings(root: Path, **extra: object) -> Settings:
    shutil.copytree(BUNDLED_CONTRACTS, root / "contracts")
    build_index(root / "contracts", root / "index", HashingEmbedder())
    return Settings(
        contracts_dir=root / "contracts",
        index_dir=root / "index",
        embed_model="hashing",
        reload_check_seconds=0,
        max_file_bytes=30_000,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    settings = _settings(tmp_path, api_keys=["k1"])
    with TestClient(create_app(settings)) as client:
        yield client, settings


def _answered(client: TestClient, question: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while True:  # the server swaps to the new build in a thread
        answer = client.post("/v1/ask", json={"question": question}, headers=KEY).json()["answer"]
        if "45 个自然日" in answer or time.monotonic() > deadline:
            return str(answer)
        time.sleep(0.2)


def test_an_uploaded_contract_is_indexed_answered_and_removable(keyed: tuple[TestClient, Settings]) -> None:
    client, settings = keyed
    added = client.post("/v1/documents", params={"filename": "晨星.txt"}, content=CONTRACT, headers=KEY)
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["doc_id"], body["provider"], body["entity"]) == (
        "晨星.txt",
        "晨星云",
        "杭州晨星数据科技有限公司",
    )
    assert (settings.contracts_dir / "晨星.txt").read_bytes() == CONTRACT
    assert "45 个自然日" in _answered(client, "晨星云服务终止后数据保留多久？")
    again = client.post("/v1/documents", params={"filename": "晨星.txt"}, content=CONTRACT, headers=KEY)
    assert again.status_code == 409 and "already loaded" in again.json()["detail"]
    gone = client.delete("/v1/documents/晨星.txt", headers=KEY)
    assert gone.status_code == 204 and not (settings.contracts_dir / "晨星.txt").exists()
    assert client.delete("/v1/documents/晨星.txt", headers=KEY).status_code == 404


@pytest.mark.parametrize(
    ("filename", "content", "status", "fragment"),
    [
        ("../晨星.txt", CONTRACT, 422, "without folders"),
        ("晨星.exe", CONTRACT, 422, "unsupported file type"),
        ("坏.pdf", b"not a pdf", 422, "坏.pdf"),
        ("大.txt", b"x" * 40_000, 413, "over the limit of 30000 bytes"),
    ],
)
def test_a_bad_upload_names_the_problem_and_changes_nothing(
    keyed: tuple[TestClient, Settings], filename: str, content: bytes, status: int, fragment: str
) -> None:
    client, settings = keyed
    before = sorted(p.name for p in settings.contracts_dir.iterdir())
    response = client.post("/v1/documents", params={"filename": filename}, content=content, headers=KEY)
    assert response.status_code == status and fragment in response.json()["detail"]
    assert sorted(p.name for p in settings.contracts_dir.iterdir()) == before
    assert client.post("/v1/documents", params={"filename": "晨星.txt"}, content=CONTRACT).status_code == 401


def test_without_api_keys_the_corpus_cannot_be_changed(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/documents", params={"filename": "晨星.txt"}, content=CONTRACT)
        assert response.status_code == 403 and "RAG_API_KEYS" in response.json()["detail"]
        assert client.delete("/v1/documents/002_111862d00bf5977e.txt").status_code == 403
    assert not (settings.contracts_dir / "晨星.txt").exists()
    assert (settings.contracts_dir / "002_111862d00bf5977e.txt").exists()
