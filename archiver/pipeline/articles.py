"""Phase 1 of a run: one source read, its posts detected, short links resolved, its citations
indexed and the article page captured; the posts themselves are captured in phase 2 (`posts.py`),
and may start while the article page is still being captured."""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .. import times
from ..errors import (
    ArchiverError,
    BrowserUnavailable,
    DiskFull,
    HttpStatusError,
    LimitExceeded,
    NetworkError,
    RefusedError,
    SourceError,
)
from ..index.rows import Capture
from ..layout import article_dir, relative, screenshot_path
from ..models import Document, Post
from ..modes import make_dirs
from ..platforms import BY_NAME, REGISTRY
from ..progress import step
from ..redact import redact_url
from ..sources import DEFAULT_MAX_BYTES, is_url, read_file, read_stdin, shown
from ..space import disk_full, is_full
from ..warcstore import Batch
from .identify import take_id
from .postcapture import LinksUnanswered
from .summary import ArticleOutcome
from .tasks import ArticleResult, ArticleTask

if TYPE_CHECKING:
    from ..platforms.capture import Alias
    from ..seeds import Feed
    from .session import Session

log = logging.getLogger(__name__)

# Told an article's posts to capture, whether the network was found unreachable, and the posts
# (by key) known by short links that met no answer, before its page is captured.
Found = Callable[[tuple[Post, ...], bool, dict[str, LinksUnanswered]], None]

# Rendered embeds on an article page that get their own element screenshot: each platform's own.
EMBED_ELEMENT_SELECTORS = tuple(sel for p in REGISTRY for sel in p.embed_selectors)


@dataclass
class Fetched:
    """A source read for archiving: the document, and the batch holding what fetching it recorded
    (None for a file or standard input, which were not fetched)."""

    doc: Document
    batch: Batch | None = None


