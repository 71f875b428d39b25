"""The attribute catalog: what the fact table can hold, how answers name it, and which question words ask
about it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Attribute:
    key: str
    label: str  # how an answer names it, e.g. 数据保留期
    unit: str  # "天", "%/日", "倍", "小时", "工作日", "" (text), "bool"
    topic: str  # attributes of one topic are answered together (e.g. outage compensation)
    question_words: tuple[str, ...]  # words in a question that ask about it
    # When a question has words of two topics the higher priority wins: a cause over a symptom (黑客, 挂了).
    priority: int = 0


ATTRIBUTES: dict[str, Attribute] = {
    a.key: a
    for a in [
        Attribute(
            "data_retention",
            "合同终止后的数据保留期",
            "天",
            "data_retention",
            (
                "数据保留",
                "保留数据",
                "保留期",
                "保存数据",
                "数据保存",
                "保留多久",
                "删除数据",
                "数据删除",
                "数据销毁",
                "删我",
                "删掉",
                "保留我的数据",
                "保留原账号",
            ),
        ),
        Attribute("freeze_grace", "账户冻结后的宽限期", "天", "freeze", ("冻结", "解冻")),
        Attribute(
            "late_fee",
            "逾期付款滞纳金（每日）",
            "%/日",
            "late_fee",
            ("滞纳金", "逾期付款", "逾期支付", "欠费", "迟付", "晚付", "罚息", "罚款", "罚多少"),
        ),
        Attribute(
            "liability_cap",
            "赔偿责任上限",
            "",
            "liability_cap",
            (
                "赔偿上限",
                "责任上限",
                "赔偿责任总额",
                "最多赔",
                "赔偿总额",
                "责任限额",
                "全部责任",
                "赔偿责任上限",
                "最高赔偿",
            ),
        ),
        Attribute(
            "outage_multiplier",
            "故障赔偿（按故障时长的倍数）",
            "倍",
            "outage",
            ("故障", "宕机", "挂了", "中断", "停机", "不可用", "用不了", "补偿", "不能正常使用", "无法使用"),
        ),
        Attribute("outage_extension", "故障补偿（每故障1小时延长的服务时长）", "小时", "outage", ()),
        Attribute("outage_termination", "可解约的连续故障时长", "小时", "outage", ()),
        Attribute(
            "dispute",
            "争议解决",
            "",
            "dispute",
            ("争议", "纠纷", "管辖", "法院", "仲裁", "打官司", "起诉", "诉讼", "官司"),
        ),
        Attribute(
            "payment_methods",
            "付款方式",
            "",
            "payment",
            ("付款方式", "支付方式", "怎么付", "如何付", "怎么支付", "如何支付", "在线支付", "怎么交钱"),
        ),
        Attribute(
            "invoice_deadline", "申请发票的期限", "工作日", "invoice", ("发票", "开票", "专票", "普票")
        ),
        Attribute(
            "termination_notice",
            "服务商终止或变更服务前的通知期",
            "天",
            "termination_notice",
            ("提前通知", "提前多少天", "提前多久", "提前几天", "通知期"),
        ),
        Attribute("cure_period", "违约书面通知后的改正期", "天", "cure", ("改正", "纠正", "补救", "整改")),
        Attribute(
            "force_majeure_notice",
            "不可抗力的通知期限",
            "天",
            "force_majeure",
            ("不可抗力", "地震", "天灾", "洪水", "台风", "疫情"),
        ),
        Attribute("force_majeure_proof", "不可抗力的证明期限", "天", "force_majeure", ()),
        Attribute(
            "support_hours",
            "客服与故障报修时间",
            "",
            "support",
            ("客服", "售后", "报修", "工单", "技术支持时间", "7*24", "7×24", "全天候", "几点"),
        ),
        Attribute("backup_responsibility", "数据备份责任", "", "backup", ("备份",)),
        Attribute(
            "attack_exemption",
            "黑客攻击、病毒等造成的中断是否免责",
            "",
            "attack",
            ("黑客", "病毒", "攻击", "被攻", "木马", "网络安全事故"),
            priority=1,
        ),
        Attribute(
            "confidentiality_survives",
            "保密义务在合同终止后是否继续有效",
            "bool",
            "confidentiality",
            ("保密",),
        ),
        Attribute(
            "unilateral_changes",
            "服务商能否单方变更条款或收费",
            "bool",
            "unilateral",
            (
                "单方变更",
                "单方修改",
                "单方调整",
                "单方面变更",
                "单方面修改",
                "单方面调整",
                "随便改",
                "修改协议",
                "变更协议",
                "改条款",
                "修改条款",
                "调整条款",
                "改合同",
                "调整费用",
                "调整收费",
                "改价",
                "涨价",
            ),
        ),
    ]
}
