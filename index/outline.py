"""The outline a contract's markers form: where the body starts, where a second part starts, the tree,
and every marker's id.

* **Body.** The top-level numbering is the numbered family on the highest Markdown level (plain lines
  rank below every heading level), first to appear on ties. Where it restarts (一…五, then 一…十一), the
  first run at least half as long as the longest is the body; shorter runs before it (a contract form, a
  numbered table of contents) are front matter. Un-numbered headings just above the body are sections
  of it (``## 提示条款``), not front matter.
* **Parts.** After the body, an annex heading (附件二, 附录) and the heading before a restart of the
  top-level numbering (``## 专用服务条款`` then ``1.【日志服务】``) start a part: the ids below them are
  prefixed with the part's name (``附件二.1.1``, ``专用服务条款.16.1.2``).
* **Tree.** A Markdown heading closes everything down to a heading of a higher level; a marker of a
  family already open closes back to that level (a sibling); dotted numbers also close deeper dotted
  levels; any other family opens a child. Parts are roots.
* **Ids.** A dotted number of depth ≥ 2 is its own id (``4.3``, within a part ``附件二.4.3``); other
  numbers are appended to the id of the closest numbered ancestor (``八.1``, ``5.(2).a``). Headings
  without a number do not enter their descendants' ids. Bullets and table rows are counted (``2.5.•1``,
  ``3.1.表1.2``). A number the contract repeats gets a suffix (``3.5.1.3~2``).
"""

from __future__ import annotations

from collections import Counter

from index.numbering import COUNTED, Marker

#: Marker families that are not a numbering of their own.
_UNNUMBERED = ("md", "contents", "bullet", "table", "row", "annex")
#: Rank of plain lines against Markdown heading levels 1–6.
_PLAIN_LEVEL = 7
#: A run of the top-level numbering holding at least this share of the heaviest run's markers is body.
BODY_SHARE = 0.5


def _top_family(markers: list[Marker]) -> str | None:
    best: tuple[tuple[int, int], str] | None = None
    for idx, marker in enumerate(markers):
        if not marker.number or marker.numbering in _UNNUMBERED:
            continue
        rank = (marker.md_level or _PLAIN_LEVEL, idx)
        if best is None or rank < best[0]:
            best = (rank, marker.family)
    return best[1] if best else None


def _runs(markers: list[Marker], top: str, limit: int) -> list[int]:
    """Indexes where a run of the top-level numbering starts (the first one, then every restart)."""
    runs: list[int] = []
    last: int | None = None
    for idx in range(limit):
        marker = markers[idx]
        if marker.family != top or not marker.number:
            continue
        if not runs or (marker.value is not None and last is not None and marker.value <= 1 < last):
            runs.append(idx)
        last = marker.value
    return runs


def body_start_index(markers: list[Marker], text_length: int) -> int:
    """Index of the first marker of the body: the start of the first substantial run of the top-level
    numbering (at least :data:`BODY_SHARE` of the characters of the longest run, up to the next
    restart), before any annex, widened back over the un-numbered headings, bullets and tables just
    above it (sections the contract titled but did not number; not the document title on level 1,
    not a table of contents). A form or a table of contents is short; general terms followed by longer
    product-specific terms are not."""
    top = _top_family(markers)
    if top is None:
        return 0
    first_top = next(i for i, m in enumerate(markers) if m.family == top and m.number)
    limit = next((i for i, m in enumerate(markers) if m.numbering == "annex" and i > first_top), len(markers))
    runs = _runs(markers, top, limit)
    last = markers[limit].body_start if limit < len(markers) else text_length
    ends = [markers[i].body_start for i in runs[1:]] + [last]
    weights = [end - markers[i].body_start for i, end in zip(runs, ends, strict=True)]
    start = next(runs[k] for k, w in enumerate(weights) if w >= BODY_SHARE * max(weights))
    above = start
    while above > 0 and markers[above - 1].numbering in ("md", "bullet", "table", "row"):
        above -= 1
    return next((i for i in range(above, start) if _titled_section(markers[i])), start)


def _titled_section(marker: Marker) -> bool:
    """An un-numbered Markdown heading below the document title (level 1)."""
    return marker.numbering == "md" and marker.md_level > 1


