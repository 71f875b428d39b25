"""``providers.toml``: the optional file in a contracts folder that names a provider the text does not.

One table per document id with optional name, entity and aliases::

    ["001_d0ab719c5a823c3c.txt"]
    aliases = ["云通讯"]

A malformed file raises :class:`ManifestError` naming the file and the field; callers report it and keep
what is already indexed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ManifestEntry", "ManifestError", "load_manifest"]


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    name: str | None = None
    entity: str | None = None
    aliases: tuple[str, ...] = ()


class ManifestError(ValueError):
    """The provider manifest is malformed; the message names the file and the field."""


def load_manifest(path: Path) -> dict[str, ManifestEntry]:
    """Read ``providers.toml``: one table per document id with optional name, entity and aliases."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path.name}: not valid TOML ({exc})") from None
    entries: dict[str, ManifestEntry] = {}
    for doc_id, table in data.items():
        if not isinstance(table, dict):
            raise ManifestError(f"{path.name}: [{doc_id}] must be a table with name / entity / aliases")
        unknown = set(table) - {"name", "entity", "aliases"}
        if unknown:
            raise ManifestError(
                f"{path.name}: [{doc_id}] has unknown field(s) {sorted(unknown)}; "
                "valid: name, entity, aliases"
            )
        aliases = table.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise ManifestError(f"{path.name}: [{doc_id}] aliases must be a list of non-empty strings")
        for key in ("name", "entity"):
            if key in table and not (isinstance(table[key], str) and table[key].strip()):
                raise ManifestError(f"{path.name}: [{doc_id}] {key} must be a non-empty string")
        entries[doc_id] = ManifestEntry(
            table.get("name"), table.get("entity"), tuple(a.strip() for a in aliases)
        )
    return entries
