"""A real browser: Debian's headless chromium driven by Playwright opens the widget and the Streamlit app,
asks 哪家数据保留期最长？, checks 码尚云 is named first and a highlighted citation shows after clicking its
marker, and saves screenshots to ``artifacts/``. The servers run on 127.0.0.1 and are stopped afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
QUESTION = "哪家数据保留期最长？"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="Debian chromium is not installed (make install installs it); CI always runs these tests",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up in {seconds} s")


@pytest.fixture(scope="module")
def env(hashing_index_dir: Path) -> dict[str, str]:
    return {**os.environ, "RAG_EMBED_MODEL": "hashing", "RAG_INDEX_DIR": str(hashing_index_dir)}


def start(command: list[str], env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(url)
    except TimeoutError:
        process.kill()
        raise
    return process


@pytest.fixture(scope="module")
def api_url(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    rag = str(Path(sys.executable).parent / "rag")
    process = start([rag, "serve", "--port", str(port)], env, f"http://127.0.0.1:{port}/readyz")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def streamlit_app(env: dict[str, str]) -> Iterator[str]:
    """The Streamlit app on a free loopback port with ``env``: its URL while the fixture lasts."""
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / "app.py"),
        "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    process = start(command, env, f"http://127.0.0.1:{port}/_stcore/health")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def streamlit_url(env: dict[str, str]) -> Iterator[str]:
    yield from streamlit_app(env)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield instance
        instance.close()


def test_widget_answers_and_highlights_the_cited_span(browser, api_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 480, "height": 760})
    page.goto(f"{api_url}/widget")
    page.fill("#q", QUESTION)
    page.press("#q", "Enter")
    answer = page.locator(".msg.bot:not(.loading)").first
    answer.wait_for(timeout=30_000)
    text = answer.inner_text()
    assert text.index("码尚云") < text.index("讯众云通信") < text.index("软通云商城")
    page.locator(".marker").first.click()
    mark = page.locator(".clause mark").first
    mark.wait_for(state="visible", timeout=30_000)
    assert "30 个自然日" in mark.inner_text()
    assert "第 4.3 条" in page.locator(".clause .path").first.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget.png"), full_page=True)


def test_api_docs_render_offline(browser, api_url: str) -> None:  # type: ignore[no-untyped-def]
    """/docs (Swagger UI) and /redoc draw the API with every request to another host refused, as on an
    intranet without internet: their scripts and styles come from this server (the fastapi-offline package).
    ReDoc's bundle still asks cdn.redoc.ly for its "powered by" logo; refused, nothing else is missing."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    refused: list[str] = []

    def offline(route):  # type: ignore[no-untyped-def]
        if route.request.url.startswith((api_url, "data:", "blob:")):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    page.goto(f"{api_url}/docs")
    page.locator(".swagger-ui .opblock").first.wait_for(timeout=30_000)  # the operations were drawn
    assert "/v1/ask" in page.locator(".swagger-ui").inner_text()
    page.goto(f"{api_url}/redoc")
    page.get_by_text("/v1/ask", exact=False).first.wait_for(timeout=30_000)
    assert all("logo" in url for url in refused), refused
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "redoc.png"))


def _chat_page(browser, url: str):  # type: ignore[no-untyped-def]
    """The Streamlit app at ``url``, loaded until its chat box is there (the first load warms the model)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=90_000)
    return page


def _ask(page, question: str, expect: str) -> None:  # type: ignore[no-untyped-def]
    """Ask ``question`` in the chat and wait until the answer shows ``expect``."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=90_000)
    box.fill(question)
    box.press("Enter")
    page.get_by_text(expect, exact=False).first.wait_for(timeout=60_000)


def test_streamlit_chat_answers_and_highlights_the_cited_span(browser, streamlit_url: str) -> None:  # type: ignore[no-untyped-def]
    page = _chat_page(browser, streamlit_url)
    _ask(page, QUESTION, "最长的是码尚云")
    reply = page.get_by_test_id("stChatMessage").nth(1).inner_text()
    assert reply.index("码尚云") < reply.index("讯众云通信")
    page.get_by_text("[1] 码尚云 第 4.3 条").first.click()
    mark = page.locator(".cited mark").first
    mark.wait_for(state="visible", timeout=30_000)
    assert "30 个自然日" in mark.inner_text()
    page.wait_for_timeout(800)  # let the expander finish opening before the picture
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "streamlit.png"), full_page=True)
    assert page.get_by_text("Deploy", exact=True).count() == 0  # .streamlit/config.toml: viewer toolbar


def _in_view(page, locator) -> bool:  # type: ignore[no-untyped-def]
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 40) <= height


def test_a_citation_opens_the_contract_scrolled_to_the_highlighted_clause(
    browser, streamlit_url: str
) -> None:  # type: ignore[no-untyped-def]
    page = _chat_page(browser, streamlit_url)
    _ask(page, QUESTION, "最长的是码尚云")
    page.get_by_text("[1] 码尚云 第 4.3 条").first.click()
    page.get_by_role("button", name="在合同中查看").first.click()
    focused = page.locator('.clause.focus[data-clause="002_111862d00bf5977e.txt#4.3"]')
    focused.wait_for(state="visible", timeout=30_000)
    assert "30 个自然日" in focused.locator("mark").inner_text()
    page.wait_for_function(
        "() => { const r = document.querySelector('.clause.focus').getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; }",
        timeout=15_000,
    )
    assert _in_view(page, focused)  # the page was scrolled to it, not left at the top
    assert page.get_by_text("第 4.2 条").first.is_visible()  # its neighbours are readable around it
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "contract-focus.png"))


