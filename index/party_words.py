"""The words and patterns that tell a provider's name from everything else a contract names: roles, the
document itself, prompts, generic products (``index/resources/parties.toml``), and how a name acts as a party
in clauses (X有权 / X应 / X提供 …). Shared by provider detection and the fact table."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from importlib.resources import files
from typing import Any

from core.text import strip_markup

#: A short parenthesised place inside a name, 腾讯云计算（北京）有限责任公司: part of the entity.
REGION = re.compile(r"[（(][\u4e00-\u9fff]{2,4}[）)]")


def load_parties() -> dict[str, Any]:
    text = (files("index") / "resources" / "parties.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


PARTIES = load_parties()
#: Defined terms that name a role, the document or a prompt, never a provider (index/resources/parties.toml).
GENERIC_TERMS = frozenset(PARTIES["generic"]) | frozenset(PARTIES["prompts"])
GENERIC_SUFFIXES = tuple(PARTIES["generic_suffixes"])
WEB_WORDS = frozenset(PARTIES["web_words"])
#: Product words too generic to be a brand on their own (a title like 云服务器服务合同).
GENERIC_PRODUCTS = frozenset(PARTIES["generic_products"])
THIRD_PARTY = tuple(PARTIES["third_party_prefixes"])
SUFFIX_WORDS = tuple(PARTIES["company_suffix_words"])


def is_generic(term: str) -> bool:
    return (
        term in GENERIC_TERMS
        or term.startswith(THIRD_PARTY)
        or term in GENERIC_PRODUCTS
        or (len(term) > 2 and term.endswith(GENERIC_SUFFIXES) and term[:-2] in GENERIC_TERMS)
    )


#: What a party does in a clause (X有权 / X应 / X不承担 …); a name used so acts as a party.
DUTIES = r"有权|应当|应|将|可以|可|不对|保留|承诺|负责|不承担"
#: A clause-opening actor: after punctuation, a line start or a clause number, 2–6 CJK characters or a Latin
#: name, then a duty or right.
_ACTOR = re.compile(
    r"(?:^|(?<=[，。；：\n])|(?<=\d[.．、\s]))\s*([\u4e00-\u9fff]{2,6}?|[A-Za-z][A-Za-z0-9]{1,15})\s*"
    r"(?:" + DUTIES + ")"
)
_MIN_ACTOR_COUNT = 5  # for an alias; the name of a contract nothing else names needs fewer (below)
FALLBACK_ACTOR_COUNT = 3
#: A template's placeholder left in the text ({{ webInfo.title }}, {{entityName}}) or a part of one.
PLACEHOLDER = re.compile(r"[{}]")
#: A defined term acts as a party when followed by a duty or by what a party does to another (提供, 向, 与 …).
_ACTS = "(?:" + DUTIES + "|提供|向|与|同意|就)"


def acts(term: str, text: str) -> bool:
    """Whether the contract uses ``term`` as a party that acts (X有权 / X应 / X提供 …), not as a thing
    defined in passing (单地域多可用区)."""
    return re.search(re.escape(term) + r"[ \t]*" + _ACTS, text) is not None


def opens_clauses(term: str, text: str, at_least: int = 2) -> bool:
    """Whether clauses open with ``term`` doing something (腾讯云有权… / 腾讯云应…) at least twice."""
    pattern = r"(?:^|(?<=[，。；：\n]))\s*" + re.escape(term) + r"\s*(?:" + DUTIES + "|提供)"
    return len(re.findall(pattern, strip_markup(text), flags=re.MULTILINE)) >= at_least


#: One-character conjunctions a clause-opening match can start with (则公司将…): not part of a name.
_CONJUNCTIONS = "则但且并而即也又均都就故"


def acting_party(text: str, at_least: int = _MIN_ACTOR_COUNT) -> str | None:
    """The name that most often opens a clause as the one who acts (X有权 / X应 / X将 …), other than the
    user, at least ``at_least`` times: how the contract itself refers to the provider (腾讯有权…, 腾讯应…)."""
    counts: dict[str, int] = {}
    for m in _ACTOR.finditer(strip_markup(text)):
        actor = m.group(1)
        # 本公司 / 该方 / 如您 / 则公司 (a conjunction before a generic word): not a name
        bare = actor[1:] if actor[0] in _CONJUNCTIONS else actor
        if not is_generic(bare) and not actor.startswith(("本", "该", "其", "如", "若", "我", "您", "你")):
            counts[actor] = counts.get(actor, 0) + 1
    best = max(counts, key=lambda a: (counts[a], len(a)), default=None)
    return best if best and counts[best] >= at_least else None


def most_repeated_part(subject: str, text: str) -> str:
    """The longest part of ``subject`` that the contract repeats (软通动力软通云商城 → 软通云商城)."""
    best = subject
    best_key = (text.count(subject) >= 3, len(subject))
    for i in range(len(subject)):
        for j in range(i + 3, len(subject) + 1):
            part = subject[i:j]
            key = (text.count(part) >= 3, len(part))
            if key > best_key:
                best, best_key = part, key
    return best


def entity_brand(entity: str | None, text: str) -> str | None:
    """The part of a Chinese entity the contract uses on its own as a name (杭州又拍云科技有限公司 → 又拍云,
    used as 又拍云提供…): what users call a provider whose contract defines only 本公司."""
    if not entity or entity.isascii():
        return None
    core = REGION.sub("", re.sub(r"(?:股份)?有限(?:责任)?公司$|集团公司$", "", entity))
    outside = text.replace(entity, "")
    best = None
    # a part ending in 科技 / 网络 … only when no shorter form acts (江西互动网络科技 → 互动网络, used alone)
    for suffixed in (False, True):
        for i in range(len(core)):
            for j in range(i + (4 if suffixed else 2), len(core) + 1):
                part = core[i:j]
                if is_generic(part) or part.endswith(SUFFIX_WORDS) != suffixed or not acts(part, outside):
                    continue
                if outside.count(part) >= 3 and (best is None or len(part) > len(best)):
                    best = part
        if best:
            return best
    return None


#: A site's domain, also inside an e-mail address or a link (contact@zeabur.com).
ANY_DOMAIN = re.compile(r"(?<![\w.])(?:www\.)?([a-z0-9][a-z0-9-]{1,30})\.(?:com|cn|net|io|run|cloud)(?![\w])")
OTHER_SITES = frozenset(PARTIES["other_sites"])


def latin_brand(entity: str | None, text: str) -> str | None:
    """A Latin brand written right before the entity, or tied to it (APICloud：隶属…有限公司所有), and acting
    on its own (Magic Billing云计费…有限公司, then Magic Billing有权…): the name users say."""
    if not entity or entity.isascii():
        return None
    brand = r"([A-Za-z][A-Za-z0-9]*(?: [A-Za-z][A-Za-z0-9]*){0,3}) ?"
    tie = r"(?:[：:，,]\s*)?(?:隶属于?|属于|系|是|由)?\s*"
    outside = text.replace(entity, "")
    for m in re.finditer(brand + tie + re.escape(entity), text):
        if acts(m.group(1), outside):
            return m.group(1)
    return None


def site_brand(text: str) -> str | None:
    """A contract that names no party but its site (chatopera.com) and says the site's name often as a
    word of its own (Chatopera 云服务…): that name, as the text writes it."""
    counts: dict[str, int] = {}
    for m in ANY_DOMAIN.finditer(text.lower()):
        if m.group(1) not in OTHER_SITES and m.group(1) not in WEB_WORDS:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    for site in sorted(counts, key=lambda s: -counts[s]):
        said = re.findall(rf"(?<![\w./@-]){re.escape(site)}(?![\w.@-])", text, flags=re.IGNORECASE)
        if len(said) >= FALLBACK_ACTOR_COUNT:
            return max(sorted(set(said)), key=said.count)  # on a tie, the capitalised form
    return None


#: A template's placeholder kept in the text: {{entityName}}, {{ webInfo.title }}.
TEMPLATE = re.compile(r"\{\{\s*[\w.]+\s*\}\}")


def why_unidentified(text: str) -> str:
    """Why no provider could be read, and how to fix it."""
    placeholders = sorted(set(TEMPLATE.findall(text)))[:3]
    found = f"; the text keeps template placeholders ({', '.join(placeholders)})" if placeholders else ""
    return (
        f"no legal entity, defined term or contracting-party sentence names the provider{found}; "
        "name it in providers.toml"
    )


UNIDENTIFIED = "未识别的服务商"
_FILE_WORDS = frozenset(PARTIES["file_words"])
#: What a Chinese file name ends with that is not a name (某某云服务等级协议 → 某某云).
_FILE_TITLE = re.compile(
    "(?:"
    + "|".join([*PARTIES["generic_suffixes"], *PARTIES["title_filler"], *PARTIES["file_title_words"]])
    + ")+$"
)


def file_brand(doc_id: str, text: str) -> str | None:
    """The name a file's name gives a contract whose text names no provider (leancloud_plan.md →
    leancloud, written as the text writes it if it does): the first word of the name that is neither a
    kind of document (parties.toml ``file_words``), a number nor a hash."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", doc_id.rsplit("/", 1)[-1])
    for word in re.split(r"[_\-.\s（）()\[\]]+", stem):
        if re.fullmatch(r"[A-Za-z]{3,30}", word) and word.lower() not in _FILE_WORDS:
            # as the text writes it, its words perhaps apart (darkcomico → Dark Comico)
            spaced = r"[ \t]?".join(map(re.escape, word))
            written = re.search(rf"(?<![A-Za-z]){spaced}(?![A-Za-z])", text, re.IGNORECASE)
            return written.group(0) if written else word
        cjk = _FILE_TITLE.sub("", word)
        if re.fullmatch(r"[\u4e00-\u9fff]{2,12}", cjk) and not is_generic(cjk):
            return cjk
    return None


