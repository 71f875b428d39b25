"""Provider names as users type them: one character wrong, missing or extra (马尚云, LiveSuport), two
swapped (LiveSupprot), or a long name said shortened (网易云存储 for 网易云对象存储服务). Used by
:mod:`rag.understand`."""

from __future__ import annotations

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
