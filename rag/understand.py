"""Reading a question: normalised text, the providers it names (typos and Latin case forgiven), what it asks
about, how (intent), and what a follow-up inherits from the conversation. The words are data
(``rag/questions.toml`` and the attribute catalog); the functions are generic.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib.resources import files
from typing import Any

from core.numbers import money, rates, time_spans
from core.records import Hit, Provider
from rag.catalog import ATTRIBUTES
from rag.names import providers_named
from rag.retrieve import provider_names_in, without_names

_DATA: dict[str, Any] = tomllib.loads((files("rag") / "questions.toml").read_text(encoding="utf-8"))
OTHER_PROVIDERS: tuple[str, ...] = tuple(_DATA["other_providers"])
QUESTION_FILLER = frozenset(_DATA["filler"])
TOPIC_NEEDS: dict[str, str] = dict(_DATA["topic_needs"])
_INTENT: dict[str, re.Pattern[str]] = {k: re.compile(v) for k, v in _DATA["intent"].items()}
_FOLLOW_OPENER = re.compile(_DATA["followup"]["opener"])
_FOLLOW_CLOSER = re.compile(_DATA["followup"]["closer"])
_FOLLOW_MAX = int(_DATA["followup"]["max_chars"])
_VERDICT = {k: re.compile(v) for k, v in _DATA["verdict"].items()}
_IDENTITY = re.compile(_DATA["identity"])


def asks_identity(question: str) -> bool:
    """The question asks who the provider is (运营主体, 哪家公司): the contracting company."""
    return bool(_IDENTITY.search(question))


@lru_cache(maxsize=1)
def _to_simplified() -> Any:
    """OpenCC's character-level 繁→简 converter (t2s): it changes script, never vocabulary (資料 → 资料)."""
    import opencc

    return opencc.OpenCC("t2s")


def strip_invisible(text: str) -> str:
    """``text`` without what cannot be seen but splits words: control characters other than whitespace
    (NUL, BEL, DEL …), format characters (zero-width space and joiners, soft hyphen, BOM, bidi marks) and
    lone surrogates."""
    return "".join(
        ch for ch in text if ch in _WHITESPACE or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )


_WHITESPACE = frozenset(" \t\n\r\v\f")


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), invisible characters removed, 繁體 → 简体, whitespace collapsed."""
    text = strip_invisible(unicodedata.normalize("NFKC", text))
    text = _to_simplified().convert(text)
    return " ".join(text.split())


def verdict(sentence: str) -> str:
    """是 / 否 / 视情况 from the words that decide a yes/no question in a contract sentence."""
    if _VERDICT["conditional"].search(sentence):
        return "视情况"
    negative = _VERDICT["negative"].search(sentence) is not None
    positive = _VERDICT["positive"].search(_VERDICT["negative"].sub("", sentence)) is not None
    if negative and not positive:
        return "否"
    if positive and not negative:
        return "是"
    return "视情况"


@dataclass(frozen=True, slots=True)
class Analysis:
    providers: tuple[str, ...]  # providers of the corpus the question names
    unknown_providers: tuple[str, ...]  # providers it names that the corpus does not have
    topic: str | None
    attributes: tuple[str, ...]
    intent: str  # lookup, superlative, listing, yes_no, open, out_of_scope
    direction: str | None = None  # "max" or "min" for superlatives
    read_as: str = ""  # how a follow-up was read, e.g. 按上一问：逾期付款滞纳金（每日）
    scope: str = ""  # where the providers came from: question, history, filter
    documents: tuple[str, ...] = ()  # contracts the question singles out among a provider's several


DEFINITION = re.compile(_DATA["definition"]["clause"])
ASKS_DEFINITION = re.compile(_DATA["definition"]["asked"])
_ASKS = {k: re.compile(v) for k, v in _DATA["asks"].items() if k != "asking"}
_ASKING = re.compile(_DATA["asks"]["asking"])
_ASKS_TYPES: dict[str, list[str]] = dict(_DATA["asks_types"])
#: Finders of a value of a catalog type in a text (a clause stating what a question asks for).
VALUE_FINDERS = {"duration": time_spans, "rate_per_day": rates, "percentage": rates, "money": money}


def _split_said(word: str, question: str) -> bool:
    """A four-or-more-character Chinese question word said with a few characters inside it (数据还能保存 says
    数据保存, 数据会被删除 says 数据删除): its two halves in order, at most four Chinese characters apart."""
    if len(word) < 4 or not all("\u4e00" <= ch <= "\u9fff" for ch in word):
        return False
    half = len(word) // 2
    return (
        re.search(re.escape(word[:half]) + "[\u4e00-\u9fff]{0,4}?" + re.escape(word[half:]), question)
        is not None
    )


def asked_types(question: str) -> set[str]:
    """The catalog value types that answer what the question asks for (多久 → duration, 怎么算 → rate)."""
    return {t for kind, p in _ASKS.items() if p.search(question) for t in _ASKS_TYPES[kind]}


def states_value(types: Collection[str], text: str) -> bool:
    """Whether ``text`` states a value of one of these catalog value types (a duration, a rate, money)."""
    return any(VALUE_FINDERS[t](text) for t in types if t in VALUE_FINDERS)


def gives_asked_first(question: str, strong: list[Hit], cover: dict[int, float], margin: float) -> list[Hit]:
    """A question asking for a kind of value (提前几天 → a duration) is answered first by a clause that
    states one, when the first candidate states none and that clause's coverage (``cover`` by ``id``) is
    within ``margin`` of the first's."""
    asked = asked_types(question)
    if not asked & VALUE_FINDERS.keys() or states_value(asked, strong[0].clause.text):
        return strong
    for hit in strong[1:]:
        close = cover[id(hit)] >= cover[id(strong[0])] - margin
        if close and states_value(asked, hit.clause.text):
            return [hit, *(h for h in strong if h is not hit)]
    return strong


