"""Handlers for archive.org (availability API) and web.archive.org (CDX API and snapshots).

Snapshots are looked up by the status ID inside whatever URL form is asked for, so
twitter.com, x.com, http and https variants all find the same captures. The availability API
answers with `http://web.archive.org/web/TS/URL`, as the real one does: plain http, which the
client must rewrite to https (see docs/platforms.md, "Wayback Machine").
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime
from email.utils import format_datetime

from . import media, pages, site
from .app import Handler, Request, Response, SiteState, not_found, redirect, text
from .twitter import STATUS_ID

_WEB = re.compile(r"^/web/(\d{1,14})([a-z]{2}_)?/(.+)$", re.DOTALL)


def _snapshots(state: SiteState, url: str) -> tuple[site.Tweet, tuple[str, ...]] | None:
    m = STATUS_ID.search(url)
    tweet = site.TWEETS.get(m.group(1)) if m else None
    if tweet is None:
        return None
    stamps = state.wayback(tweet.id)
    return (tweet, tuple(sorted(stamps))) if stamps else None


def _closest(stamps: tuple[str, ...], wanted: str | None) -> str:
    if not wanted:
        return stamps[-1]
    want = int(wanted.ljust(14, "0")[:14])
    return min(stamps, key=lambda s: abs(int(s) - want))


def _json(data: object) -> Response:
    return text(200, json.dumps(data), "application/json", headers=[("access-control-allow-origin", "*")], gzip=True)


def availability(req: Request, state: SiteState) -> Response:
    if req.path != "/wayback/available":
        return not_found()
    url = req.query.get("url", "")
    found = _snapshots(state, url)
    if found is None:
        return _json({"url": url, "archived_snapshots": {}})
    tweet, stamps = found
    ts = _closest(stamps, req.query.get("timestamp"))
    closest = {
        "status": "200",
        "available": True,
        "url": f"http://web.archive.org/web/{ts}/{tweet.status_url}",
        "timestamp": ts,
    }
    return _json({"url": url, "archived_snapshots": {"closest": closest}})


def _archived_body(tweet: site.Tweet, ts: str) -> bytes:
    return pages.archived_tweet_html(tweet, ts, replay=False).encode("utf-8")


def _digest(body: bytes) -> str:
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def cdx(req: Request, state: SiteState) -> Response:
    q = req.query
    found = _snapshots(state, q.get("url", ""))
    rows: list[list[str]] = []
    if found is not None:
        tweet, stamps = found
        urlkey = f"com,twitter)/{tweet.user.screen_name.lower()}/status/{tweet.id}"
        for ts in stamps:
            body = _archived_body(tweet, ts)
            rows.append([urlkey, ts, tweet.status_url, "text/html", "200", _digest(body), str(len(body))])
    limit = q.get("limit")
    if limit and limit.lstrip("-").isdigit():
        n = int(limit)
        rows = rows[:n] if n >= 0 else rows[n:]
    if q.get("output") == "json":
        header = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
        return _json([header] + rows if rows else [])
    return text(200, "".join(" ".join(r) + "\n" for r in rows), "text/plain", gzip=True)


def _memento_headers(tweet: site.Tweet, ts: str) -> list[tuple[str, str]]:
    when = datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    return [
        ("memento-datetime", format_datetime(when, usegmt=True)),
        ("link", f'<{tweet.status_url}>; rel="original", <https://web.archive.org/web/timemap/link/{tweet.status_url}>; rel="timemap"; type="application/link-format"'),
        ("x-archive-src", f"fakeweb-{ts[:8]}.warc.gz"),
    ]


def web(req: Request, state: SiteState) -> Response:
    if req.path == "/cdx/search/cdx":
        return cdx(req, state)
    m = _WEB.match(req.target)
    if not m:
        return not_found()
    ts, flag, original = m.group(1), m.group(2) or "", m.group(3)
    if flag == "im_" and original.startswith("https://pbs.twimg.com/media/"):
        key = re.sub(r"[?.:].*$", "", original[len("https://pbs.twimg.com/media/") :])
        body = media.photo(key, orig=False)
        return Response(200, body, "image/jpeg") if body else not_found()
    found = _snapshots(state, original)
    if found is None:
        return text(404, pages.wayback_not_found_html(original))
    tweet, stamps = found
    if ts not in stamps:
        return redirect(f"https://web.archive.org/web/{_closest(stamps, ts)}{flag}/{tweet.status_url}", 302)
    headers = _memento_headers(tweet, ts)
    if flag == "id_":
        # Raw capture: original headers kept under x-archive-orig-*.
        headers += [("x-archive-orig-content-type", "text/html; charset=utf-8"), ("x-archive-orig-x-frame-options", "DENY")]
        return Response(200, _archived_body(tweet, ts), "text/html; charset=utf-8", headers, gzip=True)
    return text(200, pages.archived_tweet_html(tweet, ts, replay=True), headers=headers, gzip=True)


HANDLERS: dict[str, Handler] = {
    "archive.org": availability,
    "www.archive.org": availability,
    "web.archive.org": web,
}
