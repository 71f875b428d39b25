"""Where every eval writes its report: indented UTF-8 JSON (folders created), and a line saying where."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_report(path: Path, report: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwrote {path}")
