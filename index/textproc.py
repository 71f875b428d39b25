"""Chinese tokenisation for BM25: jieba in precise mode, a contract-term dictionary and stop words.

Precise mode, not search mode: ``lcut_for_search`` emits overlapping tokens (公积 / 积金 / 公积金) that count
one word several times and distort BM25. The user dictionary keeps contract terms whole (自然日, 滞纳金,
不可抗力 …); ``splits.txt`` cuts legal compounds users ask about by their head word (人民法院 → 人民 + 法院,
管辖权 → 管辖 + 权), still without overlap; provider names found in the corpus are added at index time so
码尚云 stays one token.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib.resources import files

import jieba

from core.text import strip_markup

_RESOURCES = files("index") / "resources"
_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
jieba.setLogLevel(logging.WARNING)
#: Answering a question tokenises the same short texts again and again (candidate sentences, the question):
#: the tokens of the last ``_MEMO_SIZE`` texts of at most ``_MEMO_CHARS`` characters are kept.
_MEMO_SIZE = 8192
_MEMO_CHARS = 400


def _lines(name: str) -> list[str]:
    text = (_RESOURCES / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def resources_hash() -> str:
    """Digest of the dictionaries, stop words and jieba's version: a BM25 index is valid only for these."""
    import hashlib

    digest = hashlib.sha256(jieba.__version__.encode())
    for name in ("userdict.txt", "splits.txt", "stopwords.txt", "synonyms.txt"):
        digest.update((_RESOURCES / name).read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=8)
def shared_tokenizer(extra_words: tuple[str, ...] = ()) -> ChineseTokenizer:
    """One tokenizer per word list per process: loading jieba's dictionary takes about a second."""
    return ChineseTokenizer(extra_words)


class ChineseTokenizer:
    """jieba precise-mode tokenizer with a user dictionary and stop words; safe to share across threads."""

    def __init__(self, extra_words: Iterable[str] = (), stopwords: Iterable[str] | None = None) -> None:
        self._jieba = jieba.Tokenizer()
        self._lock = threading.Lock()
        self._memo: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._jieba.initialize()
        for line in _lines("userdict.txt"):
            word, *rest = line.split()
            self._jieba.add_word(word, freq=int(rest[0]) if rest else None)
        for line in _lines("splits.txt"):  # compounds indexed as their parts (人民法院 → 人民 + 法院)
            self._jieba.suggest_freq(tuple(line.split()), tune=True)
        self.extra_words = tuple(sorted({w for w in extra_words if w and not w.isascii()}))
        for word in self.extra_words:
            self._jieba.add_word(word, freq=2000)
        self.stopwords = frozenset(stopwords if stopwords is not None else _lines("stopwords.txt"))
        self.synonyms: dict[str, tuple[str, ...]] = {}
        for line in _lines("synonyms.txt"):
            key, _, words = line.partition("=>")
            self.synonyms[key.strip()] = tuple(words.split())

    def __call__(self, text: str) -> list[str]:
        return self.tokenize(text)

    def tokenize(self, text: str) -> list[str]:
        memo = len(text) <= _MEMO_CHARS
        if memo:
            with self._lock:
                known = self._memo.get(text)
                if known is not None:
                    self._memo.move_to_end(text)
                    return list(known)
        cleaned = strip_markup(text).lower()
        with self._lock:  # jieba's Tokenizer keeps mutable state; cut() is not re-entrant
            words = self._jieba.lcut(cleaned, cut_all=False, HMM=True)
        tokens = [w for w in (w.strip() for w in words) if w and _WORD.search(w) and w not in self.stopwords]
        if memo:
            with self._lock:
                self._memo[text] = tuple(tokens)
                if len(self._memo) > _MEMO_SIZE:
                    self._memo.popitem(last=False)
        return tokens

    def expansions(self, text: str) -> list[str]:
        """Contract words for the everyday words in ``text`` (挂了 → 故障 中断 不能正常使用).

        A key of two or more characters matches anywhere in the text; a one-character key only when jieba
        cuts it as a word of its own, so 告 in 公告 does not count as 起诉.
        """
        words = set(self.tokenize(text))
        lowered = text.lower()
        out: list[str] = []
        for key, expansion in self.synonyms.items():
            if key.isascii():  # an English word in a Chinese question: any case, whole word
                found = re.search(rf"(?<![a-z]){re.escape(key.lower())}(?![a-z])", lowered) is not None
            else:
                found = key in text if len(key) > 1 else key in words
            if found and expansion:
                out.extend(w for w in expansion if w not in out)
        return out

    def pieces(self, word: str) -> list[str]:
        """The dictionary words inside a word jieba's HMM made up (我存 → 我 存, 会受 → 会 受): what a
        contract can say of a word it never uses whole."""
        with self._lock:
            parts = self._jieba.lcut(word, cut_all=False, HMM=False)
        return [p for p in parts if p.strip() and _WORD.search(p) and p not in self.stopwords]

    def known(self, word: str) -> bool:
        """Whether ``word`` is in jieba's dictionary (or ours), not a run its HMM glued together (我存)."""
        return bool(self._jieba.FREQ.get(word))

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        return [self.tokenize(t) for t in texts]
