"""The ``rag`` command line: providers, clauses, index, search, facts, ask, feedback, serve.

Errors are printed as one line naming the problem; no stack trace reaches the user.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from core.records import Fact, Hit
from index.corpus import Corpus, build_corpus
from index.e5_wheel import ModelError
from index.load import LoadError
from index.manifest import IndexLoadError
from index.milvus_store import MilvusError
from index.provider_manifest import ManifestError
from index.store import IndexBusy
from rag.retrieve import MODES
from rag.settings import Settings


class UsageError(Exception):
    """A problem with what the user asked for; printed as ``error: …`` with exit code 2."""


def _corpus(settings: Settings) -> Corpus:
    corpus = build_corpus(
        settings.contracts_dir, settings.max_file_bytes, allow_symlinks=settings.allow_symlinks
    )
    for error in corpus.errors:
        print(f"warning: skipped {error}", file=sys.stderr)
    return corpus


def cmd_providers(args: argparse.Namespace, settings: Settings) -> int:
    corpus = _corpus(settings)
    rows = [p.to_dict() for p in corpus.providers.values()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for doc_id, provider in corpus.providers.items():
        aliases = "、".join(provider.aliases) or "-"
        print(f"{doc_id}\t{provider.name}\t{provider.entity or '-'}\t别名: {aliases}")
        if provider.unidentified:
            print(f"  ({provider.unidentified})")
    return 0


def cmd_clauses(args: argparse.Namespace, settings: Settings) -> int:
    corpus = _corpus(settings)
    segmentation = corpus.segmentations.get(args.doc_id)
    if segmentation is None:
        known = ", ".join(corpus.segmentations) or "(none)"
        raise UsageError(f"unknown document id {args.doc_id!r}; known ids: {known}")
    if args.json:
        print(json.dumps([c.to_dict() for c in segmentation.clauses], ensure_ascii=False, indent=2))
        return 0
    for clause in segmentation.clauses:
        path = " > ".join(clause.heading_path) or "-"
        print(f"[{clause.clause_id}] ({path}) {clause.start}-{clause.end}")
        print(f"  {clause.text}")
    return 0


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from rag.pipeline import build, embedder_for

    report = build(settings, embedder_for(settings), force=args.force, progress=not args.quiet)
    for error in report.errors:
        print(f"warning: skipped {error}", file=sys.stderr)
    if settings.backend == "milvus":
        from index.milvus_store import collection_name

        milvus = settings.milvus
        name = collection_name(milvus, report.build_dir.name)
        print(f"Milvus at {milvus.uri}: alias {milvus.collection} -> collection {name}")
    if report.up_to_date:
        print(
            f"index is up to date: {report.documents} documents, {report.clauses} clauses "
            f"({report.build_dir})"
        )
        return 0
    changes = ", ".join(
        f"{label} {len(items)}"
        for label, items in (
            ("added", report.added),
            ("changed", report.changed),
            ("removed", report.removed),
        )
        if items
    )
    print(
        f"indexed {report.documents} documents, {report.clauses} clauses in {report.seconds:.1f}s "
        f"(embedded {report.embedded} texts, reused {report.reused}; {changes or 'no file changes'}) "
        f"-> {report.build_dir}"
    )
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from rag.pipeline import open_pipeline

    if not args.jsonl and not args.question:
        raise UsageError("give a question, or --jsonl to read one question per line from stdin")
    if args.k < 1 or args.k > 100:
        raise UsageError(f"--k must be between 1 and 100, got {args.k}")
    pipeline = open_pipeline(settings, progress=not args.jsonl)
    pipeline.provider(args.provider)  # an unknown --provider fails before any question is read

    def run(question: str) -> list[Hit]:
        return pipeline.search(question, args.k, provider=args.provider, mode=args.mode)

    if args.jsonl:
        for line in sys.stdin:
            question = line.strip()
            if not question:
                continue
            row = {"question": question, "results": [h.to_dict() for h in run(question)]}
            print(json.dumps(row, ensure_ascii=False), flush=True)
        return 0
    hits = run(args.question)
    if args.json:
        print(
            json.dumps(
                {"question": args.question, "results": [h.to_dict() for h in hits]},
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    for rank, hit in enumerate(hits, start=1):
        c = hit.clause
        where = f"{c.doc_id} {hit.span.start}-{hit.span.end}"
        print(f"{rank}. {c.provider} [{c.clause_id}] {where} score={hit.score:.4f}")
        print(f"   {hit.span.text}")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.pipeline import open_pipeline

    if not args.jsonl and not args.question:
        raise UsageError("give a question, or --jsonl to read one question per line from stdin")
    pipeline = open_pipeline(settings, progress=not args.jsonl)
    provider = pipeline.provider(args.provider)
    if args.jsonl:
        for line in sys.stdin:
            if line.strip():
                question, history, named = _jsonl_question(line, provider, pipeline.provider)
                row = pipeline.composer.ask(question, named, history).to_dict()
                print(json.dumps(row, ensure_ascii=False), flush=True)
        return 0
    answer = pipeline.composer.ask(args.question, provider)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.answer)
    for n, c in enumerate(answer.citations, start=1):
        print(f"  [{n}] {c.provider} 第 {c.clause_id} 条（{c.doc_id} {c.start}-{c.end}）：{c.text}")
    return 0


def cmd_facts(args: argparse.Namespace, settings: Settings) -> int:
    from rag.catalog import ATTRIBUTES
    from rag.pipeline import open_pipeline

    table = open_pipeline(settings, progress=not (args.json or args.csv)).table
    rows = table.to_dicts()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif args.csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(
            [
                "provider",
                "attribute",
                "label",
                "value",
                "unit",
                "display",
                "doc_id",
                "clause_id",
                "start",
                "end",
                "text",
                "state",
            ]
        )
        for r in rows:
            c: dict[str, Any] = r["citation"] or {}
            writer.writerow(
                [
                    r["provider"],
                    r["attribute"],
                    r["label"],
                    r["value"],
                    r["unit"],
                    r["display"],
                    c.get("doc_id", ""),
                    c.get("clause_id", ""),
                    c.get("start", ""),
                    c.get("end", ""),
                    c.get("text", ""),
                    r["state"],
                ]
            )
    else:
        for attribute, spec in ATTRIBUTES.items():
            print(f"{spec.label}")
            for provider in table.providers:
                shown = "；".join(
                    f"{table.document_label(f)}{f.display}{_conditions(f)} [{f.citation.clause_id}]"
                    for f in table.cell(provider, attribute)
                )
                print(f"  {provider}: {shown or '未约定'}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from rag.api import serve
    from rag.api.holder import PipelineHolder

    print("loading the index and warming the model…", file=sys.stderr, flush=True)
    holder = PipelineHolder(settings)
    holder.load()  # a missing or corrupt index is one line here, not a uvicorn traceback
    print(f"serving on http://{args.host}:{args.port} (widget: /widget, API docs: /docs)", file=sys.stderr)
    serve(args.host, args.port, settings, holder)
    return 0


def _jsonl_question(
    line: str, provider: str | None, resolve: Callable[[str | None], str | None]
) -> tuple[str, list[str], str | None]:
    """A --jsonl line: a plain question, or {"question", "history"?, "provider"?} for a conversation."""
    line = line.strip()
    if not line.startswith("{"):
        return line, [], provider
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise UsageError(f"--jsonl: a line starting with {{ must be a JSON object ({exc})") from None
    question, history = data.get("question"), data.get("history", [])
    if not isinstance(question, str) or not question.strip():
        raise UsageError('--jsonl: a JSON line needs "question", a non-empty string')
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise UsageError('--jsonl: "history" must be a list of earlier questions (strings)')
    return question, history, resolve(data.get("provider")) or provider


def _conditions(fact: Fact) -> str:
    """A fact's conditions and scope for the text table: （如为包月服务…）."""
    shown = [q.split("：", 1)[-1] for q in fact.qualifiers if q.startswith("条件")]
    if fact.qualifier and fact.qualifier not in fact.display:
        shown.insert(0, fact.qualifier)
    return f"（{'；'.join(shown)}）" if shown else ""


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    from rag.feedback import FeedbackStore, to_csv

    rows = FeedbackStore(settings.index_dir).rows()
    if args.csv:
        sys.stdout.write(to_csv(rows))
        return 0
    if not rows:
        print("no feedback yet")
    for row in rows:
        mark = "👍" if row["verdict"] == "up" else "👎"
        comment = f"  「{row['comment']}」" if row["comment"] else ""
        print(f"{row['id']}\t{row['created']}\t{mark}\t{row['question']}{comment}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag", description="Question answering over cloud-service contracts."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("providers", help="list each contract's provider (name, legal entity, aliases)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_providers)
    p = sub.add_parser("clauses", help="print every clause of one contract with its id and offsets")
    p.add_argument("doc_id", metavar="DOC_ID", help="the contract's file name, e.g. 002_111862d00bf5977e.txt")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=cmd_clauses)
    p = sub.add_parser("index", help="build or update the search index in RAG_INDEX_DIR")
    p.add_argument("--force", action="store_true", help="re-embed everything, even unchanged files")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_index)
    p = sub.add_parser("search", help="hybrid search: the best clause spans for a question")
    p.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    p.add_argument("--k", type=int, default=5, help="number of results (1-100, default 5)")
    p.add_argument("--provider", help="only this provider's clauses (name, alias or legal entity)")
    p.add_argument("--mode", choices=MODES, default="hybrid", help="retrieval method (default hybrid)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--jsonl", action="store_true", help="read questions from stdin, one JSON line out each")
    p.set_defaults(func=cmd_search)
    p = sub.add_parser("facts", help="the provider × attribute fact table, a citation per cell")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print JSON rows")
    group.add_argument("--csv", action="store_true", help="print CSV")
    p.set_defaults(func=cmd_facts)
    p = sub.add_parser("ask", help="answer a question with numbered citations (rule-based, no LLM)")
    p.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    p.add_argument("--provider", help="only this provider (name, alias or legal entity)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--jsonl", action="store_true", help="read questions from stdin, one JSON line out each")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("feedback", help="users' 👍 / 👎 on answers, with question, answer and citations")
    p.add_argument("--csv", action="store_true", help="print CSV (every column, citations as JSON)")
    p.set_defaults(func=cmd_feedback)
    p = sub.add_parser("serve", help="start the HTTP API and the embeddable widget")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        return int(args.func(args, settings))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "RAG_" + str(first["loc"][0]).upper() if first.get("loc") else "settings"
        print(f"error: invalid setting {field}: {first['msg']}", file=sys.stderr)
    except (
        UsageError,
        LoadError,
        ManifestError,
        IndexLoadError,
        IndexBusy,
        ModelError,
        MilvusError,
        ValueError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except BrokenPipeError:
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
