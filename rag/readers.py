"""Generic value readers, one per kind of value (not one per attribute): a catalog reader names its kind
and gives the pattern that locates the value, and the reader parses it with :mod:`core.numbers`.

Every reader returns ``(value, display, wording, qualifier)`` tuples; ``wording`` is the decisive words as
written, which must occur inside the cited sentence. A reader that does not find its value returns nothing:
a value the contract does not state is never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.numbers import Quantity, cn_to_int, durations, money, multiples, parse_number, rates, service_hours
from rag.catalog import Reader

Extracted = tuple[Any, str, str, str]  # value, display, wording, qualifier
_SEGMENTS = re.compile(r"[,，;；]|并于|并在")
_LIST_SEPARATORS = re.compile(r"[、,，]")
_HOURS_WHAT = re.compile(r"\d\s*[*×xX╳✕]\s*\d+\s*(小时)?(的)?([^，。；]{0,12})")
_HOURS_RAW = re.compile(r"\d\s*[*×xX╳✕]\s*\d+")


@dataclass(frozen=True, slots=True)
class Text:
    """What a reader sees of a sentence: its words, and how to replace 本公司 with the provider's name."""

    plain: str
    provider: str
    generic_self: tuple[str, ...]


def _number(value: float) -> str:
    return f"{value:g}"


def _fill(template: str, **values: Any) -> str:
    shown = {k: _number(v) if isinstance(v, float) else v for k, v in values.items()}
    return template.format_map(_Missing(shown))


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _value(reader: Reader, default: Any, **values: Any) -> Any:
    if reader.value is None:
        return default
    return _fill(reader.value, **values) if isinstance(reader.value, str) else reader.value


def read_const(reader: Reader, text: Text) -> list[Extracted]:
    m = reader.pattern.search(text.plain) if reader.pattern else None
    if reader.pattern and not m:
        return []
    wording = reader.option("wording") or (m.group(0) if m else "")
    if reader.option("unless_durations") and any(d.unit in ("天", "工作日") for d in durations(text.plain)):
        return []
    unless_wording, need = reader.option("unless_wording"), reader.option("unless_wording_need")
    if unless_wording and re.search(unless_wording, wording) and not re.search(need or "$^", text.plain):
        return []
    value = reader.value
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return [(value, _fill(reader.display, text=wording), wording, "")]


def _durations(reader: Reader, words: str) -> list[Quantity]:
    units = reader.option("units")
    return [d for d in durations(words) if not units or d.unit in units]


def _duration_fact(reader: Reader, d: Quantity, wording: str) -> Extracted:
    value_units = reader.option("value_units")
    value = d.value if not value_units or d.unit in value_units else None
    if d.unit == "小时" and reader.option("hours_as_days"):  # 24小时届满 → 1 day, in the attribute's unit
        value = d.value / 24
    return (value, _fill(reader.display, text=d.text, value=d.value), wording, "")


def read_duration(reader: Reader, text: Text) -> list[Extracted]:
    if reader.option("segments"):
        return _segment_durations(reader, text.plain)
    if reader.pattern:
        m = reader.pattern.search(text.plain)
        found = durations(m.group(0)) if m else []
        return [_duration_fact(reader, found[0], m.group(0))] if m and found else []
    found = _durations(reader, text.plain)
    return [_duration_fact(reader, found[0], found[0].text)] if found else []


def _segment_durations(reader: Reader, plain: str) -> list[Extracted]:
    """Per comma segment: a deadline and the words that say what is due (its own, or the next segment's)."""
    cue, then = reader.option("segment_cue", "."), reader.option("segment_then", ".")
    then_not = reader.option("segment_then_not")
    segments = _SEGMENTS.split(plain)
    out = []
    for i, segment in enumerate(segments):
        following = segments[i + 1] if i + 1 < len(segments) else ""
        for d in _durations(reader, segment):
            words = next((w for w in (segment, following) if re.search(cue, w)), "")
            if not words or not re.search(then, words) or (then_not and re.search(then_not, words)):
                continue
            out.append(_duration_fact(reader, d, d.text))
    return out


def read_rate(reader: Reader, text: Text) -> list[Extracted]:
    found = rates(text.plain)
    if not found:
        return []
    r = found[0]
    per_day = re.search(reader.option("per_day", "$^"), text.plain) is not None
    display = reader.display if per_day else reader.option("display_not_per_day", reader.display)
    return [(r.value if per_day else None, _fill(display, value=r.value, text=r.text), r.text, "")]


def read_money(reader: Reader, text: Text) -> list[Extracted]:
    found = money(text.plain)
    if not found:
        return []
    m = found[0]
    return [
        (
            _value(reader, m.value, value=m.value),
            _fill(reader.display, value=m.value, text=m.text),
            m.text,
            "",
        )
    ]


def read_multiple(reader: Reader, text: Text) -> list[Extracted]:
    parts = re.split(r"[,，;；]", text.plain) if reader.option("segments") else [text.plain]
    before = reader.option("qualifier_before")
    out = []
    for part in parts:
        for m in multiples(part):
            qualifier = part.split(before, 1)[0].strip() if before and before in part else ""
            qualifier = "" if len(qualifier) > 8 else qualifier
            template = reader.option("display_qualified", reader.display) if qualifier else reader.display
            out.append(
                (m.value, _fill(template, value=m.value, qualifier=qualifier, text=m.text), m.text, qualifier)
            )
    return out


