"""The 对比 page: the provider × attribute fact table (providers as columns, every row and cell shown whole,
the first column fixed while scrolling), chosen providers and attributes, downloads as CSV and XLSX with the
citation of every cell, and a chart of one numeric attribute where 未约定 is never drawn as 0."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import streamlit as st
from openpyxl import Workbook

from rag.catalog import ATTRIBUTES
from rag.pipeline import Pipeline
from ui.common import as_html, clause_label, show_html

CHARTABLE = ("data_retention", "late_fee", "outage_multiplier", "termination_notice", "force_majeure_notice")
ABSENT = "未约定"
EXPORT_COLUMNS = ("服务商", "属性", "约定", "合同", "条款", "原文")


def export_rows(p: Pipeline, providers: Sequence[str], keys: Sequence[str]) -> list[tuple[str, ...]]:
    """One row per fact (a cell with several facts gives several rows), 未约定 for an empty cell."""
    rows: list[tuple[str, ...]] = []
    for key in keys:
        for provider in providers:
            facts = p.table.cell(provider, key)
            if not facts:
                rows.append((provider, ATTRIBUTES[key].label, ABSENT, "", "", ""))
            for f in facts:
                title = p.table.titles.get(f.citation.doc_id, f.citation.doc_id)
                label = clause_label(f.citation.clause_id)
                rows.append((provider, ATTRIBUTES[key].label, f.display, title, label, f.citation.text))
    return rows


def as_csv(rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")  # the BOM lets Excel read the Chinese as UTF-8


def as_xlsx(rows: Sequence[Sequence[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "对比"
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_html(p: Pipeline, providers: Sequence[str], keys: Sequence[str]) -> str:
    head = "".join(f"<th>{as_html(name)}</th>" for name in providers)
    body = []
    for key in keys:
        cells = []
        for provider in providers:
            facts = p.table.cell(provider, key)
            said = "<br>".join(
                f"{as_html(f.display)} <small>{as_html(clause_label(f.citation.clause_id))}</small>"
                for f in facts
            )
            cells.append(f"<td>{said}</td>" if facts else f'<td class="absent">{ABSENT}</td>')
        body.append(f"<tr><th>{as_html(ATTRIBUTES[key].label)}</th>{''.join(cells)}</tr>")
    return (
        f'<div class="facts"><table><thead><tr><th>属性</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _chart(p: Pipeline, providers: Sequence[str]) -> None:
    numeric = [k for k in CHARTABLE if k in ATTRIBUTES]
    chosen = st.selectbox(
        "图表：选择一个数值属性", numeric, format_func=lambda k: ATTRIBUTES[k].label, key="chart"
    )
    spec = ATTRIBUTES[chosen]
    values = []
    for provider in providers:
        nums = [float(f.value) for f in p.table.cell(provider, chosen) if isinstance(f.value, int | float)]
        if nums:
            values.append({"服务商": provider, "值": max(nums)})
    if values:
        unit = f"（{spec.unit}）" if spec.unit else ""
        st.vega_lite_chart(
            {
                "title": f"{spec.label}：各服务商对比",
                "data": {"values": values},
                "encoding": {
                    "y": {
                        "field": "服务商",
                        "type": "nominal",
                        "sort": "-x",
                        "axis": {"title": "服务商", "labelAngle": 0},
                    },
                    "x": {"field": "值", "type": "quantitative", "axis": {"title": f"{spec.label}{unit}"}},
                },
                "layer": [  # the bar, and its value written beside it (a real 0 shows as 0)
                    {"mark": {"type": "bar", "tooltip": True}},
                    {
                        "mark": {"type": "text", "align": "left", "dx": 4},
                        "encoding": {"text": {"field": "值"}},
                    },
                ],
            },
            width="stretch",
        )
    else:
        st.info("所选服务商的合同都没有约定这一项的数值。")
    untold = [name for name in providers if name not in {v["服务商"] for v in values}]
    if untold:  # never a bar of 0: a real 0 (可删除、不保留) is drawn, a missing value is listed
        show_html(as_html(f"{ABSENT}（不画作 0）：" + "、".join(untold)), caption=True)


def comparison_page(p: Pipeline) -> None:
    st.title("服务商对比")
    with st.expander("选择要对比的服务商与条款（默认全部）"):
        providers = st.multiselect(
            "对比哪些服务商", p.table.providers, default=p.table.providers, key="cmp-providers"
        )
        keys = st.multiselect(
            "对比哪些条款",
            list(ATTRIBUTES),
            default=list(ATTRIBUTES),
            format_func=lambda k: ATTRIBUTES[k].label,
            key="cmp-attributes",
        )
    if not providers or not keys:
        st.info("请至少选择一家服务商和一项条款。")
        return
    show_html(table_html(p, providers, keys))
    show_html(
        as_html("每格后是条款号；“未约定”指合同没有写这一项，与数值 0 不同。下载的表格带每一格的原文出处。"),
        caption=True,
    )
    rows = export_rows(p, providers, keys)
    left, right = st.columns(2)
    left.download_button("下载 CSV", as_csv(rows), "对比.csv", "text/csv", key="csv")
    right.download_button(
        "下载 Excel（XLSX）",
        as_xlsx(rows),
        "对比.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="xlsx",
    )
    _chart(p, providers)
