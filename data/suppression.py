"""Small numbers stay hidden: the one rule, applied where statistics are made
(in the question modules), never in each figure.

- **Primary suppression**: a count of 1 to k-1 (k = ``suppress_below``, 5)
  is not shown; nor is any statistic or share computed from it.
- **Complementary (secondary) suppression** of the parts of a shown or
  derivable whole (a unit's ASA mix, the months of a total): when the hidden
  parts sum to 1..k-1 — so the whole minus the shown parts would reveal a
  small number — the smallest shown parts are hidden too, until the hidden
  parts sum to at least k (or nothing is left to hide). The standard method
  of statistical disclosure control for tables with margins.
"""
from __future__ import annotations

from collections.abc import Sequence


def is_small(n, k: int) -> bool:
    """A count that must not be shown: 1..k-1 (0 and k or more are shown)."""
    return n is not None and 0 < n < k


def hidden_parts(counts: Sequence[int], k: int, *, whole_hidden: bool = False) -> list[bool]:
    """Which parts of a whole to hide: the small ones, then (complementary)
    the smallest others until the hidden parts sum to at least k. When the
    whole is itself hidden in another answer (``whole_hidden``), its parts
    must not add up to it either: at least k of it is hidden.

    Ties go to the earlier part: callers order the parts by a stable key (an
    id), so that every server hides the same ones."""
    hidden = [is_small(c, k) for c in counts]
    hidden_sum = sum(c for c, h in zip(counts, hidden) if h)
    if 0 < hidden_sum < k or (whole_hidden and hidden_sum < k):
        for i in sorted((i for i, c in enumerate(counts) if not hidden[i] and c > 0), key=lambda i: counts[i]):
            hidden[i] = True
            hidden_sum += counts[i]
            if hidden_sum >= k:
                break
    return hidden


def shares_of_parts(counts: Sequence[int], k: int) -> tuple[list[int | None], list[float | None]]:
    """(counts, shares of the whole) with hidden parts as None. When the whole
    itself is small (1..k-1) nothing is shown."""
    total = sum(counts)
    if is_small(total, k):
        return [None if c else 0 for c in counts], [None] * len(counts)
    hidden = hidden_parts(counts, k)
    shown = [None if h else c for c, h in zip(counts, hidden)]
    shares = [None if h or not total else c / total for c, h in zip(counts, hidden)]
    return shown, shares
