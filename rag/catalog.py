"""The attribute catalog (``rag/catalog.toml``) loaded into typed, frozen records and checked on load.

Adding an attribute is an entry in the TOML file (and tests), no Python: its cues say which sentences are
about it, its readers (generic per value type, :mod:`rag.readers`) say where the value is and how an answer
shows it. A malformed entry is refused with the file, the attribute and the field named.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

VALUE_TYPES = (
    "duration",
    "rate_per_day",
    "money",
    "multiple",
    "percentage",
    "place",
    "party",
    "yes_no",
    "enum",
    "text",
)
SCOPES = ("sentence", "context", "sentence+heading", "sentence|parent")
READER_KINDS = (
    "const",
    "duration",
    "rate",
    "money",
    "multiple",
    "percent",
    "capture",
    "list",
    "list_all",
    "ratio",
    "hours",
    "tier",
)
BINDS = ("provider", "user", "either")
CATALOG_FILE = "catalog.toml"


class CatalogError(ValueError):
    """The catalog is malformed; the message names the file, the attribute and the field."""


@dataclass(frozen=True, slots=True)
class Cue:
    pattern: re.Pattern[str]
    scope: str = "sentence"


@dataclass(frozen=True, slots=True)
class Reader:
    """One way to read an attribute's value from a sentence (see the catalog's header for the fields)."""

    kind: str
    pattern: re.Pattern[str] | None = None
    need: re.Pattern[str] | None = None
    unless: re.Pattern[str] | None = None
    self_in: str = ""
    need_in: str = "sentence"  # where `need` must match: a table row's column header is in its headings
    value: Any = None
    display: str = "{text}"
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)


@dataclass(frozen=True, slots=True)
class Attribute:
    key: str
    label: str
    type: str
    unit: str
    topic: str
    binds: str
    question_words: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    direction: str | None = None
    priority: int = 0
    self_in: str = ""
    cues: tuple[Cue, ...] = ()
    unless: tuple[Cue, ...] = ()
    readers: tuple[Reader, ...] = ()


_READER_FIELDS = {"kind", "pattern", "need", "need_in", "unless", "self_in", "value", "display"}


def _regex(value: Any, where: str) -> re.Pattern[str]:
    if not isinstance(value, str) or not value:
        raise CatalogError(f"{where}: must be a non-empty regular expression")
    try:
        return re.compile(value)
    except re.error as exc:
        raise CatalogError(f"{where}: invalid regular expression ({exc})") from None


def _cues(items: Any, where: str) -> tuple[Cue, ...]:
    if not isinstance(items, list):
        raise CatalogError(f"{where}: must be a list of {{ match = …, in = … }}")
    out = []
    for i, item in enumerate(items):
        scope = item.get("in", "sentence") if isinstance(item, dict) else None
        if scope not in SCOPES:
            raise CatalogError(f"{where}[{i}].in: {scope!r} is not one of {', '.join(SCOPES)}")
        out.append(Cue(_regex(item.get("match"), f"{where}[{i}].match"), scope))
    return tuple(out)


def _reader(item: Any, where: str) -> Reader:
    if not isinstance(item, dict) or item.get("kind") not in READER_KINDS:
        kind = item.get("kind") if isinstance(item, dict) else item
        raise CatalogError(f"{where}.kind: {kind!r} is not one of {', '.join(READER_KINDS)}")
    need_in = item.get("need_in", "sentence")
    if need_in not in SCOPES:
        raise CatalogError(f"{where}.need_in: {need_in!r} is not one of {', '.join(SCOPES)}")
    return Reader(
        kind=item["kind"],
        pattern=_regex(item["pattern"], f"{where}.pattern") if "pattern" in item else None,
        need=_regex(item["need"], f"{where}.need") if "need" in item else None,
        unless=_regex(item["unless"], f"{where}.unless") if "unless" in item else None,
        self_in=item.get("self_in", ""),
        need_in=need_in,
        value=item.get("value"),
        display=item.get("display", "{text}"),
        options={k: v for k, v in item.items() if k not in _READER_FIELDS},
    )


def _attribute(data: Mapping[str, Any], where: str) -> Attribute:
    for name in ("key", "label", "type", "topic", "binds"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise CatalogError(f"{where}.{name}: required, a non-empty string")
    key = data["key"]
    where = f"{where} ({key})"
    if data["type"] not in VALUE_TYPES:
        raise CatalogError(f"{where}.type: {data['type']!r} is not one of {', '.join(VALUE_TYPES)}")
    if data["binds"] not in BINDS:
        raise CatalogError(f"{where}.binds: {data['binds']!r} is not one of {', '.join(BINDS)}")
    if data.get("direction") not in (None, "max", "min"):
        raise CatalogError(f"{where}.direction: must be max or min")
    readers = data.get("read", [])
    if not isinstance(readers, list) or not readers:
        raise CatalogError(f"{where}.read: at least one reader is required")
    return Attribute(
        key=key,
        label=data["label"],
        type=data["type"],
        unit=data.get("unit", ""),
        topic=data["topic"],
        binds=data["binds"],
        question_words=tuple(data.get("question_words", ())),
        examples=tuple(data.get("examples", ())),
        direction=data.get("direction"),
        priority=int(data.get("priority", 0)),
        self_in=data.get("self_in", ""),
        cues=_cues(data.get("cue", []), f"{where}.cue"),
        unless=_cues(data.get("unless", []), f"{where}.unless"),
        readers=tuple(_reader(r, f"{where}.read[{i}]") for i, r in enumerate(readers)),
    )


def parse_catalog(text: str, source: str = CATALOG_FILE) -> dict[str, Attribute]:
    """The attributes of a catalog file's text, in file order; :class:`CatalogError` naming the problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source}: not valid TOML ({exc})") from None
    entries = data.get("attribute")
    if not isinstance(entries, list) or not entries:
        raise CatalogError(f"{source}: no [[attribute]] entries")
    catalog: dict[str, Attribute] = {}
    for i, entry in enumerate(entries):
        attribute = _attribute(entry, f"{source}: attribute[{i}]")
        if attribute.key in catalog:
            raise CatalogError(f"{source}: attribute[{i}].key: {attribute.key!r} is defined twice")
        catalog[attribute.key] = attribute
    return catalog


def parse_skip(text: str, source: str = CATALOG_FILE) -> tuple[re.Pattern[str], ...]:
    """The catalog's ``skip`` patterns: sentences that state no fact of any attribute."""
    skip = tomllib.loads(text).get("skip", [])
    return tuple(_regex(p, f"{source}: skip[{i}]") for i, p in enumerate(skip))


def load_catalog() -> dict[str, Attribute]:
    return parse_catalog((files("rag") / CATALOG_FILE).read_text(encoding="utf-8"))


ATTRIBUTES: dict[str, Attribute] = load_catalog()
SKIP: tuple[re.Pattern[str], ...] = parse_skip((files("rag") / CATALOG_FILE).read_text(encoding="utf-8"))


def about(text: str, attributes: Sequence[str], *, concept: bool = False) -> bool:
    """The text carries at least half of the cue groups of one of the attributes (with ``concept``, the
    first among them: the catalog lists the word for the thing itself first, 可用性 before 承诺)."""
    return any(
        2 * sum(bool(c.pattern.search(text)) for c in ATTRIBUTES[a].cues) >= len(ATTRIBUTES[a].cues) > 0
        and (not concept or bool(ATTRIBUTES[a].cues[0].pattern.search(text)))
        for a in attributes
    )