def _topic(question: str) -> str | None:
    """The topic whose question words the question says; of two words that overlap or meet, only the later
    (the head: SLA赔偿上限 asks the cap); among the rest, the one of higher priority, then the one whose value
    type answers what is asked (多久 → a duration), then the longest word."""
    asked = question
    question = "".join(question.split()) + " " + question  # terse keywords: 损失赔偿 上限 says 赔偿上限
    lowered = question.lower()
    wanted = asked_types(question)
    said: list[tuple[tuple[int, int, int, str], int, int]] = []  # (rank, start, end); -1 if split apart
    for key, attribute in ATTRIBUTES.items():
        for word in attribute.question_words:
            at = lowered.find(word.lower()) if word.isascii() else question.find(word)
            if at >= 0 or _split_said(word, question):
                rank = (attribute.priority, int(attribute.type in wanted), len(word), key)
                said.append((rank, at, at + len(word) if at >= 0 else -1))
    # Of two words that overlap or meet, the later one is the head (SLA赔偿上限 asks the 上限 of SLA赔偿).
    heads = [r for r, s, e in said if not any(s < s2 <= e < e2 for _, s2, e2 in said)]
    best = max(heads, key=lambda r: r[:3], default=None)
    topic = ATTRIBUTES[best[3]].topic if best else None
    asked_for = _FOLLOW_CLOSER.search(question.strip()) is not None  # 那争议解决方式呢？ asks about it
    if topic in TOPIC_NEEDS and not re.search(TOPIC_NEEDS[topic], question) and not asked_for:
        return None
    return topic if topic is None or _asked_about(asked, topic) else None


SHORT_ASK = 8  # characters: an ask this short (他们要负责吗？ 会怎么样？) is about what was said before it


def _asked_about(question: str, topic: str) -> bool:
    """Whether the parts of a question that ask speak of ``topic`` (its words, the thing itself, its kind of
    value): in 我们用X在线客服系统已经一年多了，…多久之内要通知？ the 客服 is context."""
    parts = asking_parts(question)
    asking = "，".join(part for part, asks in parts if asks)
    if len(asking) < SHORT_ASK or all(asks for _, asks in parts):
        return True  # a short ask refers back (…导致宕机，他们要负责吗？), or every part asks
    attributes = [a for a in ATTRIBUTES.values() if a.topic == topic]
    if {a.type for a in attributes} & asked_types(asking):  # 调价，会提前多久通知？ asks the notice's days
        return True
    said = (w in asking or _split_said(w, asking) for a in attributes for w in a.question_words)
    return any(said) or any(a.cues and a.cues[0].pattern.search(asking) for a in attributes)


