"""Markup that contracts carry from their editors (Markdown emphasis, Word bookmarks).

Offsets always refer to the raw text; only display strings drop this markup.
"""

from __future__ import annotations

import re

#: Word bookmarks exported as text, e.g. ``[bookmark: _GoBack]``.
BOOKMARK = re.compile(r"\[bookmark:[^\]\n]*\]")
#: Markdown emphasis markers and heading hashes at a line start.
EMPHASIS = re.compile(r"\*\*|__")
HEADING_HASHES = re.compile(r"^[ \t]*#{1,6}[ \t]+", re.MULTILINE)


def strip_markup(text: str) -> str:
    """Text as a reader should see it: no bookmarks, emphasis markers or heading hashes."""
    text = BOOKMARK.sub("", text)
    text = HEADING_HASHES.sub("", text)
    return EMPHASIS.sub("", text)
