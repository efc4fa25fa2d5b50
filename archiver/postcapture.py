"""Capture one post: structured data over HTTP, its rendered embed in the browser, status, Wayback.

Twitter/X is first-class (syndication, oEmbed, media, Wayback); other platforms get their embed
rendered and their public oEmbed metadata where one exists without credentials (docs/platforms.md).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ArchiverError, DiskFull, NetworkError, RefusedError
from .index.rows import Capture
from .layout import MEDIA_DIR, post_dir, relative
from .modes import make_dirs, write_file
from .space import disk_full, is_full
from .warcstore import Batch

if TYPE_CHECKING:
    from .capture.browser import Browser
    from .capture.http import RecordingClient
    from .index.protocol import ArchiveIndex
    from .warcstore import WarcStore

log = logging.getLogger(__name__)

# The rendered tweet inside Tweet.html; without it the full-page screenshot stands for the post.
TWEET_SELECTORS = ("article",)


@dataclass
class PostOutcome:
    """What happened to one post in this run."""

    key: str
    platform: str
    url: str | None
    status: str
    reason: str | None = None
    captures: int = 0
    source: str | None = None  # live | wayback
    error: str | None = None
    network_failed: bool = False
    fields: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {"key": self.key, "platform": self.platform, "url": self.url, "status": self.status,
                "captures": self.captures, "source": self.source, "reason": self.reason, "error": self.error}


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


class PostCapturer:
    """Captures posts with one shared browser, HTTP client, WARC store and index.

    Each capture writes through its own Batch, and its commit indexes that batch's records.
    """

    def __init__(self, archive_dir: Path, index: ArchiveIndex, store: WarcStore, client: RecordingClient,
                 browser: Browser) -> None:
        self.archive_dir = archive_dir
        self.index = index
        self.store = store
        self.client = client
        self.browser = browser

    # -- helpers ---------------------------------------------------------------------------
    def _render(self, url: str, key: str, label: str, batch: Batch,
                selectors: tuple[str, ...] = ()) -> tuple[Any, str | None]:
        """Render a URL in a fresh browser context; returns (PageCapture | None, error)."""
        out = make_dirs(post_dir(self.archive_dir, key))
        shot = out / f"{_stamp()}-{label}.png"
        try:
            page = self.browser.capture(url, batch, screenshot_path=shot, element_selectors=selectors,
                                        element_dir=out)
        except DiskFull:
            raise
        except ArchiverError as e:
            return None, str(e)
        err = "; ".join(page.errors) if page.errors and page.status is None else None
        return page, err

    def _commit_capture(self, key: str, *, source: str, url: str, status: str, page: Any,
                        error: str | None, batch: Batch) -> int:
        shot = getattr(page, "screenshot", None) if page else None
        digest = getattr(page, "screenshot_sha256", None)
        # The rendered post itself (the embed's <article>) is the picture people want; the
        # full-page shot stays in the WARC and on disk beside it.
        elements = [e for e in (getattr(page, "elements", None) or []) if e.path is not None]
        if elements:
            shot, digest = elements[0].path, elements[0].sha256
        with self.index.transaction():
            cid = self.index.add_capture(Capture(
                post_key=key, article_id=None, source=source, url=url, status=status,
                screenshot=relative(self.archive_dir, shot), screenshot_sha256=digest,
                error=error, warc=batch.warc, page_record_id=getattr(page, "page_record_id", None)))
            self.index.add_records(cid, batch.records, post_key=key)
        return cid

    # -- platforms -------------------------------------------------------------------------
    def capture(self, post: Any, *, offline: bool = False, recheck: bool = False) -> PostOutcome:
        """Capture one post (a Post or a StoredPost); `offline` when the network is known to be down.

        A `recheck` of a held post asks the platform's data endpoints only, and renders a new capture
        only when the status changed (or no good capture exists): the observation is what a re-check
        is for, and an unchanged post needs no second copy.
        """
        key, platform = post.key, post.platform
        try:
            if platform == "twitter" and post.post_id:
                return self._twitter(post, recheck)
            if platform == "twitter":
                return self._unidentified(post, offline)
            return self._generic(post, recheck)
        except DiskFull:
            raise
        except RefusedError as e:
            # The policy kept the tool away from the address: nothing was learnt about the post.
            self.index.observe(key, "unknown", detail=str(e))
            return PostOutcome(key, platform, post.url, "unknown", reason=str(e), error=str(e))
        except NetworkError as e:
            self.index.observe(key, "unavailable", detail=str(e))
            return PostOutcome(key, platform, post.url, "unavailable", error=str(e), network_failed=e.unreachable)
        except ArchiverError as e:
            self.index.observe(key, "unknown", detail=str(e))
            return PostOutcome(key, platform, post.url, "unknown", error=str(e))

    def _unidentified(self, post: Any, offline: bool) -> PostOutcome:
        """A flattened tweet whose short links did not lead to a status ID: nothing to fetch yet."""
        if offline:
            status, reason = "unavailable", "status ID unknown: its short links could not be resolved (network unreachable)"
        else:
            status, reason = "unknown", "status ID unknown: no short link in the text led to a post"
        self.index.observe(post.key, status, detail=reason)
        return PostOutcome(post.key, "twitter", post.url, status, reason=reason, source=None,
                           network_failed=offline)

    def _unchanged(self, key: str, status: str, batch: Batch) -> bool:
        """True (and the batch's records indexed) when a re-check found the status it last recorded."""
        if status != self.index.post_status(key) or not self.index.has_capture(key):
            return False
        self.index.add_records(None, batch.records, post_key=key)
        return True

    def _twitter(self, post: Any, recheck: bool = False) -> PostOutcome:
        from .capture import twitter
        from .capture.oembed import embed_url
        from .platforms.twitter.detect import canonical_url

        key, pid = post.key, post.post_id
        batch = Batch(self.store)
        http = self.client.bind(batch)
        # These never raise on network trouble: they name the failure (the contract in capture/types.py).
        synd = twitter.fetch_syndication(http, pid)
        status_url = post.url or canonical_url(pid, post.handle)
        oembed = twitter.fetch_oembed(http, status_url)
        network_failed = synd.network_failed and oembed.network_failed
        if recheck:
            quick, why = twitter.classify(synd, oembed, None, synd.network_failed or oembed.network_failed)
            if self._unchanged(key, quick, batch):
                self.index.observe(key, quick, detail=why)
                return PostOutcome(key, "twitter", status_url, quick, reason=why, network_failed=network_failed)

        data = None
        if synd is not None and synd.kind == "tweet" and synd.json:
            data = twitter.parse_tweet(synd.json)
            self.index.update_post_data(key, **_tweet_fields(data, synd.json))

        login_wall: bool | None = None
        live = data is not None
        page = None
        render_error = None
        outcome_source = "live"
        rendered = embed_url("twitter", pid, status_url) or status_url
        if not network_failed:
            page, render_error = self._render(rendered, key, "embed", batch, TWEET_SELECTORS)
            if not live:
                # Only when the embed says nothing: does x.com itself show a login wall? (never "deleted")
                wall_page, _ = self._render(status_url, key, "x", batch)
                login_wall = bool(wall_page and getattr(wall_page, "login_wall", False))
        page_text = page.frames[0].text[:2000] if (page is not None and page.frames and not live) else None
        status, reason = twitter.classify(synd, oembed, login_wall, synd.network_failed or oembed.network_failed,
                                         page_text=page_text)

        if data is not None and data.media and not network_failed:
            self._media(key, data.media, batch)
        self.index.observe(key, status, detail=reason)
        captures = 0
        if page is not None or batch.records:
            # The capture's URL is the page that was rendered (the embed), so exports point at it.
            self._commit_capture(key, source="live", url=rendered if page is not None else status_url,
                                 status=status, page=page, error=render_error, batch=batch)
            captures += 1
        if status not in ("live",) and not network_failed and self._wayback(post, status_url):
            captures += 1
            outcome_source = "wayback"
        return PostOutcome(key, "twitter", status_url, status, reason=reason, captures=captures,
                           source=outcome_source if captures else None, error=render_error, network_failed=network_failed)

    def _media(self, key: str, urls: list[str], batch: Batch) -> None:
        from .capture import twitter

        files = twitter.download_media(self.client.bind(batch), urls)
        out = make_dirs(self.archive_dir / MEDIA_DIR / post_dir(self.archive_dir, key).name)
        for f in files:
            if not f.ok or f.sha256 is None:
                log.warning("%s: media %s: %s", key, f.url, f.error or f.status)
                continue
            ext = {"image/jpeg": ".jpg", "image/png": ".png", "video/mp4": ".mp4", "image/webp": ".webp"}.get(
                (f.mime or "").split(";")[0], ".bin")
            # Named by content: a re-check never overwrites the file an index row vouches for, and
            # the file appears whole or not at all (temp name, then rename).
            path = out / f"{f.sha256[:16]}{ext}"
            if not path.exists():
                tmp = path.with_name(path.name + ".part")
                try:
                    write_file(tmp, f.data)
                except OSError as e:
                    tmp.unlink(missing_ok=True)  # no half file left behind (a full disk, say)
                    if is_full(e):
                        raise disk_full(tmp, needed=len(f.data), what="a media file") from e
                    raise
                os.replace(tmp, path)
            self.index.add_media(key, f.url, relative(self.archive_dir, path), f.sha256, f.mime)

    def _wayback(self, post: Any, status_url: str) -> int:
        """Capture the closest Wayback copy once; returns 1 when it really recovered the post."""
        from .capture import wayback

        key = post.key
        if self.index.has_capture(key, source="wayback"):
            return 0  # the copy does not change: one recovery is enough (re-checks observe status only)
        batch = Batch(self.store)
        http = self.client.bind(batch)
        lookup = wayback.find_snapshot(http, status_url)  # a failure is named, never raised
        if lookup.error:
            log.warning("%s: wayback: %s", key, lookup.error)
        snap, resp, partial = lookup.snapshot, None, None
        if snap is not None:
            try:
                resp, partial = wayback.fetch_snapshot(http, snap)
            except NetworkError as e:
                log.warning("%s: wayback: %s", key, e)
        if snap is None or resp is None:
            self.index.add_records(None, batch.records, post_key=key)  # the look-ups that found nothing
            return 0
        error = None if resp.status_code == 200 else f"the Wayback copy answered HTTP {resp.status_code}"
        if error is None and partial is not None:
            fields = {k: getattr(partial, k, None) for k in ("handle", "author", "text", "posted_at")}
            self.index.update_post_data(key, **{k: v for k, v in fields.items() if v})
        page, render_error = self._render(snap.url, key, "wayback", batch)
        error = error or render_error or (None if page is not None else "the Wayback copy did not render")
        self._commit_capture(key, source="wayback", url=snap.url, status="recovered" if error is None else "error",
                             page=page, error=error, batch=batch)
        return 1 if error is None else 0

    def _generic(self, post: Any, recheck: bool = False) -> PostOutcome:
        from .capture.oembed import embed_url, fetch_metadata

        key, platform = post.key, post.platform
        batch = Batch(self.store)
        status, reason, network_failed = "unknown", None, False
        # Never raises on network trouble: a failure is named in the result (capture/types.py).
        meta = fetch_metadata(self.client.bind(batch), platform, post.url or "")
        if meta is None:
            pass  # no public endpoint: the rendered embed alone speaks for the post
        elif meta.status == 200:
            status = "live"
            self.index.update_post_data(key, author=meta.data.get("author_name"), data=meta.data)
        elif meta.status in (404, 410):
            # One signal only: not enough to call it deleted (that takes two that agree).
            status, reason = "unavailable", f"oEmbed answered {meta.status}"
        elif meta.status is None:
            # A refusal by the network policy says nothing about the post; no answer otherwise does.
            status, reason = ("unknown" if meta.refused else "unavailable"), meta.error
            network_failed = meta.network_failed
        if recheck and self._unchanged(key, status, batch):
            self.index.observe(key, status, detail=reason)
            return PostOutcome(key, platform, post.url, status, reason=reason, network_failed=network_failed)
        target = embed_url(platform, post.post_id, post.url) or post.url
        page = err = None
        if target and not network_failed:
            page, err = self._render(target, key, "embed", batch)
        self.index.observe(key, status, detail=reason)
        captures = 0
        if page is not None or batch.records:
            self._commit_capture(key, source="live", url=target or "", status=status, page=page, error=err, batch=batch)
            captures = 1
        return PostOutcome(key, platform, post.url, status, reason=reason, captures=captures,
                           source="live" if captures else None,
                           error=err, network_failed=network_failed)


def _tweet_fields(data: Any, raw: dict[str, Any]) -> dict[str, Any]:
    out = {"handle": data.handle, "author": data.author, "posted_at": data.posted_at, "text": data.text,
           "media": list(data.media or []), "data": raw}
    if getattr(data, "links", None):
        out["links"] = list(data.links)
    return {k: v for k, v in out.items() if v not in (None, [], "")}
