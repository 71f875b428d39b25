"""The Milvus backend: the local backend's hits from Milvus Lite, builds published and swapped by alias,
and Milvus that is unreachable, emptied or holding another build refused in one line.

(The retrieval and answer tests of test_retrieve.py, test_answer.py and test_questions.py run against both
backends through the ``backend`` fixture; these are the Milvus-only checks.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.embed import HashingEmbedder
from index.milvus_store import MilvusConfig, MilvusError, alias_target, connect, publish
from index.store import build_index, load_index
from rag.cli import main
from rag.milvus_retrieve import MilvusRetriever, open_milvus_retriever
from rag.retrieve import HybridRetriever
from rag.settings import PROJECT_ROOT, Settings
from tests.samples import BLUE, STARRY, milvus_config

DEV_QUESTIONS = PROJECT_ROOT / "evals" / "data" / "dev_questions.jsonl"


def _questions(n: int) -> list[str]:
    lines = DEV_QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:n]]


def _key(hits: list) -> list[tuple[str, str, int, int]]:  # type: ignore[type-arg]
    return [(h.clause.doc_id, h.clause.clause_id, h.span.start, h.span.end) for h in hits]


def _same_hits(local: HybridRetriever, milvus: HybridRetriever, questions: list[str], provider: str) -> None:
    for question in questions:
        for mode in ("hybrid", "dense", "bm25"):
            for providers in (None, [provider]):
                want = local.search(question, 5, mode=mode, providers=providers)  # type: ignore[arg-type]
                got = milvus.search(question, 5, mode=mode, providers=providers)  # type: ignore[arg-type]
                assert _key(got) == _key(want), (question, mode, providers)
                for a, b in zip(got, want, strict=True):
                    assert a.score == pytest.approx(b.score, rel=1e-4, abs=1e-6)
                    assert dict(a.scores) == pytest.approx(dict(b.scores), rel=1e-4, abs=1e-5)


def test_milvus_gives_the_local_hits_in_every_mode_and_filter(hashing_index_dir: Path) -> None:
    embedder = HashingEmbedder()
    index = load_index(hashing_index_dir, embedder)
    local = HybridRetriever(index, embedder, search_cache=0)
    milvus = open_milvus_retriever(index, embedder, milvus_config(), search_cache=0)
    provider = sorted(p.name for p in index.providers.values())[0]
    _same_hits(local, milvus, [*_questions(40), "这个问题没有一个词在合同里 qwxz"], provider)


def test_engine_fusion_runs_one_hybrid_search_and_finds_the_exact_wording(hashing_index_dir: Path) -> None:
    embedder = HashingEmbedder()
    index = load_index(hashing_index_dir, embedder)
    milvus = open_milvus_retriever(index, embedder, milvus_config(), engine_fusion=True, search_cache=0)
    calls: list[str] = []
    hybrid = milvus.client.hybrid_search

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(type(args[2]).__name__)  # the ranker
        return hybrid(*args, **kwargs)  # type: ignore[arg-type]

    milvus.client.hybrid_search = spy  # type: ignore[method-assign]
    hits = milvus.search("平台挂了一整天我能拿到什么补偿？", 5)
    assert calls == ["RRFRanker"] and hits
    documents = index.documents
    for hit in hits:  # spans are exact text and every method's score is reported as locally
        assert documents[hit.clause.doc_id].text[hit.span.start : hit.span.end] == hit.span.text
        assert "dense" in dict(hit.scores)
    # a clause's own words put it first, as the local backend does
    clause = next(c for c in index.clauses if "滞纳金" in c.text and len(c.text) > 30)
    top = milvus.search(clause.text[:40], 1)[0]
    assert top.clause.clause_id == clause.clause_id


@pytest.fixture
def folder(write_contract: Callable[..., Path]) -> Path:
    return write_contract("星河.txt", STARRY).parent


def test_a_build_is_published_once_and_swapped_in_by_alias(folder: Path, tmp_path: Path) -> None:
    embedder, config = HashingEmbedder(), milvus_config()
    client = connect(config)
    index_dir = tmp_path / "index"
    names = []
    for text in (None, BLUE, BLUE + "3. 蓝海云的发票在次月开具。\n"):
        if text:
            (folder / "蓝海.txt").write_text(text, encoding="utf-8")
        build_index(folder, index_dir, embedder)
        index = load_index(index_dir, embedder)
        names.append(publish(client, config, index))
        assert publish(client, config, index) == names[-1]  # already there: only pointed at
        assert alias_target(client, config.collection) == names[-1]
    assert len(set(names)) == 3
    ours = [c for c in client.list_collections() if c.startswith(config.collection + "_")]
    assert sorted(ours) == sorted(names[1:])  # the previous build is kept, older ones dropped
    retriever = open_milvus_retriever(index, embedder, config)
    assert retriever.collection == names[-1]
    hit = retriever.search("蓝海云的发票什么时候开？", 1)[0]
    assert "次月开具" in hit.span.text


def test_a_collection_of_another_model_is_refused(folder: Path, tmp_path: Path) -> None:
    embedder, config = HashingEmbedder(), milvus_config()
    build_index(folder, tmp_path / "index", embedder)
    index = load_index(tmp_path / "index", embedder)
    client = connect(config)
    name = publish(client, config, index)
    client.alter_collection_properties(name, {"rag.model": "someone-elses-model"})
    with pytest.raises(MilvusError, match=r"another embedding model .*someone-elses-model.*rag index"):
        open_milvus_retriever(index, embedder, config)
    publish(client, config, index)  # a publish replaces what does not match its build
    assert open_milvus_retriever(index, embedder, config).search("数据保留多久", 1)


def test_a_vanished_collection_is_one_line_and_readiness_says_so(folder: Path, tmp_path: Path) -> None:
    embedder, config = HashingEmbedder(), milvus_config()
    build_index(folder, tmp_path / "index", embedder)
    retriever = open_milvus_retriever(load_index(tmp_path / "index", embedder), embedder, config)
    assert retriever.problem() is None
    retriever.client.drop_collection(retriever.collection)
    problem = retriever.problem()
    assert problem and retriever.collection in problem and "\n" not in problem
    with pytest.raises(MilvusError) as caught:
        retriever.search("数据保留多久", 1)
    assert "\n" not in str(caught.value) and "Milvus" in str(caught.value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_milvus_and_a_bad_file_name_are_one_line() -> None:
    port = _free_port()
    with pytest.raises(MilvusError, match=f"unreachable at http://127.0.0.1:{port}"):
        connect(MilvusConfig(f"http://127.0.0.1:{port}", timeout=1.0))
    with pytest.raises(MilvusError, match=r"must end in \.db"):
        connect(MilvusConfig("/tmp/milvus-data"))


def _settings_env(monkeypatch: pytest.MonkeyPatch, folder: Path, index_dir: Path, **extra: str) -> None:
    monkeypatch.setenv("RAG_CONTRACTS_DIR", str(folder))
    monkeypatch.setenv("RAG_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("RAG_EMBED_MODEL", "hashing")
    for key, value in extra.items():
        monkeypatch.setenv(key, value)


def test_the_cli_answers_the_same_on_both_backends(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "蓝海.txt").write_text(BLUE, encoding="utf-8")
    answers = {}
    for backend in ("local", "milvus"):
        _settings_env(
            monkeypatch,
            folder,
            tmp_path / backend,
            RAG_BACKEND=backend,
            RAG_MILVUS_URI=milvus_config().uri,
            RAG_MILVUS_COLLECTION=f"cli_{backend}",
        )
        assert main(["index", "--quiet"]) == 0
        capsys.readouterr()
        assert main(["ask", "哪家数据保留期最长？", "--json"]) == 0
        answers[backend] = json.loads(capsys.readouterr().out)
    assert answers["milvus"] == answers["local"] and answers["local"]["citations"]
    client = connect(milvus_config())
    assert alias_target(client, "cli_milvus")  # `rag index` published the build


def test_the_cli_says_in_one_line_that_milvus_is_unreachable(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()
    _settings_env(
        monkeypatch,
        folder,
        tmp_path / "index",
        RAG_BACKEND="milvus",
        RAG_MILVUS_URI=f"http://127.0.0.1:{port}",
        RAG_MILVUS_TIMEOUT="1",
    )
    assert main(["index", "--quiet"]) == 2  # the local build is made, publishing it fails
    assert main(["ask", "数据保留多久？"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in err
    assert all(line.startswith(f"error: Milvus is unreachable at http://127.0.0.1:{port}") for line in lines)


def test_the_api_reports_milvus_in_readyz_and_as_503(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.api.main import create_app

    config = milvus_config()
    _settings_env(
        monkeypatch,
        folder,
        tmp_path / "index",
        RAG_BACKEND="milvus",
        RAG_MILVUS_URI=config.uri,
        RAG_MILVUS_COLLECTION=config.collection,
    )
    with TestClient(create_app(Settings())) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        assert client.post("/v1/ask", json={"question": "数据保留多久？"}).json()["citations"]
        milvus = client.app.state.holder.get().retriever  # type: ignore[attr-defined]
        assert isinstance(milvus, MilvusRetriever)
        milvus.client.drop_collection(milvus.collection)
        milvus.clear_query_cache()
        down = client.get("/readyz")
        assert down.status_code == 503 and milvus.collection in down.json()["reason"]
        asked = client.post("/v1/ask", json={"question": "服务费怎么收？"})
        assert asked.status_code == 503 and "Milvus" in asked.json()["detail"]


@pytest.fixture
def milvus_server(tmp_path: Path) -> Iterator[str]:
    """A Milvus Lite gRPC server in its own process on 127.0.0.1 (the network path a Milvus Standalone or
    Distributed URI takes), stopped after the test."""
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "milvus_lite",
            "server",
            "--data-dir",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"milvus-lite server exited: {server.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def test_a_milvus_server_over_the_network_gives_the_local_hits(
    hashing_index_dir: Path, milvus_server: str
) -> None:
    embedder = HashingEmbedder()
    index = load_index(hashing_index_dir, embedder)
    config = MilvusConfig(milvus_server, collection="network")
    milvus = open_milvus_retriever(index, embedder, config, search_cache=0)
    assert not milvus.config.embedded and alias_target(milvus.client, "network") == milvus.collection
    local = HybridRetriever(index, embedder, search_cache=0)
    provider = sorted(p.name for p in index.providers.values())[-1]
    _same_hits(local, milvus, _questions(10), provider)


def test_settings_choose_the_fusion_and_refuse_weighted_fusion_on_milvus(hashing_index_dir: Path) -> None:
    from rag.pipeline import retriever_for

    embedder = HashingEmbedder()
    index = load_index(hashing_index_dir, embedder)
    config = milvus_config()
    base = {"backend": "milvus", "milvus_uri": config.uri, "milvus_collection": config.collection}
    engine = retriever_for(Settings(**base, milvus_fusion="engine"), index, embedder)
    assert isinstance(engine, MilvusRetriever) and engine.engine_fusion
    assert not retriever_for(Settings(**base), index, embedder).engine_fusion  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="RAG_FUSION=weighted"):
        retriever_for(Settings(**base, fusion="weighted"), index, embedder)
    assert type(retriever_for(Settings(), index, embedder)) is HybridRetriever


def test_a_milvus_lite_file_held_by_another_process_is_one_line(folder: Path, tmp_path: Path) -> None:
    holder_script = (
        "import sys, time\nfrom pymilvus import MilvusClient\n"
        "MilvusClient(sys.argv[1]).list_collections()\nprint('open', flush=True)\ntime.sleep(60)\n"
    )
    uri = str(tmp_path / "held.db")
    holder = subprocess.Popen([sys.executable, "-c", holder_script, uri], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"open"
        env = {
            **os.environ,
            "RAG_BACKEND": "milvus",
            "RAG_MILVUS_URI": uri,
            "RAG_CONTRACTS_DIR": str(folder),
            "RAG_INDEX_DIR": str(tmp_path / "index"),
            "RAG_EMBED_MODEL": "hashing",
        }
        done = subprocess.run(
            [sys.executable, "-m", "rag.cli", "index", "--quiet"], env=env, capture_output=True, text=True
        )
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot open the Milvus Lite file {uri}")
    assert "is built" in lines[0]
