"""The tweet signature line: `— Display Name (@handle) July 3, 2019` (docs/platforms.md, Twitter).

Shared by the HTML detector (the signature inside a blockquote) and the plain-text detector (the
signature is all that is left of a flattened embed). What makes a line a signature in plain text is
`(@handle)` after a dash AND a date after it: `— @someone pic.twitter.com/...` is a quote, not one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archiver.detect.dates import has_year, parse_printed_date

_GAP = r"[ \t\u00a0\u2009\u202f]"
# Em/en dashes may be glued to the text before them (`...pic.twitter.com/AbC— Name`); ASCII dashes
# only count after a space or at line start, or every hyphenated word would start a signature.
_DASH = r"(?:—|–|―|&mdash;|&#8212;|&ndash;|&#8211;|(?:(?<=\s)|^)(?:--|-))"
SIGNATURE_RE = re.compile(
    _DASH
    + _GAP
    + r"*(?P<name>[^\n()—–―]{0,60}?)"
    + _GAP
    + r"*\(@(?P<handle>[A-Za-z0-9_]{1,15})\)"
    + r"(?:"
    + _GAP
    + r"+on"
    + _GAP
    + r"+(?:Twitter|X))?"
    + _GAP
    + r"*(?P<tail>[^\n]{0,80})",  # bounded: the date is at its start; an unbounded tail made
)  # every failed candidate rescan the rest of a long line
_YEAR_END_RE = re.compile(r"(?<!\d)(?:19[89]\d|20\d\d|21\d\d)(?!\d)(?:\s*(?:г\.|года|г))?")
_CJK_DAY_END_RE = re.compile(r"[日일]")
_YEAR_FIRST_END_RE = re.compile(r"(?<!\d)(?:19[89]\d|20\d\d|21\d\d)([-/.])\d{1,2}\1\d{1,2}(?!\d)")


_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_IMPOSSIBLE_DATE_RE = re.compile(
    rf"(?:{_MONTHS}{_GAP}+(?:3[01]|[12]\d|0?[1-9]),{_GAP}*|(?:3[01]|[12]\d|0?[1-9]){_GAP}+{_MONTHS}{_GAP}+)"
    r"(?:19[89]\d|20\d\d|21\d\d)(?!\d)")


@dataclass(frozen=True)
class Signature:
    """A parsed signature: where it starts in its line, who, and when (bare ISO date or None)."""

    start: int
    name: str | None
    handle: str
    date: str | None
    date_text: str | None
    rest: str  # whatever follows the date on the same line (glued extraction)


def find_signature(line: str, lang: str | None = None, need_date: bool = True) -> Signature | None:
    """The leftmost signature in one line of text, or None.

    With `need_date` (plain text) the date must parse; without it (inside an embed, where the markup
    already says it is a post) the date is returned unparsed in `date_text`.
    """
    if "(@" not in line:
        return None
    pos = 0
    while (m := SIGNATURE_RE.search(line, pos)) is not None:
        pos = m.start() + 1  # a failed candidate may hide a real signature further right
        tail = m.group("tail")
        if need_date:
            # The date follows the handle directly: "(@janeroe) — November 12, 2024" is a byline.
            date, date_text, _ = split_date(tail, lang) if starts_like_date(tail) else (None, None, "")
            if date is None:
                # A date in an embed's own English shape that no calendar holds ("February 30,
                # 2024", an editor's slip in a retyped embed): still a signature, of no known day.
                impossible = _IMPOSSIBLE_DATE_RE.match(tail.lstrip())
                if impossible is None:
                    continue
                date_text = impossible.group(0)
            after = line[m.start("tail") :].lstrip()
            rest = after[len(date_text or "") :].strip() if after.startswith(date_text or "") else ""
        else:
            # Inside a known embed the date is read later, and only if the ID does not give the time.
            date, date_text, rest = None, line[m.start("tail") :].strip() or None, ""
        name = " ".join(m.group("name").split()) or None
        return Signature(m.start(), name, m.group("handle"), date, date_text, rest)
    return None


_DIRECTION_MARKS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def starts_like_date(tail: str) -> bool:
    """True when `tail` starts with a letter or digit (direction marks aside), as printed dates do."""
    return tail.lstrip().lstrip(_DIRECTION_MARKS)[:1].isalnum()


def split_date(tail: str, lang: str | None = None) -> tuple[str | None, str | None, str]:
    """(ISO date, the date as printed, what follows) for the date at the start of `tail`."""
    tail = tail.strip()
    if not tail or not has_year(tail[:64]):
        return None, None, tail
    ends: list[int] = [m.end() for m in _YEAR_END_RE.finditer(tail[:64])]
    # CJK dates put the year first: "2016年11月25日"; so do numeric ones ("2019-07-03", never
    # ambiguous when the year leads, unlike "3/7/2019", which stays unparsed).
    ends += [m.end() for m in _CJK_DAY_END_RE.finditer(tail[:64])]
    ends += [m.end() for m in _YEAR_FIRST_END_RE.finditer(tail[:64])]
    for end in sorted(set(ends)):
        candidate = tail[:end]
        date = parse_printed_date(candidate, lang)
        if date:
            return date, candidate.strip(), tail[end:].strip()
    return None, None, tail
