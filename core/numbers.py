"""Chinese numerals and quantities as numbers: 五日, 二十万元, 30 个自然日, 15个工作日, 72 小时, 万分之五,
0.3%, 25%, 100倍, 7*24, 一个月.

Every parser returns None when the text does not state the quantity: a value the contract does not give is
never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
#: The one Chinese-numeral character class: clause numbers (十三、, 第二十三条) use ``CN_DIGITS``;
#: quantities (二十万元) may also use 万 and 亿.
CN_DIGITS = "零〇一二三四五六七八九十百千两"
CN_NUM = CN_DIGITS + "万亿"
NUMBER = rf"(?:\d+(?:\.\d+)?|[{CN_NUM}]+)"


def parse_number(text: str) -> float | None:
    """``30`` → 30, ``0.3`` → 0.3, ``二十`` → 20, ``二十万`` → 200000, ``一百零五`` → 105; None otherwise."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[ch]
            digit = None
        elif ch in _BIG_UNITS:
            total = (total + section + (digit or 0)) * _BIG_UNITS[ch]
            section, digit = 0, None
        else:
            return None
    return float(total + section + (digit or 0))


def cn_to_int(text: str) -> int | None:
    """Value of a Chinese or Arabic numeral such as ``十一``, ``二十三``, ``105``; None if not a numeral."""
    if not ((text.isascii() and text.isdigit()) or (text and all(ch in CN_DIGITS for ch in text))):
        return None
    value = parse_number(text)
    return int(value) if value is not None else None


#: Days per unit. Working days are kept as working days (a unit of their own), never converted.
DAY_UNITS = {
    "自然日": 1.0,
    "日历日": 1.0,
    "日": 1.0,
    "天": 1.0,
    "周": 7.0,
    "星期": 7.0,
    "个月": 30.0,
    "月": 30.0,
    "年": 365.0,
}
HOUR_UNITS = {"小时": 1.0, "个小时": 1.0}


@dataclass(frozen=True, slots=True)
class Quantity:
    value: float
    unit: str  # "天", "工作日", "小时", "%/日", "%", "倍", "元"
    text: str  # the words as written, e.g. "30 个自然日"

    def show(self) -> str:
        number = f"{self.value:g}"
        return {"%/日": f"每日 {number}%", "%": f"{number}%", "倍": f"{number} 倍"}.get(
            self.unit, f"{number} {self.unit}"
        )


#: A number may be restated in digits in parentheses, as bilingual contracts write it: 九十 (90) 天,
#: 三十（30）日.
_DURATION = re.compile(
    rf"({NUMBER})\s*(?:[（(]\s*\d+\s*[）)])?\s*(个)?\s*(自然日|日历日|工作日|小时|周|星期|个月|月|年|日|天)"
)
_RATE_FRACTION = re.compile(rf"(百|千|万)分之([{CN_DIGITS}\d.]+)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")
_PER_MILLE = re.compile(r"(\d+(?:\.\d+)?)\s*(‰|‱)")
_MULTIPLE = re.compile(rf"({NUMBER})\s*倍")
_MONEY = re.compile(rf"({NUMBER})\s*(万)?\s*元")
_HOURS_PER_WEEK = re.compile(r"(\d{1,2})\s*[*×xX╳✕]\s*(\d{1,2})")
# 7×24 worked out as a number of hours (7日（7×24即168个小时）): a duration restated, not service hours.
_HOURS_RESTATED = re.compile(r"\s*(?:即|=|＝|共计?|合计)\s*\d+\s*(?:个)?(?:小时|h\b)")


def durations(text: str) -> list[Quantity]:
    """Every duration in ``text``: days (自然日, 日, 天, 月 …), working days, or hours."""
    out: list[Quantity] = []
    for m in _DURATION.finditer(text):
        number, unit = parse_number(m.group(1)), m.group(3)
        if number is None:
            continue
        if unit == "工作日":
            out.append(Quantity(number, "工作日", m.group(0)))
        elif unit == "小时":
            out.append(Quantity(number, "小时", m.group(0)))
        else:
            key = "个月" if unit == "月" and m.group(2) else unit
            out.append(Quantity(number * DAY_UNITS[key], "天", m.group(0)))
    return out


_SHORT_SPAN = re.compile(
    rf"(?:{NUMBER})\s*(?:[（(]\s*\d+\s*[）)])?\s*(?:分钟|秒钟|秒)|半(?:个)?(?:小时|天|日|月|年)"
)


def time_spans(text: str) -> list[str]:
    """Every length of time ``text`` states, as written: the durations of :func:`durations` and the short
    ones no fact is read in (一分钟内, 十分钟后, 半小时) — what a question asking 多久 is answered by."""
    return [d.text for d in durations(text)] + [m.group(0) for m in _SHORT_SPAN.finditer(text)]


def rates(text: str) -> list[Quantity]:
    """Rates as percentages, in the order the text states them: 万分之五 → 0.05, 千分之一 → 0.1, 1‰ → 0.1,
    0.3% → 0.3."""
    found: list[tuple[int, Quantity]] = []
    for m in _RATE_FRACTION.finditer(text):
        number = parse_number(m.group(2))
        if number is not None:
            scale = {"百": 1.0, "千": 0.1, "万": 0.01}[m.group(1)]
            found.append((m.start(), Quantity(number * scale, "%", m.group(0))))
    for m in _PERCENT.finditer(text):
        found.append((m.start(), Quantity(float(m.group(1)), "%", m.group(0))))
    for m in _PER_MILLE.finditer(text):
        scale = 0.1 if m.group(2) == "‰" else 0.01
        found.append((m.start(), Quantity(float(m.group(1)) * scale, "%", m.group(0))))
    return [q for _, q in sorted(found, key=lambda pair: pair[0])]


def multiples(text: str) -> list[Quantity]:
    out = []
    for m in _MULTIPLE.finditer(text):
        number = parse_number(m.group(1))
        if number is not None:
            out.append(Quantity(number, "倍", m.group(0)))
    return out


def money(text: str) -> list[Quantity]:
    out = []
    for m in _MONEY.finditer(text):
        number = parse_number(m.group(1))
        if number is not None:
            out.append(Quantity(number * (10_000 if m.group(2) else 1), "元", m.group(0)))
    return out


def service_hours(text: str) -> str | None:
    """``7*24`` / ``7×24`` → "7×24"; not a duration worked out in hours (``7日（7×24即168个小时）``)."""
    for m in _HOURS_PER_WEEK.finditer(text):
        if int(m.group(1)) <= 7 and int(m.group(2)) <= 24 and not _HOURS_RESTATED.match(text, m.end()):
            return f"{m.group(1)}×{m.group(2)}"
    return None
