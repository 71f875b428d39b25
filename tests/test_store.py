"""Persistence: manifest, atomic swap, incremental re-embedding, and refusing a bad index."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from index.embed import HashingEmbedder
from index.manifest import IndexLoadError
from index.store import build_index, load_index, read_manifest
from rag.retrieve import HybridRetriever
from rag.settings import BUNDLED_CONTRACTS
from tests.samples import BLUE, STARRY, CountingEmbedder


@pytest.fixture
def folder(write_contract: Callable[..., Path]) -> Path:
    write_contract("blue.txt", BLUE)
    return write_contract("starry.txt", STARRY).parent


def test_build_writes_a_manifest_that_describes_the_index(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    report = build_index(folder, index_dir, HashingEmbedder())
    manifest = read_manifest(index_dir).to_dict()
    assert manifest["model"] == {"id": "hashing-384", "weights_hash": "none", "dim": 384}
    assert set(manifest["files"]) == {"blue.txt", "starry.txt"}
    assert {"segmenter", "tokenizer", "faiss-cpu", "bm25s", "jieba", "sentence-transformers"} <= set(
        manifest["versions"]
    )
    assert manifest["index_kind"] == "flat"
    assert manifest["counts"]["clauses"] == report.clauses == 8
    assert (index_dir / "current").is_symlink()
    assert all((report.build_dir / name).is_file() for name in manifest["artifacts"])


def test_loaded_index_has_exact_clause_texts_and_searches(folder: Path, tmp_path: Path) -> None:
    build_index(folder, tmp_path / "index", HashingEmbedder())
    index = load_index(tmp_path / "index", HashingEmbedder())
    for clause in index.clauses:
        assert index.documents[clause.doc_id].text[clause.start : clause.end] == clause.text
    hits = HybridRetriever(index, HashingEmbedder()).search("滞纳金", 1, providers=["星河云"])
    assert hits[0].clause.clause_id == "一.2" and "千分之一" in hits[0].span.text


def test_rerun_embeds_only_what_changed(
    write_contract: Callable[..., Path], folder: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    first = CountingEmbedder()
    report = build_index(folder, index_dir, first)
    assert report.embedded == first.embedded > 0

    again = CountingEmbedder()
    report = build_index(folder, index_dir, again)
    assert report.up_to_date and again.embedded == 0

    write_contract("starry.txt", STARRY.replace("90 个自然日", "60 个自然日"))
    changed = CountingEmbedder()
    report = build_index(folder, index_dir, changed)
    assert report.changed == ("starry.txt",) and not report.added
    # Only the edited clause and its edited sentence are new texts; 逾期删除。 and the rest are reused.
    assert changed.embedded == report.embedded == 2
    index = load_index(index_dir, HashingEmbedder())
    assert any("60 个自然日" in c.text for c in index.clauses)
    assert not any("90 个自然日" in c.text for c in index.clauses)


def test_removing_a_file_removes_its_clauses(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index(folder, index_dir, HashingEmbedder())
    (folder / "blue.txt").unlink()
    report = build_index(folder, index_dir, CountingEmbedder())
    assert report.removed == ("blue.txt",) and report.embedded == 0
    index = load_index(index_dir, HashingEmbedder())
    assert {c.doc_id for c in index.clauses} == {"starry.txt"}
    assert set(index.providers) == {"starry.txt"}


def test_a_bad_file_is_reported_and_the_rest_indexed(
    write_contract: Callable[..., Path], folder: Path, tmp_path: Path
) -> None:
    write_contract("scan.pdf", b"%PDF-1.4 garbage")
    report = build_index(folder, tmp_path / "index", HashingEmbedder())
    assert [e.path.name for e in report.errors] == ["scan.pdf"]
    assert report.documents == 2


def test_a_failed_build_leaves_the_current_index_untouched(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    good = build_index(folder, index_dir, HashingEmbedder())
    shutil.copy(BUNDLED_CONTRACTS / "002_111862d00bf5977e.txt", folder)
    with pytest.raises(RuntimeError, match="embedding failed"):
        build_index(folder, index_dir, CountingEmbedder(fail_after=10))
    assert (index_dir / "current").resolve() == good.build_dir
    assert not [p for p in (index_dir / "builds").iterdir() if p.name.startswith(".tmp")]
    index = load_index(index_dir, HashingEmbedder())
    assert {c.doc_id for c in index.clauses} == {"blue.txt", "starry.txt"}


def test_old_builds_are_pruned_but_the_previous_one_kept(
    write_contract: Callable[..., Path], folder: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    builds = []
    for days in (10, 20, 30):
        write_contract("starry.txt", STARRY.replace("90", str(days)))
        builds.append(build_index(folder, index_dir, HashingEmbedder()).build_dir)
    assert sorted(p.name for p in (index_dir / "builds").iterdir()) == sorted(b.name for b in builds[1:])


@pytest.mark.parametrize("victim", ["vectors.npy", "clauses.jsonl", "faiss.index", "bm25/params.index.json"])
def test_a_corrupt_index_is_refused_with_the_fix(folder: Path, tmp_path: Path, victim: str) -> None:
    index_dir = tmp_path / "index"
    build_index(folder, index_dir, HashingEmbedder())
    path = index_dir / "current" / victim
    path.write_bytes(path.read_bytes()[:-7] + b"garbage")
    with pytest.raises(IndexLoadError, match=rf"{victim} is missing or corrupt; run `rag index`"):
        load_index(index_dir, HashingEmbedder())


def test_an_index_built_with_another_model_is_refused(folder: Path, tmp_path: Path) -> None:
    build_index(folder, tmp_path / "index", HashingEmbedder(384))
    with pytest.raises(
        IndexLoadError, match=r"built with model 'hashing-384'.*'hashing-128'; run `rag index`"
    ):
        load_index(tmp_path / "index", HashingEmbedder(128))


def test_a_missing_or_unreadable_manifest_is_refused(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(IndexLoadError, match=r"no index in .*; run `rag index`"):
        load_index(tmp_path / "nothing", HashingEmbedder())
    build_index(folder, tmp_path / "index", HashingEmbedder())
    (tmp_path / "index" / "current" / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexLoadError, match=r"manifest\.json is unreadable"):
        load_index(tmp_path / "index", HashingEmbedder())


def test_an_index_from_another_segmenter_version_is_refused(folder: Path, tmp_path: Path) -> None:
    build_index(folder, tmp_path / "index", HashingEmbedder())
    path = tmp_path / "index" / "current" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["versions"]["segmenter"] = "0.0-old"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(
        IndexLoadError,
        match=r"another version of the contract reader \(segmenter or providers\); run `rag index`",
    ):
        load_index(tmp_path / "index", HashingEmbedder())


def test_hnsw_is_used_above_the_threshold(folder: Path, tmp_path: Path) -> None:
    build_index(folder, tmp_path / "index", HashingEmbedder(), ann_threshold=3)
    index = load_index(tmp_path / "index", HashingEmbedder())
    assert index.manifest.index_kind == "hnsw"
    hits = HybridRetriever(index, HashingEmbedder()).search("滞纳金", 2, mode="dense")
    assert len(hits) == 2
