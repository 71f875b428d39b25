"""Fault injection: every artifact of a build, corrupted three ways (truncated, bytes flipped, deleted).

For each: every read command refuses with one line naming the file and saying to run `rag index`;
`rag index` (no --force) repairs it; and the answers afterwards equal the answers before.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from index.embed import HashingEmbedder
from index.store import build_index, read_manifest
from rag import cli
from tests.samples import BLUE as BLUE_FEES
from tests.samples import STARRY

#: Another topic for the comparison question, so answers cite both contracts.
BLUE = BLUE_FEES + "二、 数据\n1. 合同终止后，蓝海云保留您的数据 30 日。\n"
QUESTIONS = ["哪家数据保留期最长？", "星河云的滞纳金怎么算？"]
READ_COMMANDS = (["ask", "数据保留多久？"], ["search", "滞纳金"], ["facts"])


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("faults")
    contracts = root / "contracts"
    contracts.mkdir()
    (contracts / "starry.txt").write_text(STARRY, encoding="utf-8")
    (contracts / "blue.txt").write_text(BLUE, encoding="utf-8")
    index_dir = root / "index"
    build_index(contracts, index_dir, HashingEmbedder())
    return contracts, index_dir


def _artifacts() -> list[str]:
    """The files a build is made of, as the manifest lists them (read from a throwaway build)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        contracts = Path(tmp) / "contracts"
        contracts.mkdir()
        (contracts / "starry.txt").write_text(STARRY, encoding="utf-8")
        build_index(contracts, Path(tmp) / "index", HashingEmbedder())
        return [*sorted(read_manifest(Path(tmp) / "index").artifacts), "manifest.json"]


ARTIFACTS = _artifacts()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, min(len(data), len(data) // 2 + 8)):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _delete(path: Path) -> None:
    path.unlink()


CORRUPTIONS: dict[str, Callable[[Path], None]] = {"truncate": _truncate, "flip": _flip, "delete": _delete}


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _answers(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    answers = []
    for question in QUESTIONS:
        code, out, err = _run(["ask", question, "--json"], capsys)
        assert code == 0, err
        answers.append(json.loads(out))
    return answers


@pytest.mark.parametrize("how", sorted(CORRUPTIONS))
@pytest.mark.parametrize("artifact", ARTIFACTS)
def test_a_corrupt_artifact_is_refused_by_name_and_repaired_by_rag_index(
    artifact: str,
    how: str,
    pristine: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    contracts, source_index = pristine
    index_dir = tmp_path / "index"
    shutil.copytree(source_index, index_dir, symlinks=True)
    monkeypatch.setenv("RAG_CONTRACTS_DIR", str(contracts))
    monkeypatch.setenv("RAG_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("RAG_EMBED_MODEL", "hashing")
    before = _answers(capsys)

    target = index_dir / "current" / artifact
    CORRUPTIONS[how](target)
    for argv in READ_COMMANDS:
        code, out, err = _run(argv, capsys)
        lines = [line for line in err.splitlines() if line.strip()]
        assert code != 0 and not out, (argv, out)
        assert len(lines) == 1 and lines[0].startswith("error:"), lines
        assert "rag index" in lines[0]
        assert artifact in lines[0], lines[0]
        assert "Traceback" not in err

    code, out, err = _run(["index", "--quiet"], capsys)  # no --force
    assert code == 0, err
    assert "up to date" not in out
    assert _answers(capsys) == before
