"""HTML or plain text? Decided from the content, never from a file name."""

from __future__ import annotations

import re

# Each comment is matched once and never given back (atomic): a page of many comments, or one
# never closed, is turned down in linear time.
_DOC_START_RE = re.compile(r"^(?:<\?xml[^>]*>\s*)?(?><!--.*?-->\s*)*+<(?:!doctype\s+html|html|head|body)\b",
                           re.IGNORECASE | re.DOTALL)
# Elements that only occur as markup; an article in plain text may mention "<3" or "a < b".
# Inline formatting (`<b>`, `<em>`, `<br>`) is not counted: Markdown and e-mailed newsletters carry
# it in plain text, whose bare post addresses a reading as HTML would not look for.
_TAG_RE = re.compile(
    r"<(?:/?(?:p|div|a|blockquote|iframe|img|script|style|meta|link|table|tr|td|ul|ol|li|h[1-6]"
    r"|section|article|figure|noscript|textarea|template|head|body|html|title|header|footer|nav"
    # the custom elements embeds are written as: AMP's (`amp-twitter`), `lite-youtube`'s
    r"|amp-[a-z][a-z0-9-]*|lite-[a-z][a-z0-9-]*)"
    r"(?:\s[^<>]*)?/?>)",
    re.IGNORECASE,
)
_SNIFF_BYTES = 64 * 1024
_QUICK_BYTES = 1024


def looks_like_html(text: str) -> bool:
    """True when the content is HTML: a document start, or several real tags near the top."""
    # Most pages open with their doctype: a match inside a short head settles it without copying
    # the long one (a match that ends before the short head does holds for the long head too).
    short = text[:_QUICK_BYTES].lstrip("\ufeff \t\r\n")
    m = _DOC_START_RE.match(short)
    if m and m.end() < len(short):
        return True
    head = text[:_SNIFF_BYTES].lstrip("\ufeff \t\r\n")
    if _DOC_START_RE.match(head):
        return True
    tags = _TAG_RE.findall(head)
    if len(tags) >= 3:
        return True
    # A small fragment (a single pasted embed) still counts when it closes what it opens.
    return len(tags) >= 2 and any(t.startswith("</") for t in tags)
