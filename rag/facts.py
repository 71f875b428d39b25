"""Typed facts read from clauses by rule: provider × attribute → normalised value + the exact source span.

Each extractor looks at one sentence at a time (with its clause and heading path as context), decides from
the words whether the sentence states the attribute, and parses the value with :mod:`core.numbers`. The
cited span is the sentence, so the value the answer states always occurs inside the words it cites. No value
is typed in by hand and nothing is keyed to a provider: who "the provider" is comes from the contract
(its names, 本公司/我公司, or the party role the contract gives it, e.g. 乙方).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from core.numbers import durations, money, multiples, parse_number, rates, service_hours
from core.records import Citation, Clause, Document, Fact, Provider, Span
from core.text import strip_markup
from rag.attributes import ATTRIBUTES

GENERIC_SELF = ("本公司", "我公司", "我司", "本平台")
_USER = ("您", "用户", "客户")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a clause, with what an extractor needs to judge it."""

    clause: Clause
    span: Span
    plain: str  # the sentence without markup
    context: str  # heading path and the whole clause, without markup
    parent: str  # the clause this one is an item of (e.g. 下述情况不属于违约：), without markup
    self_names: tuple[str, ...]  # how this contract refers to the provider

    def mentions_self(self, text: str | None = None) -> bool:
        return any(name in (text if text is not None else self.plain) for name in self.self_names)


Extracted = tuple[float | bool | str | None, str, str, str]  # value, display, wording, qualifier
Extractor = Callable[[Sentence], list[tuple[str, Extracted]]]


def provider_roles(text: str, provider: Provider) -> tuple[str, ...]:
    """The party role (甲方/乙方) a contract gives the provider: 乙方：指为您提供… or 乙方：<entity>."""
    roles = []
    for role in ("甲方", "乙方"):
        for m in re.finditer(rf"{role}\s*[：:]\s*([^\n]{{0,60}})", text):
            head = m.group(1)
            if head.startswith(("指为您提供", "指提供", "为您提供")) or (
                provider.entity and provider.entity in head
            ):
                roles.append(role)
                break
    return tuple(roles)


def _first(pattern: str, text: str) -> re.Match[str] | None:
    return re.search(pattern, text)


# --- extractors ---------------------------------------------------------------------------------------

_AFTER_END = r"终止后|终止之日|终止时|期满|届满|到期|已满|注销后|服务终止"


