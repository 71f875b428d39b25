"""Adding and removing contracts (the 上传合同 page's write path): the loader's checks with messages naming
the file, writes only inside the contracts folder, the confirmed provider kept in providers.toml, nothing lost
on a failed upload, and an added contract answered after reindexing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.embed import HashingEmbedder
from index.provider_manifest import load_manifest
from index.store import build_index, load_index
from index.upload import UploadError, add_contract, check_upload, remove_contract, safe_name
from rag.facts import build_table
from rag.pipeline import composer_for
from rag.retrieve import HybridRetriever
from rag.settings import BUNDLED_CONTRACTS

CONTRACT = (
    "晨星云服务协议\n本协议是杭州晨星数据科技有限公司（以下简称“晨星云”）与您订立的协议。\n"
    "1. 数据\n1.1 服务期满或协议终止后，晨星云将继续保存您的数据 45 个自然日，逾期删除。\n"
).encode()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../evil.txt", "without folders"),
        ("a/b.txt", "without folders"),
        ("C:\\x.txt", "without folders"),
        (".hidden.txt", "hidden files"),
        ("providers.toml", "hidden files and providers.toml"),
        ("合同.exe", "unsupported file type"),
        ("长" * 121 + ".txt", "over 120 characters"),
    ],
)
def test_a_name_that_cannot_live_in_the_folder_is_refused(name: str, message: str) -> None:
    with pytest.raises(UploadError, match=message):
        safe_name(name)


def test_the_loader_checks_an_upload_and_reads_its_provider() -> None:
    checked = check_upload("晨星.txt", CONTRACT, 10_000)
    assert (checked.name, checked.provider.name) == ("晨星.txt", "晨星云")
    assert checked.provider.entity == "杭州晨星数据科技有限公司"
    with pytest.raises(UploadError, match=r"晨星\.txt: file is \d+ bytes, over the limit of 100 bytes"):
        check_upload("晨星.txt", CONTRACT, 100)
    with pytest.raises(UploadError, match=r"坏\.pdf"):
        check_upload("坏.pdf", b"not a pdf at all", 10_000)


def test_an_added_contract_is_written_in_the_folder_and_its_confirmed_name_kept(tmp_path: Path) -> None:
    checked = check_upload("晨星.txt", CONTRACT, 10_000)
    assert add_contract(tmp_path, checked, CONTRACT) == tmp_path / "晨星.txt"
    assert (tmp_path / "晨星.txt").read_bytes() == CONTRACT
    assert not (tmp_path / "providers.toml").exists()  # the reading's own name needs no entry
    with pytest.raises(UploadError, match="already loaded"):
        add_contract(tmp_path, checked, b"other")
    assert (tmp_path / "晨星.txt").read_bytes() == CONTRACT  # nothing lost on a refused upload
    (tmp_path / "providers.toml").write_text('["别的.txt"]\nname = "别家"\n', encoding="utf-8")
    add_contract(
        tmp_path, checked, CONTRACT, name="晨星", aliases=("Morning Star", " ", "晨星"), replace=True
    )
    manifest = load_manifest(tmp_path / "providers.toml")
    assert manifest["晨星.txt"].name == "晨星" and manifest["晨星.txt"].aliases == ("Morning Star", "晨星")
    assert manifest["别的.txt"].name == "别家"  # other entries kept
    remove_contract(tmp_path, "晨星.txt")
    assert not (tmp_path / "晨星.txt").exists() and "晨星.txt" not in load_manifest(
        tmp_path / "providers.toml"
    )
    with pytest.raises(UploadError, match="no such contract"):
        remove_contract(tmp_path, "../晨星.txt")
    (tmp_path / ".keep").write_text("", encoding="utf-8")
    for not_a_contract in (".keep", "providers.toml"):
        with pytest.raises(UploadError, match="no such contract"):
            remove_contract(tmp_path, not_a_contract)
    (tmp_path / ".keep").unlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["providers.toml"]  # no temporary file left


def test_a_malformed_manifest_stops_the_upload_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "providers.toml").write_text("[broken\n", encoding="utf-8")
    checked = check_upload("晨星.txt", CONTRACT, 10_000)
    with pytest.raises(ValueError, match=r"providers\.toml: not valid TOML"):
        add_contract(tmp_path, checked, CONTRACT, name="晨星")
    assert not (tmp_path / "晨星.txt").exists()


def test_an_added_contract_is_answered_after_reindexing(tmp_path: Path) -> None:
    folder = tmp_path / "contracts"
    shutil.copytree(BUNDLED_CONTRACTS, folder)
    add_contract(folder, check_upload("晨星.txt", CONTRACT, 10_000), CONTRACT)
    embedder = HashingEmbedder()
    build_index(folder, tmp_path / "index", embedder)
    index = load_index(tmp_path / "index", embedder)
    composer = composer_for(
        index, HybridRetriever(index, embedder), build_table(index.clauses, index.documents, index.providers)
    )
    answer = composer.ask("晨星云服务终止后数据保留多久？")
    assert "45 个自然日" in answer.answer and answer.citations[0].doc_id == "晨星.txt"
