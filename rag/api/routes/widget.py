from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["widget"])


@router.get("/widget", response_class=HTMLResponse)
def widget() -> HTMLResponse:
    """The embeddable chat widget: one self-contained page for an iframe."""
    return HTMLResponse((files("ui") / "widget" / "index.html").read_text(encoding="utf-8"))