def data_retention(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    if not (re.search(r"保留|存储|保存|删除|销毁", p) and re.search(r"数据|信息|资料", p)):
        return []
    if "冻结" in p:
        days = [d for d in durations(p) if d.unit == "天"]
        return [("freeze_grace", (d.value, f"冻结后 {d.text}", d.text, "")) for d in days[:1]]
    if not re.search(_AFTER_END, p):
        return []
    no_duty = _first(r"(没有|无|不承担)[^，。；]{0,6}义务[^，。；]{0,12}保留", p)
    if no_duty:
        return [("data_retention", (0.0, "无保留义务", no_duty.group(0), ""))]
    days = [d for d in durations(p) if d.unit == "天"]
    if days and re.search(r"保留|存储|保存", p):
        d = days[0]
        return [("data_retention", (d.value, f"终止后保留 {d.text}", d.text, ""))]
    may_delete = _first(r"(可|有权|将)[^。；]{0,24}删除[^，。；]{0,16}(资料|数据|信息)", p)
    if may_delete and s.mentions_self(s.context):
        return [("data_retention", (0.0, "可删除、不保留", may_delete.group(0), ""))]
    return []


def late_fee(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    if "滞纳金" not in p:
        return []
    found = rates(p)
    if not found:
        return []
    r = found[0]
    per_day = re.search(r"按日|每日|每天|天数|/日|日计", p) is not None
    display = f"每日 {r.value:g}%" if per_day else f"{r.value:g}%"
    return [("late_fee", (r.value if per_day else None, display, r.text, ""))]


def liability_cap(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    if not (re.search(r"赔偿|责任", p) and "不超过" in p) or re.search(r"故障|不可抗力", p):
        return []
    share = _first(r"年服务费[^。；]{0,8}?(\d+(?:\.\d+)?)\s*[%％]", p)
    if share:
        return [
            (
                "liability_cap",
                (
                    f"年服务费的 {share.group(1)}%",
                    f"违约所涉服务年服务费总额的 {share.group(1)}%",
                    share.group(0),
                    "",
                ),
            )
        ]
    amount = money(p)
    if amount:
        return [("liability_cap", (f"{amount[0].value:g} 元", f"{amount[0].value:g} 元", amount[0].text, ""))]
    breached = _first(
        r"不超过[^。；]{0,10}?(违约服务|违约所涉服务|该服务|相应服务)[^。；]{0,10}?费用[^。；]{0,4}", p
    )
    if breached:
        return [("liability_cap", ("违约服务的费用", "违约服务对应的服务费用总额", breached.group(0), ""))]
    paid = _first(r"不超过[^。；]{0,30}?(支付|缴纳|交纳)[^。；]{0,12}?费用", p)
    if paid:
        return [("liability_cap", ("已支付的费用", "用户在服务期内已支付的费用", paid.group(0), ""))]
    return []


def outage(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    if not re.search(r"故障|不能正常|无法使用|不可用|中断", p):
        return []
    out: list[tuple[str, Extracted]] = []
    for segment in re.split(r"[,，;；]", p):
        for m in multiples(segment):
            qualifier = segment.split("按", 1)[0].strip() if "按" in segment else ""
            qualifier = "" if len(qualifier) > 8 else qualifier
            shown = (
                f"{qualifier}按故障时长的 {m.value:g} 倍赔偿"
                if qualifier
                else f"按故障时长的 {m.value:g} 倍赔偿"
            )
            out.append(("outage_multiplier", (m.value, shown, m.text, qualifier)))
    hours = [d for d in durations(p) if d.unit == "小时"]
    ext = _first(r"延长\s*(\d+|[一二三四五六七八九十两]+)\s*(个)?小时", p)
    if ext and hours:
        extended = parse_number(ext.group(1)) or 0.0
        ratio = extended / hours[0].value if hours[0].value else None
        shown = f"每故障 {hours[0].value:g} 小时延长 {extended:g} 小时服务期"
        out.append(("outage_extension", (ratio, shown, ext.group(0), "")))
    if hours and re.search(r"终止|解除|解约", p) and re.search(r"连续|累计", p):
        shown = f"连续 {hours[0].value:g} 小时不能正常使用可终止服务"
        out.append(("outage_termination", (hours[0].value, shown, hours[0].text, "")))
    return out


_FORUM = re.compile(r"(?:向|提交|交由|由|至|在|归)([^，。；、]{2,30}?(?:人民法院|法院|仲裁委员会))")


def dispute(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    if not re.search(r"争议|纠纷", s.context):  # 协商不成的，…向…法院起诉 is often its own sentence
        return []
    m = _FORUM.search(p)
    if not m:
        return []
    forum = m.group(1)
    kind = "仲裁" if "仲裁" in forum else "诉讼"
    shown = forum
    for name in GENERIC_SELF:  # 我公司所在地 → the provider's own name
        shown = shown.replace(name, s.clause.provider)
    return [("dispute", (f"{kind}：{shown}", f"{kind}，{shown}", forum, ""))]


def payment_methods(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    if "滞纳金" in p or not re.search(r"支付|付款", p):
        return []
    listed = _first(r"包括([^。；]{2,60}?)等方式", p)
    if listed and re.search(r"支付|付款", listed.group(0) + p):
        items = [i.strip() for i in re.split(r"[、,，]", listed.group(1)) if i.strip()]
        return [("payment_methods", ("、".join(items), "、".join(items), listed.group(1), ""))]
    label = _first(r"(?:支付|付款)方式\s*[：:]\s*([^，。；\s]{2,20})", p)
    if label:
        return [("payment_methods", (label.group(1), label.group(1), label.group(1), ""))]
    ways = re.findall(r"通过((?:您的)?[^，,。；]{2,14}?(?:账户|账号|转账|平台|银行))", p)
    if ways and re.search(r"付款|支付", p):
        items = [w.removeprefix("您的") for w in ways]
        return [("payment_methods", ("、".join(items), "、".join(items), ways[0], ""))]
    return []


def invoice_deadline(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    if "发票" not in p or not re.search(r"提出|申请|索取|需求|开具", p):
        return []
    for d in durations(p):
        if d.unit in ("工作日", "天"):
            return [("invoice_deadline", (d.value, f"下单后 {d.text}内提出", d.text, ""))]
    return []


def termination_notice(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    if not s.mentions_self() or re.search(r"任一方|任何一方|双方均", p):
        return []
    if not re.search(r"终止|解除|解约|取消|变更|更改|停止", p):
        return []
    waived = _first(r"(无须|无需|不必)[^，。；]{0,6}通知", p)
    if waived:
        return [("termination_notice", (0.0, "无须通知（公示即可）", waived.group(0), ""))]
    m = _first(r"提前[^，。；]{0,6}?(\d+|[一二三四五六七八九十两]+)\s*(个)?(自然日|工作日|日|天)", p)
    if m and re.search(r"通知|通告|公告", p):
        d = durations(m.group(0))[0]
        return [
            (
                "termination_notice",
                (d.value if d.unit == "天" else None, f"提前 {d.text}通知", m.group(0), ""),
            )
        ]
    vague = _first(r"(应|须|需)?提前(进行)?通知", p)
    if vague:
        return [("termination_notice", (None, "提前通知（未约定天数）", vague.group(0), ""))]
    return []


def cure_period(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    m = _first(
        r"书面通知[^，。；]{0,6}?(\d+|[一二三四五六七八九十两]+)\s*(个)?(自然日|工作日|日|天)内[^。；]{0,8}(改正|纠正|补救|整改)",
        p,
    )
    if not m:
        return []
    d = durations(m.group(0))[0]
    return [("cure_period", (d.value, f"书面通知后 {d.text}内未改正", m.group(0), ""))]


def force_majeure(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    if "不可抗力" not in p or "通知" not in p:
        return []
    out: list[tuple[str, Extracted]] = []
    segments = re.split(r"[,，;；]|并于|并在", p)
    for i, segment in enumerate(segments):
        following = segments[i + 1] if i + 1 < len(segments) else ""
        for d in (d for d in durations(segment) if d.unit in ("天", "工作日")):
            # the deadline's own words say what is due; else the words right after it
            # (五日内，将事件情况以书面形式通知另一方)
            words = next((w for w in (segment, following) if "证明" in w or "通知" in w), "")
            if not words:
                continue
            key = "force_majeure_proof" if "证明" in words else "force_majeure_notice"
            shown = f"{d.text}内{'提交证明' if key.endswith('proof') else '书面通知'}"
            out.append((key, (d.value, shown, d.text, "")))
    if not out and re.search(r"及时[^，。；]{0,4}通知", p):
        out.append(("force_majeure_notice", (None, "及时通知（未约定天数）", "及时", "")))
        if "证明" in p:
            out.append(("force_majeure_proof", (None, "提供有效证明（未约定期限）", "证明", "")))
    return out


def support_hours(s: Sentence) -> list[tuple[str, Extracted]]:
    hours = service_hours(s.plain)
    if not hours or not re.search(r"服务|报修|工单|客服|支持", s.plain):
        return []
    what = _first(r"\d\s*[*×xX]\s*\d+\s*(小时)?(的)?([^，。；]{0,12})", s.plain)
    shown = f"{hours} {what.group(3).strip()}" if what and what.group(3) else hours
    raw = _first(r"\d\s*[*×xX]\s*\d+", s.plain)
    return [("support_hours", (hours, shown.strip(), raw.group(0) if raw else hours, ""))]


def backup_responsibility(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    if "备份" not in p or "数据" not in p or not re.search(r"义务|责任|应|自行|负责", p):
        return []
    user = _first(
        r"(备份[^，。；]{0,8}(系|是)(您|用户)|(您|用户)[^，。；]{0,6}(应|须|需)[^，。；]{0,8}备份)", p
    )
    if user:
        return [("backup_responsibility", ("用户", "由用户自行备份", user.group(0), ""))]
    if (
        s.mentions_self()
        and re.search(r"(负责|为您|提供)[^，。；]{0,6}备份", p)
        and not re.search(r"不保证|不意味", p)
    ):
        m = _first(r"(负责|为您|提供)[^，。；]{0,6}备份", p)
        return [("backup_responsibility", ("服务商", "由服务商备份", m.group(0) if m else "备份", ""))]
    return []


def attack_exemption(s: Sentence) -> list[tuple[str, Extracted]]:
    """An item such as 因黑客、病毒…引致的服务中断 under 以下情形…不属于违约 (or saying so itself)."""
    p = s.plain
    m = _first(r"黑客|病毒|恶意程序|木马|网络攻击|攻击", p)
    exempt = r"不属于[^，。；]{0,10}违约|免责|无须承担|无需承担|不承担[^，。；]{0,6}责任|均无需承担"
    if not m or not (re.search(exempt, p) or re.search(exempt, s.parent)):
        return []
    if re.search(r"不得|禁止|不进行|不实施|不利用", p):  # a duty of the user not to attack, not an exemption
        return []
    return [("attack_exemption", ("免责", "不属于服务商违约，服务商不承担责任", m.group(0), ""))]


def confidentiality_survives(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    heading = " ".join(s.clause.heading_path)
    if "保密" not in p + heading:
        return []
    m = _first(
        r"(不因[^，。；]{0,8}终止而失效|终止后[^，。；]{0,4}(仍|继续)?[^，。；]{0,2}有效|(届满|期满)后[^，。；]{0,4}持续有效|继续存在)",
        p,
    )
    if not m:
        return []
    if "继续存在" in m.group(0) and "保密" not in p:
        return []
    return [("confidentiality_survives", (True, "是，合同终止后仍有效", m.group(0), ""))]


def unilateral_changes(s: Sentence) -> list[tuple[str, Extracted]]:
    p = s.plain
    if not s.mentions_self():
        return []
    m = _first(
        r"(单方[面]?[^，。；]{0,10}(变更|修改|调整|修订)"
        r"|有权[^，。；]{0,16}(变更|修改|调整|修订)[^，。；]{0,10}(协议|条款|规则|费用|收费|内容)"
        r"|有权[^，。；]{0,4}对[^，。；]{0,12}(协议|条款|规则)[^，。；]{0,6}(变更|修改|调整|修订)"
        r"|(协议|条款)[^，。；]{0,10}(发生变动|变更))",
        p,
    )
    if not m:
        return []
    return [("unilateral_changes", (True, "可以单方变更", m.group(0), ""))]


EXTRACTORS: tuple[Extractor, ...] = (
    data_retention,
    late_fee,
    liability_cap,
    outage,
    dispute,
    payment_methods,
    invoice_deadline,
    termination_notice,
    cure_period,
    force_majeure,
    support_hours,
    backup_responsibility,
    attack_exemption,
    confidentiality_survives,
    unilateral_changes,
)


def _segment(text: str, words: str, limit: int = 60) -> str:
    """The comma-delimited part of ``text`` around ``words``: the decisive words in their context."""
    at = text.find(words)
    start = max(text.rfind(ch, 0, at) for ch in "，,；;：:。") + 1
    ends = [i for i in (text.find(ch, at + len(words)) for ch in "，,；;。") if i >= 0]
    end = min(ends) if ends else len(text)
    segment = text[start:end].strip().strip("*")
    return segment if words in segment and len(segment) <= limit else words


def extract_facts(
    clauses: Iterable[Clause], documents: dict[str, Document], providers: dict[str, Provider]
) -> list[Fact]:
    """Every fact the extractors find, in document order; duplicates (same value, same words) dropped."""
    by_name = {p.name: p for p in providers.values()}
    clauses = list(clauses)
    by_id = {(c.doc_id, c.clause_id): c for c in clauses}
    roles: dict[str, tuple[str, ...]] = {}
    facts: list[Fact] = []
    seen: set[tuple[str, str, str, str]] = set()
    for clause in clauses:
        if clause.kind == "title":
            continue
        provider = by_name.get(clause.provider) or Provider(clause.provider, None)
        if clause.doc_id not in roles:
            roles[clause.doc_id] = provider_roles(documents[clause.doc_id].text, provider)
        self_names = (*provider.names, *GENERIC_SELF, *roles[clause.doc_id])
        context = strip_markup(" ".join((*clause.heading_path, clause.text)))
        parent = (
            by_id.get((clause.doc_id, clause.clause_id.rsplit(".", 1)[0]))
            if "." in clause.clause_id
            else None
        )
        parent_text = strip_markup(parent.text) if parent is not None else ""
        for span in clause.sentences:
            sentence = Sentence(clause, span, strip_markup(span.text), context, parent_text, self_names)
            for extractor in EXTRACTORS:
                for key, (value, display, wording, qualifier) in extractor(sentence):
                    if wording not in span.text:
                        continue
                    wording = _segment(span.text, wording)
                    dedupe = (clause.provider, key, display, qualifier)
                    if dedupe in seen:
                        continue
                    seen.add(dedupe)
                    spec = ATTRIBUTES[key]
                    citation = Citation.of(clause, span)
                    fact = Fact(clause.provider, key, value, spec.unit, display, wording, citation, qualifier)
                    facts.append(replace(fact, label=spec.label))
    return facts


@dataclass(frozen=True, slots=True)
class FactTable:
    """Provider × attribute → facts; an empty cell means the contract does not state it (未约定)."""

    providers: tuple[str, ...]
    facts: tuple[Fact, ...]

    def cell(self, provider: str, attribute: str) -> list[Fact]:
        return [f for f in self.facts if f.provider == provider and f.attribute == attribute]

    def rows(self) -> list[tuple[str, str, list[Fact]]]:
        return [(p, a, self.cell(p, a)) for p in self.providers for a in ATTRIBUTES]

    def to_dicts(self) -> list[dict[str, Any]]:
        """One row per fact (``Fact.to_dict``), and a 未约定 row without citation per cell a contract does
        not state: the shape of ``rag facts --json`` and ``GET /v1/facts``."""
        out: list[dict[str, Any]] = []
        for provider, attribute, facts in self.rows():
            spec = ATTRIBUTES[attribute]
            out.extend(
                [f.to_dict() for f in facts] or [Fact.absent(provider, attribute, spec.label, spec.unit)]
            )
        return out


def build_table(
    clauses: Iterable[Clause], documents: dict[str, Document], providers: dict[str, Provider]
) -> FactTable:
    names = tuple(dict.fromkeys(p.name for p in providers.values()))
    return FactTable(names, tuple(extract_facts(clauses, documents, providers)))
