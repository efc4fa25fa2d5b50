"""Capture one post: structured data over HTTP, its rendered embed in the browser, status, Wayback.

One flow for every platform, driven by the hooks the platform declares (archiver/platforms/capture.py):
its probe of the post's data endpoints, its embed page and the elements worth a screenshot, what it
reads from the rendered page, the media to download, and whether gone posts are looked for in the
Wayback Machine. A platform without hooks of its own gets its public oEmbed metadata where one
exists without credentials (docs/platforms.md), and its embed rendered.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ArchiverError, BrowserUnavailable, DiskFull, NetworkError, RefusedError
from ..index.rows import Capture
from ..layout import MEDIA_DIR, post_dir, relative, screenshot_path
from ..models import normalise_text
from ..modes import make_dirs, write_file
from ..space import disk_full, is_full
from ..times import stamp
from ..warcstore import Batch
from .identify import take_id

if TYPE_CHECKING:
    from ..capture.browser import Browser
    from ..capture.http import RecordingClient
    from ..evidence.stamps import Stamper
    from ..index.protocol import ArchiveIndex
    from ..platforms.base import Platform
    from ..platforms.capture import PostCheck, Probe, WaybackSource
    from ..warcstore import WarcStore

log = logging.getLogger(__name__)

# The status of a capture of a Wayback copy: it shows the post; it was fetched and rendered but
# shows the post already gone when the copy was made (a login page, the platform's "not found"),
# with the reason in the capture's `error`; or it could not be had or rendered (`error` says why).
# Archives made before `not_recovered` existed hold such copies as `error`, with that same reason.
RECOVERED, NOT_RECOVERED, ERROR = "recovered", "not_recovered", "error"
COPY_SHOWS_NO_POST = "the Wayback copy does not show the post"


def lookup_due(index: ArchiveIndex, key: str) -> bool:
    """True when the post holds no Wayback copy and its look-up is still to be made: none was
    ever answered (a run killed before it; an archive whose look-ups all failed), or the last
    one could not be made (a `wayback` capture whose error says so, newer than the APIs' last
    answer for the post)."""
    from ..capture.wayback import last_lookups
    from ..times import parse_timestamp

    if index.has_wayback_copy(key, COPY_SHOWS_NO_POST):
        return False
    answered, failed = last_lookups(index, key)
    if answered is None:
        return True
    if failed is None:
        return False
    answered_at, failed_at = parse_timestamp(answered), parse_timestamp(failed)
    return answered_at is None or failed_at is None or failed_at > answered_at


def wayback_left(index: ArchiveIndex, post_key: str, platform: str) -> bool:
    """A held post that is not live (nor still to check) whose Wayback look-up is still to be made
    (`lookup_due`), on a platform that looks its gone posts up there: a run killed between the
    post's capture and its look-up, or one whose look-up failed. The next run makes it, whether or
    not the post is due for a re-check."""
    status = index.post_status(post_key)
    if status in (None, "live", "pending"):
        return False
    from ..capture.oembed import check_for

    check, _found = check_for(platform)
    return check.wayback is not None and lookup_due(index, post_key)


@dataclass(frozen=True)
class LinksUnanswered:
    """A post known by its short links alone whose links met no answer from any server when they
    were followed (a refused or reset connection, a TLS failure, a timeout: a proxy that is down),
    and none led to its ID: `met`, what they met, each link named; `answered`, whether a server
    answered any request on the way (a hop before, another link), for the run's count of checks
    that met no answer at all."""

    met: str
    answered: bool = False


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
    # False: the platform could not be asked: our own network failed (no name resolved, no route),
    # our network policy refused its address, or no server answered any of the check's requests (a
    # refused or reset connection, a TLS failure, a timeout: a proxy that is down, a captive
    # portal). Nothing was learnt about the post: a post that had a status keeps it (`status` is
    # that one, and no observation is recorded); one new to the archive is `unavailable` for want
    # of better (`unknown` when refused, as every refusal is).
    checked: bool = True
    # False: the check's requests met no answer from any server (whether the post was held or new).
    answered: bool = True
    fields: dict[str, Any] = field(default_factory=dict)
    # Media files of the post that could not be downloaded, each named: a partial failure of the
    # capture (the run names each one and exits 1), which does not change the post's status.
    media_failures: list[str] = field(default_factory=list)
    # Why the post's Wayback look-up could not be made (a partial failure too, named by the run as
    # `KEY: wayback: ... (will be looked up again)`); None: it was made, or not needed.
    wayback_failure: str | None = None
    # Pages of the capture that stopped answering (a busy loop: cut at the capture deadline), each
    # named, whose loss the post's capture stood without: a page rendered beside the embed (x.com's),
    # or the embed itself when the platform's data or a Wayback copy gave the post. A partial
    # failure, as a media file is (named by the run, exit 1); the post's status stands.
    page_failures: list[str] = field(default_factory=list)
    # The key the post was held under before its short links named it in this run's re-check.
    was: str | None = None

    def failures(self) -> list[str]:
        """Every failure the run names for the post: `failure()`, its pages cut short, its media, its
        Wayback look-up."""
        out = [f] if (f := self.failure()) else []
        out += [f"{self.key}: {m}" for m in self.page_failures]
        out += [f"{self.key}: {m}" for m in self.media_failures]
        if self.wayback_failure:
            out.append(f"{self.key}: wayback: {self.wayback_failure} (will be looked up again)")
        return out

    def row(self) -> dict[str, Any]:
        return {"key": self.key, "platform": self.platform, "url": self.url, "status": self.status,
                "checked": self.checked, "captures": self.captures, "source": self.source, "reason": self.reason,
                "error": self.error, "failures": self.failures()}

    def failure(self) -> str | None:
        """The post's failure as the run names it (None: it has none): a check that could not be
        made, an error, or a post the platform did not show (`unavailable`: a bot wall, a 429, one
        signal alone, the platform's own "no longer available"), each with what was seen."""
        if not self.checked:
            return f"{self.key}: not checked: {self.error or self.reason or 'the network was unreachable'}"
        if self.error:
            return f"{self.key}: {self.error}"
        if self.status == "unavailable":
            return f"{self.key}: unavailable: {self.reason or 'no reason given'}"
        return None


def cut_short(page: Any, label: str, url: str | None) -> str | None:
    """Why a rendered page's capture was cut short by the page itself (it stopped answering: its
    scripts busy for good, ended at the capture deadline), named with the page; None when it was not."""
    why = getattr(page, "cut_short", None)
    return f"the {label} page {url} stopped answering: {why}" if why else None


def left_out(page: Any, label: str, url: str | None, *, document: bool) -> str | None:
    """What a byte cap left out of a rendered page's capture, named with the page: its own document
    (`document`), else its other bodies, counted by cap; None when nothing was."""
    said = getattr(page, "document_left_out" if document else "bodies_left_out", None)
    why = said() if callable(said) else None
    return f"the {label} page {url}: {why}" if why else None


class PostCapturer:
    """Captures posts with one shared browser, HTTP client, WARC store and index.

    Each capture writes through its own Batch, and its commit indexes that batch's records.
    """

    def __init__(self, archive_dir: Path, index: ArchiveIndex, store: WarcStore, client: RecordingClient,
                 browser: Browser, *, stamper: Stamper | None = None) -> None:
        self.archive_dir = archive_dir
        self.stamper = stamper  # timestamps each capture once its records are committed (None: no)
        self.index = index
        self.store = store
        self.client = client
        self.browser = browser

    # -- helpers ---------------------------------------------------------------------------
    def _render(self, url: str, key: str, label: str, batch: Batch,
                selectors: tuple[str, ...] = (), *, moment: str | None = None) -> tuple[Any, str | None]:
        """Render a URL in a fresh browser context; returns (PageCapture | None, error). `moment`:
        the time stamp the capture's pictures are named by (every page one capture renders shares
        one, so that its pictures are known for its own beside one another)."""
        out = make_dirs(post_dir(self.archive_dir, key))
        shot = screenshot_path(out, label, moment=moment)
        try:
            page = self.browser.capture(url, batch, screenshot_path=shot, element_selectors=selectors,
                                        element_dir=out)
        except (DiskFull, BrowserUnavailable):
            raise
        except ArchiverError as e:
            return None, str(e)
        return page, page.load_failure()

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
        if self.stamper is not None and batch.records:
            self.stamper.stamp(self.index, cid, batch.records)  # a failure is kept, and named by the run
        return cid

    @contextmanager
    def _beside(self, check: PostCheck, probe: Probe, key: str, batch: Batch, moment: str,
                rendered: list[tuple[str, str, Any]]) -> Iterator[dict[tuple[str, str], Future[tuple[Any, str | None]]]]:
        """The pages the platform will ask for whatever the embed shows (`render_beside`), each
        rendering in a thread of its own while the embed renders, when the browser's page budget
        is two or more (without one, they render after the embed, when asked for). On the way
        out every one of them has ended, so that nothing writes into the batch once it is committed;
        those never asked for join `rendered` (url, label, page)."""
        pages = check.render_beside(probe) if check.render_beside is not None else ()
        if not pages or (self.browser.pages_in_flight or 1) < 2:
            yield {}
            return
        with ThreadPoolExecutor(len(pages), thread_name_prefix="archiver-beside") as pool:
            ahead = {(url, label): pool.submit(self._render, url, key, label, batch, moment=moment)
                     for url, label in pages}
            yield ahead
            for (url, label), rest in ahead.items():
                # Rendered but never asked for: a full disk or a dead browser still counts.
                rendered.append((url, label, rest.result()[0]))

    # -- the one flow, driven by the platform's hooks ----------------------------------------
    def capture(self, post: Any, *, offline: bool = False, recheck: bool = False,
                unanswered: LinksUnanswered | None = None) -> PostOutcome:
        """Capture one post (a Post or a StoredPost); `offline` when the network is known to be down;
        `unanswered`: a post known by its short links alone, whose links met no answer when its
        article was read.

        A `recheck` of a held post asks the platform's data endpoints only, and renders a new capture
        only when the status changed (or no good capture exists): the observation is what a re-check
        is for, and an unchanged post needs no second copy.
        """
        platform = post.platform
        held = self.index.post_status(post.key)  # (read before: a failure may come after an observation)
        try:
            return self._capture(post, offline, recheck, unanswered)
        except (DiskFull, BrowserUnavailable):
            raise
        except ArchiverError as e:
            return self._failed(post.key, platform, post.url, e, held)

    def _failed(self, key: str, platform: str, url: str | None, e: ArchiverError,
                held: str | None = None) -> PostOutcome:
        """What a capture that raised leaves recorded of the post, and says. A held post (`held`, its
        status before) keeps the status it had, not checked: what failed (our index busy, a page
        our policy refused, a render) says nothing of the post; one whose check was recorded
        before the failure (its capture's write failed) says what it found. One new to the archive
        is recorded with the failure."""
        if held is not None:
            now = self.index.post_status(key)
            if now is not None and now != held:
                return PostOutcome(key, platform, url, now, error=str(e))  # the change found, recorded
            return self._not_checked(key, platform, url, held, error=str(e),
                                     network_failed=isinstance(e, NetworkError) and e.unreachable)
        if isinstance(e, RefusedError):
            # The policy kept the tool away from the address: nothing was learnt about the post.
            self.index.observe(key, "unknown", detail=str(e))
            return PostOutcome(key, platform, url, "unknown", reason=str(e), error=str(e))
        if isinstance(e, NetworkError):
            self.index.observe(key, "unavailable", detail=str(e))
            return PostOutcome(key, platform, url, "unavailable", error=str(e), network_failed=e.unreachable,
                               checked=not e.unreachable)
        self.index.observe(key, "unknown", detail=str(e))
        return PostOutcome(key, platform, url, "unknown", error=str(e))

    @staticmethod
    def _not_checked(key: str, platform: str, url: str | None, held: str, *, reason: str | None = None,
                     error: str | None = None, network_failed: bool = True, answered: bool = True) -> PostOutcome:
        """A check our own network failed (no name resolved, no route), our network policy refused,
        or no server answered (`answered` false) (`network_failed` false for those two: a refusal,
        or one server or proxy that did not answer, is not the network being down): nothing was
        learnt about the post, which keeps the status it had, `held`. No observation is recorded:
        the post's history holds what the platform said, and it stays due for the next run's re-check."""
        return PostOutcome(key, platform, url, held, reason=reason, error=error, network_failed=network_failed,
                           checked=False, answered=answered)

    def _unidentified(self, post: Any, offline: bool, why: str = "no short link in the text led to a post",
                      *, unanswered: LinksUnanswered | None = None) -> PostOutcome:
        """A post known by its short links alone, which did not lead to an ID (`why`, when the
        network was not down): nothing to fetch yet. When links met no answer (`unanswered`),
        nothing was learnt of the post: it is not checked, as a check no server answered is not
        (a held post keeps its status, a new one is `unavailable`), and the failure names what
        the links met."""
        if unanswered is not None and not offline:
            reason = f"status ID unknown: no server answered its short links: {unanswered.met}"
            if (held := self.index.post_status(post.key)) is not None:
                return self._not_checked(post.key, post.platform, post.url, held, reason=reason,
                                         network_failed=False, answered=unanswered.answered)
            self.index.observe(post.key, "unavailable", detail=reason)
            return PostOutcome(post.key, post.platform, post.url, "unavailable", reason=reason, checked=False,
                               answered=unanswered.answered)
        if offline and (held := self.index.post_status(post.key)) is not None:
            return self._not_checked(post.key, post.platform, post.url, held, reason=(
                "status ID unknown: its short links could not be resolved (network unreachable)"))
        if offline:
            status, reason = "unavailable", "status ID unknown: its short links could not be resolved (network unreachable)"
        else:
            status, reason = "unknown", f"status ID unknown: {why}"
        self.index.observe(post.key, status, detail=reason)
        return PostOutcome(post.key, post.platform, post.url, status, reason=reason, source=None,
                           network_failed=offline, checked=not offline)

    def _by_its_links(self, post: Any, platform: Platform) -> PostOutcome:
        """A held post known by its short links alone, re-checked: the links are followed (each hop
        kept with the post), and the post they lead to takes it over and is captured as any post;
        else it stays as it was known, with what the links did."""
        assert platform.aliases is not None
        old_key = post.key
        went = self.index.destination_of(old_key)
        if went is not None:
            # Its links were followed to a page that is no post: they lead there still.
            return self._unidentified(post, False, why=f"its short link led to {went[0]} (followed on "
                                                       f"{went[1][:10]}), not to a post")
        batch = Batch(self.store)
        http = self.client.bind(batch)
        alias = platform.aliases.resolve(post, http)
        if alias.found is None:
            self.index.add_records(None, batch.records, post_key=old_key)
            if any(network for _message, network in alias.failures):
                return self._unidentified(post, offline=True)
            if alias.unanswered:
                # Links no server answered may yet lead to the post: nothing was learnt of it.
                return self._unidentified(post, False, unanswered=LinksUnanswered(
                    "; ".join(alias.unanswered), answered=http.no_answer is None))
            # What the links' servers answered (a 404, a loop, a redirect to no address) is this
            # check's result, not a failure of the run: the post is due again at the next re-check.
            if alias.failures:
                return self._unidentified(post, False, why="; ".join(message for message, _net in alias.failures))
            if alias.elsewhere:
                self.index.note_destination(old_key, alias.elsewhere)
                return self._unidentified(post, False, why=f"its short link leads to {alias.elsewhere}, not to a post")
            return self._unidentified(post, False)
        take_id(self.index, platform, post, old_key, alias.found, alias.link, alias.url)
        self.index.add_records(None, batch.records, post_key=post.key)
        try:
            # A re-check still: a post held under its ID already gets no second copy unless its status
            # changed or its render decides it (`_capture`).
            outcome = self._capture(post, False, True)
        except (DiskFull, BrowserUnavailable):
            raise
        except ArchiverError as e:
            outcome = self._failed(post.key, post.platform, post.url, e)
        outcome.was = old_key
        return outcome

    def _unchanged(self, key: str, status: str, batch: Batch) -> bool:
        """True (and the batch's records indexed) when a re-check found the status it last recorded,
        and a capture made while the post had it holds it as it then was (a run killed between the
        change's observation and its capture left none: this check makes it)."""
        if status != self.index.post_status(key) or not self.index.has_capture(key, status):
            return False
        self.index.add_records(None, batch.records, post_key=key)
        return True

    @staticmethod
    def _words_changed(held_post: Any, fields: dict[str, Any]) -> bool:
        """True when the platform's data gives the post words other than those held (links, case and
        spacing aside: an embed's `pic.twitter.com/…` and the data's `https://t.co/…` are alike).
        Words that hold the others, or that the others hold, are no edit: a video's title alone
        (its watch page unusable, oEmbed's title only) against its title and description."""
        words = normalise_text(fields.get("text"))
        if not words:
            return False
        held = normalise_text(held_post.text) if held_post is not None else ""
        return bool(held) and words not in held and held not in words

    @staticmethod
    def _same_handle(old: Any, new: Any) -> bool:
        """Two handles alike, case and `@` aside (False when either is missing)."""
        return (isinstance(old, str) and isinstance(new, str) and bool(new.strip())
                and old.lstrip("@").lower() == new.lstrip("@").lower())

    @classmethod
    def _another_account(cls, check: PostCheck, held_post: Any, probe: Probe) -> str | None:
        """Why the probe's answer says nothing of the held post, when its author is another account
        than the one that wrote it (the platform's `same_account` says no: another DID, another
        account ID): another account's post, whether a new account that took a handle, an answer
        mixed up with another post's, or another post that shares the post's key. None when the
        account is the same, or cannot be told (no hook, no ID: the post's ID vouches for it)."""
        if check.same_account is None or not probe.fields or check.same_account(held_post, probe.fields):
            return None
        new, old = probe.fields.get("handle"), getattr(held_post, "handle", None)
        if not isinstance(new, str) or not new.strip():
            who = "by another account than the one that wrote the held post"
        elif cls._same_handle(old, new):
            who = f"by another account under the held handle {new}"
        elif old:
            who = f"by {new}, not by {old}, who wrote the held post"
        else:
            who = f"by {new}, another account than the one that wrote the held post"
        return f"{probe.reason or 'the answer'}, but about another account's post ({who})"

    @classmethod
    def _renamed(cls, held_post: Any, fields: dict[str, Any]) -> str | None:
        """What a check says when the platform names the author of a held post by another handle
        than the one held (case and `@` aside): the handle was changed. Asked once the answer is
        known to be the same account's (`_another_account`: Bluesky's DID, an account ID; without
        one, the post's ID is the platform's, so its author is the same account). None when it
        names the same handle, or none."""
        new = fields.get("handle")
        if not isinstance(new, str) or not new.strip():
            return None
        old = held_post.handle if held_post is not None else None
        if not old or cls._same_handle(old, new):
            return None
        return f"its author's handle is now {new} (was {old})"

    def _capture(self, post: Any, offline: bool, recheck: bool,
                 links: LinksUnanswered | None = None) -> PostOutcome:
        from ..capture.oembed import check_for, embed_url

        key, platform = post.key, post.platform
        check, found = check_for(platform)
        if not post.post_id and found is not None and found.shortlinks is not None:
            if recheck and not offline and found.aliases is not None:
                return self._by_its_links(post, found)
            return self._unidentified(post, offline, unanswered=links)
        batch = Batch(self.store)
        http = self.client.bind(batch)
        # Never raises on network trouble: a failure is named in the probe (capture/types.py).
        probe = check.probe(post, http)
        url = probe.url or post.url
        status, reason, network_failed = probe.status, probe.reason, probe.network_failed
        # The platform was not asked when no server answered any request of the check, whatever the
        # platform's own check made of that; and nothing was learnt of the post when every answer
        # was a refusal (429, a 5xx) or cut off: an outage must not turn a deleted post `unavailable`.
        no_answer = None if network_failed or probe.refused else http.no_answer
        unusable = not (network_failed or probe.refused or no_answer) and (http.none_usable or probe.unusable)
        if (network_failed or probe.refused or no_answer or unusable) and (held := self.index.post_status(key)) is not None:
            self.index.add_records(None, batch.records, post_key=key)  # what the failed requests recorded
            if no_answer:
                return self._not_checked(key, platform, url, held, reason=f"no server answered: {no_answer}",
                                         network_failed=False, answered=False)
            if unusable:
                return self._not_checked(key, platform, url, held, reason=f"no usable answer: {reason}",
                                         network_failed=False)
            return self._not_checked(key, platform, url, held, reason=reason, network_failed=network_failed)
        # New to the archive, and the answer that decides was none usable (an outage, a request
        # refused, timed out or cut off): rendered and captured as any new post, evidence while it can
        # be had, and its status so found left unsettled: due for its re-check at the next run, not
        # once --recheck-after has passed.
        unsettled = unusable and not probe.found
        # When the probe left the status to the render (a tweet whose data syndication and oEmbed
        # no longer return: its embed's words and x.com's page decide; an embed page whose fetched
        # words settle nothing), a re-check renders it whatever the probe alone suggests, and keeps
        # that render as a capture.
        decided_by_render = check.render_decides is not None and check.render_decides(probe)
        known = self.index.post_status(key)  # the status held, if any (read once)
        held = known if recheck else None  # what the re-check finds changed, or not
        # The post as held, read once for both comparisons: re-checked, or captured again through an
        # article (`--recapture`) once a check of it was made (a post new to the archive holds only
        # what its article said).
        held_post = (self.index.get_post(key) if not network_failed and (
            recheck or (post.post_id and known is not None)) else None)
        # What a post never checked holds are its article's words: no platform's to compare
        # (a run stopped before checking it, a check left unsettled).
        checked_before = held_post is not None and held_post.last_checked is not None
        # An answer whose author is another account than the one that wrote the held post (another
        # DID, another account ID) is no word on the held post, as an answer about another post is
        # not: nothing of it is stored (its handle, words, data), nothing rendered, and the post
        # keeps the status it had, not checked (the exchanges are kept with it, as any answer's).
        another = self._another_account(check, held_post, probe) if held_post is not None and post.post_id else None
        if another is not None:
            self.index.add_records(None, batch.records, post_key=key)
            if known is not None:
                return self._not_checked(key, platform, url, known, reason=f"no usable answer: {another}",
                                         network_failed=False)
            self.index.observe(key, "unavailable", detail=f"no usable answer: {another}")
            return PostOutcome(key, platform, url, "unavailable", reason=f"no usable answer: {another}")
        # Words the platform now gives that are not those held (a post edited since): a capture of
        # the new words, whatever the status says.
        edited = recheck and checked_before and self._words_changed(held_post, probe.fields)
        # The author's handle changed since (the same account under another name): stored, and the
        # post captured again under it, whatever the status says.
        renamed = self._renamed(held_post, probe.fields) if checked_before and post.post_id else None
        if recheck and not decided_by_render and not edited and not renamed and self._unchanged(key, status, batch):
            self.index.observe(key, status, detail=reason)
            outcome = PostOutcome(key, platform, url, status, reason=reason, network_failed=network_failed)
            if check.wayback is not None and status != "live" and url and self._lookup_due(key):
                # A look-up that could not be made (or never was: a run killed before it) is made
                # now, the status unchanged or not; one that found no copy is not repeated.
                copy, outcome.wayback_failure = self._wayback(post, url, check.wayback)
                if copy is not None:
                    # The capture written counts; the post's source is the copy only when one was had.
                    outcome.captures, outcome.source = 1, ("wayback" if copy != ERROR else None)
            return outcome
        if probe.fields:
            self.index.update_post_data(key, **probe.fields)

        # A post new to the archive whose check no server answered is as one our network failed:
        # not checked, nothing rendered or downloaded on the strength of it (a held one returned above).
        unanswered = no_answer is not None
        if unanswered:
            status, reason = "unavailable", f"no server answered: {no_answer}"
        target = embed_url(platform, post.post_id, url) or url
        page = render_error = None
        others: list[tuple[str, str, Any]] = []  # the other pages rendered into the capture: (url, label, page)
        if target and not network_failed and not unanswered:
            moment = stamp()  # the capture's pictures: <moment>-embed.png, <moment>-x.png...
            with self._beside(check, probe, key, batch, moment, others) as beside:
                page, render_error = self._render(target, key, "embed", batch, check.element_selectors, moment=moment)
                if check.after_render is not None:
                    def render(other: str, label: str) -> Any:
                        ahead = beside.pop((other, label), None)
                        got = ahead.result()[0] if ahead is not None else \
                            self._render(other, key, label, batch, moment=moment)[0]
                        others.append((other, label, got))
                        return got
                    status, reason = check.after_render(probe, page, render)
        # A page that stopped answering (its scripts busy for good) was cut at the capture deadline:
        # the embed so cut leaves the capture in error (decided below whether the post fails too);
        # a page beside it is named among the post's failures.
        embed_cut = cut_short(page, "embed", target)
        if embed_cut is not None:
            render_error = None  # (what a page cut while loading failed with is the cut)
        page_failures = [m for other, label, got in others if (m := cut_short(got, label, other))]
        # Bodies a byte cap left out: the own document of a page beside the embed is a partial
        # failure, named (the embed's own document fails it above); any page's other bodies (images,
        # scripts, frames; a long video under the default caps, say) are named in a warning, the
        # capture standing as evidence of the post.
        page_failures += [m for other, label, got in others if (m := left_out(got, label, other, document=True))]
        for other, label, got in [(target, "embed", page), *others]:
            if (m := left_out(got, label, other, document=False)):
                log.warning("%s: %s", key, m)

        if edited:
            reason = f"{reason}; its text is not the one held before (edited since?): captured again"
        if renamed:
            reason = f"{reason}; {renamed}: captured again"
        media_failures: list[str] = []
        if probe.media and not network_failed and not unanswered:
            media_failures, media_unreachable = self._media(key, list(probe.media), batch)
            network_failed = network_failed or media_unreachable
        self.index.observe(key, status, detail=reason, settled=not unsettled)
        captures = 0
        source = "live"
        if page is not None or batch.records:
            # The capture's URL is the page that was rendered (the embed), so exports point at it.
            self._commit_capture(key, source="live", url=target if page is not None else (url or target or ""),
                                 status=status, page=page, error=render_error or embed_cut, batch=batch)
            captures += 1
        wayback_failure = copy = None
        # A re-check that found the status it held (a render that decided as before) looks the post
        # up only when that is still to be made, as an unchanged status does above.
        if check.wayback is not None and status != "live" and not network_failed and not unanswered and url \
                and (held != status or self._lookup_due(key)):
            copy, wayback_failure = self._wayback(post, url, check.wayback)
            if copy is not None:
                # Every capture written counts; the post's source is the copy when it recovered
                # the post (or is all there is), else the live capture, which shows it best.
                if copy == RECOVERED or not captures:
                    source = "wayback"
                captures += 1
        if embed_cut is not None:
            # The embed is the post's own capture: cut short, it fails the post unless something
            # else gave the post (the platform's data, a Wayback copy that recovered it).
            if probe.found or copy == RECOVERED:
                page_failures.insert(0, embed_cut)
            else:
                render_error = embed_cut
        return PostOutcome(key, platform, url, status, reason=reason, captures=captures,
                           source=source if captures else None, error=render_error, network_failed=network_failed,
                           # (A post whose own capture failed is named by that failure, as before.)
                           checked=not (probe.network_failed or unanswered or unsettled and not render_error),
                           answered=not unanswered,
                           media_failures=media_failures, wayback_failure=wayback_failure,
                           page_failures=page_failures)

    def _media(self, key: str, urls: list[str], batch: Batch) -> tuple[list[str], bool]:
        """Download the post's media into its media folder, each file whole or not at all; returns
        the downloads that failed, each named, and whether one found the network unreachable."""
        from ..capture.media import download_media

        files = download_media(self.client.bind(batch), urls)
        out = make_dirs(self.archive_dir / MEDIA_DIR / post_dir(self.archive_dir, key).name)
        failures: list[str] = []
        unreachable = False
        for f in files:
            if not f.ok or f.sha256 is None:
                failures.append(f"media {f.url} could not be downloaded: {f.error or f'HTTP {f.status}'}")
                unreachable = unreachable or f.network_failed
                log.info("%s: %s", key, failures[-1])  # named among the run's failures
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
        return failures, unreachable

    def _lookup_due(self, key: str) -> bool:
        return lookup_due(self.index, key)

    def _wayback(self, post: Any, status_url: str, wayback: WaybackSource) -> tuple[str | None, str | None]:
        """Capture the closest Wayback copy once; returns the capture's status (`recovered`,
        `not_recovered` or `error`; None when no capture was written), and why the look-up could
        not be made (None: it was, or a copy is held). A look-up not made is recorded as a
        `wayback` capture in error (LOOKUP_NOT_MADE), with the answers it got, if any."""
        from ..capture.wayback import LOOKUP_NOT_MADE, unanswered

        key = post.key
        if self.index.has_wayback_copy(key, COPY_SHOWS_NO_POST):
            return None, None  # the copy does not change: once had, it is not fetched again
        batch = Batch(self.store)
        http = self.client.bind(batch)
        lookup = wayback.find(http, status_url)  # a failure is named, never raised
        not_made = lookup.error
        snap, resp, partial = lookup.snapshot, None, None
        if snap is not None:
            try:
                resp, partial = wayback.fetch(http, snap)
            except NetworkError as e:
                not_made = f"the copy {snap.url} could not be had: {e}"
            else:
                if unanswered(resp.status_code):
                    not_made = f"the copy {snap.url} answered HTTP {resp.status_code}"
        if not_made is not None:
            log.info("%s: wayback: %s", key, not_made)  # named among the run's failures
            self._commit_capture(key, source="wayback", url=snap.url if snap is not None else status_url,
                                 status=ERROR, page=None, batch=batch,
                                 error=f"{LOOKUP_NOT_MADE}: {not_made.removeprefix('lookup not made: ')}")
            return ERROR, not_made
        if snap is None or resp is None:
            self.index.add_records(None, batch.records, post_key=key)  # the look-ups that found nothing
            return None, None
        error = None if resp.status_code == 200 else f"the Wayback copy answered HTTP {resp.status_code}"
        # A login page, the platform's own "not found": the copy was had, and shows the post
        # already gone when it was made. Kept as evidence of that, but it did not recover the post.
        no_post = error is None and partial is not None and getattr(partial, "recovered", True) is False
        if error is None and partial is not None and not no_post:
            # The copy is the platform's own page, from before: it corrects what an article's markup
            # said of the post, but never what the platform's data said (its `data`, such as
            # syndication's JSON, is held): a copy's page renders text, links and times its own way.
            held = self.index.get_post(key)
            from_data = held is not None and bool(held.data)
            fields = {k: getattr(partial, k, None) for k in ("handle", "author", "text", "posted_at")
                      if not from_data or not getattr(held, k, None)}
            self.index.update_post_data(key, **{k: v for k, v in fields.items() if v})
        page, render_error = self._render(snap.url, key, "wayback", batch, wayback.element_selectors)
        # A copy whose page stopped answering (cut at the capture deadline) is not known to show the post.
        error = error or render_error or cut_short(page, "wayback", snap.url) or (
            None if page is not None else "the Wayback copy did not render")
        if error is not None:
            status = ERROR
        elif no_post:
            status, error = NOT_RECOVERED, COPY_SHOWS_NO_POST  # the reason, as `error` carries one
        else:
            status = RECOVERED
        self._commit_capture(key, source="wayback", url=snap.url, status=status, page=page, error=error,
                             batch=batch)
        return status, None
