"""Who offers the service in a contract: display name, legal entity and aliases, read from the text.

Detection uses only what contracts say about themselves:

* the legal entity: a company name ending in 有限公司 / 股份有限公司 / 中心 …, preferring the one that is
  given a defined term or appears as 乙方;
* defined terms: （以下简称“西部数码”）, （本协议中称为"京东云"）, （以下简称：讯众云通信/本服务）, minus
  generic ones such as 本公司 or 您;
* brand compounds written with a hyphen, such as 京东云-微电云, when a part is a defined term;
* the subject of the opening sentence (软通动力软通云商城是由…有限公司…), split at its most repeated part;
* contracting-party sentences (本协议是X与您…, 本协议规定了X向客户提供…, 感谢您选择X为您提供…; data in
  ``index/resources/parties.toml``);
* the title line (码尚云服务用户协议 → 码尚云): outright when clauses open with the name as a party that acts,
  else only when nothing else names the provider (域名服务协议 names a kind of service);
* the part of the entity the text uses on its own as a party (杭州又拍云科技有限公司 → 又拍云), then the
  entity, then the name clauses most often open with as the one who acts (UCloud将… / UCloud承诺…);
* a template's placeholders ({{ site.title }}) are never a name: such a contract is reported unidentified.
* a service carrying the company's brand (为使用腾讯企业邮服务（以下简称“本服务”） under 腾讯云) names the
  contract as users call it, the provider's own name becomes an alias.

An optional ``providers.toml`` in the contracts folder (index/provider_manifest.py) overrides the name or
entity and adds aliases::

    ["001_d0ab719c5a823c3c.txt"]
    aliases = ["云通讯"]
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from core.records import Provider
from core.text import strip_markup
from index.party_words import (
    FALLBACK_ACTOR_COUNT,
    GENERIC_SUFFIXES,
    LATIN_WORD,
    PARTIES,
    PLACEHOLDER,
    REGION,
    TEMPLATE,
    UNIDENTIFIED,
    WEB_WORDS,
    acting_party,
    acts,
    entity_brand,
    is_generic,
    latin_brand,
    more_aliases,
    most_repeated_part,
    named_anyway,
    opens_clauses,
    site_brand,
)
from index.provider_manifest import ManifestEntry

_ENTITY = re.compile(
    r"[\u4e00-\u9fff（）()]{2,40}?(?:股份有限公司|有限责任公司|有限公司|集团公司|研究院|中心)"
)
#: Words that end the text before an entity name (…协议是 / 通过 / 与 XX有限公司), from parties.toml.
_ENTITY_CUT = re.compile(
    "|".join(sorted(map(re.escape, PARTIES["entity_cut"]), key=len, reverse=True)) + r"|）|\)"
)
#: The opening of a definition, 某某有限公司（以下简称“腾讯云”或“Tencent Cloud”）: what follows up to
#: the closing parenthesis names the defined terms, quoted (in quotes of either direction) or bare.
_DEFINITION = re.compile(
    r"[（(]\s*(?:以下简称|以下统称|以下称|下称|本协议中称为|本协议中简称|本协议简称|简称|统称)\s*为?\s*[：:]?\s*"
    # a tag inside the quotes (“<span …>一门网络</span>”) counts as one character
    r"(?P<body>(?:<[^<>\n]{0,300}>|[^（()）\n<]){1,60})"
)
_QUOTE = '“”"「」『』‘’'
_SUBJECT = re.compile(
    r"^[\s\*#]*(?:\[bookmark:[^\]]*\])?([\u4e00-\u9fffA-Za-z0-9\-《》 ]{2,20}?)(?:是由|系由|是(?!指))"
)
#: Opening lines searched for the sentence saying whose the contract is (a date line may come first).
SUBJECT_LINES = 3
_TITLE_SUFFIX = re.compile(
    r"(?:平台|产品(?:及|和|与)?)?(?:服务用户协议|用户服务协议|服务用户条款|用户协议|服务等级协议|服务水平协议|服务协议|服务条款|服务合同"
    r"|使用协议|协议|条款|合同)$"
)


_COUNTERPARTY = tuple(re.compile(p) for p in PARTIES["counterparty"])
_ROLE_SUFFIX = re.compile(r"\s*(?:" + "|".join(map(re.escape, PARTIES["party_role_suffixes"])) + ")$")
_LATIN_ENTITY = re.compile(
    r"[A-Z][A-Za-z0-9&.\- ]{1,40}?\s(?:"
    + "|".join(re.escape(s) for s in PARTIES["latin_entity_suffixes"])
    + r")(?![A-Za-z])"
)
#: "X（以下简称“本服务”）": X is the product or site the contract is about, a name users say.
_PRODUCT = re.compile(
    r"(?:使用|提供的)?((?:[\u4e00-\u9fffA-Za-z0-9 ]|(?<=[A-Za-z0-9])\.(?=[A-Za-z])){2,30}?)[（(]\s*"
    r"(?:以下简称|以下称|下称|简称)\s*为?\s*[：:]?\s*[“\"]本(?:服务|网站|平台|产品)[”\"]"
)
#: The document naming itself (UCloud US3服务等级协议（以下简称“本协议”）): its Latin product words are names.
_DOCUMENT_SELF = re.compile(
    r"([\u4e00-\u9fffA-Za-z0-9 ]{2,30}?)[（(]\s*(?:以下简称|以下称|下称|简称)\s*为?\s*[：:]?\s*"
    r"[“\"]本(?:协议|条款)[”\"]"
)
#: A service named with its English name and abbreviation:
#: 网易云对象存储服务（Netease Object Storage Service，NOS）.
_PRODUCT_ABBREVIATED = re.compile(
    r"([\u4e00-\u9fff]{2,16})[（(]\s*([A-Z][A-Za-z ]{3,60}?)\s*[，,]\s*([A-Z][A-Za-z0-9]{1,7})\s*[）)]"
)
#: "本服务是腾讯云提供的文字识别 OCR 服务": the service the contract is about, named in a definition sentence.
_PRODUCT_IS = re.compile(
    r"本(?:服务|产品)(?:是指|是|系|指)[^，。；\n]{0,20}?提供的"
    r"([\u4e00-\u9fffA-Za-z0-9 ]{2,30}?)(?:[，。；（(]|$)"
)
#: An affiliate acting for the provider, within a few characters after an affiliate word.
_AFFILIATE = re.compile(
    "(?:" + "|".join(PARTIES["affiliate_words"]) + r")[^，。；\n]{0,12}?"
    r"(?P<name>[\u4e00-\u9fff（）()]{2,30}?(?:股份有限公司|有限责任公司|有限公司)"
    r"|[A-Z][A-Za-z0-9&.\- ]{1,40}?\s(?:"
    + "|".join(re.escape(s) for s in PARTIES["latin_entity_suffixes"])
    + r")(?![A-Za-z]))"
)


def _entities(text: str) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    # A name in a link's text ([腾讯云文档中心](https://…)) names another page, not a party.
    links = [m.span(1) for m in re.finditer(r"\[([^\]\n]*)\]\(", text)]
    for m in _ENTITY.finditer(text):
        if any(a <= m.start() < b for a, b in links):
            continue
        name = m.group(0)
        regions = [r.span() for r in REGION.finditer(name)]
        cuts = [
            c.end()
            for c in _ENTITY_CUT.finditer(name)
            if not any(a <= c.start() < b for a, b in regions) and len(name) - c.end() >= 6
        ]
        start = max(cuts, default=0)
        name = name[start:].lstrip("（）()")
        if len(name) >= 6:
            found.append((name, m.start() + start))
    plain = strip_markup(text)
    found += [(m.group(0).strip(), m.start()) for m in _LATIN_ENTITY.finditer(plain)]
    return found


def _definitions(text: str) -> list[tuple[str, int]]:
    """Defined terms with their positions: every quoted term of a definition (“飞悦”或“Flyjoying”), else
    the bare words up to the first comma, split at ``/`` ``、`` ``或``; generic ones dropped."""
    terms: list[tuple[str, int]] = []
    for m in _DEFINITION.finditer(text):
        # （以下统称“优惠措施”） groups things; only companies grouped (…及其关联公司) are a party
        if "统称" in m.group(0) and not re.search(
            r"(?:公司|关联方|关联企业)\s*$", text[max(0, m.start() - 20) : m.start()]
        ):
            continue
        body = html.unescape(re.sub(r"<[^<>]*>", "", m.group("body")))  # （以下简称&#8220;您&#8221;）
        quoted = re.findall(rf"[{_QUOTE}]([^{_QUOTE}]{{1,40}})[{_QUOTE}]", body)
        if quoted and body.lstrip()[0] in _QUOTE:
            parts = [p for q in quoted for p in re.split(r"[/／、]", q)]
            parts = [p for p in parts if not re.fullmatch(r"\s*(?:或|或者|及|和|、|，|,)\s*", p)]
        else:
            parts = re.split(r"[/／、或]", re.split(r"[，,；;]", body)[0])
        for term in parts:
            term = term.strip().strip(_QUOTE)
            if 2 <= len(term) <= 12 and not is_generic(term) and not term.endswith(GENERIC_SUFFIXES):
                terms.append((term, m.start()))
    return terms


def _pick_entity(
    text: str, entities: list[tuple[str, int]], definitions: list[tuple[str, int]]
) -> str | None:
    if not entities:
        return None
    scores: dict[str, float] = {}
    party: set[str] = set()  # names the contract makes a party (defined term, 乙方, the other side of 您)
    counterparties = _counterparties(text)
    for name, pos in entities:
        score = scores.get(name, 0.0) + 1.0
        after = text[pos + len(name) : pos + len(name) + 4]
        bonus = 0.0
        if any(0 <= d_pos - (pos + len(name)) <= 3 for _, d_pos in definitions) or "简称" in after:
            bonus += 5
        if "乙方" in text[max(0, pos - 6) : pos]:
            bonus += 3
        if any(name in c for c in counterparties):
            bonus += 4
        if bonus:
            party.add(name)
        scores[name] = score + bonus
    # 中心 / 研究院 also end names of departments and pages (腾讯云文档中心): only as a party.
    scores = {n: v for n, v in scores.items() if n in party or not n.endswith(_WEAK_ENTITY_SUFFIXES)}
    return max(scores, key=lambda n: (scores[n], -text.find(n))) if scores else None


def _counterparties(text: str) -> list[str]:
    """Names in the sentences that make a party the other side of the contract (本协议是X与您 …)."""
    plain = strip_markup(text[:6000])
    names = (" ".join(m.group("name").split()) for pattern in _COUNTERPARTY for m in pattern.finditer(plain))
    return [_ROLE_SUFFIX.sub("", name).strip() for name in names]


def _width(name: str) -> int:
    """A name's length as a reader sees it: a Chinese character counts two, a Latin letter one."""
    return sum(2 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in name)


