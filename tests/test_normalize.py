"""Chinese numerals and quantities, normalised."""

from __future__ import annotations

import pytest

from core.numbers import durations, money, multiples, parse_number, rates, service_hours


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("30", 30),
        ("0.3", 0.3),
        ("五", 5),
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("一百零五", 105),
        ("二十万", 200_000),
        ("两", 2),
        ("一万二千", 12_000),
        ("abc", None),
        ("", None),
    ],
)
def test_numbers(text: str, value: float | None) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("应自不可抗力事件发生之日起五日内", 5, "天"),
        ("云通讯自本协议终止之日起7日后", 7, "天"),
        ("之日起的 30 个自然日内", 30, "天"),
        ("需要*15个工作日*日内提出需求", 15, "工作日"),
        ("连续 72 小时不能正常使用服务", 72, "小时"),
        ("不足一个月的按一个月计算", 30, "天"),
        ("提前 15 天书面通知", 15, "天"),
        # a number restated in digits, as bilingual contracts write it
        ("客户数据保留至少九十 (90) 天以便于您提取", 90, "天"),
        ("应在三十（30）日内书面通知", 30, "天"),
    ],
)
def test_durations(text: str, value: float, unit: str) -> None:
    first = durations(text)[0]
    assert (first.value, first.unit) == (value, unit)
    assert first.text in text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("未付费用的万分之五的标准", 0.05),
        ("每日千分之一", 0.1),
        ("应付服务费用*0.3%*拖欠天数", 0.3),
        ("年服务费总额的 25%", 25),
    ],
)
def test_rates_as_percent(text: str, value: float) -> None:
    assert rates(text)[0].value == pytest.approx(value)


def test_multiples_money_and_service_hours() -> None:
    assert [m.value for m in multiples("弹性云主机按照故障时间100倍/台赔偿,套餐云主机50倍")] == [100, 50]
    assert money("赔偿不超过二十万元")[0].value == 200_000
    assert money("赔偿不超过 5000 元")[0].value == 5000
    assert service_hours("提供 7*24 售后故障报修服务") == "7×24"
    assert service_hours("7×24 小时") == "7×24"
    assert service_hours("第 3 条") is None


def test_lengths_of_time_a_question_asking_how_long_is_answered_by() -> None:
    """一分钟内 / 十分钟后 / 半小时 state how long as surely as 30 天 does, though no fact is read in them."""
    from core.numbers import time_spans

    assert time_spans("一分钟内款项原路退回，十分钟后仍未收到请联系我们") == ["一分钟", "十分钟"]
    assert time_spans("最近半小时没有请求则休眠，每天最多运行 18 个小时") == ["18 个小时", "半小时"]
    assert time_spans("按故障前每分钟费用的 10 倍赔偿") == []  # a rate per minute is no length of time
