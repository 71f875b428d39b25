"""index.unigram gives the ids the ``tokenizers`` library gives, for the pipeline it implements, and hands
any other tokenizer.json to the library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.unigram import LibraryTokenizer, UnigramTokenizer, load_tokenizer

TRICKY = [
    "",
    "星河云的数据保留期",
    "query: 哪家滞纳金最高？",
    "  leading and  double   spaces ",
    "ＡＢＣ１２３ full-width",
    "unknown ☃ 字 and 𝔘",
    "<s>special</s> tokens <unk> inside",
    "tab\tand\nnewline",
    "星" * 40,
]


def _library_tokenizer(path: Path) -> Path:
    """A small unigram tokenizer.json written by the tokenizers library in the bundled model's shape."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    words = [
        "▁",
        "星",
        "河",
        "云",
        "星河",
        "星河云",
        "的",
        "数据",
        "保留",
        "期",
        "▁query",
        ":",
        "▁a",
        "a",
        "b",
        "▁and",
        "▁double",
        "▁spaces",
        "s",
        "e",
        "d",
        "▁lead",
        "ing",
        "哪",
        "家",
        "最高",
        "?",
        "ABC",
        "123",
        "▁full",
        "-",
        "width",
        "▁special",
        "▁tokens",
        "▁inside",
        "▁tab",
        "▁new",
        "line",
        "▁unknown",
        "字",
    ]
    pieces += [(w, -1.0 - 0.37 * i) for i, w in enumerate(words)]
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=3, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Replace("\t", " "), normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tokenizer.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>"])
    tokenizer.save(str(path))
    return path


def test_the_same_ids_as_the_library(tmp_path: Path) -> None:
    path = _library_tokenizer(tmp_path / "tokenizer.json")
    ours = load_tokenizer(path, max_length=16)
    library = LibraryTokenizer(path, max_length=16)
    assert isinstance(ours, UnigramTokenizer)
    assert ours.encode_ids(TRICKY) == library.encode_ids(TRICKY)
    assert ours.token_to_id("<pad>") == library.token_to_id("<pad>") == 1
    assert max(len(ids) for ids in ours.encode_ids(TRICKY)) == 16  # truncated, <s> … </s> kept


def test_another_pipeline_goes_to_the_library(tmp_path: Path) -> None:
    path = _library_tokenizer(tmp_path / "tokenizer.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["normalizer"] = {"type": "Lowercase"}
    path.write_text(json.dumps(data), encoding="utf-8")
    assert isinstance(load_tokenizer(path, max_length=16), LibraryTokenizer)


@pytest.mark.slow
def test_the_bundled_tokenizer_gives_the_librarys_ids_on_every_contract_text() -> None:
    from index.corpus import build_corpus
    from index.e5_wheel import ensure_model
    from rag.settings import BUNDLED_CONTRACTS, Settings

    path = ensure_model(Settings().model_cache_dir) / "tokenizer.json"
    corpus_dir = Path(__file__).resolve().parent.parent / "evals" / "corpus" / "contracts"
    texts = [*TRICKY]
    for folder in (BUNDLED_CONTRACTS, corpus_dir):
        clauses = build_corpus(folder).clauses
        texts += [c.text for c in clauses] + [s.text for c in clauses for s in c.sentences]
    texts = [f"passage: {t}" for t in texts] + [f"query: {t}" for t in texts[:500]]
    assert len(texts) >= 5000
    ours = load_tokenizer(path, max_length=512)
    assert isinstance(ours, UnigramTokenizer)
    assert ours.encode_ids(texts) == LibraryTokenizer(path, max_length=512).encode_ids(texts)