def _alone(word: str, text: str) -> bool:
    """Whether ``word`` stands in ``text`` without another Latin word beside it (only spaces between)."""
    return any(
        not re.search(r"[A-Za-z0-9][ \t]*$", text[: m.start()])
        and not re.match(r"[ \t]*[A-Za-z0-9]", text[m.end() :])
        for m in re.finditer(re.escape(word), text)
    )


def _products(text: str) -> list[str]:
    """What the contract defines as 本服务 / 本网站 (腾讯企业邮服务, EasyOps运维平台系统) or says 本服务 is
    (本服务是腾讯云提供的文字识别 OCR 服务), with and without the trailing 服务, plus Latin words in it (TPNS,
    EasyOps, OCR): names users ask by."""
    out: list[str] = []
    plain = strip_markup(text[:6000])
    # the last part that is a name: 使用X提供的服务（以下简称"本服务"） names X, not the bare 服务
    split = [re.split(r"使用|提供的|为|就|向|详见|参见|见", m.group(1)) for m in _PRODUCT.finditer(plain)]
    parts = [[p.strip() for p in ps] for ps in split]
    named = [([p for p in ps if len(p) >= 2 and not is_generic(p)] or ps)[-1] for ps in parts]
    named += [m.group(1) for m in _PRODUCT_IS.finditer(plain)]
    for product in (p.strip() for p in named):
        if not 2 <= len(product) <= 16:
            continue
        bare = re.sub(r"(服务|系统)$", "", product).strip()
        for form in (product, bare, re.sub(r"(?<=[\u4e00-\u9fff])\s+[A-Za-z][A-Za-z0-9]*$", "", bare)):
            if len(form) >= 2 and not is_generic(form):
                out.append(form)
        # a Latin word standing alone (文字识别 OCR 服务 → OCR), not each word of a Latin name (Spark Code)
        out += [w for w in LATIN_WORD.findall(product) if w.lower() not in WEB_WORDS and _alone(w, product)]
    for m in _DOCUMENT_SELF.finditer(plain):  # UCloud US3服务等级协议（以下简称“本协议”）: US3
        out += [w for w in LATIN_WORD.findall(m.group(1)) if w.lower() not in WEB_WORDS and not is_generic(w)]
    # 网易云对象存储服务（Netease Object Storage Service，NOS）: the service, its English and short names
    for m in _PRODUCT_ABBREVIATED.finditer(plain):
        out += [m.group(1), m.group(2).strip(), m.group(3)]
    return list(dict.fromkeys(out))


