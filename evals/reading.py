"""How well the write path reads contracts it was not written against: ``python -m evals.reading``.

Over the development corpus in ``evals/corpus/`` (real contracts of other providers; SOURCES.md credits
each), split by company in ``split.toml``: per contract, whether the provider, entity and aliases match
``expected.jsonl``; structure (clause count, deepest level, share of body characters inside numbered
clauses, hand-read clause goldens from ``clause_goldens.jsonl``); and facts (expected facts whose
attribute the catalog has: found with a citation overlapping the gold quote = recall; our facts for the
attributes the gold lists for that document that overlap a gold quote = precision, strict; and judged:
a fact the gold does not list counts when ``judged_facts.jsonl`` holds a hand judgment that it is correct,
and as wrong while nobody judged it; ``--extras FILE`` writes the unjudged ones). Held-out companies are
reported separately and never tuned on.
"""

from __future__ import annotations

import argparse
import json
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.records import Clause, Fact
from core.text import strip_markup
from evals.report import write_report
from index.corpus import Corpus, build_corpus
from rag.facts import build_table

CORPUS = Path(__file__).resolve().parent / "corpus"
OUT = Path(__file__).resolve().parent.parent / "build" / "eval" / "reading.json"
#: expected.jsonl attribute names → the catalog's keys (attributes the catalog does not have are absent).
#: The value check reads ``facts_values.jsonl``: numbers must equal, None ↔ null ("stated without a figure").
ATTRIBUTE_MAP: dict[str, tuple[str, ...]] = {
    "data_retention_after_termination": ("data_retention",),
    "late_fee_per_day": ("late_fee",),
    "liability_cap": ("liability_cap",),
    "dispute_resolution": ("dispute",),
    # notice before the provider changes terms, prices or service: the catalog keeps prices apart
    "notice_before_change": ("termination_notice", "price_change_notice"),
    "account_freeze_grace": ("freeze_grace",),
    "force_majeure_notice": ("force_majeure_notice",),
    "invoice_deadline": ("invoice_deadline",),
    "backup_duty": ("backup_responsibility",),
    "confidentiality_survives": ("confidentiality_survives",),
    "sla_compensation": ("sla_compensation",),
    "refund": ("refund",),
}


@dataclass(frozen=True, slots=True)
class Expected:
    doc_id: str
    provider: str
    entity: str | None
    aliases: tuple[str, ...]
    facts: tuple[dict[str, str], ...]


def load_split(corpus: Path = CORPUS) -> dict[str, str]:
    data = tomllib.loads((corpus / "split.toml").read_text(encoding="utf-8"))
    return {f: c["split"] for c in data["companies"].values() for f in c["files"]}


def load_expected(corpus: Path = CORPUS) -> dict[str, Expected]:
    rows = [json.loads(line) for line in (corpus / "expected.jsonl").read_text(encoding="utf-8").splitlines()]
    return {
        r["doc_id"]: Expected(r["doc_id"], r["provider"], r["entity"], tuple(r["aliases"]), tuple(r["facts"]))
        for r in rows
        if r
    }


def load_goldens(corpus: Path = CORPUS) -> list[dict[str, str]]:
    path = corpus / "clause_goldens.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _depth(clause_id: str) -> int:
    return len([p for p in clause_id.split("~")[0].replace(".", " ").split() if p])


def structure(clauses: Sequence[Clause], text: str) -> dict[str, Any]:
    """Clause count, deepest level, and how much of the body the numbering holds: the share of non-blank
    display characters (markup removed, the title line excluded) that are not in un-numbered preamble
    clauses, over the whole text (``coverage_all``) and after the first numbered clause (``coverage_body``,
    which forgives a real preface before the numbering)."""

    def size(words: str) -> int:
        return len("".join(strip_markup(words).split()))

    numbered = [c for c in clauses if c.kind == "clause"]
    title = sum(size(c.text) for c in clauses if c.kind == "title")
    first = min((c.start for c in numbered), default=len(text))
    preamble = [c for c in clauses if c.kind == "preamble"]
    everything = size(text) - title
    after = size(text[first:])
    late = sum(size(c.text) for c in preamble if c.start >= first)
    return {
        "clauses": len(numbered),
        "depth": max((_depth(c.clause_id) for c in numbered), default=0),
        "coverage_body": round(1 - late / after, 3) if after else 0.0,
        "coverage_all": round(1 - sum(size(c.text) for c in preamble) / everything, 3) if everything else 0.0,
    }


