"""What both full-text indexes read a word without, or as another letter, in the indexed text and in
a query alike, so that a word is found however it was written: the vowel signs and other marks
Arabic and Hebrew may write over or under their letters (which unicode61 took for spaces: `جِسر` was
the words `ج` and `سر`), Arabic's tatweel that stretches a word (`الفيـــضان`), and Greek's accented
vowels as the plain ones (unicode61's `remove_diacritics` folds Latin letters only).

Kept apart from the search module, whose query parser a connection need not import: every SQLite
connection of the index is given `folded` as FOLD_FUNCTION, which the full-text index's triggers call.
"""

from __future__ import annotations

MARKS = ((0x0591, 0x05BD), (0x05BF, 0x05BF), (0x05C1, 0x05C2), (0x05C4, 0x05C5), (0x05C7, 0x05C7),
         (0x0610, 0x061A), (0x0640, 0x0640), (0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06DC),
         (0x06DF, 0x06E4), (0x06E7, 0x06E8), (0x06EA, 0x06ED))
GREEK = dict(zip("ΆΈΉΊΌΎΏΐΪΫάέήίΰϊϋόύώ", "ΑΕΗΙΟΥΩιΙΥαεηιυιυουω", strict=True))
FOLDED: dict[str, str] = {**GREEK, **{chr(c): "" for start, end in MARKS for c in range(start, end + 1)}}
_FOLD_TABLE = str.maketrans(FOLDED)
# The code points of FOLDED as the body of a character class (GLOB and regular expressions alike).
FOLDED_CLASS = "".join(f"{chr(start)}-{chr(end)}" for start, end in ((0x0386, 0x03CE), *MARKS))

# SQLite has no translate(), and a replace() per character nests past what its parser takes: the
# index's connections are given `fold_or_none` as this function (`connection.give_functions`).
FOLD_FUNCTION = "archiver_fold"


def folded(text: str) -> str:
    """The text as both full-text indexes hold it (`FOLDED`)."""
    return text.translate(_FOLD_TABLE)


def fold_or_none(value: str | None) -> str | None:
    """`folded` as SQLite calls FOLD_FUNCTION: text folded, NULL as it is."""
    return folded(value) if isinstance(value, str) else value
