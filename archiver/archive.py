"""`archive`: capture each article and every post it embeds or links, into WARC + screenshots + index."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ArchiverError, DiskFull, NetworkError, SourceError
from .index.rows import Capture
from .interrupt import STOP, exit_code, signal_name
from .layout import WARC_DIR, article_dir, relative
from .limits import Limits
from .models import Document, Post
from .modes import make_dirs
from .platforms import BY_NAME, REGISTRY
from .postcapture import PostCapturer, PostOutcome
from .sources import DEFAULT_MAX_BYTES, SourceFailure, expand, is_url, read_file, read_stdin
from .space import disk_full, is_full
from .warcstore import Batch

if TYPE_CHECKING:
    from .capture.http import RecordingClient
    from .net import NetOptions

log = logging.getLogger(__name__)

# Rendered embeds on an article page that get their own element screenshot: each platform's own.
EMBED_ELEMENT_SELECTORS = tuple(sel for p in REGISTRY for sel in p.embed_selectors)


@dataclass
class ArticleOutcome:
    source: str
    url: str
    posts: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Fetched:
    """A source read for archiving: the document, and the batch holding what fetching it recorded
    (None for a file or standard input, which were not fetched)."""

    doc: Document
    batch: Batch | None = None


@dataclass
class ArchiveSummary:
    """Everything one archive/run did; `exit_code` follows the tool-wide convention."""

    articles: list[ArticleOutcome] = field(default_factory=list)
    posts: list[PostOutcome] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    sources_read: int = 0
    skipped_posts: int = 0
    network_unreachable: bool = False
    rechecked: int = 0
    changed: int = 0
    started_at: str = ""
    finished_at: str = ""
    interrupted: int = 0  # the signal that stopped the run early, 0 if none did
    articles_planned: int = 0
    run_id: int | None = None

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return exit_code(self.interrupted)
        if self.sources_read == 0 and self.failures and not self.posts:
            return 2
        bad = self.failures or any(p.status == "unavailable" or p.error for p in self.posts)
        return 1 if bad else 0

    def merge(self, other: ArchiveSummary) -> None:
        """Add what another part of the same run did (a worker's share under `run --concurrency`).

        `rechecked`, `changed` and the times are the whole run's, so the caller sets them.
        """
        self.articles.extend(other.articles)
        self.posts.extend(other.posts)
        self.failures.extend(other.failures)
        self.sources_read += other.sources_read
        self.skipped_posts += other.skipped_posts
        self.network_unreachable = self.network_unreachable or other.network_unreachable

    def interruption(self) -> str:
        """One line saying what a signal cut short (empty when none did)."""
        if not self.interrupted:
            return ""
        line = (f"interrupted by {signal_name(self.interrupted)}: {len(self.articles)} of "
                f"{self.articles_planned} articles done")
        if self.run_id is not None:
            line += f"; run {self.run_id} closed as interrupted"
        return line

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.posts:
            out[p.status] = out.get(p.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "articles": len(self.articles),
            "articles_failed": sum(1 for a in self.articles if a.error),
            "posts": len(self.posts),
            "posts_new": len(self.posts) - self.rechecked,
            "posts_rechecked": self.rechecked,
            "posts_changed": self.changed,
            "posts_skipped_already_captured": self.skipped_posts,
            "statuses": self.counts(),
            "network_unreachable": self.network_unreachable,
            "interrupted": signal_name(self.interrupted) if self.interrupted else None,
            "failures": self.failures,
            "results": [p.row() for p in self.posts],
        }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Session:
    """Opens (and always closes) the index, WARC store, HTTP client and one browser for a run.

    A worker process of a parallel run passes `recover_warcs=False` (its parent recovered the WARC
    directory before starting it, and another worker's `.open` file is not a leftover) and its own
    `warc_prefix`, so that no two processes ever pick the same WARC file name.
    """

    def __init__(self, archive_dir: Path, net: NetOptions, *, timeout: float = 30.0,
                 recover_warcs: bool = True, warc_prefix: str = "archiver",
                 limits: Limits | None = None) -> None:
        self.archive_dir = archive_dir
        self.net = net
        self.timeout = timeout
        self.limits = limits or Limits()
        self.recover_warcs = recover_warcs
        self.warc_prefix = warc_prefix
        self._stack = ExitStack()

    def __enter__(self) -> Session:
        from .capture.browser import Browser
        from .capture.http import RecordingClient
        from .index import open_index
        from .warcstore import WarcStore, recover

        warcs = make_dirs(self.archive_dir / WARC_DIR)
        if self.recover_warcs:
            for msg in recover(warcs):
                log.warning("%s", msg)
        try:
            self.index = self._stack.enter_context(open_index(self.archive_dir))
            self.browser = self._stack.enter_context(
                Browser(self.net, workdir=self.archive_dir / ".browser", timeout=self.timeout,
                        capture_deadline=self.limits.capture_deadline, max_body=self.limits.max_bytes,
                        max_capture_bytes=self.limits.max_capture_bytes))
            self.store = self._stack.enter_context(WarcStore(warcs, prefix=self.warc_prefix, info={
                "browser-version": self.browser.browser_version or "", "http-header-user-agent": self.browser.user_agent or ""}))
            # Every index write is also kept in the WARCs, so that `archiver reindex` can rebuild it.
            self.index.journal.writer = self.store.write_metadata_batch
            self.client: RecordingClient = self._stack.enter_context(
                RecordingClient(self.net, timeout=self.timeout, max_body=self.limits.max_bytes,
                                deadline=self.limits.fetch_deadline))
        except BaseException:
            self._stack.close()
            raise
        self.posts = PostCapturer(self.archive_dir, self.index, self.store, self.client, self.browser)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


class Archiver:
    """Runs the pipeline over sources: read -> detect -> resolve -> capture -> index."""

    def __init__(self, session: Session, *, recapture: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
                 progress: Callable[[str], None] | None = None) -> None:
        self.s = session
        self.recapture = recapture
        self.max_bytes = max_bytes
        self.progress = progress or (lambda _msg: None)
        self.summary = ArchiveSummary(started_at=_now())
        self._done_posts: set[str] = set()

    # -- reading ------------------------------------------------------------------------------
    def _read(self, spec: str) -> Fetched:
        if spec == "-":
            return Fetched(read_stdin(self.max_bytes))
        if is_url(spec):
            from .sources import fetch_document, shown, url_problem

            why = url_problem(spec)
            if why:
                raise SourceError(f"{shown(spec)}: {why}; check the address")
            batch = Batch(self.s.store)
            return Fetched(fetch_document(self.s.client, spec, self.max_bytes, batch=batch), batch)
        return Fetched(read_file(Path(spec), self.max_bytes))

    # -- one article ----------------------------------------------------------------------------
    def archive_specs(self, specs: Iterable[str]) -> ArchiveSummary:
        todo = list(expand(list(specs)))
        self.summary.articles_planned += len(todo)
        for spec in todo:
            if self.stopping():
                break
            self.archive_spec(spec)
        self.summary.finished_at = _now()
        return self.summary

    def archive_spec(self, spec: str, *, capture_posts: bool = True) -> list[Post]:
        """Read one source and archive it; returns the posts it cites that have something to capture.

        With `capture_posts=False` the article is captured and indexed but its posts are not: a
        parallel run captures them afterwards, once each, however many articles cite them.
        """
        try:
            fetched = self._read(spec)
        except (SourceError, NetworkError) as e:
            # A refusal or a broken limit is about one server: only other failures mean "offline".
            self._fail(str(e), network=isinstance(e, NetworkError) and e.unreachable)
            self.summary.articles.append(ArticleOutcome(spec, spec, error=str(e)))
            return []
        self.summary.sources_read += 1
        try:
            _outcome, posts = self.index_document(fetched.doc, fetched.batch)
        except OSError as e:
            if is_full(e):  # a screenshot or media file: name it
                raise disk_full(e.filename or self.s.archive_dir) from e
            raise
        if capture_posts:
            for post in posts:
                if self.stopping():
                    break  # cited in the index: the next run captures it
                self.capture_post(post)
        return posts

    def stopping(self) -> bool:
        """True once SIGINT/SIGTERM asked to stop (checked between items); noted in the summary."""
        if STOP.requested and not self.summary.interrupted:
            self.summary.interrupted = STOP.signum
        return bool(self.summary.interrupted)

    def _fail(self, msg: str, *, network: bool = False) -> None:
        log.warning("%s", msg)
        self.summary.failures.append(msg)
        if network:
            self.summary.network_unreachable = True

    def archive_document(self, doc: Document) -> ArticleOutcome:
        outcome, posts = self.index_document(doc)
        for post in posts:
            self.capture_post(post)
        return outcome

    def index_document(self, doc: Document, batch: Batch | None = None) -> tuple[ArticleOutcome, list[Post]]:
        """Detect the posts, resolve short links, capture the article page and index its citations.

        `batch` holds what fetching the document recorded; the article's capture goes on in it.
        Returns the outcome and the posts to capture (unresolved short links have none).
        """
        from .detect import detect

        s = self.s
        if batch is None:
            batch = Batch(s.store)
        url = doc.url or _file_uri(doc.source)
        outcome = ArticleOutcome(doc.source, url)
        self.summary.articles.append(outcome)
        self.progress(f"article {doc.source}")
        try:
            posts = detect(doc)
        except Exception as e:
            outcome.error = f"{doc.source}: could not be scanned ({type(e).__name__}: {e})"
            self._fail(outcome.error)
            return outcome, []
        posts = self._resolve_shortlinks(posts, batch)
        article_id = s.index.upsert_article(url, source=doc.source, title=None)
        if self.recapture or not s.index.article_captured(url):
            self._capture_article(doc, url, article_id, batch)
        elif batch.records:
            # Fetched again (the seed's URL, short-link hops) though the article is held: every
            # record in the WARC stays findable through the index.
            s.index.add_records(None, batch.records, article_id=article_id)
        for post in posts:
            post.key = s.index.upsert_post(post)  # a known alias lands on the ID-keyed post
            s.index.cite(article_id, post.key, post.kind, post.evidence)
            outcome.posts.append(post.key)
        # Unresolved short links have no post to capture.
        return outcome, [p for p in posts if p.kind != "shortlink"]

    def capture_post(self, post: Post, *, force: bool = False, recheck: bool = False) -> None:
        """Capture a post unless this Archiver did already, or the archive holds it (unless `force`)."""
        s = self.s
        if post.key in self._done_posts:
            return
        self._done_posts.add(post.key)
        if not (self.recapture or force) and s.index.has_capture(post.key):
            self.summary.skipped_posts += 1
            return
        self.progress(f"post {post.key}")
        try:
            result = s.posts.capture(post, offline=self.summary.network_unreachable, recheck=recheck)
        except DiskFull:
            raise  # every later write would fail too: stop the run, naming the file
        except Exception as e:
            if is_full(e):
                raise disk_full(getattr(e, "filename", None) or s.archive_dir) from e
            result = PostOutcome(post.key, post.platform, post.url, "unknown", error=f"{type(e).__name__}: {e}")
            log.warning("%s: capture failed: %s", post.key, result.error)
        if result.network_failed:
            self.summary.network_unreachable = True
        if result.error:
            self.summary.failures.append(f"{post.key}: {result.error}")
        self.summary.posts.append(result)

    def recheck(self, keys: Iterable[str]) -> None:
        """Capture already-held posts again so that a change of status is observed and dated."""
        for key in keys:
            if self.stopping():
                break
            row = self.s.index.get_post(key)
            if row is None:
                continue
            post = Post(platform=row.platform, kind="linked", source="recheck", evidence="recheck",
                        post_id=row.post_id, url=row.url, handle=row.handle, key=key)
            self._done_posts.discard(key)
            self.capture_post(post, force=True, recheck=True)

    def _resolve_shortlinks(self, posts: list[Post], batch: Batch) -> list[Post]:
        """Short links in text-only tweets lead to their status ID: the ID-keyed post absorbs them."""
        out: list[Post] = []
        by_key = {p.key: p for p in posts}
        for post in posts:
            platform = BY_NAME.get(post.platform)
            if post.post_id or platform is None or platform.aliases is None:
                out.append(post)
                continue
            old_key = post.key
            known = self.s.index.alias_of(old_key)  # resolved by an earlier run: no request needed
            found = (None, known.partition(":")[2]) if known else self._resolve_post_id(post, batch)
            if not found:
                out.append(post)
                continue
            handle, pid = found
            platform.aliases.identify(post, pid, handle)
            self.s.index.merge_post_key(old_key, post.key)
            if post.key in by_key and by_key[post.key] is not post:
                continue  # already listed under its ID
            out.append(post)
        return out

    def _resolve_post_id(self, post: Post, batch: Batch) -> tuple[str | None, str] | None:
        """Follow the post's short links to its ID (the platform's `aliases` hook); hops go into the
        article's `batch`, and so through its capture to the index."""
        aliases = BY_NAME[post.platform].aliases
        assert aliases is not None
        alias = aliases.resolve(post, self.s.client.bind(batch))
        for message, network in alias.failures:
            self._fail(message, network=network)
        return alias.found

    def _capture_article(self, doc: Document, url: str, article_id: int, batch: Batch) -> None:
        s = self.s
        shots = make_dirs(article_dir(s.archive_dir, url))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        error = None
        page = None
        if not is_url(doc.source) and doc.raw is not None:
            ctype = "text/html; charset=utf-8" if doc.is_html else "text/plain; charset=utf-8"
            batch.write_resource(url, doc.content_type or ctype, doc.raw)
        if doc.is_html:
            try:
                page = s.browser.capture(url, batch, screenshot_path=shots / f"{stamp}.png",
                                         element_selectors=EMBED_ELEMENT_SELECTORS, element_dir=shots)
                if page.errors and page.status is None:
                    error = "; ".join(page.errors)
            except DiskFull:
                raise
            except ArchiverError as e:
                error = str(e)
        if error:
            log.warning("%s: %s", doc.source, error)
        title = getattr(page, "title", None)
        if title:
            s.index.upsert_article(url, title=title)
        with s.index.transaction():
            cid = s.index.add_capture(Capture(
                post_key=None, article_id=article_id, source="live", url=url,
                status="ok" if not error else "error",
                screenshot=relative(s.archive_dir, getattr(page, "screenshot", None)),
                screenshot_sha256=getattr(page, "screenshot_sha256", None), error=error,
                warc=batch.warc, page_record_id=getattr(page, "page_record_id", None)))
            s.index.add_records(cid, batch.records, article_id=article_id)


def _file_uri(source: str) -> str:
    if source == "-":
        return "urn:stdin:" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return Path(source).resolve().as_uri()


def archive(specs: list[str], archive_dir: Path, net: NetOptions, *, timeout: float = 30.0,
            recapture: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
            progress: Callable[[str], None] | None = None, limits: Limits | None = None) -> ArchiveSummary:
    """Archive every source under the archive's lock, as a row of the index's `runs` (`''` or a
    malformed URL: a usage error, at once); `max_bytes` is also the cap of every body."""
    from dataclasses import replace

    from .runs import locked, recorded_run
    from .sources import check_specs

    check_specs(specs)
    limits = replace(limits or Limits(), max_bytes=max_bytes)
    with locked(archive_dir), Session(archive_dir, net, timeout=timeout, limits=limits) as session, \
            recorded_run(session.index, "archive") as record:
        archiver = Archiver(session, recapture=recapture, max_bytes=max_bytes, progress=progress)
        record.summary = archiver.summary
        return archiver.archive_specs(specs)


__all__ = ["ArchiveSummary", "Archiver", "Fetched", "Session", "archive", "SourceFailure"]
