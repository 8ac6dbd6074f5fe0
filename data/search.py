"""Free-text search over the KVÅ catalogue, for the words care coordinators type.

Each word of a query is folded (case, å/ä/ö: "hoft" is "höft") and must match
one of a group's words — those of its title and of its search terms
(data/reference/kva_sokord.csv: "knäprotes", "ljumske", "galla", "grå starr",
"halsmandlar" …) — at one of these levels, lower is better:

0. a KVÅ code: the group's code or a code's prefix ("NGB", "ngb4")
1. a word or its beginning ("knä" → "knäled", "katarakt")
2. a word part: inside a longer word ("protes" in "knäledsprotes") or a
   compound of two matching parts ("knäledsprotes" → "knäled" + "protes")
3. one typo — a letter wrong, missing, added or two swapped — in a word of
   at least four letters ("gallstem", "prostta", "katarkt")

A group's level is that of its worst-matching word. Within a level, groups
come before single codes and the group with more operations in the loaded
snapshot comes first, so
that "knä" gives NGB (knee prosthesis) before NGQ (amputation). Pure functions:
the warehouse supplies titles and volumes (data/questions/catalogue.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from common.text import fold

_WORD = re.compile(r"[a-z0-9]+")
_CODE = re.compile(r"^[a-z]{2,3}[0-9]{0,2}$")
MIN_TYPO_LENGTH = 4
MIN_PART_LENGTH = 3


@dataclass(frozen=True)
class Entry:
    kod: str
    titel: str
    ar_grupp: bool
    words: frozenset[str]


def words_of(text: str | None) -> list[str]:
    return _WORD.findall(fold(text))


def build_index(groups: Mapping[str, str], codes: Mapping[str, str],
                terms: Mapping[str, Iterable[str]]) -> tuple[Entry, ...]:
    """Entries for the groups (title words and search terms, a term of several
    words also written together: "grå starr" -> "grastarr") and the 5-character
    codes (their own titles)."""
    entries = []
    for kod, titel in groups.items():
        words = set(words_of(titel))
        for term in terms.get(kod, ()):
            parts = words_of(term)
            words.update(parts)
            words.add("".join(parts))
        entries.append(Entry(kod, titel, True, frozenset(w for w in words if w)))
    for kod, titel in codes.items():
        if kod in groups:
            continue
        entries.append(Entry(kod, titel or "", False, frozenset(words_of(titel))))
    return tuple(entries)


def within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance at most 1 (one substitution, insertion,
    deletion or swap of neighbours)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1:] == b[i + 1:] or (
            i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:])
    if la > lb:
        return a[i + 1:] == b[i:]
    return a[i:] == b[i + 1:]


def _begins(token: str, words: frozenset[str]) -> bool:
    return any(w.startswith(token) for w in words)


def _compound(token: str, words: frozenset[str]) -> bool:
    """Two parts that each begin a word; the first may end in a linking s ("knäleds|protes")."""
    for i in range(MIN_PART_LENGTH, len(token) - MIN_PART_LENGTH + 1):
        left, right = token[:i], token[i:]
        if not _begins(right, words):
            continue
        if _begins(left, words) or (left.endswith("s") and len(left) > MIN_PART_LENGTH and _begins(left[:-1], words)):
            return True
    return False


def _one_typo(token: str, words: frozenset[str]) -> bool:
    if len(token) < MIN_TYPO_LENGTH:
        return False
    n = len(token)
    for w in words:
        if abs(len(w) - n) <= 1 and within_one_edit(token, w):
            return True
        # the beginning of a longer word, typed with one typo
        if len(w) > n and any(within_one_edit(token, w[:m]) for m in (n - 1, n, n + 1) if m <= len(w)):
            return True
    return False


def word_level(token: str, entry: Entry) -> int | None:
    """How well one folded query word matches an entry (None: not at all)."""
    code = entry.kod.lower()
    if _CODE.match(token) and code.startswith(token) and len(token) >= 3:
        return 0
    if _begins(token, entry.words) or (code.startswith(token) and _CODE.match(token)):
        return 1
    if len(token) >= MIN_TYPO_LENGTH and any(token in w for w in entry.words):
        return 2
    if _compound(token, entry.words):
        return 2
    if _one_typo(token, entry.words):
        return 3
    return None


def query_words(q: str) -> list[str]:
    return words_of(q)


def match_level(tokens: list[str], entry: Entry) -> int | None:
    worst = 0
    for token in tokens:
        level = word_level(token, entry)
        if level is None:
            return None
        worst = max(worst, level)
    return worst


def search(index: Iterable[Entry], q: str, volumes: Mapping[str, int]) -> list[tuple[Entry, int]]:
    """Matching entries, best first: (entry, level)."""
    tokens = query_words(q)
    if not tokens:
        return []
    exact = q.strip().upper()
    hits = []
    for entry in index:
        level = match_level(tokens, entry)
        if level is not None:
            hits.append((entry, level))
    hits.sort(key=lambda h: (h[1], h[0].kod != exact, not h[0].ar_grupp, -volumes.get(h[0].kod[:3], 0), h[0].kod))
    return hits
