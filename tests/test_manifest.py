"""One function decides whether a build can be loaded or reused, and says why not."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from core.protocols import Embedder, Retriever
from index.embed import HashingEmbedder
from index.manifest import FORMAT_VERSION, Manifest, incompatibility
from index.segment import SEGMENTER_VERSION
from index.store import build_index, load_index, read_manifest
from rag.retrieve import HybridRetriever

#: Every clause is one sentence: no sentence rows at all (bm25s cannot index an empty corpus).
CONTRACT = "\n".join(
    [
        "测试云服务协议",
        "一、 费用",
        "1. 逾期付款的，每日按欠款的千分之一收取滞纳金。",
        "2. 协议终止后数据保留 15 日。",
        "",
    ]
)


@pytest.fixture
def built(write_contract: Callable[..., Path], tmp_path: Path) -> tuple[Path, Path]:
    folder = write_contract("测试.txt", CONTRACT).parent
    index_dir = tmp_path / "index"
    build_index(folder, index_dir, HashingEmbedder())
    return folder, index_dir


def test_a_fresh_build_is_compatible_and_searchable(built: tuple[Path, Path]) -> None:
    _, index_dir = built
    manifest = read_manifest(index_dir)
    assert manifest.counts["sentences"] == 0
    assert incompatibility(manifest, HashingEmbedder(), build=index_dir / "current", check_dim=True) is None
    retriever = HybridRetriever(load_index(index_dir, HashingEmbedder()), HashingEmbedder())
    assert retriever.search("滞纳金", 1, mode="bm25")[0].clause.clause_id == "一.1"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"format": FORMAT_VERSION + 1}, "index format"),
        ({"versions": {"segmenter": "0.0-old"}}, "another version of the contract reader"),
        ({"versions": {"tokenizer": "other"}}, "other dictionaries or stop words"),
        ({"model": {"id": "other-model", "weights_hash": "x", "dim": 384}}, "built with model 'other-model'"),
        ({"model": {"id": "hashing-384", "weights_hash": "none", "dim": 128}}, "dimension 128"),
    ],
)
def test_each_incompatibility_is_named(
    built: tuple[Path, Path], change: dict[str, object], reason: str
) -> None:
    _, index_dir = built
    data = read_manifest(index_dir).to_dict()
    for key, value in change.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    problem = incompatibility(Manifest.from_dict(data), HashingEmbedder(), check_dim=True)
    assert problem is not None and reason in problem


def test_a_corrupt_artifact_is_named(built: tuple[Path, Path]) -> None:
    _, index_dir = built
    (index_dir / "current" / "idf.json").write_text("{}", encoding="utf-8")
    problem = incompatibility(read_manifest(index_dir), HashingEmbedder(), build=index_dir / "current")
    assert problem == "index file idf.json is missing or corrupt"


def test_manifest_round_trips_and_is_frozen(built: tuple[Path, Path]) -> None:
    _, index_dir = built
    manifest = read_manifest(index_dir)
    assert Manifest.from_dict(json.loads(json.dumps(manifest.to_dict()))) == manifest
    with pytest.raises(dataclasses.FrozenInstanceError):
        manifest.index_kind = "hnsw"  # type: ignore[misc]
    with pytest.raises(TypeError):
        manifest.files["x"] = "y"  # type: ignore[index]


def test_rag_index_rebuilds_what_the_loader_would_refuse(built: tuple[Path, Path]) -> None:
    """Reuse and load ask the same question: an index from another segmenter version is rebuilt."""
    folder, index_dir = built
    path = index_dir / "current" / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["versions"]["segmenter"] = "0.0-old"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = build_index(folder, index_dir, HashingEmbedder())
    assert not report.up_to_date
    assert incompatibility(read_manifest(index_dir), HashingEmbedder()) is None
    assert build_index(folder, index_dir, HashingEmbedder()).up_to_date


def test_the_retriever_and_embedders_satisfy_their_protocols(hashing_retriever: object) -> None:
    assert isinstance(hashing_retriever, Retriever)
    assert isinstance(HashingEmbedder(), Embedder)


def test_the_reader_version_follows_the_reading_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit to the code that reads contracts (providers, numbering …) changes the version a build records,
    so an index written by the old reader is rebuilt, never served with stale providers or clauses."""
    import shutil

    from index import manifest

    for name in manifest._READER_SOURCES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(manifest._ROOT / name, tmp_path / name)
    monkeypatch.setattr(manifest, "_ROOT", tmp_path)
    manifest.reader_version.cache_clear()
    before = manifest.reader_version()
    with (tmp_path / "index" / "providers.py").open("a", encoding="utf-8") as handle:
        handle.write("\n# a changed reader\n")
    manifest.reader_version.cache_clear()
    after = manifest.reader_version()
    manifest.reader_version.cache_clear()
    assert before != after and before.startswith(SEGMENTER_VERSION + "+")