def _sub_brand(text: str, name: str, entity: str | None) -> str | None:
    """The service the contract is for, when it carries the company's brand but is not named after the
    provider (腾讯企业邮 of 腾讯云计算（北京）有限责任公司 / 腾讯云): the name users call the contract by.
    A product named after the provider (腾讯云安全托管) or one the text says another party provides
    (本服务是腾讯云提供的文字识别 OCR 服务) stays an alias."""
    for m in _PRODUCT.finditer(strip_markup(text[:6000])):
        product = re.split(r"使用|提供的|为|就|向", m.group(1))[-1].strip()
        bare = re.sub(r"(服务|系统)$", "", product).strip()
        if not 3 <= len(bare) <= 12 or is_generic(bare) or bare.startswith(name):
            continue
        stem = bare[:2]
        branded = any(n and n.startswith(stem) for n in (name, entity))
        if re.fullmatch(r"[\u4e00-\u9fff]{2}", stem) and branded:
            return bare
    return None


def _affiliates(text: str) -> list[str]:
    """Affiliates the contract says act for the provider (关联主体 杭州易舶科技有限公司 提供本地化支持)."""
    return list(dict.fromkeys(m.group("name").strip() for m in _AFFILIATE.finditer(strip_markup(text))))


def _brand_of(entity: str | None) -> str | None:
    """The brand inside a Latin entity: Zeabur Inc. → Zeabur."""
    if entity and entity.isascii():
        brand = _LATIN_ENTITY.sub(lambda m: m.group(0).rsplit(" ", 1)[0], entity).strip(" ,.")
        return brand if brand and brand != entity else None
    return None


