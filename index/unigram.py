"""SentencePiece-unigram tokenization of a ``tokenizer.json`` in plain Python: the same ids as the
``tokenizers`` library, a fraction of its memory.

The bundled e5 model's vocabulary has 250,002 pieces; ``tokenizers`` holds them in a trie that costs about
285 MB and 0.6 s to load — most of a cold start's memory once the token embeddings are memory-mapped. Here
the pieces are a dict (piece → id, score) plus, per first character, the lengths of the pieces starting
with it, and the best segmentation is the same Viterbi pass ``tokenizers`` runs (``Unigram::
encode_optimized``): positions left to right, pieces shortest first, a candidate replaces a path only when
strictly better, a character no piece covers becomes ``unk`` at the lowest score minus 10, consecutive
unknowns fused. Around it the folder's pipeline as its JSON declares it: added (special) tokens split out
unnormalised, the normaliser sequence (string and regex ``Replace``, ``NFKC``), ``Metaspace`` (spaces to
``▁``, prepended to every split, split before each ``▁``) and the template's ``<s> … </s>``.

:func:`load_tokenizer` returns this tokenizer for a JSON of exactly that shape and the ``tokenizers``
library's for anything else; a test holds the two to identical ids on every bundled and corpus text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

UNK_PENALTY = 10.0  # tokenizers' K_UNK_PENALTY


class UnsupportedTokenizer(ValueError):
    """The tokenizer.json declares a step this module does not implement (the library is used instead)."""


def _normaliser(spec: dict[str, Any] | None) -> Callable[[str], str]:
    """The normaliser sequence as (kind, pattern, replacement) steps applied in order."""
    steps: list[tuple[str, Any, str]] = []
    for step in (spec or {}).get("normalizers", [spec] if spec else []):
        kind, pattern = step.get("type"), step.get("pattern") or {}
        if kind == "NFKC":
            steps.append(("nfkc", None, ""))
        elif kind == "Replace" and "String" in pattern:
            steps.append(("text", pattern["String"], step["content"]))
        elif kind == "Replace" and "Regex" in pattern:
            steps.append(("regex", re.compile(pattern["Regex"]), step["content"]))
        else:
            raise UnsupportedTokenizer(f"normaliser {kind!r}")

    def normalise(text: str) -> str:
        for kind, pattern, replacement in steps:
            if kind == "nfkc":
                text = unicodedata.normalize("NFKC", text)
            elif kind == "text":
                text = text.replace(pattern, replacement)
            else:
                text = pattern.sub(replacement, text)
        return text

    return normalise


class UnigramTokenizer:
    """Encodes texts to ids exactly as ``tokenizers`` does for the supported pipeline."""

    def __init__(self, data: dict[str, Any], max_length: int) -> None:
        model, pre = data.get("model") or {}, data.get("pre_tokenizer") or {}
        if model.get("type") != "Unigram" or model.get("byte_fallback"):
            raise UnsupportedTokenizer(f"model {model.get('type')!r}")
        if pre.get("type") != "Metaspace" or pre.get("prepend_scheme") != "always" or not pre.get("split"):
            raise UnsupportedTokenizer(f"pre-tokenizer {pre}")
        template = [next(iter(item.items())) for item in (data.get("post_processor") or {}).get("single", [])]
        if [kind for kind, _ in template] != ["SpecialToken", "Sequence", "SpecialToken"]:
            raise UnsupportedTokenizer("post-processor")
        self.normalise = _normaliser(data.get("normalizer"))
        self.space = pre["replacement"]
        vocab = model["vocab"]
        self.pieces: dict[str, tuple[int, float]] = {p: (i, float(s)) for i, (p, s) in enumerate(vocab)}
        lengths: dict[str, set[int]] = {}
        for piece in self.pieces:
            if piece:
                lengths.setdefault(piece[0], set()).add(len(piece))
        self.lengths = {c: tuple(sorted(n)) for c, n in lengths.items()}
        self.unk_id = int(model["unk_id"])
        self.unk_score = min(float(s) for _, s in vocab) - UNK_PENALTY
        self.added = {t["content"]: int(t["id"]) for t in data.get("added_tokens", [])}
        longest_first = sorted(self.added, key=len, reverse=True)
        self.split_added = re.compile("|".join(map(re.escape, longest_first))) if self.added else None
        self.bos, self.eos = (self.pieces[template[0][1]["id"]][0], self.pieces[template[2][1]["id"]][0])
        self.max_length = max_length

    @classmethod
    def from_file(cls, path: Path, max_length: int) -> UnigramTokenizer:
        return cls(json.loads(path.read_text(encoding="utf-8")), max_length)

    def token_to_id(self, token: str) -> int | None:
        found = self.added.get(token)
        return found if found is not None else self.pieces.get(token, (None, 0.0))[0]

    def _word(self, word: str) -> list[int]:
        """The best segmentation of one pre-tokenized word (Viterbi, as ``tokenizers``)."""
        n = len(word)
        score: list[float | None] = [0.0] + [None] * n
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (start, id) of the best last piece
        for start in range(n):
            here = score[start]
            if here is None:
                continue
            single = False
            for length in self.lengths.get(word[start], ()):
                end = start + length
                if end > n:
                    break
                found = self.pieces.get(word[start:end])
                if found is None:
                    continue
                candidate = here + found[1]
                best = score[end]
                if best is None or candidate > best:
                    score[end], back[end] = candidate, (start, found[0])
                single |= length == 1
            if not single:
                candidate, best = here + self.unk_score, score[start + 1]
                if best is None or candidate > best:
                    score[start + 1], back[start + 1] = candidate, (start, self.unk_id)
        ids: list[int] = []
        end = n
        while end > 0:
            start, piece = back[end]
            if not (piece == self.unk_id and ids and ids[-1] == self.unk_id):  # unknowns fused
                ids.append(piece)
            end = start
        return ids[::-1]

    def _segment(self, text: str) -> list[int]:
        text = self.normalise(text).replace(" ", self.space)
        if not text:
            return []
        if not text.startswith(self.space):
            text = self.space + text
        ids: list[int] = []
        for word in re.split(f"(?={re.escape(self.space)})", text):
            if word:
                ids += self._word(word)
        return ids

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        at = 0
        for m in self.split_added.finditer(text) if self.split_added else ():
            ids += [*self._segment(text[at : m.start()]), self.added[m.group(0)]]
            at = m.end()
        ids += self._segment(text[at:])
        return [self.bos, *ids[: self.max_length - 2], self.eos]

    def encode_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.encode(t) for t in texts]


class LibraryTokenizer:
    """The ``tokenizers`` library behind the same two methods (any other tokenizer.json)."""

    def __init__(self, path: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_length)

    def token_to_id(self, token: str) -> int | None:
        found = self.tokenizer.token_to_id(token)
        return None if found is None else int(found)

    def encode_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(list(texts))]


def load_tokenizer(path: Path, max_length: int) -> UnigramTokenizer | LibraryTokenizer:
    """The plain-Python unigram tokenizer when the JSON is of the supported shape, else the library's."""
    data = json.loads(path.read_text(encoding="utf-8"))
    try:
        return UnigramTokenizer(data, max_length)
    except (UnsupportedTokenizer, KeyError, TypeError, StopIteration):
        return LibraryTokenizer(path, max_length)