class ArticleHandler:
    """Handles `ArticleTask`s with one session; `recapture` captures held articles again."""

    def __init__(self, session: Session, *, recapture: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
                 progress: Callable[[str], None] | None = None) -> None:
        self.s = session
        self.recapture = recapture
        self.max_bytes = max_bytes
        self.progress = progress or (lambda _msg: None)
        self._failures: list[str] = []
        self._network = False
        # Posts known by their short links alone whose links met no answer (by the post's id()).
        self._unanswered: dict[int, LinksUnanswered] = {}

    def handle(self, task: ArticleTask, found: Found | None = None) -> ArticleResult:
        """Archive one source without capturing its posts; failures are named in the result.

        `found`, when given, is told the posts to capture as soon as the citations are indexed,
        before the article page is captured, so that their captures can start meanwhile."""
        from ..detect import post_at_address

        # A step of the run whatever the source turns out to be (an article, a feed, a post's own
        # address, or unreadable): the progress bar counted it among the sources given.
        address = is_url(task.spec) and post_at_address(task.spec) is not None
        with step(self.progress, f"{'post address' if address else 'article'} {task.spec}"):
            return self._handle(task, found)

    def _handle(self, task: ArticleTask, found: Found | None) -> ArticleResult:
        from ..detect import source_address

        self._failures, self._network, self._unanswered = [], False, {}
        batch = Batch(self.s.store)
        target: str | None = None  # where a short link given as the source led (None: not one, or not followed)
        try:
            post, target = source_address(task.spec, lambda: self.s.client.bind(batch)) if is_url(task.spec) \
                else (None, None)
            if post is not None:
                if batch.records:  # a short link's hops: findable, as every record is
                    self.s.index.add_records(None, batch.records)
                return self._post_address(task.spec, post, found)
            if target is None and is_url(task.spec):
                _note_platform_page(task.spec)
            fetched = self._read(target or task.spec, batch)
            held = self._moved(target or task.spec, fetched, given=task.spec)
            if target is not None:
                fetched.doc = replace(fetched.doc, source=task.spec)  # named as the user gave it
        except (SourceError, NetworkError) as e:
            gone = self._gone(target or task.spec, e, batch) if isinstance(e, HttpStatusError) \
                else e if isinstance(e, MovedAway) else None
            if gone is not None:
                e = gone
            elif batch.records:
                # What the failed fetch did record (a 404 answer, the hops before it) stays findable
                # through the index, as every record in the WARCs is.
                self.s.index.add_records(None, batch.records)
            # A short link's destination that failed is named as where the link given led.
            message = str(e) if target is None else f"{shown(task.spec)} led to {e}"
            # A refusal or a broken limit is about one server: only other failures mean "offline".
            self._fail(message, network=isinstance(e, NetworkError) and e.unreachable)
            # No server answered the fetch: a network failure before any answer's head was recorded
            # (an answer cut short, a redirect loop, a body that would not decode: a server answered).
            unanswered = (isinstance(e, NetworkError) and not isinstance(e, (RefusedError, LimitExceeded))
                          and not batch.records)
            # An article found gone was read, in that its answer is recorded: a run of it alone
            # partly failed (exit 1), it is no source that could not be read at all (exit 2).
            return ArticleResult(ArticleOutcome(task.spec, task.spec, error=message, unanswered=unanswered), (),
                                 tuple(self._failures), read=gone is not None, network_unreachable=self._network)
        from ..seeds import document_feed

        # A feed fetched from the web stands for its articles (a feed file is a seeds folder's business).
        feed = document_feed(fetched.doc) if fetched.batch is not None else None
        if feed is not None:
            return self._feed(task, fetched, feed)
        try:
            outcome, posts = self.index_document(fetched.doc, fetched.batch, found=found, held=held)
        except OSError as e:
            if is_full(e):  # a screenshot or media file: name it
                raise disk_full(e.filename or self.s.archive_dir) from e
            raise
        return ArticleResult(outcome, tuple(posts), tuple(self._failures), read=True,
                             network_unreachable=self._network, unanswered=self._links_unanswered(posts))

    def _gone(self, spec: str, e: HttpStatusError, batch: Batch) -> SourceError | None:
        """An article this archive captured before now answers an error status (taken down, moved):
        that answer is recorded as a capture of the article, with its date and its exchange, and
        the failure says so (its address is not wrong). A refusal (429, a 5xx) says nothing of the
        article: its answer is kept as the article's, no capture is added, and the failure names
        the outage. An address that redirected to the page that answered the error is named so:
        where it led, what that page is (`urls.moved_away`: a login wall is the wall) and its
        status. None for an article not held."""
        held = self.s.index.held_article(spec) if is_url(spec) else None
        if held is None:
            return None
        article_id, url = held
        lookup = f"`archiver lookup --article {shlex.quote(url)}` lists the posts it cites"
        if refusal(e.status):
            # Its server refused or failed to answer (overloaded, down, rate-limiting): that tells
            # nothing of the article, as with a post; its answer stays findable as the article's,
            # but no capture says it failed, and the next run reads it again.
            self.s.index.add_records(None, batch.records, article_id=article_id)
            return SourceError(f"{spec}: not read: its server answered HTTP {e.status} (down, overloaded or "
                               f"rate-limiting: nothing learnt of the article); the archive holds its earlier "
                               f"captures ({lookup})")
        reached = _redirected_to(spec, batch)
        if reached is not None:
            # Its own address answered a redirect; what answered the error is the page it led to.
            from ..index.urls import moved_away

            why = moved_away(url, spec, reached)
            to = f"{redact_url(reached)} ({why or NEW_ADDRESS}), which answered HTTP {e.status}"
            now = _not_shown(why) if why is not None else "the page is gone from its site or moved"
            self._record_gone(article_id, spec, f"redirected to {to}: {now} (captured before)", batch)
            return SourceError(f"{spec}: now redirects to {to}; the archive holds its earlier captures ({lookup})")
        self._record_gone(article_id, spec, f"HTTP {e.status}: the page is gone from its site or moved (captured before)",
                          batch)
        return SourceError(f"{spec}: answered HTTP {e.status} now; the archive holds its earlier captures ({lookup})")

    def _moved(self, spec: str, fetched: Fetched, *, given: str | None = None) -> str | None:
        """An article this archive captured before whose address now redirects to a page that is
        not the article (the site's home page, a login wall, a page not found that answers 200,
        another article, another site: `urls.moved_away`), or not known to be it (a page named by
        an ID alone, or one whose name keeps the article's words: `urls.UNTOLD`): that answer is recorded as a capture of the article that
        failed, with its date, its reason and its exchanges, and MovedAway is raised; nothing of
        the page reached is read as the article's.

        A redirect to the article's own canonical address (https, a trailing slash, its AMP or
        mobile host, a new name keeping its ID) is the article: the URL it is held under is
        returned, for the page reached to be read, cited and captured as that article's (the
        address it answered at is the capture's). None when the source is no held article
        redirected. The held article is the one held at `spec` (the address read), or the one a
        run first read from it or from `given` (the short link the user gave that led to `spec`)."""
        from ..index.urls import UNTOLD, moved_away, url_key, without_tracking

        reached = fetched.doc.url
        if fetched.batch is None or not reached or not is_url(spec) \
                or url_key(reached) == url_key(without_tracking(spec)):
            return None  # not fetched, or not redirected
        held = self.s.index.held_article(spec)
        if held is None and given is not None and given != spec and is_url(given):
            held = self.s.index.held_article(given)  # (a short link given, held as the article's source)
        if held is None:
            return None
        why = moved_away(held[1], spec, reached)
        if why is None:
            return held[1]
        article_id, url = held
        shown_to = redact_url(reached)
        self._record_gone(article_id, spec, f"redirected to {shown_to} ({why}): {_not_shown(why)} (captured before)",
                          fetched.batch)
        # (A page the addresses cannot tell from the article is not said not to be it.)
        not_it = "not known to be the article" if why in UNTOLD else "not to the article"
        raise MovedAway(f"{spec}: now redirects to {shown_to} ({why}), {not_it}; the archive holds its "
                        f"earlier captures (`archiver lookup --article {shlex.quote(url)}` lists the posts it cites)")

    def _record_gone(self, article_id: int, spec: str, error: str, batch: Batch) -> None:
        """A capture of the held article that failed, dated now, with `error` and the exchanges of
        `batch`: what its address answered instead of the article."""
        from ..index.urls import without_tracking

        with self.s.index.transaction():
            # The capture is of the address that answered (where the article was first read, when a
            # redirect took it elsewhere then).
            cid = self.s.index.add_capture(Capture(post_key=None, article_id=article_id, source="live",
                                                   url=without_tracking(spec), status="error", error=error,
                                                   warc=batch.warc))
            self.s.index.add_records(cid, batch.records, article_id=article_id)

    def _post_address(self, spec: str, post: Post, found: Found | None) -> ArticleResult:
        """A source that is a post's own address (a tweet's URL given to `archive`): the post, to be
        captured as every post is (its platform's data, embed and page, the Wayback Machine's copy
        when gone). No article is read or indexed: nothing cites the post."""
        from ..platforms import shortener_for

        post.key = self.s.index.upsert_post(post)
        shortener = shortener_for(spec)
        if shortener is not None and shortener.shortlinks is not None and shortener.name == post.platform:
            # A short link followed to the post: remembered as it is when an article's short link is
            # resolved, so that the link seen again (`show`, a bare link in an article) finds the post.
            self.s.index.merge_post_key(shortener.shortlinks.post(spec, spec, "address").key, post.key)
        if found is not None:
            found((post,), False, {})
        return ArticleResult(ArticleOutcome(spec, post.url or spec, posts=[post.key], post_address=True),
                             (post,), read=True)

    def _feed(self, task: ArticleTask, fetched: Fetched, feed: Feed) -> ArticleResult:
        """A source that is a feed (RSS, Atom, a sitemap): the articles it lists (with those of the
        sitemaps a sitemap index lists, fetched here), each to be archived by the same run as if it
        had been given, at most `task.room` of them (the newest where dated; the outcome counts
        what was left out); the feed itself is no article. Feeds are followed one level deep: one
        that a feed lists gives its own articles, but no sitemap it lists is read, and one listed
        by such a feed gives nothing."""
        from ..seeds import expand_feed, too_deep_note

        spec = task.spec
        if fetched.batch is not None and fetched.batch.records:
            self.s.index.add_records(None, fetched.batch.records)  # the feed as fetched: findable, as every record is
        url = fetched.doc.url or spec
        if task.depth >= 2:
            return ArticleResult(ArticleOutcome(spec, url, feed=0), read=True, notes=(too_deep_note(spec, feed),))
        got = expand_feed(spec, feed, room=task.room, fetch=self._fetch_feed if task.depth == 0 else None,
                          also=(url,))
        for problem in got.problems:
            self._fail(problem)
        if got.empty:
            self._fail(f"{spec}: a feed that lists no article to archive")
        log.info("%s: feed with %d article(s)", spec, len(got.articles))
        return ArticleResult(ArticleOutcome(spec, url, feed=len(got.articles), left_out=got.left_out,
                                            sitemaps_unread=got.unread),
                             failures=tuple(self._failures), read=True, network_unreachable=self._network,
                             sources=tuple(got.articles), notes=tuple(got.notes))

    def _fetch_feed(self, url: str) -> Feed | None:
        """A sitemap that a sitemap index lists, fetched (recorded, and findable through the index as
        every record is): what it lists, None when it is no feed."""
        from ..seeds import document_feed

        batch = Batch(self.s.store)
        try:
            fetched = self._read(url, batch)
        except NetworkError as e:
            self._network = self._network or e.unreachable
            raise
        finally:
            if batch.records:
                self.s.index.add_records(None, batch.records)
        return document_feed(fetched.doc)

    def _read(self, spec: str, batch: Batch) -> Fetched:
        """The source as a Document; a URL's exchanges are recorded into `batch`."""
        if spec == "-":
            return Fetched(read_stdin(self.max_bytes))
        if is_url(spec):
            from ..index.urls import without_tracking
            from ..sources import fetch_document, shown, url_problem

            why = url_problem(spec)
            if why:
                raise SourceError(f"{shown(spec)}: {why}; check the address")
            # One article however it was shared: fetched, captured and indexed without the
            # parameters that only track the reader (`utm_source`...) and without its #fragment.
            address = without_tracking(spec)
            doc = fetch_document(self.s.client, address, self.max_bytes, batch=batch)
            return Fetched(doc if address == spec else replace(doc, source=spec), batch)
        return Fetched(read_file(Path(spec), self.max_bytes, given=spec))

    def _fail(self, msg: str, *, network: bool = False) -> None:
        log.info("%s", msg)  # named among the run's failures at its end (`failed:`): once is enough
        self._failures.append(msg)
        if network:
            self._network = True

    def index_document(self, doc: Document, batch: Batch | None = None, *, found: Found | None = None,
                       held: str | None = None) -> tuple[ArticleOutcome, list[Post]]:
        """Detect the posts, resolve short links, index the citations, then capture the article page.

        `batch` holds what fetching the document recorded; the article's capture goes on in it.
        Returns the outcome and the posts to capture (unresolved short links have none), which
        `found` is also told before the page is captured. `held`: the URL of the held article the
        document is, read at another address its own redirected to (`_moved`): its citations and
        its capture are that article's, the capture made at the address it answered at.
        """
        from ..detect import detect
        from ..detect.text import headline
        from ..index.urls import url_key

        s = self.s
        if batch is None:
            batch = Batch(s.store)
        at = doc.url or _file_uri(doc.path or doc.source)  # where the page answered
        url = held or at  # the article's own URL in the index
        outcome = ArticleOutcome(doc.source, url)
        try:
            posts = detect(doc)
        except Exception as e:
            outcome.error = f"{doc.source}: could not be scanned ({type(e).__name__}: {e})"
            self._fail(outcome.error)
            return outcome, []
        cap = s.limits.max_posts
        capped = len(posts) > cap
        if capped:
            # Before any short link is followed: a hostile page's half a million would each be a request.
            self._fail(f"{doc.source}: cites {len(posts)} posts; the first {cap} in the page's order are archived, "
                       f"{len(posts) - cap} left out (raise --max-posts to take more)")
            posts = posts[:cap]
        posts = self._resolve_shortlinks(posts, batch)
        # An HTML page's title is the one Chromium reads when capturing it; a text's, its first line.
        title = None if doc.is_html else headline(doc.text, doc.source)
        # One page in flight at a time per article (an article given by its address and by a short
        # link to it): the second reads what the first cited and captured, and finds it held.
        with s.article_turn(url):
            article_id = s.index.upsert_article(url, source=doc.source, title=title)
            cited_before = s.index.current_citations(article_id)  # as its latest read found them
            # A change of its citations indexed by an earlier read whose capture of the page never
            # completed (the run killed in between): the page is still to be captured to show it.
            behind = s.index.citations_changed_since_capture(article_id)
            for post in posts:
                post.key = s.index.upsert_post(post)  # a known alias lands on the ID-keyed post
                s.index.cite(article_id, post.key, post.kind, post.evidence)
                outcome.posts.append(post.key)
            # Unresolved short links have no post to capture.
            wanted = [p for p in posts if p.kind != "shortlink"]
            if found is not None:
                found(tuple(wanted), self._network, self._links_unanswered(wanted))
            captured = s.index.article_captured(url)
            # A held article that answers at another address than at its latest capture (its own
            # redirected to its new address): captured there, once, to show where it is now.
            moved = captured and held is not None and _latest_capture_url(s, url) != url_key(at)
            if cited_before and not capped:
                # What a read no longer finds is dropped (dated); a post cited again is cited again.
                # (A read cut at --max-posts still cites what it left out: nothing is dropped then.)
                outcome.dropped_citations = len(s.index.drop_citations(article_id, set(outcome.posts)))
            if captured:
                # An article read again that cites posts it did not cite at its latest read, or no
                # longer cites some, has changed where it matters here (a live blog adding posts, an
                # edit swapping or taking out an embed): its page is captured again, to show it so.
                outcome.new_citations = sum(1 for key in dict.fromkeys(outcome.posts) if key not in cited_before)
                if outcome.new_citations or outcome.dropped_citations:
                    log.info("%s: cites %d post(s) it did not cite at its latest read, no longer cites %d: captured again",
                             doc.source, outcome.new_citations, outcome.dropped_citations)
                elif behind:
                    log.info("%s: its citations changed after its latest complete capture (a run that read the change "
                             "ended before capturing it): captured again", doc.source)
                elif moved:
                    log.info("%s: answers at %s now, redirected from its address: captured again there", doc.source,
                             redact_url(at))
            if self.recapture or not captured or behind or moved or outcome.new_citations or outcome.dropped_citations:
                page = self._capture_article(doc, url, article_id, batch, outcome, at=at)
                wanted += self._rendered_posts(doc, page, article_id, outcome, room=cap - len(set(outcome.posts)),
                                               capped=capped)
            elif batch.records:
                # Fetched again (the seed's URL, short-link hops) though the article is held: every
                # record in the WARC stays findable through the index.
                s.index.add_records(None, batch.records, article_id=article_id)
        return outcome, wanted

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
            if not known and post.kind == "shortlink" and not self.recapture:
                went = self.s.index.destination_of(old_key)
                if went is not None:
                    # Followed by an earlier run to a page that is no post: its hops are in the WARC
                    # already, and a short link does not change where it leads.
                    log.info("%s: %s led to %s when followed on %s, no post; not followed again", post.source,
                             post.links[0] if post.links else old_key, went[0], went[1][:10])
                    continue
            hops = batch.child()
            alias = None if known else self._resolve_alias(post, hops)
            found = (None, known.partition(":")[2]) if known else alias.found if alias else None
            if not found and post.kind == "shortlink" and alias is not None and alias.elsewhere:
                # A bare short link to an article, not to a post: nothing to cite or capture. Its
                # hops stay in the WARC, findable, but not as the article's: the link did not lead
                # to this article (`show LINK` must not name it), nor to any post.
                log.info("%s: %s leads to %s, no post", post.source, post.links[0] if post.links else post.key,
                         alias.elsewhere)
                self.s.index.add_records(None, hops.records)
                self.s.index.note_destination(old_key, alias.elsewhere)
                continue
            batch.extend(hops)  # the hops that named the post (or failed to) are the article's evidence
            if not found:
                out.append(post)
                continue
            take_id(self.s.index, platform, post, old_key, found, alias.link if alias is not None else None,
                    alias.url if alias is not None else None)
            if post.key in by_key and by_key[post.key] is not post:
                continue  # already listed under its ID
            out.append(post)
        return out

    def _resolve_alias(self, post: Post, batch: Batch) -> Alias:
        """Follow the post's short links to its ID (the platform's `aliases` hook); hops go into
        `batch`. Links that met no answer, none leading to the ID, are noted for the post's capture
        (`_links_unanswered`): nothing was learnt of the post then."""
        aliases = BY_NAME[post.platform].aliases
        assert aliases is not None
        http = self.s.client.bind(batch)
        alias = aliases.resolve(post, http)
        carried = alias.found is None and alias.unanswered and not any(network for _m, network in alias.failures)
        for message, network in alias.failures:
            if not (carried and message in alias.unanswered_failures):  # (else named with the post, once)
                self._fail(message, network=network)
        if carried:
            self._unanswered[id(post)] = LinksUnanswered("; ".join(alias.unanswered),
                                                         answered=http.no_answer is None)
        return alias

    def _links_unanswered(self, posts: list[Post]) -> dict[str, LinksUnanswered]:
        """Of `posts`, those known by short links that met no answer, by their keys as indexed."""
        return {p.key: self._unanswered[id(p)] for p in posts if id(p) in self._unanswered}

    def _rendered_posts(self, doc: Document, page: object, article_id: int, outcome: ArticleOutcome,
                        *, room: int, capped: bool = False) -> list[Post]:
        """Embeds the article's own scripts put on the page that its markup does not hold (a page
        built in the browser, an embed loaded on demand): found in the DOM as Chromium rendered it,
        cited (evidence `rendered:...`) and returned to be captured like the others. Only embeds
        with their post's ID: links in content scripts add (recommendations, sidebars) are not
        the article's citations, and what the markup already cites is known. At most `room` of
        them (what --max-posts leaves): the others are left out, named unless the markup's own
        were cut already (`capped`: the run named that)."""
        html = getattr(page, "html", None)
        if not isinstance(html, str) or not html or getattr(page, "left_for", None) is not None:
            return []  # (a page the article's script went to is not the article)
        from ..detect import detect

        try:
            found = detect(Document(source=doc.source, text=html, is_html=True, url=getattr(page, "final_url", None)))
        except Exception as e:  # the capture stands; the rendered page only adds to the markup's posts
            log.warning("%s: the rendered page could not be scanned (%s: %s)", doc.source, type(e).__name__, e)
            return []
        known = set(outcome.posts)
        new: list[Post] = []
        left_out: set[str] = set()
        for post in found:
            if post.kind != "embedded" or not post.post_id or post.key in known:
                continue
            if len(new) >= room:
                if (self.s.index.alias_of(post.key) or post.key) not in known:
                    left_out.add(post.key)  # (each once: an embed shown twice, or held under an alias, is not more)
                continue
            post.evidence = f"rendered:{post.evidence}"
            post.key = self.s.index.upsert_post(post)
            if post.key in known:
                continue
            self.s.index.cite(article_id, post.key, post.kind, post.evidence)
            known.add(post.key)
            outcome.posts.append(post.key)
            new.append(post)
        if new:
            log.info("%s: %d embed(s) only in the rendered page", doc.source, len(new))
        if left_out and not capped:
            self._fail(f"{doc.source}: its rendered page shows {len(left_out)} more embed(s) past --max-posts, left out "
                       "(raise --max-posts to take more)")
        return new

    def _capture_article(self, doc: Document, url: str, article_id: int, batch: Batch,
                         outcome: ArticleOutcome, *, at: str | None = None) -> object:
        """Capture the article page (HTML only) into `batch` and index the capture; returns what
        the browser gave (None for text, or when the capture failed); a failed capture is noted in
        `outcome` (a failed article) and named. `at`: the address the page is loaded from and its
        capture is of, when it is not the article's own `url` (a held article that moved)."""
        s = self.s
        at = at or url
        shots = make_dirs(article_dir(s.archive_dir, url))
        error = None
        page = None
        if not is_url(doc.source) and doc.raw is not None:
            ctype = "text/html; charset=utf-8" if doc.is_html else "text/plain; charset=utf-8"
            batch.write_resource(at, doc.content_type or ctype, doc.raw)
        if doc.is_html and doc.source == "-":
            # Its bytes are kept (above), but a browser loads a page from an address, which a page
            # read from stdin does not have.
            log.warning("-: an HTML page read from stdin is kept as read, not rendered (no screenshot); save it to a "
                        "file and give that to have it rendered")
        elif doc.is_html:
            try:
                page = s.browser.capture(at, batch, screenshot_path=screenshot_path(shots),
                                         element_selectors=EMBED_ELEMENT_SELECTORS, element_dir=shots)
                error = page.load_failure() or page.cut_short
                if error is not None and page.file_to_save is not None and is_url(doc.source):
                    # What a browser saves instead of showing was fetched, and recorded, before.
                    error += "; the file is kept in the archive as fetched"
                if error is None and page.left_for is not None:
                    # The article's own script sent the browser elsewhere (an ad-block or consent
                    # check's redirect): what it showed after is no view of the article.
                    error = (f"it went to {redact_url(page.left_for)} by itself after it loaded; the screenshot "
                             "shows that page, and neither its title nor its embeds are the article's")
            except (DiskFull, BrowserUnavailable):
                raise
            except ArchiverError as e:
                error = str(e)
        if error:
            self._fail(f"{doc.source}: the page could not be captured: {error}")
            outcome.capture_failed = True
        elif page is not None and (left := page.bodies_left_out()):
            log.warning("%s: %s", doc.source, left)  # the capture stands; what a byte cap kept out of it is named
        title = getattr(page, "title", None) if getattr(page, "left_for", None) is None else None
        if title:
            s.index.upsert_article(url, title=title)
        with s.index.transaction():
            cid = s.index.add_capture(Capture(
                post_key=None, article_id=article_id, source="live", url=at,
                status="ok" if not error else "error",
                screenshot=relative(s.archive_dir, getattr(page, "screenshot", None)),
                screenshot_sha256=getattr(page, "screenshot_sha256", None), error=error,
                warc=batch.warc, page_record_id=getattr(page, "page_record_id", None)))
            s.index.add_records(cid, batch.records, article_id=article_id)
        if s.stamper is not None and batch.records:
            s.stamper.stamp(s.index, cid, batch.records)  # a failure is kept, and named by the run
        return page