def golden_hits(clauses: Sequence[Clause], goldens: Sequence[dict[str, str]]) -> tuple[int, list[str]]:
    """Goldens whose clause id exists with exactly that text (or starting with it, for a "prefix")."""
    by_id = {c.clause_id: c for c in clauses}
    misses = []
    for g in goldens:
        clause = by_id.get(g["clause_id"])
        ours = "".join(strip_markup(clause.text).split()) if clause else None
        gold = "".join(strip_markup(g["text"]).split())
        prefix = g.get("note", "").startswith("prefix")
        if ours is None or not (ours.startswith(gold) if prefix else ours == gold):
            misses.append(g["clause_id"])
    return len(goldens) - len(misses), misses


def load_values(corpus: Path = CORPUS) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Normalised gold values (facts_values.jsonl, written by hand): (doc id, attribute, quote) → value."""
    path = corpus / "facts_values.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(r["doc_id"], r["attribute"], r["quote"]): r for r in rows}


def _overlaps(fact: Fact, start: int, end: int) -> bool:
    return fact.citation.start < end and start < fact.citation.end


def value_agrees(fact: Fact, gold: dict[str, Any] | None) -> bool:
    """Our value in the gold's normalised form: numbers equal (None ↔ null: stated without a figure),
    court vs arbitration, the party, yes/no, the kind of liability cap."""
    if gold is None:  # no hand-normalised value (SLA tiers, refunds): the cited words decide
        return True
    kind, want, ours = gold["type"], gold["value"], fact.value
    if kind in ("duration", "rate_per_day"):
        if want is None or ours is None:
            return want is None and ours is None
        return isinstance(ours, int | float) and abs(float(ours) - float(want)) < 1e-6
    if kind == "place":
        return isinstance(ours, str) and ours.startswith(str(want))
    if kind == "enum":
        shown = "金额" if isinstance(ours, str) and ours.endswith(" 元") else ours
        return shown == want
    return bool(ours == want)


#: A fact the gold does not list, judged by hand from the contract (``judged_facts.jsonl``): the key is
#: (doc id, attribute, clause id, the value as shown); a verdict is correct, correct_narrow or wrong.
JudgedKey = tuple[str, str, str, str]
GOOD_VERDICTS = ("correct", "correct_narrow")


def judged_key(fact: Fact) -> JudgedKey:
    return (fact.citation.doc_id, fact.attribute, fact.citation.clause_id, fact.display)


def load_judged(corpus: Path = CORPUS) -> dict[JudgedKey, dict[str, Any]]:
    path = corpus / "judged_facts.jsonl"
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(r["doc_id"], r["attribute"], r["clause_id"], r["value_shown"]): r for r in rows}


def fact_scores(
    facts: Sequence[Fact],
    expected: Expected,
    text: str,
    values: dict[tuple[str, str, str], dict[str, Any]],
    judged: dict[JudgedKey, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Recall over expected facts of catalog attributes (attribute, value and a citation overlapping the
    quote all right); precision over our facts of the attributes the gold lists for this document, strict
    (a fact the gold does not list is wrong) and judged (such a fact counts when a hand judgment in
    ``judged_facts.jsonl`` says it is correct; a fact nobody judged yet counts as wrong)."""
    judged = judged or {}
    gold = [
        (
            ATTRIBUTE_MAP[f["attribute"]],
            text.find(f["quote"]),
            f["quote"],
            values.get((expected.doc_id, f["attribute"], f["quote"])),
        )
        for f in expected.facts
        if f["attribute"] in ATTRIBUTE_MAP
    ]
    spans = [(a, s, s + len(q), v) for a, s, q, v in gold if s >= 0]

    def right(f: Fact) -> bool:
        return any(f.attribute in a and _overlaps(f, s, e) and value_agrees(f, v) for a, s, e, v in spans)

    found = sum(
        any(f.attribute in a and _overlaps(f, s, e) and value_agrees(f, v) for f in facts)
        for a, s, e, v in spans
    )
    located = sum(any(f.attribute in a and _overlaps(f, s, e) for f in facts) for a, s, e, _ in spans)
    asked = {k for a, _, _, _ in spans for k in a}
    ours = [f for f in facts if f.attribute in asked]
    other = sum(1 for f in expected.facts if f["attribute"] not in ATTRIBUTE_MAP)
    extras = [f for f in ours if not right(f)]
    verdicts = [judged.get(judged_key(f), {}).get("verdict") for f in extras]
    return {
        "gold": len(spans),
        "found": found,
        "located": located,
        "ours": len(ours),
        "right": sum(right(f) for f in ours),
        "judged_right": sum(right(f) for f in ours) + sum(v in GOOD_VERDICTS for v in verdicts),
        "unjudged": sum(v is None for v in verdicts),
        "extras": [
            {
                "doc_id": f.citation.doc_id,
                "attribute": f.attribute,
                "label": f.label,
                "clause_id": f.citation.clause_id,
                "value_shown": f.display,
                "sentence": f.citation.text,
                "verdict": v,
            }
            for f, v in zip(extras, verdicts, strict=True)
        ],
        "other_gold": other,
    }