def _spans(words: Collection[str], question: str) -> list[tuple[int, int]]:
    lowered = question.lower()
    out = []
    for word in words:
        at = lowered.find(word.lower()) if word.isascii() else question.find(word)
        if at >= 0:
            out.append((at, at + len(word)))
    return out


def question_parts(question: str) -> list[tuple[int, int, bool]]:
    """The parts of a question between punctuation: (start, end, whether the part asks something)."""
    parts, at = [], 0
    for part in re.split(r"(?<=[，,。；;！!？?])", question):
        parts.append((at, at + len(part), bool(_ASKING.search(part))))
        at += len(part)
    return parts


def asks_besides(question: str, types: Collection[str]) -> bool:
    """Whether a part of the question asks something other than a value of ``types`` while another part
    asks one (能拿到什么赔偿？从什么时候起可以提申请？ asks the compensation and, besides it, a date)."""
    typed = [bool(asked_types(part) & set(types)) for part, asks in asking_parts(question) if asks]
    return any(typed) and not all(typed)


def asking_parts(question: str) -> list[tuple[str, bool]]:
    """The question's parts with words in them (not punctuation alone), and whether each asks something."""
    parts = ((question[s:e], asks) for s, e, asks in question_parts(question))
    return [(part, asks) for part, asks in parts if part.strip("，,。；;！!？? ")]


LONG_QUESTION = 40  # characters: a question this long often tells its story before it asks


def focused(question: str) -> str | None:
    """What a long question asks without the story it tells first (我们是一家保险公司，…法务担心合规问题。按
    OCR的服务条款，我们在上传之前需要满足什么条件？ → its asking parts); None when every part asks, or the
    asking parts are too short to search by (他们要负责吗？ refers back to the story)."""
    if len(question) < LONG_QUESTION:
        return None
    parts = asking_parts(question)
    asking = "".join(part for part, asks in parts if asks)
    if len(asking) < SHORT_ASK or all(asks for _, asks in parts):
        return None
    return asking


def second_topic(question: str, first: str | None) -> str | None:
    """A second thing the question asks (提前多久通知？没用完的钱会退款吗？ → the notice, then the refund):
    another topic whose question word the question says outright, in words none of the first topic's cover,
    in a part of the question that asks something (…导致宕机，他们要负责吗？: 宕机 is only context)."""
    if first is None:
        return None
    taken = _spans({w for a in ATTRIBUTES.values() if a.topic == first for w in a.question_words}, question)
    parts = question_parts(question)
    first_types = {a.type for a in ATTRIBUTES.values() if a.topic == first}
    answered = [p for kind, p in _ASKS.items() if first_types & set(_ASKS_TYPES[kind])]
    best: tuple[int, int, str] | None = None
    for attribute in ATTRIBUTES.values():
        if attribute.topic == first:
            continue
        for start, end in _spans(attribute.question_words, question):
            if end - start < 2 or any(start < e and s < end for s, e in taken):
                continue
            if any(p.search(question[start:end]) for p in answered):  # 涨价…提前几天通知: the first's value
                continue
            if not any(s <= start < e and asks for s, e, asks in parts):  # context, not a second ask
                continue
            needs = TOPIC_NEEDS.get(attribute.topic)
            if needs and not re.search(needs, question):
                continue
            rank = (attribute.priority, end - start, attribute.topic)
            best = rank if best is None or rank[:2] > best[:2] else best
    return best[2] if best else None


def documents_named(question: str, providers: Collection[Provider]) -> tuple[str, ...]:
    """Documents a question singles out among a provider's several (Serverless 应用引擎, 企业邮, OCR): by a
    name only that document's provider record has."""
    lowered = question.lower()
    by_name: dict[str, list[Provider]] = {}
    for p in providers:
        by_name.setdefault(p.name, []).append(p)
    found: list[str] = []
    for records in (r for r in by_name.values() if len(r) > 1):
        for p in records:
            others = {n for q in records if q is not p for n in q.names}
            own = [n for n in p.names if n not in others and len(n) >= 2]
            if any(n in question or (n.isascii() and n.lower() in lowered) for n in own):
                found.append(p.doc_id)
    return tuple(found)


