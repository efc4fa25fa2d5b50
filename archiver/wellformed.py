"""Text as UTF-8 can hold it.

A page's scripts build strings of UTF-16 code units, and may leave half of a surrogate pair alone
(a title cut with `slice()` through an emoji); JSON may escape one (`"\\ud800"`). Python keeps such
a lone surrogate in a `str`, and neither UTF-8, SQLite nor PostgreSQL can hold it: writing it fails.
Where text read off the web is stored, each lone surrogate becomes U+FFFD, as a browser converts a
JavaScript string to a USVString (WHATWG Web IDL); a pair written as two code points is joined.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

SURROGATE_RE = re.compile("[\ud800-\udfff]")


def well_formed(text: str) -> str:
    """`text` with its lone surrogates as U+FFFD (most text is returned as it is, unread past a check)."""
    if text.isascii() or SURROGATE_RE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def well_formed_values(values: Any) -> Any:
    """`values` (a sequence or a mapping of statement parameters) with each string `well_formed`."""
    if isinstance(values, dict):
        return {k: well_formed(v) if isinstance(v, str) else v for k, v in values.items()}
    return [well_formed(v) if isinstance(v, str) else v for v in values]


def well_formed_data(value: Any) -> Any:
    """`value` (text, or lists and mappings of it, as a post's fields are) with each string
    `well_formed`: what is compared with the values held is what is stored."""
    return each_string(value, well_formed)


def each_string(value: Any, change: Callable[[str], str]) -> Any:
    """`value` with `change` made to every string in it, through dicts, lists and tuples (as lists)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: each_string(v, change) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [each_string(v, change) for v in value]
    return value
