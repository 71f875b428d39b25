"""Qualifiers of a fact, read from the same sentence and the list lead-in above it: conditions (若…的,
如…), exceptions (除…外, 但…除外), negations (不予, 无需) and an exempting lead-in (下述情况不属于违约：).

They travel with the fact (``Fact.qualifiers``) so that an answer can say 是 / 否 / 视情况 and quote the
condition; the words are data in ``rag/qualifiers.toml``.
"""

from __future__ import annotations

import re
import tomllib
from importlib.resources import files

_DATA = tomllib.loads((files("rag") / "qualifiers.toml").read_text(encoding="utf-8"))
_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    kind: tuple(re.compile(p) for p in patterns) for kind, patterns in _DATA.items()
}
LABELS = {"condition": "条件", "exception": "例外", "negation": "否定", "exempting_lead_in": "免责情形"}


CONDITION = LABELS["condition"] + "："


def qualifiers(sentence: str, lead_in: str = "") -> tuple[str, ...]:
    """``条件：如为按量付费服务`` …: every qualifier the sentence (and its list lead-in) states, in order."""
    found: list[str] = []
    for kind, patterns in _PATTERNS.items():
        text = lead_in if kind == "exempting_lead_in" else sentence
        for pattern in patterns:
            m = pattern.search(text) if text else None
            if m:
                found.append(f"{LABELS[kind]}：{m.group(0).strip()}")
                break
    return tuple(found)
