"""The ``rag`` command line: ``rag providers``, ``rag clauses DOC_ID``.

Errors are printed as one line naming the problem; no stack trace reaches the user.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from pydantic import ValidationError

from index.corpus import Corpus, build_corpus
from index.load import LoadError
from rag.records import Clause
from rag.settings import Settings


class UsageError(Exception):
    """A problem with what the user asked for; printed as ``error: …`` with exit code 2."""


def _corpus(settings: Settings) -> Corpus:
    corpus = build_corpus(settings.contracts_dir, settings.max_file_bytes)
    for error in corpus.errors:
        print(f"warning: skipped {error}", file=sys.stderr)
    return corpus


def _clause_json(clause: Clause) -> dict[str, Any]:
    return {
        "doc_id": clause.doc_id,
        "provider": clause.provider,
        "clause_id": clause.clause_id,
        "kind": clause.kind,
        "number": clause.number,
        "heading_path": list(clause.heading_path),
        "start": clause.start,
        "end": clause.end,
        "text": clause.text,
        "sentences": [asdict(s) for s in clause.sentences],
    }


def cmd_providers(args: argparse.Namespace, settings: Settings) -> int:
    corpus = _corpus(settings)
    rows = [
        {"doc_id": doc_id, "name": p.name, "entity": p.entity, "aliases": list(p.aliases)}
        for doc_id, p in corpus.providers.items()
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for doc_id, provider in corpus.providers.items():
        aliases = "、".join(provider.aliases) or "-"
        print(f"{doc_id}\t{provider.name}\t{provider.entity or '-'}\t别名: {aliases}")
    return 0


def cmd_clauses(args: argparse.Namespace, settings: Settings) -> int:
    corpus = _corpus(settings)
    segmentation = corpus.segmentations.get(args.doc_id)
    if segmentation is None:
        known = ", ".join(corpus.segmentations) or "(none)"
        raise UsageError(f"unknown document id {args.doc_id!r}; known ids: {known}")
    if args.json:
        print(json.dumps([_clause_json(c) for c in segmentation.clauses], ensure_ascii=False, indent=2))
        return 0
    for clause in segmentation.clauses:
        path = " > ".join(clause.heading_path) or "-"
        print(f"[{clause.clause_id}] ({path}) {clause.start}-{clause.end}")
        print(f"  {clause.text}")
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
    except (UsageError, LoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except BrokenPipeError:
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
