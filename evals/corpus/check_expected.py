"""Checks expected.jsonl against the contract files in this folder.

For every record: the file exists, is UTF-8, every attribute is a known one (or `other:<name>`), there are
at most 6 facts, and every quote occurs exactly once in its file (str.count on the raw text, no
normalisation). Prints a summary; exits 1 if anything fails.  Run: python3 check_expected.py"""

import collections
import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
KNOWN = {
    "data_retention_after_termination",
    "late_fee_per_day",
    "sla_compensation",
    "liability_cap",
    "dispute_resolution",
    "notice_before_change",
    "refund",
    "account_freeze_grace",
    "force_majeure_notice",
    "invoice_deadline",
    "backup_duty",
    "confidentiality_survives",
}
MIN_CJK = 4000


def main():
    problems: list[str] = []
    attrs: collections.Counter[str] = collections.Counter()
    n_facts = 0
    records = [
        json.loads(line)
        for line in (HERE / "expected.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    seen = set()
    print(f"{'doc_id':45s} {'chars':>6s} {'CJK':>6s} facts provider")
    for rec in records:
        doc = rec["doc_id"]
        if doc in seen:
            problems.append(f"{doc}: duplicate record")
        seen.add(doc)
        path = HERE / "contracts" / doc
        if not path.is_file():
            problems.append(f"{doc}: file missing")
            continue
        text = path.read_bytes().decode("utf-8")  # raises on invalid UTF-8
        cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
        facts = rec.get("facts", [])
        for key in ("provider", "entity", "aliases"):
            if key not in rec:
                problems.append(f"{doc}: missing {key}")
        if len(facts) > 6:
            problems.append(f"{doc}: {len(facts)} facts (max 6)")
        for f in facts:
            n_facts += 1
            a = f["attribute"]
            attrs[a] += 1
            if a not in KNOWN and not re.fullmatch(r"other:[a-z_]+", a):
                problems.append(f"{doc}: unknown attribute {a!r}")
            if not f.get("value"):
                problems.append(f"{doc}: empty value for {a}")
            c = text.count(f["quote"])
            if c != 1:
                problems.append(f"{doc}: quote for {a} occurs {c} times: {f['quote'][:40]!r}")
        note = "" if cjk >= MIN_CJK else f"  (below {MIN_CJK} CJK)"
        print(f"{doc:45s} {len(text):6d} {cjk:6d} {len(facts):5d} {rec['provider']}{note}")
    files = {p.name for p in HERE.iterdir() if p.suffix in (".md", ".txt") and p.name != "SOURCES.md"}
    for missing in sorted(files - seen):
        problems.append(f"{missing}: contract file without a record in expected.jsonl")
    print(
        f"\n{len(records)} documents, {n_facts} facts, {len(set(r['provider'] for r in records))} providers"
    )
    print("facts by attribute: " + ", ".join(f"{k}={v}" for k, v in sorted(attrs.items())))
    if problems:
        print(f"\nFAIL: {len(problems)} problem(s)")
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print("OK: every quote occurs exactly once in its file")


if __name__ == "__main__":
    main()