# How a failure names where a held article's address redirected to when that is its own new address.
NEW_ADDRESS = "the article's new address"


def _not_shown(why: str) -> str:
    """What a redirect of a held article's address to a page that is not the article (`why`, as
    `urls.moved_away` says) tells of the article."""
    from ..index.urls import WALL

    # Behind a wall the article may still be there: what is known is that a reader is not shown it.
    return ("a reader who has not logged in, subscribed or consented is not shown the article now" if why == WALL
            else "the article is no longer at its address")


def _redirected_to(spec: str, batch: Batch) -> str | None:
    """Where fetching `spec` was redirected to, when it was (the address of its last answer in
    `batch`, not a spelling of `spec`'s own); None when its own address gave the last answer."""
    from ..index.urls import article_keys, url_key, without_tracking

    answers = [r.target_uri for r in batch.records if r.warc_type in ("response", "revisit") and r.target_uri]
    if not answers or url_key(without_tracking(answers[-1])) in article_keys(spec):
        return None
    return answers[-1]


def _latest_capture_url(s: Session, url: str) -> str | None:
    """The `url_key` of the address the article's latest capture of its own that completed was made at."""
    from ..index.urls import url_key

    done = [c.url for c in s.index.article_captures(url) if c.error is None and c.url]
    return url_key(done[-1]) if done else None


class MovedAway(SourceError):
    """A held article's address redirects to a page that is not the article; the answer is
    recorded as the article's failed capture already."""


def refusal(status: int) -> bool:
    """An answer that is its server's refusal or failure (a 429, any 5xx: overloaded, down,
    rate-limiting), not a word about the page it was asked for."""
    return status == 429 or status >= 500


def _file_uri(source: str) -> str:
    if source == "-":
        return "urn:stdin:" + times.digits14()
    return Path(source).resolve().as_uri()


def _note_platform_page(url: str) -> None:
    """Say so when an address given as an article is on a platform's own host but no post's (a
    profile, a search, a status URL with a mistyped ID): it is archived as a page, as any article
    is, and whoever meant a post learns the address is not one."""
    from ..platforms import platform_for_host
    from ..platforms.base import host_of

    platform = platform_for_host(host_of(url))
    if platform is not None:
        log.warning("%s: a page of %s that is no post's address: archived as a page (check the address if "
                    "you meant a post)", redact_url(url), platform.name)