def ordered_attributes(question: str, keys: list[str]) -> tuple[str, ...]:
    """A topic's attributes, the one the question points at first: by how many of its own question words it
    says (SLA没达标拿多少代金券 → the compensation before the availability), then the longest said, then by
    the answer type asked."""
    question = "".join(question.split()) + " " + question  # terse keywords: SLA 赔偿 says SLA赔偿
    lowered, wanted = question.lower(), asked_types(question)

    def says(key: str) -> tuple[int, int]:  # how many of its words, and the longest (SLA赔偿 beats SLA)
        words = ATTRIBUTES[key].question_words
        said = {w.lower() for w in words if w in question or (w.isascii() and w.lower() in lowered)}
        return len(said), max(map(len, said), default=0)

    return tuple(sorted(keys, key=lambda k: (*(-n for n in says(k)), ATTRIBUTES[k].type not in wanted)))


def analyze(question: str, providers: Collection[Provider]) -> Analysis:
    named = tuple(providers_named(question, providers))
    known = {n for p in providers for n in p.names}
    said = [o for o in OTHER_PROVIDERS if o in question and not any(o in k or k in o for k in known)]
    unknown = tuple(
        o for o in said if not any(o != other and o in other for other in said)
    )  # 阿里云, not 阿里
    # topic words inside a provider's name say nothing of the topic (support of LiveSupport)
    bare = question
    for name in sorted({n for p in providers if p.name in named for n in p.names}, key=len, reverse=True):
        bare = re.sub(re.escape(name), " ", bare, flags=re.IGNORECASE if name.isascii() else 0)
    topic = _topic(bare)
    attributes = (
        ordered_attributes(bare, [k for k, a in ATTRIBUTES.items() if a.topic == topic]) if topic else ()
    )
    also = second_topic(bare, topic)
    if also:
        attributes += ordered_attributes(bare, [k for k, a in ATTRIBUTES.items() if a.topic == also])
    cues = {k: bool(p.search(question)) for k, p in _INTENT.items()}
    direction = "max" if cues["superlative_max"] else "min" if cues["superlative_min"] else None
    if unknown and not named:
        intent = "out_of_scope"
    elif direction and cues["which"]:
        intent = "superlative"
    elif cues["listing"]:
        intent = "listing"
    elif cues["yes_no"]:
        intent = "yes_no"
    elif topic and not named:
        intent = "listing"
    elif topic:
        intent = "lookup"
    else:
        intent = "open"
    scope = "question" if named else ""
    documents = documents_named(question, providers)
    return Analysis(named, unknown, topic, attributes, intent, direction, scope=scope, documents=documents)


def is_followup(question: str, analysis: Analysis, providers: Collection[Provider]) -> bool:
    """那码尚云呢？ / 那最短的呢？: short, shaped like a follow-up, and asking about no topic of its own."""
    named = [p for p in providers if p.name in analysis.providers]
    rest = without_names(question, named).strip(" ？?。！!")
    shaped = bool(_FOLLOW_OPENER.search(question) or _FOLLOW_CLOSER.search(question))
    return shaped and analysis.topic is None and len(rest) <= _FOLLOW_MAX


_PRONOUNS = re.compile(_DATA["followup"]["pronouns"])


def _asks_more(question: str, previous: str, analysis: Analysis, providers: Collection[Provider]) -> bool:
    """那应急响应呢？ after a question about 风险处置: words the previous question did not have ask about
    something new (kept in the conversation's scope), unlike 那码尚云呢？ or 那最短的呢？."""
    named = [p for p in providers if p.name in analysis.providers]
    rest = _FOLLOW_CLOSER.sub("", _FOLLOW_OPENER.sub("", without_names(question, named).strip()))
    rest = _PRONOUNS.sub("", _INTENT["superlative_max"].sub("", _INTENT["superlative_min"].sub("", rest)))
    for word in sorted(QUESTION_FILLER, key=len, reverse=True):
        rest = rest.replace(word, "")
    new = [rest[i : i + 2] for i in range(len(rest) - 1) if _is_cjk_pair(rest[i : i + 2])]
    return bool(new) and 2 * sum(pair not in previous for pair in new) >= len(new)


