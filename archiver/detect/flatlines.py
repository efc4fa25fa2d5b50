"""What the platforms' `flattened` hooks share: the body lines above a post's closing line, the links
of a run of units, and the post ID those links name.

A flattened post ends on a line only its platform writes (a signature, a byline, a sound credit);
its text is the lines above: the whole quote block when that line is quoted or written right under
one, else the lines up to a blank line (once there is one), a line an earlier post spans, a lead-in
ending in ":", a list item or heading, or the platform's length limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

from archiver.detect.units import Unit, weighted_length
from archiver.platforms.base import UrlMatch

_LIST_RE = re.compile(r"^(?:[-*•·–]\s|\d{1,2}[.)]\s|#{1,6}\s)")
# A bullet a list put before the post's first line ("- ", "* "), which is not the post's text.
_BULLET_RE = re.compile(r"^[-*+•]\s+(?=\S)")


def joined_length(lines: Sequence[str]) -> int:
    """The weighted length of lines as one text."""
    return weighted_length("\n".join(lines))


def body_above(
    units: Sequence[Unit],
    i: int,
    *,
    limit: int,
    stop: Collection[int] = (),
    skip: Callable[[str], bool] = lambda _text: False,
    weigh: Callable[[Sequence[str]], int] = joined_length,
    glued: str = "",
) -> tuple[int, list[str]]:
    """(index of the first body unit, body lines) above closing unit `i`; `i` itself when none.

    `stop`: units that cannot be in the body (other posts' lines); `skip(text)`: boilerplate lines
    that belong to the post but not to its text ("View this post on Instagram"); `weigh(lines)`:
    their length as the platform counts it against `limit`; `glued`: text on the closing line
    before what closes it, the body's last line. A list's bullet before the first line ("- ",
    "* ", a post quoted as a list item) is not part of the text.
    """
    first, body = _body_above(units, i, limit=limit, stop=stop, skip=skip, weigh=weigh, glued=glued)
    if body and (bullet := _BULLET_RE.match(body[0])):
        body[0] = body[0][bullet.end():]
    return first, body


def _body_above(
    units: Sequence[Unit],
    i: int,
    *,
    limit: int,
    stop: Collection[int],
    skip: Callable[[str], bool],
    weigh: Callable[[Sequence[str]], int],
    glued: str,
) -> tuple[int, list[str]]:
    unit = units[i]
    body: list[str] = [glued] if glued else []
    first = i
    j = i - 1
    if not unit.quoted and not body and j >= 0 and units[j].quoted and j not in stop and not unit.blank_before:
        # A closing line written under a quote block, outside it: the block is the text.
        block = units[j].block
        while j >= 0 and units[j].quoted and units[j].block == block and j not in stop:
            if not skip(units[j].text):
                body.insert(0, units[j].text)
            first = j
            j -= 1
        return first, body
    if unit.quoted:
        while j >= 0 and units[j].block == unit.block and j not in stop:
            if not skip(units[j].text):
                body.insert(0, units[j].text)
            first = j
            j -= 1
        return first, body
    while j >= 0:
        cand = units[j]
        if j in stop or cand.quoted:
            break
        if body and units[j + 1].blank_before:
            break
        text = cand.text
        if skip(text):
            first = j
            j -= 1
            continue
        if body and (text.endswith(":") or _LIST_RE.match(text)):
            break
        if body and weigh([text, *body]) > limit:
            break
        body.insert(0, text)
        first = j
        j -= 1
        if weigh(body) > limit:
            break
    return first, body


def links_of(units: Sequence[Unit], first: int, last: int) -> list[str]:
    """The links (markdown link targets, HTML hrefs) of units `first`..`last`, in order."""
    return [link for k in range(first, last + 1) for link in units[k].links]


def post_in(links: Sequence[str], parse: Callable[[str], UrlMatch | None]) -> UrlMatch | None:
    """The last link that `parse` takes for a post (a signature's date link comes last)."""
    found = None
    for link in links:
        found = parse(link) or found
    return found
