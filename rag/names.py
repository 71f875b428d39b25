"""Provider names as users type them: one character wrong, missing or extra (马尚云, LiveSuport), two
swapped (LiveSupprot), or a long name said shortened (网易云存储 for 网易云对象存储服务). Used by
:mod:`rag.understand`."""

from __future__ import annotations

from collections.abc import Collection

from core.records import Provider
from rag.retrieve import provider_names_in

SHORTENED_MIN = 4  # characters of a shortened name (see shortened)


def near(name: str, window: str) -> bool:
    """Same length, at most one character different (迅众云通信 ~ 讯众云通信, 马尚云 ~ 码尚云), or two
    neighbours swapped in a name of five or more characters (LiveSupprot ~ LiveSupport)."""
    if len(name) != len(window):
        return False
    wrong = [i for i, (a, b) in enumerate(zip(name, window, strict=True)) if a != b]
    swapped = (
        len(name) >= 5
        and len(wrong) == 2
        and wrong[1] == wrong[0] + 1
        and name[wrong[0]] == window[wrong[1]]
        and name[wrong[1]] == window[wrong[0]]
    )
    return len(wrong) <= 1 or swapped


def shortened(name: str, question: str) -> bool:
    """A Chinese name of five or more characters said shortened (网易云存储 for 网易云对象存储服务): the
    question has a run of at least four characters that starts with the name's first two and whose
    characters the name holds in the same order. A last resort: only when no name is said otherwise."""
    if len(name) < 5 or not all("\u4e00" <= ch <= "\u9fff" for ch in name[:2]):
        return False
    at = question.find(name[:2])
    while at >= 0:
        pos, k = 2, 2  # in the name, in the run
        while at + k < len(question) and (found := name.find(question[at + k], pos)) >= 0:
            pos, k = found + 1, k + 1
        if k >= SHORTENED_MIN:
            return True
        at = question.find(name[:2], at + 1)
    return False


def near_at(key: str, text: str, gaps: bool) -> tuple[int, int] | None:
    """Where ``text`` says ``key`` with one character wrong, or (``gaps``: a long name) one missing or one
    extra (LiveSuport, LiveSupportt): the span of those words, or None."""
    for size in (len(key), *((len(key) - 1, len(key) + 1) if gaps else ())):
        for i in range(len(text) - size + 1):
            window = text[i : i + size]
            if near(key, window) or (size != len(key) and _one_apart(key, window)):
                return i, i + size
    return None


def _one_apart(a: str, b: str) -> bool:
    """Whether deleting one character of the longer string gives the shorter."""
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return len(long) == len(short) + 1 and any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def providers_named(question: str, providers: Collection[Provider]) -> list[str]:
    """Providers a question names: exactly, then ignoring Latin case, then with one wrong character in a
    Chinese name of three or more characters or a Latin one of five or more (only when nothing matched, or
    when the name is much longer than the short alias it contains that matched exactly)."""
    exact = provider_names_in(question, providers)
    near = _near_names(question, providers)
    said = {p: _said(question, providers, p) for p in exact}
    # 腾讯企业油: a long name said with one wrong character beats a much shorter alias (腾讯) inside it
    longer = [(p, n) for p, n in near if any(len(n) >= len(a) + 2 and a in n for q in exact for a in said[q])]
    if longer:
        covered = {q for q in exact if all(any(a in n for _, n in longer) for a in said[q])}
        return list(dict.fromkeys([*(q for q in exact if q not in covered), *(p for p, _ in longer)]))
    if exact:
        return exact
    lowered = question.lower()
    found = [
        p.name for p in providers if any(n.isascii() and n.lower() in lowered for n in p.names if len(n) >= 2)
    ]
    if found:
        return list(dict.fromkeys(found))
    if near:
        return list(dict.fromkeys(p for p, _ in near))
    # a name that starts with the brand (网易云对象存储服务 of 网易蜂巢), not a product word (对象存储服务)
    said_short = (p.name for p in providers for n in p.names if n[:2] in p.name and shortened(n, question))
    return list(dict.fromkeys(said_short))


def _near_names(question: str, providers: Collection[Provider]) -> list[tuple[str, str]]:
    """(provider, name) for names the question says with one wrong character: Chinese names of three or
    more characters, Latin ones of five or more (CDNetwarks, 马尚云), one missing or extra in longer ones
    (LiveSuport); never a short name."""
    lowered = question.lower()
    out: list[tuple[str, str]] = []
    for p in providers:
        for name in p.names:
            if len(name) >= (5 if name.isascii() else 3):
                text, key = (lowered, name.lower()) if name.isascii() else (question, name)
                if sum(ch in text for ch in key) < len(key) - 1:  # cannot be one character off: skip fast
                    continue
                if key not in text and near_at(key, text, gaps=len(name) >= (6 if name.isascii() else 4)):
                    out.append((p.name, name))
                    break
    return out


def names_spelled_right(question: str, providers: Collection[Provider]) -> str:
    """The question with the provider names it was read to say with one wrong character written right
    (帮趣网洛 → 帮趣网络, UCloub → UCloud): the words searched for and covered are then the contract's own.
    Only where ``providers_named`` relied on the near match: elsewhere a window one character off a short
    name is an ordinary word (腾讯企业 is not 腾讯云)."""
    exact = set(provider_names_in(question, providers))
    named = set(providers_named(question, providers))
    for provider, name in _near_names(question, providers):
        if provider in exact or provider not in named:
            continue
        key = name.lower() if name.isascii() else name
        text = question.lower() if name.isascii() else question
        at = near_at(key, text, gaps=len(name) >= (6 if name.isascii() else 4))
        if at:
            question = question[: at[0]] + name + question[at[1] :]
    return question


def _said(question: str, providers: Collection[Provider], provider: str) -> list[str]:
    """The names of ``provider`` the question says exactly."""
    return [n for p in providers if p.name == provider for n in p.names if len(n) >= 2 and n in question]
