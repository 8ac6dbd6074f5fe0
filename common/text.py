"""Text folding for matching what people type against Swedish titles."""
from __future__ import annotations

import unicodedata


def fold(text: str | None) -> str:
    """Lower case without accents (å -> a, ä -> a, ö -> o, é -> e): "kna" matches "knä"."""
    return "".join(c for c in unicodedata.normalize("NFKD", (text or "").lower())
                   if not unicodedata.combining(c))
