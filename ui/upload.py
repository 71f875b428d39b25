"""The 上传合同 page: add a contract (txt / md / docx / pdf, checked by the loader ``rag index`` uses),
confirm or correct the provider read from it (kept in ``providers.toml``), reindex with a progress bar,
and see or remove the loaded contracts. The writing is ``index/upload.py``'s; this page asks and shows."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import streamlit as st

from index.durable import current_build
from index.load import LoadError
from index.provider_manifest import ManifestError
from index.store import IndexBusy
from index.upload import UploadError, add_contract, check_upload, remove_contract
from rag.pipeline import Pipeline, build
from ui.common import as_html, markdown_literal, show_html, title_of

DONE = "upload-done"  # session key: what the last add or remove did, shown after the rerun


def _reindex(p: Pipeline) -> bool:
    """Rebuild the index (only the changed file is embedded), then drop the cached pipeline so the next
    run loads the new build; False (with the reason shown) when the folder cannot be indexed."""
    bar = st.progress(0.0, text="正在重新建索引…")

    def progress(batches: Iterable[Any], total: int, label: str) -> Iterable[Any]:
        for done, batch in enumerate(batches, start=1):
            bar.progress(min(done / max(total, 1), 1.0), text=f"正在重新建索引：{done}/{total}")
            yield batch

    try:
        build(p.settings, p.embedder, progress=progress)
    except (LoadError, IndexBusy) as exc:  # the current index is kept
        st.error(markdown_literal(f"索引未能更新（现有索引不变）：{exc}"))
        return False
    bar.progress(1.0, text="索引已更新")
    st.cache_resource.clear()
    return True


def _aliases(text: str) -> tuple[str, ...]:
    return tuple(a for a in (part.strip() for part in re.split(r"[、,，;；\s]+", text)) if a)


def _loaded(p: Pipeline) -> None:
    st.subheader("已收录的合同")
    build_id = current_build(p.settings.index_dir) or ""
    stamp = re.search(r"(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})", build_id)
    if stamp:
        y, m, d, hh, mm = stamp.groups()
        show_html(as_html(f"索引建于 {y}-{m}-{d} {hh}:{mm}（UTC）"), caption=True)
    rows = [p.document_summary(d) for d in p.index.documents]
    lines = "".join(
        f"<tr><td>{as_html(r['provider'])}</td><td>{as_html(title_of(p, r['doc_id']))}</td>"
        f"<td>{r['clauses']}</td><td>{as_html(r['doc_id'])}</td></tr>"
        for r in rows
    )
    show_html(
        '<div class="facts"><table><thead><tr><th>服务商</th><th>合同</th><th>条款数</th><th>文件</th></tr>'
        f"</thead><tbody>{lines}</tbody></table></div>"
    )
    doc_id = st.selectbox(
        "移除一份合同", list(p.index.documents), index=None, placeholder="选择要移除的合同", key="remove-doc"
    )
    if doc_id and st.button("移除并重新建索引", key="remove"):
        try:
            remove_contract(p.settings.contracts_dir, doc_id)
        except (UploadError, ManifestError, OSError) as exc:
            st.error(markdown_literal(f"无法移除：{exc}"))
            return
        if _reindex(p):
            st.session_state[DONE] = f"已移除 {doc_id}，索引已更新。"
            st.rerun()


def upload_page(p: Pipeline) -> None:
    st.title("上传合同")
    limit = p.settings.max_file_bytes
    st.caption(f"支持 txt、md、docx、pdf，单个文件不超过 {limit // 1024} KB；文件只写入合同文件夹。")
    done = st.session_state.pop(DONE, None)
    if done:
        st.success(markdown_literal(done))
    round_ = st.session_state.setdefault("upload-round", 0)  # a new uploader, emptied, after each add
    kinds = ["txt", "md", "html", "htm", "docx", "pdf"]
    upload = st.file_uploader("选择合同文件", type=kinds, key=f"upload-{round_}")
    if upload is not None:
        data = upload.getvalue()
        try:
            checked = check_upload(upload.name, data, limit)
        except UploadError as exc:
            st.error(markdown_literal(f"无法加入：{exc}"))
        else:
            found = checked.provider
            entity = found.entity or "未读出"
            also = "、".join(found.aliases) or "无"
            show_html(as_html(f"识别出的服务商：{found.name}；法律主体：{entity}；别名：{also}"))
            name = st.text_input("服务商名称（可修改）", value=found.name, key=f"name-{checked.name}")
            aliases = st.text_input("补充别名（用顿号分隔，可留空）", key=f"aliases-{checked.name}")
            if st.button("加入并重新建索引", key="add"):
                try:
                    add_contract(
                        p.settings.contracts_dir, checked, data, name=name, aliases=_aliases(aliases)
                    )
                except (UploadError, ManifestError, OSError) as exc:
                    st.error(markdown_literal(f"无法加入：{exc}"))
                else:
                    if not _reindex(p):
                        remove_contract(p.settings.contracts_dir, checked.name)  # not added after all
                        return
                    st.session_state[DONE] = (
                        f"已加入 {checked.name}（{name}），索引已更新，可以去问答页提问了。"
                    )
                    st.session_state["upload-round"] = round_ + 1
                    st.rerun()
    _loaded(p)