def read_percent(reader: Reader, text: Text) -> list[Extracted]:
    """A percentage: the pattern's group ``v`` when there is a pattern (its group ``q``, if any, says what
    it holds for: a table row's label), else the first one stated."""
    if reader.pattern:
        m = reader.pattern.search(text.plain)
        if not m:
            return []
        value, wording, label = float(m.group("v")), m.group(0), (m.groupdict().get("q") or "").strip()
        return [(value, _fill(reader.display, value=value, text=wording, q=label), wording, label)]
    found = [r for r in rates(text.plain) if r.text.rstrip().endswith(("%", "％"))]
    if not found:
        return []
    r = found[0]
    return [(r.value, _fill(reader.display, value=r.value, text=r.text), r.text, "")]


_BELOW = re.compile(r"(?:低于|小于|不足|<|＜)\s*(\d+(?:\.\d+)?)\s*[%％]")
_ABOVE = re.compile(
    r"(?:等于或高于|高于或等于|大于或等于|大于等于|不低于|高于|大于|≥|>=|>|＞)\s*(\d+(?:\.\d+)?)\s*[%％]"
)
_ANY_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")


def read_tier(reader: Reader, text: Text) -> list[Extracted]:
    """A tier row such as 低于99%但等于或高于95% | 月度服务费的20%: the range it covers (qualifier) and the
    compensation (value), the percentage stated after the range that bounds none of it."""
    below, above = _BELOW.search(text.plain), _ABOVE.search(text.plain)
    if not below and not above:
        return []
    bounds = [m for m in (below, above) if m]
    end = max(m.end() for m in bounds)
    after = [m for m in _ANY_PERCENT.finditer(text.plain, end)]
    if not after:
        return []
    share = after[-1]
    low = f"{above.group(1)}%" if above else ""
    high = f"{below.group(1)}%" if below else ""
    span = f" {low}–{high}" if low and high else (f" 低于 {high}" if high else f" 不低于 {low}")
    value = float(share.group(1))
    wording = text.plain[min(m.start() for m in bounds) : share.end()]
    return [(value, _fill(reader.display, value=value, range=span), wording, span.strip())]


def _as_provider(shown: str, text: Text) -> str:
    for name in text.generic_self:  # 我公司所在地 → the provider's own name
        shown = shown.replace(name, text.provider)
    return shown


def read_capture(reader: Reader, text: Text) -> list[Extracted]:
    m = reader.pattern.search(text.plain) if reader.pattern else None
    if not m:
        return []
    v = m.group("v")
    number = cn_to_int(v)  # a count in Chinese numerals shown in digits, as answers compare them (十二 → 12)
    v = str(number) if number is not None and not v.isascii() else v
    cls = next((c for pattern, c in reader.option("classes", []) if re.search(pattern, v)), "")
    shown = _as_provider(v, text) if reader.option("self_to_provider") else v
    wording = m.group(reader.option("wording_group", 0))
    values = {"v": shown, "class": cls}
    return [(_value(reader, shown, **values), _fill(reader.display, **values), wording, "")]


def read_list(reader: Reader, text: Text) -> list[Extracted]:
    m = reader.pattern.search(text.plain) if reader.pattern else None
    if not m:
        return []
    items = [i.strip() for i in _LIST_SEPARATORS.split(m.group("v")) if i.strip()]
    return [("、".join(items), "、".join(items), m.group("v"), "")]


def read_list_all(reader: Reader, text: Text) -> list[Extracted]:
    found = [m.group("v") for m in reader.pattern.finditer(text.plain)] if reader.pattern else []
    if not found:
        return []
    items = [w.removeprefix(reader.option("strip", "")) for w in found]
    return [("、".join(items), "、".join(items), found[0], "")]


def read_ratio(reader: Reader, text: Text) -> list[Extracted]:
    """``{v}`` units per ``{per}`` of the first duration in ``per`` units (延长 5 小时 per 1 小时 down)."""
    per = [d for d in durations(text.plain) if d.unit == reader.option("per")]
    m = reader.pattern.search(text.plain) if reader.pattern else None
    if not (m and per):
        return []
    amount = parse_number(m.group("v")) or 0.0
    ratio = amount / per[0].value if per[0].value else None
    return [(ratio, _fill(reader.display, per=per[0].value, v=amount), m.group(0), "")]


def read_hours(reader: Reader, text: Text) -> list[Extracted]:
    hours = service_hours(text.plain)
    if not hours:
        return []
    what = _HOURS_WHAT.search(text.plain)
    shown = f"{hours} {what.group(3).strip()}" if what and what.group(3) else hours
    raw = _HOURS_RAW.search(text.plain)
    return [(hours, shown.strip(), raw.group(0) if raw else hours, "")]


READERS: dict[str, Callable[[Reader, Text], list[Extracted]]] = {
    "const": read_const,
    "duration": read_duration,
    "rate": read_rate,
    "money": read_money,
    "multiple": read_multiple,
    "percent": read_percent,
    "capture": read_capture,
    "list": read_list,
    "list_all": read_list_all,
    "ratio": read_ratio,
    "hours": read_hours,
    "tier": read_tier,
}


def in_tier(qualifier: str, values: Sequence[float]) -> bool | None:
    """Whether an SLA tier (``95%–99%``, ``低于 95%``, ``不低于 99%``) holds one of ``values``; None when the
    qualifier is no tier."""
    bounds = re.fullmatch(r"(?:(低于|不低于) )?([\d.]+)%(?:–([\d.]+)%)?", qualifier)
    if bounds is None:
        return None
    word, first, second = bounds.groups()
    low, high = float(first), float(second) if second else None
    if high is not None:
        return any(low <= v < high for v in values)
    return any((v < low) if word == "低于" else (v >= low) for v in values)