#: Where the thing a question is about ends and what it asks begins when no 的 ends it first
#: (对话检索每天|有多少免费额度, 风险处置|多久响应): data in rag/questions.toml.
_ASKING_STARTS = re.compile(_DATA["followup"]["asking_starts"])


def _asked_of(question: str, previous: str, analysis: Analysis, providers: Collection[Provider]) -> str:
    """A follow-up naming a new subject (那语音识别呢？ after Chatopera 对话检索每天有多少免费额度？) asks the
    previous question of it: the new subject, then what the previous question asked after its own subject.
    "" when the follow-up asks something itself (那适用哪里的法律？)."""
    named = [p for p in providers if p.name in analysis.providers]
    subject = _FOLLOW_CLOSER.sub("", _FOLLOW_OPENER.sub("", without_names(question, named).strip()))
    if _ASKING_STARTS.search(subject.strip(" ，,的")) or _ASKING.search(subject):
        return ""
    said_before = set(provider_names_in(previous, providers))
    before = [p for p in providers if p.name in said_before]
    earlier = without_names(previous, before).strip(" 的")
    m = _ASKING_STARTS.search(earlier)
    of = earlier.find("的")  # 标准存储的可用性承诺是多少: the subject ends at its 的
    asked = (
        earlier[of + 1 :] if 0 < of < (m.start() if m else len(earlier)) else earlier[m.start() if m else 0 :]
    )
    return f"{' '.join(analysis.providers)} {subject.strip(' ，,的')} {asked}".strip()


def _is_cjk_pair(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in text)


def with_history(
    question: str, history: Sequence[str], providers: Collection[Provider]
) -> tuple[Analysis, str]:
    """The analysis of ``question`` in its conversation, and the question to retrieve with.

    A follow-up takes the previous question's topic (and its providers, unless it names its own), keeps a
    superlative but flips its direction when it says so (那最短的呢？), and says how it was read. A question
    that names a topic of its own is a new question; one that names no provider keeps the previous scope
    (its providers, and the contract it singled out among a provider's several).
    """
    analysis = analyze(question, providers)
    earlier = ((h, analyze(h, providers)) for h in reversed(history))
    asked, previous = next(((h, a) for h, a in earlier if a.intent != "out_of_scope"), ("", None))
    if previous is None:
        return analysis, question
    if is_followup(question, analysis, providers) and not _asks_more(question, asked, analysis, providers):
        label = ATTRIBUTES[previous.attributes[0]].label if previous.attributes else ""
        merged = replace(
            previous,
            providers=analysis.providers or previous.providers,
            intent="superlative"
            if analysis.direction and previous.intent == "superlative"
            else previous.intent,
            direction=analysis.direction or previous.direction,
            read_as=f"按上一问：{label}" if label else "按上一问",
            scope="question" if analysis.providers else previous.scope,
            documents=analysis.documents if analysis.providers else previous.documents,
        )
        if analysis.providers and merged.intent in ("superlative", "listing"):
            merged = replace(merged, intent="lookup")
        before = [p for p in providers if p.name in previous.providers]
        return merged, f"{' '.join(merged.providers)} {without_names(asked, before)}".strip()
    query = (
        _asked_of(question, asked, analysis, providers) if is_followup(question, analysis, providers) else ""
    )
    if query:  # 那语音识别呢？: the previous question, asked of it (its topic too)
        again = analyze(query, providers)
        if previous.attributes and not again.attributes:
            again = replace(again, topic=previous.topic, attributes=previous.attributes)
        named = analysis.providers or again.providers
        scope = "question" if named else previous.scope
        documents = analysis.documents if named else previous.documents
        merged = replace(again, providers=named or previous.providers, scope=scope, documents=documents)
        return replace(merged, read_as=f"按上一问：{query.rstrip('？?。！!')}"), query
    explicit_listing = bool(_INTENT["listing"].search(question))
    keeps_scope = analysis.intent not in ("out_of_scope", "superlative") and not explicit_listing
    if not analysis.providers and previous.providers and keeps_scope:
        intent = "lookup" if analysis.intent == "listing" else analysis.intent
        documents = analysis.documents or previous.documents  # the contract the conversation is about
        return (
            replace(
                analysis, providers=previous.providers, scope="history", intent=intent, documents=documents
            ),
            question,
        )
    return analysis, question