def wilson(k: int, n: int) -> tuple[float, float]:
    """95 % Wilson interval of k successes in n."""
    if n == 0:
        return (0.0, 1.0)
    z, p = 1.96, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (round(max(0.0, centre - half), 3), round(min(1.0, centre + half), 3))


def read_corpus(corpus: Path = CORPUS) -> list[dict[str, Any]]:
    loaded: Corpus = build_corpus(corpus / "contracts")
    table = build_table(loaded.clauses, loaded.documents, loaded.providers)
    split, expected, goldens = load_split(corpus), load_expected(corpus), load_goldens(corpus)
    values, judged = load_values(corpus), load_judged(corpus)
    rows = []
    for doc_id, exp in sorted(expected.items(), key=lambda kv: (split[kv[0]], kv[0])):
        provider, seg = loaded.providers[doc_id], loaded.segmentations[doc_id]
        text = loaded.documents[doc_id].text
        names = set(provider.names)
        mine = [g for g in goldens if g["doc_id"] == doc_id]
        hit, misses = golden_hits(seg.clauses, mine)
        facts = [f for f in table.facts if f.citation.doc_id == doc_id]
        rows.append(
            {
                "doc_id": doc_id,
                "split": split[doc_id],
                "provider": provider.name,
                "expected_provider": exp.provider,
                "name_ok": provider.name == exp.provider,
                "entity_ok": provider.entity == exp.entity,
                "aliases_found": sum(a in names for a in exp.aliases),
                "aliases": len(exp.aliases),
                **structure(seg.clauses, text),
                "goldens_ok": hit,
                "goldens": len(mine),
                "golden_misses": misses,
                **fact_scores(facts, exp, text, values, judged),
            }
        )
    return rows