def _compound(text: str, terms: list[str]) -> str | None:
    """A hyphenated brand built on a defined term, e.g. 京东云-微电云 when 京东云 is defined."""
    for term in terms:
        for m in re.finditer(rf"{re.escape(term)}-([\u4e00-\u9fff]{{2,8}})", text):
            other = next((t for t in terms if m.group(1).startswith(t)), None)
            other = other or most_repeated_part(m.group(1), text)
            return f"{term}-{other}"
        for m in re.finditer(rf"([\u4e00-\u9fff]{{2,8}})-{re.escape(term)}", text):
            other = next((t for t in terms if m.group(1).endswith(t)), None)
            other = other or most_repeated_part(m.group(1), text)
            return f"{other}-{term}"
    return None


def _subject(head: str) -> str | None:
    """Whose the contract is, by an opening line that says so (码尚云是由… → 码尚云; after a date line,
    FastGPT 服务协议是您与… → FastGPT): the name without the kind of document after it."""
    lines = [line for line in strip_markup(head).splitlines() if line.strip()][:SUBJECT_LINES]
    for line in lines:
        m = _SUBJECT.search(line.lstrip())
        if m:
            return (
                _TITLE_SUFFIX.sub("", m.group(1).replace("《", "").replace("》", "").strip()).strip() or None
            )
    return None


def _title_names(head: str, text: str) -> tuple[str | None, str | None]:
    """The name in the title line (码尚云服务用户协议 → 码尚云): strong when the contract's clauses open
    with it as a party that acts (腾讯云有权…), else weak, the name only when nothing else names the
    provider (CDN服务等级协议 and 域名服务协议 name a kind of service)."""
    title_line = next((line for line in strip_markup(head).splitlines() if line.strip()), "").strip()
    if not (2 <= len(title_line) <= 30 and _TITLE_SUFFIX.search(title_line)):
        return None, None
    titled = _TITLE_FILLER.sub("", _TITLE_SUFFIX.sub("", title_line).strip())
    if len(titled) < 2 or is_generic(titled) or PLACEHOLDER.search(titled):
        return None, None
    return (titled, None) if opens_clauses(titled, text) else (None, titled)