def test_the_comparison_table_shows_every_provider_and_row(browser, streamlit_url: str) -> None:  # type: ignore[no-untyped-def]
    from rag.catalog import ATTRIBUTES

    page = _chat_page(browser, streamlit_url)
    page.get_by_text("对比", exact=True).first.click()
    table = page.locator(".facts table")
    table.wait_for(timeout=30_000)
    page.wait_for_timeout(1_000)  # the page finishes drawing (chart, downloads) before rows are measured
    headers = table.locator("thead th").all_inner_texts()
    assert headers[0] == "属性"
    assert sorted(headers[1:]) == sorted(["码尚云", "西部数码", "讯众云通信", "软通云商城", "京东云-微电云"])
    rows = table.locator("tbody tr")
    assert rows.count() == len(ATTRIBUTES)
    for k in range(rows.count()):  # every row and every cell reaches the screen when scrolled to
        row = rows.nth(k)
        row.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(50)
        assert _in_view(page, row), k
        last = row.locator("td").last
        last.evaluate("e => e.scrollIntoView({block: 'center', inline: 'center'})")
        assert last.is_visible() and last.inner_text().strip()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "comparison.png"), full_page=True)


def test_the_widget_at_390px_shows_progress_scrolls_to_each_answer_and_opened_clause(
    browser, api_url: str
) -> None:  # type: ignore[no-untyped-def]
    """A phone-sized widget: while an answer is on its way a loading line shows; each new answer is scrolled
    into the log's view from its first line, an opened clause too; citation markers are ≥ 24 px targets."""
    page = browser.new_page(viewport={"width": 390, "height": 700})
    page.goto(f"{api_url}/widget")
    # Count loading lines as the page shows them (a fast answer can replace one before a poll sees it; the
    # test used to hold each request in a route handler, which also held Playwright's own event loop).
    page.evaluate(
        """() => { window.loadingShown = 0; new MutationObserver(records => { for (const r of records)
             for (const n of r.addedNodes) if (n.nodeType === 1 && n.matches('.msg.loading')
               && n.offsetParent !== null && n.textContent.trim()) window.loadingShown++; })
           .observe(document.getElementById('log'), {childList: true, subtree: true}); }"""
    )
    log = page.locator("#log")
    for n, question in enumerate(
        [QUESTION, "西部数码逾期付款怎么收滞纳金？", "合同纠纷一般去哪里打官司？"], 1
    ):
        page.fill("#q", question)
        page.press("#q", "Enter")
        page.locator(".msg.bot:not(.loading)").nth(n - 1).wait_for(timeout=30_000)
        assert page.evaluate("window.loadingShown") == n  # a visible loading line while it was on its way
        assert page.locator(".msg.loading").count() == 0
    newest = page.locator(".msg.bot").last
    page.wait_for_timeout(300)
    log_box, answer_box = log.bounding_box(), newest.bounding_box()
    assert log.evaluate("e => e.scrollHeight > e.clientHeight")  # the log overflows: scrolling was needed
    assert log_box["y"] - 1 <= answer_box["y"] <= log_box["y"] + log_box["height"] - 20
    marker = newest.locator(".marker").last
    size = marker.bounding_box()
    assert size["width"] >= 24 and size["height"] >= 24
    marker.click()
    panel = newest.locator(".clause")
    panel.locator("mark").wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(300)
    panel_box = panel.bounding_box()
    assert panel_box["y"] + panel_box["height"] <= log_box["y"] + log_box["height"] + 1  # fully in view
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-390.png"))


@pytest.fixture(scope="module")
def own_folder_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over a copy of the bundled contracts and an index of its own: uploads land there."""
    import shutil

    from rag.settings import BUNDLED_CONTRACTS

    root = tmp_path_factory.mktemp("upload")
    shutil.copytree(BUNDLED_CONTRACTS, root / "contracts")
    env = {
        **os.environ,
        "RAG_EMBED_MODEL": "hashing",
        "RAG_INDEX_DIR": str(root / "index"),
        "RAG_CONTRACTS_DIR": str(root / "contracts"),
    }
    yield from streamlit_app(env)


def test_an_uploaded_contract_is_answered(browser, own_folder_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    contract = tmp_path / "晨星.txt"
    contract.write_text(
        "晨星云服务协议\n本协议是杭州晨星数据科技有限公司（以下简称“晨星云”）与您订立的协议。\n"
        "1. 数据\n1.1 服务期满或协议终止后，晨星云将继续保存您的数据 45 个自然日，逾期删除。\n",
        encoding="utf-8",
    )
    page = _chat_page(browser, own_folder_url)
    page.get_by_text("上传合同", exact=True).first.click()
    page.get_by_text("已收录的合同", exact=True).wait_for(timeout=30_000)
    for english in ("Drag and drop", "Browse files", "Choose an option"):  # Chinese labels only
        assert not page.get_by_text(english, exact=False).first.is_visible(), english
    page.locator("input[type=file]").set_input_files(str(contract))
    page.get_by_text("识别出的服务商：晨星云", exact=False).first.wait_for(timeout=30_000)
    page.get_by_role("button", name="加入并重新建索引").click()
    page.get_by_text("已加入 晨星.txt", exact=False).first.wait_for(timeout=90_000)
    listed = page.locator(".facts td", has_text="晨星.txt")
    listed.first.wait_for(timeout=30_000)  # the page draws the list after the message
    assert listed.count() == 1  # in the loaded contracts
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload.png"), full_page=True)
    page.get_by_text("问答", exact=True).first.click()
    _ask(page, "晨星云服务终止后数据保留多久？", "45 个自然日")