def totals(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    gold, found = sum(r["gold"] for r in rows), sum(r["found"] for r in rows)
    ours, right = sum(r["ours"] for r in rows), sum(r["right"] for r in rows)
    judged = sum(r["judged_right"] for r in rows)
    goldens, goldens_ok = sum(r["goldens"] for r in rows), sum(r["goldens_ok"] for r in rows)
    return {
        "contracts": n,
        "provider_right": sum(r["name_ok"] and r["entity_ok"] for r in rows),
        "aliases": f"{sum(r['aliases_found'] for r in rows)}/{sum(r['aliases'] for r in rows)}",
        "coverage_min": min((r["coverage_all"] for r in rows), default=0.0),
        "goldens": f"{goldens_ok}/{goldens}",
        "fact_recall": f"{found}/{gold} = {found / gold:.2f} {wilson(found, gold)}" if gold else "-",
        "located": f"{sum(r['located'] for r in rows)}/{gold}",
        "fact_precision": f"{right}/{ours} = {right / ours:.2f} {wilson(right, ours)}" if ours else "-",
        "judged_precision": f"{judged}/{ours} = {judged / ours:.2f} {wilson(judged, ours)}" if ours else "-",
        "unjudged": sum(r["unjudged"] for r in rows),
        "other_gold_facts": sum(r["other_gold"] for r in rows),
    }


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    print(
        "| split | contract | provider (expected) | name | entity | aliases | clauses | depth "
        "| coverage body/all | goldens | facts found | facts right |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        shown = r["provider"] if r["name_ok"] else f"{r['provider']} ({r['expected_provider']})"
        print(
            f"| {r['split']} | {r['doc_id']} | {shown} | {'✓' if r['name_ok'] else '✗'} "
            f"| {'✓' if r['entity_ok'] else '✗'} | {r['aliases_found']}/{r['aliases']} | {r['clauses']} "
            f"| {r['depth']} | {r['coverage_body']:.2f}/{r['coverage_all']:.2f} "
            f"| {r['goldens_ok']}/{r['goldens']} | {r['found']}/{r['gold']} | {r['right']}/{r['ours']} |"
        )
    print()
    for split in ("dev", "heldout"):
        part = [r for r in rows if r["split"] == split]
        print(f"{split}: " + ", ".join(f"{k} {v}" for k, v in totals(part).items()))


def check(rows: Sequence[dict[str, Any]], floors: dict[str, float]) -> bool:
    """OK / FAIL per floor on the dev split; True when nothing fell below its floor."""
    dev = [r for r in rows if r["split"] == "dev"]
    gold, ours = sum(r["gold"] for r in dev), sum(r["ours"] for r in dev)
    measured = {
        "provider_right": sum(r["name_ok"] and r["entity_ok"] for r in dev),
        "goldens_ok": sum(r["goldens_ok"] for r in dev),
        "aliases_found": sum(r["aliases_found"] for r in dev),
        "coverage_min": min((r["coverage_all"] for r in dev), default=0.0),
        "fact_recall": sum(r["found"] for r in dev) / gold if gold else 0.0,
        "fact_precision": sum(r["right"] for r in dev) / ours if ours else 0.0,
        "judged_precision": sum(r["judged_right"] for r in dev) / ours if ours else 0.0,
    }
    ok = True
    for name, floor in floors.items():
        if name.startswith("_"):
            continue
        good = measured[name] >= floor - 1e-9
        ok &= good
        print(f"{'OK  ' if good else 'FAIL'}  reading/dev/{name}: {measured[name]:.3f} (expected ≥ {floor})")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="evals.reading", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--extras",
        type=Path,
        help="write the facts the gold does not list and nobody judged yet (JSON lines) for judging by hand",
    )
    args = parser.parse_args(argv)
    rows = read_corpus(args.corpus)
    if args.extras:
        todo = [e | {"split": r["split"]} for r in rows for e in r["extras"] if e["verdict"] is None]
        args.extras.parent.mkdir(parents=True, exist_ok=True)
        args.extras.write_text(
            "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in todo), encoding="utf-8"
        )
        print(f"wrote {len(todo)} unjudged facts to {args.extras}")
    print_table(rows)
    report = {
        "rows": rows,
        "totals": {s: totals([r for r in rows if r["split"] == s]) for s in ("dev", "heldout")},
    }
    write_report(args.out, report)
    floors = json.loads((args.corpus / "expected_reading.json").read_text(encoding="utf-8"))
    return 0 if check(rows, floors) else 1


if __name__ == "__main__":
    raise SystemExit(main())