def detect_provider(text: str, manifest: ManifestEntry | None = None, doc_id: str = "") -> Provider:
    """Provider of a contract, from its own text, then adjusted by a manifest entry if given; a text that
    names no one is named by its file name ``doc_id``, the user's own label for it."""
    head = text[:3000]
    definitions = _definitions(text)
    affiliates = _affiliates(text)
    # a name right after a template placeholder ({{ site.title }}互联网科技有限公司) is a fragment of one
    entities = [
        (e, pos)
        for e, pos in _entities(text)
        if e not in affiliates and not text[max(0, pos - 3) : pos].rstrip().endswith("}")
    ]
    entity = _pick_entity(text, entities, definitions) or next(iter(affiliates), None)

    # Defined terms attached to the provider come first: those right after the entity or in the opening.
    provider_terms: list[str] = []
    for term, pos in definitions:
        attached = bool(entity and entity in text[max(0, pos - 60) : pos])
        if term not in provider_terms and (attached or (pos < 1500 and acts(term, text))):
            provider_terms.append(term)

    candidates: list[str] = []
    aliases: list[str] = []
    compound = _compound(text, provider_terms)
    if compound:
        candidates.append(compound)
        aliases.extend(compound.split("-"))
    candidates.extend(provider_terms)
    entities_named = {e for e, _ in entities}
    candidates.extend(
        c for c in _counterparties(text) if c not in entities_named and not is_generic(c) and _width(c) <= 24
    )
    brand = _brand_of(entity)
    if brand:
        candidates.append(brand)

    subject = _subject(head)
    if subject and not is_generic(subject) and not subject.startswith(("本", "该")):
        part = most_repeated_part(subject, text)
        candidates.append(part)
        aliases.extend(p for p in subject.split(part) if len(p) >= 2 and not is_generic(p))

    strong_title, weak_title = _title_names(head, text)
    if strong_title:
        candidates.append(strong_title)
    if weak_title and len(weak_title) >= 4:  # a product the contract is for (Serverless 应用引擎), not a kind
        aliases.append(weak_title)  # of service (域名): an alias
    candidates = [c for c in candidates if c and not PLACEHOLDER.search(c)]
    name = _name(candidates, weak_title, entity, text)
    sub_brand = _sub_brand(text, name, entity)
    if sub_brand:  # 为使用腾讯企业邮服务（以下简称“本服务”） with 腾讯云 the provider: users say 腾讯企业邮
        aliases.append(name)
        name = sub_brand
    aliases.extend(candidates)
    aliases.extend(_products(text))
    if entity:  # 江西互动网络科技有限公司的LiveSupport网站实时交流系统: the company's product, by its name
        aliases.extend(re.findall(re.escape(entity) + r"的([A-Za-z][A-Za-z0-9]{2,20})", strip_markup(text)))
    aliases.extend(affiliates)
    aliases = [a for a in aliases if a and not PLACEHOLDER.search(a)]
    aliases.extend(more_aliases(name, aliases, text))
    if manifest is not None:
        name = manifest.name or name
        entity = manifest.entity or entity
        aliases.extend(manifest.aliases)
    unique = tuple(
        dict.fromkeys(
            a
            for a in aliases
            if a
            and a != name
            and a != entity
            and not is_generic(a)
            and a[-1] not in "、，,；;：:"
            and not PLACEHOLDER.search(a)
        )
    )
    name, why = named_anyway(name, text, doc_id)
    return Provider(name=name, entity=entity, aliases=unique, unidentified=why)


def _name(candidates: list[str], weak_title: str | None, entity: str | None, text: str) -> str:
    """The provider's name: the first candidate, a title's name, the brand inside the entity or before it,
    the entity; with none, the party the clauses act under or the site's name (not for a template, whose
    blank names it): else unidentified."""
    name = (
        next(iter(candidates), None)
        or weak_title
        or entity_brand(entity, text)
        or latin_brand(entity, text)
        or entity
    )
    if not name and not TEMPLATE.search(text):
        name = acting_party(text, FALLBACK_ACTOR_COUNT) or site_brand(text)
    return name or UNIDENTIFIED


_WEAK_ENTITY_SUFFIXES = ("中心", "研究院")
#: Words a title puts between the brand and 协议 (优维科技网站使用电子协议 → 优维科技).
_TITLE_FILLER = re.compile("(?:" + "|".join(PARTIES["title_filler"]) + ")+$")


def detect_providers(
    texts: Mapping[str, str], manifest: Mapping[str, ManifestEntry] | None = None
) -> dict[str, Provider]:
    """Provider of every document, keyed by document id."""
    manifest = manifest or {}
    return {doc_id: detect_provider(text, manifest.get(doc_id), doc_id) for doc_id, text in texts.items()}
