"""Search names in Chinese characters or in pinyin, including surnames with several readings.

``pinyin_keys("单田芳")`` gives every reading of every character (单 is dan, chan or shan; 曾 is
ceng or zeng), joined into whole-name keys and initials: ``"chantianfang ctf dantianfang dtf
shantianfang stf"``. The keys are stored beside the name (``Worker.name_pinyin``) and a query in
latin letters matches any of them by substring, so "shan", "stf" and "shantianfang" all find
单田芳. Combinations are capped so a long name of heteronyms cannot blow up the column.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from django.db.models import Q
from pypinyin import Style, pinyin

MAX_COMBINATIONS = 16
MAX_LENGTH = 400
_LATIN_QUERY = re.compile(r"^[a-zA-Z\s]+$")


@lru_cache(maxsize=16384)
def _char_readings(char: str, style: Style) -> tuple[str, ...]:
    """Every reading of one character, without context: a superset of what the name in context
    would give, which is what a search wants. Cached, because a roster of 100,000 names uses a
    few thousand characters (the import would otherwise spend most of its time here)."""
    return tuple(
        sorted({r.lower().replace(" ", "") for r in pinyin(char, style=style, heteronym=True)[0]})
    )


def _readings(name: str, style: Style) -> list[tuple[str, ...]]:
    return [_char_readings(char, style) for char in name]


def pinyin_keys(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    keys: set[str] = set()
    for style in (Style.NORMAL, Style.FIRST_LETTER):
        combos = itertools.islice(itertools.product(*_readings(name, style)), MAX_COMBINATIONS)
        keys.update("".join(parts) for parts in combos)
    text = " ".join(sorted(keys))
    return text[:MAX_LENGTH].rsplit(" ", 1)[0] if len(text) > MAX_LENGTH else text


def name_query(q: str, *, name_field: str = "name", pinyin_field: str = "name_pinyin") -> Q:
    """The filter for a name search: characters match the name, latin letters the pinyin keys."""
    q = (q or "").strip()
    if not q:
        return Q()
    if _LATIN_QUERY.match(q):
        return Q(**{f"{pinyin_field}__contains": q.lower().replace(" ", "")}) | Q(
            **{f"{name_field}__icontains": q}
        )
    return Q(**{f"{name_field}__contains": q})
