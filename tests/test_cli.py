"""The ``rag`` command line: providers, clauses, and errors as one line without a stack trace."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from rag.cli import main
from rag.settings import BUNDLED_CONTRACTS

CONTRACT = (
    "星河云服务协议\n本协议是杭州星河数据科技有限公司（以下简称“星河云”）与您订立的协议。\n"
    "一、 数据\n1. 星河云将保留您的数据 90 日。\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_providers_json_on_the_bundled_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "providers", "--json")
    rows = {row["doc_id"]: row for row in json.loads(out)}
    assert code == 0
    assert rows["002_111862d00bf5977e.txt"]["name"] == "码尚云"
    assert rows["004_ff0b5367f7bd4376.txt"]["entity"] == "成都西维数码科技有限公司"


def test_clauses_json_has_ids_paths_offsets_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "clauses", "002_111862d00bf5977e.txt", "--json")
    rows = json.loads(out)
    assert code == 0
    assert {"clause_id", "heading_path", "start", "end", "text"} <= set(rows[0])
    clause = next(r for r in rows if r["clause_id"] == "4.3")
    text = (BUNDLED_CONTRACTS / "002_111862d00bf5977e.txt").read_text(encoding="utf-8")
    assert text[clause["start"] : clause["end"]] == clause["text"]
    assert clause["text"].startswith("除法定及码尚云和您另行约定外") and clause["text"].endswith("一切后果。")


def test_clauses_plain_output_shows_id_path_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "clauses", "004_ff0b5367f7bd4376.txt")
    assert code == 0
    block = out.split("[4.7] ", 1)[1].split("\n[", 1)[0]
    assert block.startswith("(西部数码权利与义务) 4688-4819")
    assert "弹性云主机按照故障时间100倍/台赔偿" in block


def test_unknown_document_is_one_line_naming_the_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "clauses", "nope.txt")
    assert code == 2 and out == ""
    assert err.startswith("error: unknown document id 'nope.txt'; known ids: 000_9e585a3fd0b47425.txt")


def test_contracts_dir_setting_and_bad_files_are_reported(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, write_contract: Callable[..., Path]
) -> None:
    folder = write_contract("星河.txt", CONTRACT).parent
    write_contract("empty.txt", b"")
    monkeypatch.setenv("RAG_CONTRACTS_DIR", str(folder))
    code, out, err = run(capsys, "providers", "--json")
    assert code == 0
    assert [r["name"] for r in json.loads(out)] == ["星河云"]
    assert err == "warning: skipped empty.txt: the file is empty\n"


def test_missing_contracts_folder_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RAG_CONTRACTS_DIR", str(tmp_path / "missing"))
    code, _, err = run(capsys, "providers")
    assert code == 2
    assert err == "error: missing: contracts folder does not exist (set RAG_CONTRACTS_DIR)\n"


def test_invalid_setting_names_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_MAX_FILE_BYTES", "-5")
    code, _, err = run(capsys, "providers")
    assert code == 2
    assert err.startswith("error: invalid setting RAG_MAX_FILE_BYTES:")
    assert "Traceback" not in err


def test_console_script_is_installed() -> None:
    rag = Path(sys.executable).parent / "rag"
    result = subprocess.run([str(rag), "providers"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "码尚云\t上海码昶信息技术咨询中心" in result.stdout


@pytest.fixture
def hashing_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("RAG_EMBED_MODEL", "hashing")
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    return tmp_path / "index"


def test_search_builds_the_index_first_and_prints_json(
    capsys: pytest.CaptureFixture[str], hashing_env: Path
) -> None:
    code, out, _ = run(capsys, "search", "西部数码逾期付款怎么收滞纳金？", "--json", "--k", "3")
    assert code == 0 and (hashing_env / "current" / "manifest.json").is_file()
    result = json.loads(out)
    assert result["question"] == "西部数码逾期付款怎么收滞纳金？"
    assert len(result["results"]) == 3
    for hit in result["results"]:
        assert set(hit) == {"doc_id", "provider", "clause_id", "start", "end", "text", "score"}
        assert hit["provider"] == "西部数码"  # the question names the provider: only its clauses
        text = (BUNDLED_CONTRACTS / hit["doc_id"]).read_text(encoding="utf-8")
        assert text[hit["start"] : hit["end"]] == hit["text"]


def test_search_jsonl_answers_one_line_per_question(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, hashing_env: Path
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("码尚云的滞纳金标准\n\n哪家数据保留期最长？\n"))
    code, out, _ = run(capsys, "search", "--jsonl", "--k", "2")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [r["question"] for r in rows] == ["码尚云的滞纳金标准", "哪家数据保留期最长？"]
    assert all(len(r["results"]) == 2 for r in rows)
    assert {h["provider"] for h in rows[0]["results"]} == {"码尚云"}


def test_search_provider_option_accepts_aliases_and_names_unknown_ones(
    capsys: pytest.CaptureFixture[str], hashing_env: Path
) -> None:
    code, out, _ = run(capsys, "search", "数据保留", "--provider", "京东云", "--json")
    assert code == 0
    assert {h["provider"] for h in json.loads(out)["results"]} == {"京东云-微电云"}
    code, _, err = run(capsys, "search", "数据保留", "--provider", "阿里云")
    assert code == 2 and err.startswith("error: unknown provider '阿里云'; known providers: ")


def test_index_then_reindex_reports_up_to_date(capsys: pytest.CaptureFixture[str], hashing_env: Path) -> None:
    code, out, _ = run(capsys, "index", "--quiet")
    assert code == 0 and out.startswith("indexed 5 documents, 371 clauses")
    code, out, _ = run(capsys, "index", "--quiet")
    assert code == 0 and out.startswith("index is up to date: 5 documents, 371 clauses")


def test_search_refuses_a_corrupt_index_with_the_fix(
    capsys: pytest.CaptureFixture[str], hashing_env: Path
) -> None:
    run(capsys, "index", "--quiet")
    (hashing_env / "current" / "vectors.npy").write_bytes(b"broken")
    code, _, err = run(capsys, "search", "滞纳金")
    assert code == 2
    assert err == "error: index file vectors.npy is missing or corrupt; run `rag index` to rebuild it\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search"], "error: give a question, or --jsonl"),
        (["search", "滞纳金", "--k", "0"], "error: --k must be between 1 and 100, got 0"),
    ],
)
def test_search_usage_errors(
    capsys: pytest.CaptureFixture[str], hashing_env: Path, argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.startswith(message)


def test_invalid_fusion_setting_lists_the_valid_values(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, hashing_env: Path
) -> None:
    monkeypatch.setenv("RAG_FUSION", "max")
    code, _, err = run(capsys, "search", "滞纳金")
    assert code == 2 and err.startswith(
        "error: invalid setting RAG_FUSION: Input should be 'rrf' or 'weighted'"
    )


def test_ask_json_has_answer_citations_and_intent(
    capsys: pytest.CaptureFixture[str], hashing_env: Path
) -> None:
    code, out, _ = run(capsys, "ask", "哪家数据保留期最长？", "--json")
    row = json.loads(out)
    assert code == 0
    assert set(row) == {"question", "answer", "refused", "intent", "citations", "related"}
    assert row["intent"] == "superlative" and row["refused"] is False
    assert row["answer"].startswith("合同终止后的数据保留期最长的是码尚云")
    for n, citation in enumerate(row["citations"], start=1):
        assert set(citation) == {"n", "doc_id", "provider", "clause_id", "start", "end", "text"}
        assert citation["n"] == n and f"[{n}]" in row["answer"]
        text = (BUNDLED_CONTRACTS / citation["doc_id"]).read_text(encoding="utf-8")
        assert text[citation["start"] : citation["end"]] == citation["text"]


def test_ask_jsonl_and_refusal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, hashing_env: Path
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("西部数码逾期付款怎么收滞纳金？\n阿里云的滞纳金是多少？\n"))
    code, out, _ = run(capsys, "ask", "--jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 2
    assert "0.3%" in rows[0]["answer"] and rows[0]["citations"][0]["clause_id"] == "2.2.2"
    assert rows[1]["refused"] is True and rows[1]["citations"] == []


def test_ask_plain_lists_the_citations(capsys: pytest.CaptureFixture[str], hashing_env: Path) -> None:
    code, out, _ = run(capsys, "ask", "西部数码逾期付款怎么收滞纳金？")
    assert code == 0
    first, second = out.splitlines()[:2]
    assert first == "西部数码：每日 0.3%，“滞纳金=应付服务费用*0.3%*拖欠天数”[1]。"
    assert second.startswith("  [1] 西部数码 第 2.2.2 条（004_ff0b5367f7bd4376.txt ")


def test_facts_json_and_csv(capsys: pytest.CaptureFixture[str], hashing_env: Path) -> None:
    code, out, _ = run(capsys, "facts", "--json")
    rows = json.loads(out)
    assert code == 0
    cell = next(r for r in rows if r["provider"] == "码尚云" and r["attribute"] == "data_retention")
    assert cell["value"] == 30.0 and cell["citation"]["clause_id"] == "4.3"
    missing = next(r for r in rows if r["provider"] == "西部数码" and r["attribute"] == "data_retention")
    assert missing["display"] == "未约定" and missing["citation"] is None
    code, out, _ = run(capsys, "facts", "--csv")
    lines = out.splitlines()
    assert lines[0].startswith("provider,attribute,label,value,unit,display,doc_id,clause_id,start,end,text")
    assert any(line.startswith("西部数码,late_fee,") and ",2.2.2," in line for line in lines)


@pytest.mark.parametrize("invisible", ["\u200b", "\u00ad", "\ufeff", "\x00", "\u200d\u2060"])
def test_invisible_characters_inside_a_word_do_not_change_the_answer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, hashing_env: Path, invisible: str
) -> None:
    """Zero-width, soft hyphen, BOM and NUL inside 滞纳金 (NUL through --jsonl: argv cannot carry it)."""
    import io

    plain = "码尚云的滞纳金标准"
    hostile = f"{invisible}码尚云的滞{invisible}纳金标准{invisible}"
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{plain}\n{json.dumps({'question': hostile})}\n"))
    code, out, err = run(capsys, "ask", "--jsonl")
    assert code == 0, err
    clean, dirty = (json.loads(line) for line in out.splitlines())
    assert not clean["refused"] and clean["citations"]
    assert (dirty["answer"], dirty["citations"]) == (clean["answer"], clean["citations"])
