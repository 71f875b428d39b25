"""Index integrity: nothing corrupt is reused, `rag index` repairs without --force, one writer at a time,
killed runs resume, nothing outside the contracts folder is indexed, and bad folders get clear messages."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from index.embed import HashingEmbedder
from index.load import LoadError
from index.store import IndexBusy, build_index, load_index, read_manifest
from rag import cli
from tests.samples import BLUE, STARRY, CountingEmbedder


@pytest.fixture
def folder(write_contract: Callable[..., Path]) -> Path:
    write_contract("blue.txt", BLUE)
    return write_contract("starry.txt", STARRY).parent


def _fresh_vectors(index_dir: Path) -> np.ndarray:
    """What the vectors of the current build must be: every text embedded anew."""
    index = load_index(index_dir, HashingEmbedder())
    from index.store import _Vectors

    texts = _Vectors.of(index.clauses, "hashing-384").texts
    return HashingEmbedder().encode_documents(texts)


def test_a_corrupt_vector_file_is_never_carried_into_the_next_build(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index(folder, index_dir, HashingEmbedder())
    vectors = index_dir / "current" / "vectors.npy"
    shape = np.load(vectors).shape
    rng = np.random.default_rng(0)
    noise = rng.normal(size=shape).astype(np.float32)
    np.save(vectors, noise / np.linalg.norm(noise, axis=1, keepdims=True))
    shutil_cache = index_dir / "vector-cache"
    for shard in shutil_cache.rglob("*.npz"):  # the cache cannot save it either
        shard.unlink()
    (folder / "blue.txt").write_text(BLUE.replace("按月", "按季度"), encoding="utf-8")
    counting = CountingEmbedder()
    report = build_index(folder, index_dir, counting)
    assert report.reused == 0 and counting.embedded == report.embedded  # nothing unverified reused
    index = load_index(index_dir, HashingEmbedder())
    np.testing.assert_allclose(index.all_vectors, _fresh_vectors(index_dir), atol=1e-6)


def test_rag_index_repairs_a_corrupt_artifact_without_force_reusing_sound_vectors(
    folder: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    build_index(folder, index_dir, HashingEmbedder())
    faiss_file = index_dir / "current" / "faiss.index"
    os.truncate(faiss_file, 100)
    counting = CountingEmbedder()
    report = build_index(folder, index_dir, counting)
    assert not report.up_to_date
    assert counting.embedded == 0 and report.reused > 0  # the sound vectors came back from the cache
    index = load_index(index_dir, HashingEmbedder())
    assert read_manifest(index_dir).damaged(index_dir / "current") is None  # faiss.index rewritten whole
    assert len(index.all_vectors) > 0


def test_a_second_writer_waits_and_says_who_holds_the_lock(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    (index_dir / ".lock.owner").write_text("`rag index` pid 4242 started now", encoding="utf-8")
    heard: list[str] = []
    with FileLock(str(index_dir / ".lock")), pytest.raises(IndexBusy, match="pid 4242"):
        build_index(folder, index_dir, HashingEmbedder(), lock_timeout=0.2, on_wait=heard.append)
    assert heard and "pid 4242" in heard[0]
    assert not (index_dir / "current").exists()


def test_the_last_writer_never_swaps_in_a_build_of_older_text(folder: Path, tmp_path: Path) -> None:
    """`rag index --force &`, edit a contract, `rag index`: the index ends with the edited text."""
    index_dir = tmp_path / "index"
    gate = threading.Event()
    slow = CountingEmbedder(gate=gate)
    results: dict[str, object] = {}
    first = threading.Thread(
        target=lambda: results.setdefault("first", build_index(folder, index_dir, slow, force=True))
    )
    first.start()
    assert slow.started.wait(30)  # the first run has read the old text and is embedding
    (folder / "starry.txt").write_text(STARRY.replace("90 个自然日", "45 个自然日"), encoding="utf-8")
    second = threading.Thread(
        target=lambda: results.setdefault("second", build_index(folder, index_dir, HashingEmbedder()))
    )
    second.start()
    time.sleep(0.3)
    assert second.is_alive()  # waiting for the lock
    gate.set()
    first.join(30)
    second.join(30)
    index = load_index(index_dir, HashingEmbedder())
    text = index.documents["starry.txt"].text
    assert "45 个自然日" in text and "90 个自然日" not in text


def test_a_killed_run_leaves_no_temporary_build_and_the_next_run_resumes(
    write_contract: Callable[..., Path], folder: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    for i in range(12):  # enough texts for several cache shards
        body = "".join(f"{n}. 第{i}号附件的第{n}项服务按约定提供，费用按月结算。\n" for n in range(1, 40))
        write_contract(f"annex{i:02d}.txt", f"附件{i}\n一、 服务\n{body}")
    with pytest.raises(RuntimeError, match="killed"):
        build_index(folder, index_dir, CountingEmbedder(fail_after=300), batch_size=32)
    (index_dir / "builds").mkdir(exist_ok=True)
    (index_dir / "builds" / ".tmp-20260101-000000-dead00").mkdir()  # what kill -9 leaves behind
    resumed = CountingEmbedder()
    report = build_index(folder, index_dir, resumed, batch_size=32)
    total = report.embedded + report.reused
    assert report.reused >= 256 and resumed.embedded == total - report.reused  # resumed, not restarted
    assert not list((index_dir / "builds").glob(".tmp-*"))
    np.testing.assert_allclose(
        load_index(index_dir, HashingEmbedder()).all_vectors, _fresh_vectors(index_dir)
    )


def test_a_damaged_cache_shard_is_dropped_not_trusted(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index(folder, index_dir, HashingEmbedder())
    (shard,) = (index_dir / "vector-cache").rglob("*.npz")
    data = bytearray(shard.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])  # flipped bytes
    shard.write_bytes(bytes(data))
    os.truncate(index_dir / "current" / "vectors.npy", 64)
    report = build_index(folder, index_dir, HashingEmbedder())
    assert report.reused == 0  # neither the damaged shard nor the truncated vectors were used
    np.testing.assert_allclose(
        load_index(index_dir, HashingEmbedder()).all_vectors, _fresh_vectors(index_dir)
    )


def test_a_link_to_a_file_outside_the_folder_is_skipped_unless_allowed(folder: Path, tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("机密\n一、 内容\n1. 服务器 root 密码是 hunter2。\n", encoding="utf-8")
    (folder / "secret.txt").symlink_to(secret)
    (folder / "inside.txt").symlink_to(folder / "blue.txt")  # a link inside the folder is fine
    index_dir = tmp_path / "index"
    report = build_index(folder, index_dir, HashingEmbedder())
    skipped = {e.path.name: e.reason for e in report.errors}
    assert "outside the contracts folder" in skipped["secret.txt"]
    assert "RAG_ALLOW_SYMLINKS" in skipped["secret.txt"]
    index = load_index(index_dir, HashingEmbedder())
    assert "secret.txt" not in index.documents
    assert not any("hunter2" in c.text for c in index.clauses)
    allowed = build_index(folder, tmp_path / "index2", HashingEmbedder(), allow_symlinks=True)
    assert "secret.txt" not in {e.path.name for e in allowed.errors}


def test_identical_files_are_flagged_and_indexed_once(folder: Path, tmp_path: Path) -> None:
    (folder / "starry2.txt").write_text(STARRY, encoding="utf-8")
    report = build_index(folder, tmp_path / "index", HashingEmbedder())
    (error,) = report.errors
    assert error.path.name == "starry2.txt" and "identical to starry.txt" in error.reason
    index = load_index(tmp_path / "index", HashingEmbedder())
    assert set(index.documents) == {"blue.txt", "starry.txt"}


def test_a_folder_with_no_readable_contract_says_why_per_file_and_keeps_the_index(
    folder: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    good = build_index(folder, index_dir, HashingEmbedder())
    for path in list(folder.iterdir()):
        path.unlink()
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "scan.pdf").write_bytes(b"not a pdf at all")
    with pytest.raises(LoadError) as caught:
        build_index(folder, index_dir, HashingEmbedder())
    message = str(caught.value)
    assert "no contract could be read" in message
    assert "empty.txt: the file is empty" in message and "scan.pdf: not a readable PDF" in message
    assert "current index is kept" in message
    assert (index_dir / "current").resolve() == good.build_dir
    assert load_index(index_dir, HashingEmbedder()).documents


def test_cli_prints_each_skipped_file_once_with_its_name(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage without an end")
    (folder / "notes.xyz").write_text("x", encoding="utf-8")
    monkeypatch.setenv("RAG_CONTRACTS_DIR", str(folder))
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_EMBED_MODEL", "hashing")
    assert cli.main(["index", "--quiet"]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len([line for line in err if "broken.pdf" in line]) == 1
    assert len([line for line in err if "notes.xyz" in line]) == 1
    assert all("broken.pdf" in line or "notes.xyz" in line for line in err), err  # no unattributed lines


def test_cli_serve_on_a_corrupt_index_is_one_line(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    index_dir = tmp_path / "index"
    build_index(folder, index_dir, HashingEmbedder())
    os.truncate(index_dir / "current" / "faiss.index", 1000)
    monkeypatch.setenv("RAG_CONTRACTS_DIR", str(folder))
    monkeypatch.setenv("RAG_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("RAG_EMBED_MODEL", "hashing")
    assert cli.main(["serve", "--port", "1"]) == 2  # never reaches uvicorn
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.startswith("error:")]
    assert "faiss.index" in line and "rag index" in line
