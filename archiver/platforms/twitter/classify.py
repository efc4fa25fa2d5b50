"""A tweet's status from what syndication, oEmbed and the post's page said, and why.

`deleted` takes two signals that agree; a login wall alone is never "deleted".
"""

from __future__ import annotations

import re

from archiver.models import PostStatus
from archiver.platforms.capture import outage
from archiver.platforms.twitter.syndication import OEmbedResult, SyndicationResult

# --- status ------------------------------------------------------------------------------------

# Statuses that a single source may assert, but only in its own words.
_STATED: tuple[tuple[PostStatus, re.Pattern[str]], ...] = (
    ("withheld", re.compile(r"\bwithheld\b", re.I)),
    ("suspended", re.compile(r"\bsuspended\b", re.I)),
    ("protected", re.compile(r"\bprotected\b|limits who can view|only approved followers", re.I)),
)


def _quote(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return f'"{text[: limit - 1]}…"' if len(text) > limit else f'"{text}"'


def _stated(text: str | None) -> PostStatus | None:
    """The status a tombstone or page states in words (withheld, protected, suspended), if any."""
    if text:
        for status, pattern in _STATED:
            if pattern.search(text):
                return status
    return None


def classify(
    synd: SyndicationResult | None,
    oembed: OEmbedResult | None,
    page_login_wall: bool | None = None,
    network_failed: bool = False,
    *,
    page_text: str | None = None,
) -> tuple[PostStatus, str]:
    """Decide a post's status from what the sources said, and say why.

    `live` when the post itself came back; `withheld`/`protected`/`suspended` only when a tombstone
    or `page_text` (the message the post's page shows in place of the post) says so in words;
    `deleted` only when syndication (404, or a tombstone that says deleted) AND oEmbed (404) agree;
    `login_required` for a login wall; `unavailable` for a lone negative signal, a network
    failure, or no usable answer from syndication (then neither an oEmbed 200 nor a login wall
    decides); `unknown` otherwise.
    """
    if synd is not None and synd.kind == "tweet":
        return "live", "syndication returned the post"

    tombstone = synd.tombstone_text if synd else None
    said = _stated(tombstone)
    if said is not None:
        return said, f"syndication tombstone says {_quote(tombstone or '')}"

    # Syndication is the one source that tells a live post from a withheld, protected or deleted
    # one. Without a usable answer from it (no answer, an error status such as 429 or 503, no
    # JSON), an oEmbed 200 (a withheld post has one too) or a login wall (x.com shows one to
    # anonymous readers of most posts) would turn every held post live or login_required for
    # as long as the outage lasts.
    # An empty object (`{}`) is no usable answer either: a wrong or missing token gets it too.
    synd_failed = synd is not None and synd.kind in ("error", "empty")
    if oembed is not None and oembed.ok and not synd_failed:
        return "live", "oEmbed returned the post"

    # The page's own words count only when neither source returned the post: a live post's text
    # may well contain "protected" or "withheld".
    said = _stated(page_text) if not (oembed is not None and oembed.ok) else None
    if said is not None:
        return said, f"page says {_quote(page_text or '')}"

    # Two signals: a not-found answer or a tombstone from syndication, AND an oEmbed 404. A tombstone
    # that said withheld/protected/suspended was classified above.
    synd_says_gone = synd is not None and synd.kind in ("not_found", "tombstone")
    oembed_404 = oembed is not None and oembed.status == 404
    wall = "; the post page also showed a login wall" if page_login_wall else ""
    if synd_says_gone and oembed_404:
        assert synd is not None
        what = "HTTP 404" if synd.kind == "not_found" else f"tombstone {_quote(synd.tombstone_text or '')}"
        return "deleted", f"syndication {what} and oEmbed HTTP 404 agree{wall}"

    # A login wall decides only beside answers from both sources that settle nothing: with
    # oEmbed down (no answer, a 5xx, a 429), a syndication 404 beside the wall x.com shows
    # anonymous readers would turn a deleted post login_required for as long as the outage lasts.
    oembed_failed = oembed is not None and (oembed.status is None or outage(oembed.status))
    if page_login_wall and not synd_failed and not oembed_failed:
        return "login_required", "the post page shows a login wall to anonymous visitors"

    # What else was seen, which cannot decide without syndication.
    alone = [*(["oEmbed returned the post"] if synd_failed and oembed is not None and oembed.ok else []),
             *(["the post page showed a login wall"] if synd_failed and page_login_wall else [])]
    if synd_failed and synd is not None and synd.status is not None and not network_failed:  # it answered, unusably
        seen = [*([f"oEmbed HTTP {oembed.status}"] if oembed is not None and oembed.status is not None
                  and not oembed.ok else []), *alone]
        answered = "it answered {}" if synd.kind == "empty" else synd.error or f"HTTP {synd.status}"
        why = f"syndication gave no usable answer ({answered})"
        return "unavailable", why + (": not enough alone: " + "; ".join(seen) if seen else "")

    signals = _negative_signals(synd, oembed)
    if signals:
        # A source that gave no answer at all (timed out, refused), or none usable (a 429, a 5xx:
        # an outage), is why one signal stands alone.
        silent = [f"{name} gave no answer ({got.error})" if got.status is None else
                  f"{name} gave no usable answer (HTTP {got.status})"
                  for name, got in (("syndication", synd), ("oEmbed", oembed))
                  if got is not None and (got.status is None and got.error
                                          or outage(got.status))]
        return "unavailable", "no two signals agree that it is gone: " + "; ".join(signals + silent)

    failures = []  # sources that gave no answer at all, whatever kept it away
    if synd is not None and synd.status is None:
        failures.append(f"syndication: {synd.error}")
    if oembed is not None and oembed.status is None:
        failures.append(f"oEmbed: {oembed.error}")
    if network_failed or failures:
        return "unavailable", ("network failure" + (": " + "; ".join(failures) if failures else "")
                               + ("; not enough alone: " + "; ".join(alone) if alone else ""))

    seen = []  # what the sources answered, none of it conclusive
    if synd is not None:
        seen.append(f"syndication {synd.kind}" + (f" ({synd.error})" if synd.error else ""))
    if oembed is not None:
        seen.append(f"oEmbed HTTP {oembed.status}")
    return "unknown", "no source settled it" + (": " + "; ".join(seen) if seen else "")


def _negative_signals(synd: SyndicationResult | None, oembed: OEmbedResult | None) -> list[str]:
    """Answers that hint the post is gone, each not enough on its own."""
    out: list[str] = []
    if synd is not None:
        if synd.kind == "not_found":
            out.append("syndication HTTP 404")
        elif synd.kind == "empty":
            out.append("syndication answered {} (a wrong or missing token gives the same)")
        elif synd.kind == "tombstone":
            said = f" {_quote(synd.tombstone_text)}" if synd.tombstone_text else " without text"
            out.append("syndication tombstone" + said)
    if oembed is not None and oembed.status in (403, 404):
        out.append(f"oEmbed HTTP {oembed.status}")
    return out