def mark_parts(markers: list[Marker]) -> None:
    """Flag the markers that start a part: annex headings, and the heading without a number closest
    before a restart of the top-level numbering (``markers`` start at the body). Such a heading must be
    on a level no deeper than the un-numbered headings that open the body (``## 提示条款`` before
    ``1.``, then ``## 专用服务条款`` before the next ``1.``); a ``###`` note above a list is no part."""
    for marker in markers:
        if marker.numbering == "annex":
            marker.part = True
    top = _top_family(markers)
    if top is None:
        return
    runs = _runs(markers, top, len(markers))
    opening = [m.md_level for m in markers[: runs[0]] if m.md_level and not m.number]
    deepest = min(opening, default=6)
    for start in runs[1:]:
        previous = max(i for i in range(start) if markers[i].family == top and markers[i].number)
        for i in range(start - 1, previous, -1):
            marker = markers[i]
            if marker.part or (marker.md_level and not marker.number and marker.md_level <= deepest):
                marker.part = True
                break


def _holds(outer: Marker, inner: Marker) -> bool:
    """Whether a Markdown heading ``inner`` stays inside ``outer`` (a part, or a higher heading)."""
    return outer.part or 0 < outer.md_level < inner.md_level


def _next_in_list(previous: Marker, marker: Marker) -> bool:
    """A bulleted item numbered in another family that continues the count (``- (iii).`` then
    ``- (四).``) is the next item of the same list, not a child."""
    return (
        previous.bulleted
        and marker.bulleted
        and previous.value is not None
        and marker.value == previous.value + 1
    )


def build_tree(markers: list[Marker]) -> None:
    stack: list[int] = []
    for idx, marker in enumerate(markers):
        previous: Marker | None = None
        if marker.part:
            stack.clear()
        elif marker.md_level:
            while stack and not _holds(markers[stack[-1]], marker):
                stack.pop()
        else:
            same = next((k for k in range(len(stack)) if markers[stack[k]].family == marker.family), None)
            if same is None and stack and _next_in_list(markers[stack[-1]], marker):
                same = len(stack) - 1
            if same is not None:
                previous = markers[stack[same]]
                del stack[same:]
            elif marker.depth:
                deeper = next((k for k in range(len(stack)) if markers[stack[k]].depth > marker.depth), None)
                if deeper is not None:
                    del stack[deeper:]
        if marker.family in COUNTED:
            marker.value = previous.value + 1 if previous is not None and previous.value else 1
            marker.label = f"•{marker.value}" if marker.family == "bullet" else str(marker.value)
        if stack:
            marker.parent = stack[-1]
            markers[stack[-1]].children += 1
        stack.append(idx)


def _ancestors(markers: list[Marker], marker: Marker) -> list[Marker]:
    out: list[Marker] = []
    node = marker
    while node.parent is not None:
        node = markers[node.parent]
        out.append(node)
    return out


def label_articles(markers: list[Marker]) -> None:
    """Articles (第X条) whose dotted items restate their number (9.1 under 第九条) are sections of
    that numbering: their id is the numeral as written (``九``), so ``九`` and ``9.1`` read as one
    path. Otherwise an article keeps its whole token (``第一章.第二条``)."""
    keyed = False
    for marker in markers:
        if not marker.depth:
            continue
        article = next((a for a in _ancestors(markers, marker) if a.numbering == "article"), None)
        if article is not None and article.value == int(marker.label.split(".")[0]):
            keyed = True
            break
    if keyed:
        for marker in markers:
            if marker.numbering == "article":
                marker.label = marker.label[1:-1]


def _counts_in_ids(marker: Marker) -> bool:
    return bool(marker.number) or marker.part or marker.family in (*COUNTED, "table")


def assign_ids(markers: list[Marker]) -> None:
    seen: Counter[str] = Counter()
    tables: Counter[str] = Counter()
    for marker in markers:
        ancestors = _ancestors(markers, marker)
        part = next((a for a in ancestors if a.part), None)
        counted = marker.family in (*COUNTED, "table")
        anchor = next((a for a in ancestors if counted or _counts_in_ids(a)), None)
        base = anchor.clause_id if anchor is not None else ""
        if marker.part:
            own = marker.label or marker.title or "§"
        elif marker.depth >= 2:
            own = f"{part.clause_id}.{marker.label}" if part is not None else marker.label
        else:
            if marker.family == "table":
                tables[base] += 1
                label = f"表{tables[base]}"
            else:
                label = marker.label or marker.title or "§"
            own = f"{base}.{label}" if base else label
        seen[own] += 1
        marker.clause_id = own if seen[own] == 1 else f"{own}~{seen[own]}"
