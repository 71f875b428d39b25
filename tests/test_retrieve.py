"""Hybrid retrieval over the bundled contracts with the model-free hashing embedder."""

from __future__ import annotations

import numpy as np
import pytest

from core.records import Provider
from index.embed import HashingEmbedder
from rag.retrieve import HybridRetriever, provider_names_in, resolve_provider, without_names


def test_rrf_adds_reciprocal_ranks(hashing_retriever: HybridRetriever) -> None:
    hashing_retriever.rrf_k = 60
    fused = hashing_retriever._rrf({"dense": {7: 0.9, 3: 0.8}, "bm25": {3: 12.0, 5: 4.0}})
    assert fused == pytest.approx({7: 1 / 61, 3: 1 / 62 + 1 / 61, 5: 1 / 62})


def test_weighted_fusion_mixes_min_max_normalised_scores(hashing_retriever: HybridRetriever) -> None:
    hashing_retriever.weight = 0.25
    fused = hashing_retriever._weighted({"dense": {1: 0.9, 2: 0.5}, "bm25": {2: 10.0, 3: 6.0, 1: 2.0}})
    hashing_retriever.weight = 0.5
    # dense: 1 → 1.0, 2 → 0.0; bm25: 2 → 1.0, 3 → 0.5, 1 → 0.0
    assert fused == pytest.approx({1: 0.25, 2: 0.75, 3: 0.375})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fusion": "max"}, "unknown fusion 'max'; valid: rrf, weighted"),
        ({"weight": 1.5}, "fusion weight must be between 0 and 1"),
    ],
)
def test_options_are_checked_with_the_valid_values(
    hashing_retriever: HybridRetriever, kwargs: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        HybridRetriever(hashing_retriever.index, HashingEmbedder(), **kwargs)


def test_search_arguments_are_checked(hashing_retriever: HybridRetriever) -> None:
    with pytest.raises(ValueError, match="unknown search mode 'sparse'; valid: bm25, dense, hybrid"):
        hashing_retriever.search("滞纳金", mode="sparse")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must be at least 1"):
        hashing_retriever.search("滞纳金", k=0)


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_hits_are_exact_spans_inside_their_clauses(hashing_retriever: HybridRetriever, mode: str) -> None:
    hits = hashing_retriever.search("逾期付款的滞纳金怎么计算", 8, mode=mode)  # type: ignore[arg-type]
    assert len(hits) == 8
    documents = hashing_retriever.index.documents
    for hit in hits:
        text = documents[hit.clause.doc_id].text
        assert text[hit.span.start : hit.span.end] == hit.span.text
        assert hit.clause.start <= hit.span.start < hit.span.end <= hit.clause.end
        assert hit.clause.kind != "title"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_bm25_finds_the_exact_wording(hashing_retriever: HybridRetriever) -> None:
    top = hashing_retriever.search("滞纳金=应付服务费用*0.3%*拖欠天数", 1, mode="bm25")[0]
    assert (top.clause.doc_id, top.clause.clause_id) == ("004_ff0b5367f7bd4376.txt", "2.2.2")
    assert "0.3%" in top.span.text  # the sentence, not the whole clause
    assert top.span.text != top.clause.text


def test_provider_filter_keeps_only_that_providers_clauses(hashing_retriever: HybridRetriever) -> None:
    for mode in ("bm25", "dense", "hybrid"):
        hits = hashing_retriever.search("数据保留多久", 10, mode=mode, providers=["码尚云"])  # type: ignore[arg-type]
        assert hits and {h.clause.provider for h in hits} == {"码尚云"}


def test_questions_name_providers_by_alias_and_entity() -> None:
    providers = [
        Provider("京东云-微电云", "京东云计算有限公司", ("京东云", "微电云")),
        Provider("讯众云通信", "北京讯众通信技术股份有限公司", ("讯众", "云通讯")),
    ]
    assert provider_names_in("京东云-微电云和讯众哪个好", providers) == ["京东云-微电云", "讯众云通信"]
    assert provider_names_in("微电云的发票", providers) == ["京东云-微电云"]
    assert provider_names_in("阿里云的发票", providers) == []
    assert without_names("讯众云通信的滞纳金", providers[1:]).strip() == "的滞纳金"
    assert resolve_provider("京东云计算有限公司", providers) == "京东云-微电云"
    with pytest.raises(
        ValueError, match="unknown provider '阿里云'; known providers: 京东云-微电云、讯众云通信"
    ):
        resolve_provider("阿里云", providers)


def test_a_long_name_said_with_a_typo_leaves_the_question_but_a_neighbouring_name_does_not_eat_words() -> (
    None
):
    """The name carries nothing once the question is scoped to its provider, typo or not (星河企业油 for
    星河企业邮, even though the short name 星河 inside it is said exactly); a three-character name one
    character away from the start of a longer name said exactly (星河云 ~ 星河企) is no typo."""
    providers = [
        Provider("星河云", "杭州星河数据科技有限公司", ("星河企业邮", "星河")),
        Provider("Nimbus", "", ("NimbusCloud",)),
    ]
    assert without_names("星河企业油的可用性标准", providers).strip() == "的可用性标准"
    assert without_names("星河企业邮的可用性标准", providers).strip() == "的可用性标准"
    assert without_names("NimbusClaud 的仲裁地点", providers).strip() == "的仲裁地点"
    assert without_names("星河的企业邮箱", providers).strip() == "的企业邮箱"


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.documents = 0
        self.queries = 0

    def encode_documents(self, texts):  # type: ignore[no-untyped-def]
        self.documents += len(texts)
        return super().encode_documents(texts)

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        self.queries += len(texts)
        return super().encode_queries(texts)


def test_a_query_embeds_only_the_question(hashing_retriever: HybridRetriever) -> None:
    counting = CountingEmbedder()
    retriever = HybridRetriever(hashing_retriever.index, counting)
    retriever.search("服务终止后数据保留多久", 5)
    retriever.search("滞纳金", 5, mode="bm25")
    assert (counting.documents, counting.queries) == (0, 1)


def test_a_searchs_vector_is_had_again_without_encoding(hashing_retriever: HybridRetriever) -> None:
    """A classifier reading the question after its search gets the search's vector: no second encoding."""
    counting = CountingEmbedder()
    retriever = HybridRetriever(hashing_retriever.index, counting)
    retriever.search("码尚云的数据保留多久", 5, providers=["码尚云"])
    vector = retriever.search_vector("码尚云的数据保留多久", ["码尚云"])
    assert counting.queries == 1 and vector.shape == (retriever.index.vectors.shape[1],)
    retriever.search_vector("码尚云的数据保留多久")  # unfiltered: the names stay, another text
    assert counting.queries == 2


def test_sentence_vectors_let_a_clause_match_by_one_sentence(hashing_retriever: HybridRetriever) -> None:
    index = hashing_retriever.index
    row = next(i for i, c in enumerate(index.clauses) if c.clause_id == "4.7" and c.provider == "西部数码")
    sentence = index.clauses[row].sentences[-1].text  # 故障的时间=故障解决时间-故障开始时间。
    query = HashingEmbedder().encode_queries([sentence])[0]
    dense = hashing_retriever._dense(query, hashing_retriever._mask(None), False, 5)
    assert next(iter(dense)) == row
    assert dense[row] == pytest.approx(1.0, abs=1e-5)
    assert np.isclose(index.sentence_vectors[index.sentence_rows[row][-1]] @ query, 1.0, atol=1e-5)


def test_a_repeated_search_is_answered_from_the_cache_with_the_same_hits(
    hashing_retriever: HybridRetriever,
) -> None:
    """Answering a question runs the same search more than once; the second costs nothing and returns the
    same hits (a fresh list: a caller may change its own), other arguments a search of their own."""
    retriever = HybridRetriever(hashing_retriever.index, HashingEmbedder())
    calls: list[str] = []
    search = retriever._search

    def counted(question, k, providers, mode):  # type: ignore[no-untyped-def]
        calls.append(question)
        return search(question, k, providers, mode)

    retriever._search = counted  # type: ignore[method-assign]
    first = retriever.search("服务终止后数据保留多久", 5, providers=["码尚云"])
    first.pop()
    again = retriever.search("服务终止后数据保留多久", 5, providers=["码尚云"])
    assert len(calls) == 1 and len(again) == 5
    assert again == search("服务终止后数据保留多久", 5, ["码尚云"], "hybrid")
    retriever.search("服务终止后数据保留多久", 3, providers=["码尚云"])
    retriever.search("服务终止后数据保留多久", 5)
    assert len(calls) == 3
    retriever.clear_query_cache()
    retriever.search("服务终止后数据保留多久", 5, providers=["码尚云"])
    assert len(calls) == 4
    retriever.search_cache = 0  # off (a benchmark timing search itself): every search computed
    retriever.search("服务终止后数据保留多久", 5, providers=["码尚云"])
    retriever.search("服务终止后数据保留多久", 5, providers=["码尚云"])
    assert len(calls) == 6
