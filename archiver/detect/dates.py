"""Printed dates ("25. September 2018", "2016年11月25日", "July 3, 2019") to bare ISO dates.

Embed signatures print the post date in the reader's language (`data-lang`). dateparser knows the
month names of every locale; it is imported on first use only, because it costs ~70 ms to import and
`archiver --help` must start fast.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

# A signature date always carries a four-digit year. Requiring one keeps dateparser away from
# relative phrases ("yesterday" would make it load every locale: > 1 s) and from non-dates.
_YEAR_RE = re.compile(r"(?<!\d)(?:19[89]\d|20\d\d|21\d\d)(?!\d)")
_DAY_RE = re.compile(r"(?<!\d)(?:0?[1-9]|[12]\d|3[01])(?!\d)")
_SETTINGS: dict[str, Any] = {
    "STRICT_PARSING": True,  # day, month and year must all be there: no invented days
    "PARSERS": ["absolute-time"],
    "RETURN_AS_TIMEZONE_AWARE": False,
    "PREFER_DAY_OF_MONTH": "first",
}
# The languages embed snippets print dates in: publish.twitter.com's `data-lang` list (zh-cn and
# zh-tw are dateparser's zh / zh-Hant, msa is ms, no is nb) plus a few more CMS locales. Telling
# dateparser where to look makes it ~5x faster per date and spares it loading all ~200 locales,
# which took 1.5 s the first time and made it try locale after locale on non-dates.
EMBED_LANGUAGES: tuple[str, ...] = (
    "en", "ar", "bn", "cs", "da", "de", "el", "es", "fa", "fi", "fil", "fr", "he", "hi", "hu", "id",
    "it", "ja", "ko", "ms", "nl", "nb", "pl", "pt", "ro", "ru", "sv", "th", "tr", "uk", "ur", "vi",
    "zh", "zh-Hant", "ca", "eu", "gl", "hr", "sk", "sl", "bg", "sr", "et", "lv", "lt",
)
_FAST_FORMATS = (
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%Y-%m-%d",  # year first: unambiguous (unlike 3/7/2019, which is left unread)
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",  # Japanese and Chinese signatures
    "%Y년 %m월 %d일",  # Korean
)


def has_year(text: str) -> bool:
    """True when the text holds a plausible four-digit year (a cheap pre-check)."""
    return _YEAR_RE.search(text) is not None


def parse_printed_date(text: str, lang: str | None = None) -> str | None:
    """`YYYY-MM-DD` for a printed date with day, month and year, else None (never a guess)."""
    t = " ".join(text.replace("\u00a0", " ").split()).strip(" .,;:·|-–—")
    if not t or len(t) > 60 or not has_year(t):
        return None
    return _parse(t, (lang or "").split("-")[0].lower() or None)


@lru_cache(maxsize=4096)
def _parse(text: str, lang: str | None) -> str | None:
    # English month names in the standard formats need no locale machinery.
    for fmt in _FAST_FORMATS:
        try:
            return datetime.strptime(text, fmt).strftime("%Y-%m-%d")
        except ValueError:
            pass
    if not any(ch.isalpha() for ch in text) or not _DAY_RE.search(_YEAR_RE.sub(" ", text)):
        # "2024", "4.3.2024" (embeds never print numeric dates) or no day number at all: not a
        # signature date. dateparser would try, and load, every locale it has: seconds, for nothing.
        return None
    import dateparser  # type: ignore[import-untyped,unused-ignore]  # heavy: load only when needed

    attempts: list[list[str]] = [list(EMBED_LANGUAGES)]
    if lang and lang not in ("und", "zxx"):
        attempts.insert(0, [lang])  # the hint is faster and disambiguates; fall back without it
    dt: object = None
    for languages in attempts:
        try:
            dt = dateparser.parse(text, languages=languages, settings=_SETTINGS)
        except Exception as e:
            log.debug("date %r (%s) not understood: %s", text, languages, e)
            dt = None
        if dt is not None:
            break
    if not isinstance(dt, datetime) or not 1990 <= dt.year <= 2199:
        return None
    return dt.strftime("%Y-%m-%d")