def named_anyway(name: str, text: str, doc_id: str) -> tuple[str, str]:
    """A provider no text names: named by its file name if that says a name, with the reason either way."""
    if name != UNIDENTIFIED:
        return name, ""
    why, brand = why_unidentified(text), file_brand(doc_id, text)
    return (brand, f"named after its file name: {why}") if brand else (name, why)


#: Characters of a contract's opening where a site named is the provider's own even without its name.
SITE_OPENING = 1500
#: Latin words of a name (Tencent Cloud → tencent, cloud).
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{2,}")
_BRANDS: dict[str, list[str]] = {k: list(v) for k, v in PARTIES.get("brands", {}).items()}


def more_aliases(name: str, aliases: list[str], text: str) -> list[str]:
    """Names users say that the contract implies: short forms (讯众 for 讯众云通信 when used alone, 优维
    for 优维科技), a product without the brand in front (腾讯云安全托管服务 → 安全托管服务), the provider's
    site (one carrying its Latin name or called its 官网, or any in the opening lines), Latin names inside
    product names, the name as the text mostly writes it with digits after it (集客365), and a well-known
    brand's other names (data)."""
    out: list[str] = []
    if "-" not in name and "\u4e00" <= name[:1] <= "\u9fff":  # the shortest prefix used alone ≥ 3 times
        for size in range(2, len(name) - 1):
            prefix = name[:size]
            if not is_generic(prefix) and text.count(prefix) - text.count(name) >= 3:
                out.append(prefix)
                break
        stem = next(
            (name[: -len(w)] for w in SUFFIX_WORDS if name.endswith(w) and len(name) - len(w) >= 2), ""
        )
        if stem and not is_generic(stem):
            out.append(stem)
    for alias in list(aliases):
        rest = alias[len(name) :].strip() if alias.startswith(name) else ""
        if len(rest) >= 2 and not is_generic(rest):
            out.append(rest)
        runs = [w.strip() for w in re.findall(r"[A-Za-z][A-Za-z0-9 .\-]*[A-Za-z0-9]", alias)]
        out += [w for w in runs if len(w) >= 3]
        # a product word inside a longer Latin run (AnalyticDB of "AnalyticDB PostgreSQL"): mixed case
        out += [
            w
            for run in runs
            if " " in run
            for w in run.split()
            if len(w) >= 4 and re.search(r"[a-z]", w) and re.search(r"[A-Z0-9]", w[1:])
        ]
        cjk_then_latin = re.match(r"([\u4e00-\u9fff]{2,})([A-Za-z][A-Za-z0-9]+) ", alias)
        if cjk_then_latin:  # 云数据库AnalyticDB PostgreSQL → 云数据库AnalyticDB
            out.append(cjk_then_latin.group(0).strip())
    latin = {w.lower() for n in (name, *aliases, *out) for w in LATIN_WORD.findall(n)}
    plain = strip_markup(text).lower()
    joined = {re.sub(r"[^a-z0-9]", "", n.lower()) for n in (name, *aliases, *out)}
    site_of = re.compile(re.escape(name.lower()) + r"的?(?:官网|官方网站|网站)[\s:：（(“\"]*(?:https?://)?$")
    for m in ANY_DOMAIN.finditer(plain):
        # a site carrying the provider's Latin name is its own; one that does not, only in the opening
        # lines (Spark Code's terms link openai.com further on: a model vendor's site, not its own)
        own = m.group(1) in latin or m.group(1) in joined or bool(site_of.search(plain[: m.start()]))
        if m.group(1) in OTHER_SITES or (not own and m.start() >= SITE_OPENING):
            continue
        out.append(m.group(0))
        if m.group(0).startswith("www."):
            out.append(m.group(0).removeprefix("www."))
        if len(m.group(1)) >= 6 and m.group(1).isalpha() and m.group(1) not in latin:
            out.append(m.group(1).capitalize())  # the brand a user types: flyjoying.com → Flyjoying
    for product in [a for a in aliases if not a.startswith(name)]:
        if len(product) >= 2 and name + product in text:
            out.append(name + product)  # the brand before its product, as the text writes it
    # the name with letters or digits after it, as the text mostly writes it (集客 → 集客365)
    tails = Counter(
        m.group(0) for m in re.finditer(re.escape(name) + r"[A-Za-z0-9]{2,10}(?![A-Za-z0-9])", text)
    )
    out += [longer for longer, n in tails.most_common(1) if n >= 3]
    actor = acting_party(text)
    if actor and actor not in name:
        out.append(actor)
    for known in {name, *aliases, *out}:
        out += _BRANDS.get(known, [])
    return out
