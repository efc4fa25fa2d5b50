"""What a run reports: one `ArticleOutcome` per source, the `PostOutcome` of each post, the counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..interrupt import exit_code, signal_name
from ..redact import redact_text
from .postcapture import PostOutcome

SHOWN_LEFT = 5  # tasks left running named on the line that says a run was interrupted; JSON has them all


@dataclass
class ArticleOutcome:
    """One source of a run: an article (its posts' keys), a post's own address (`post_address`:
    the post itself, captured as posts are, with no article page), or a feed (`feed`: the number
    of articles it gave, each a source of the same run; `left_out`: those it listed beyond the
    bound on articles a feed adds to a run; `sitemaps_unread`: the sitemaps a sitemap index lists
    that were not read, the bound being reached first; `new_citations`, `dropped_citations`: the
    posts an article held before cites now and did not at its latest read, and those it no longer
    cites, either of which has it captured again)."""

    source: str
    url: str
    posts: list[str] = field(default_factory=list)
    error: str | None = None
    post_address: bool = False
    feed: int | None = None
    left_out: int = 0
    sitemaps_unread: int = 0
    # An article held before that now cites posts it did not at its latest read (and was captured
    # again): how many; and how many it no longer cites.
    new_citations: int = 0
    dropped_citations: int = 0
    # Its fetch met no answer from any server (none's head recorded: refused, reset, a TLS failure,
    # timed out, no name resolved); not a refusal of the network policy, nor a limit of ours.
    unanswered: bool = False
    # Read, its posts found, but its page could not be captured (a load that failed, a page that
    # stopped answering or went elsewhere by itself): a failed article, named in `failures`.
    capture_failed: bool = False


@dataclass
class ArchiveSummary:
    """Everything one archive/run did; `exit_code` follows the tool-wide convention."""

    articles: list[ArticleOutcome] = field(default_factory=list)
    posts: list[PostOutcome] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    sources_read: int = 0
    skipped_posts: int = 0
    network_unreachable: bool = False
    no_seeds: bool = False  # a run's seeds folder held none: only held posts were due
    rechecked: int = 0  # held posts whose re-check was made (one that could not be made is not counted)
    changed: int = 0
    started_at: str = ""
    finished_at: str = ""
    interrupted: int = 0  # the signal that stopped the run early, 0 if none did
    # The error that stopped the run before its end (a full disk): among `failures` too; exit 1.
    stopped_by: str | None = None
    articles_planned: int = 0  # the sources to read: articles, feeds, post addresses (a feed's articles once read)
    run_id: int | None = None
    seed_articles_left_out: int = 0  # by feed files in the seeds folder (see ArticleOutcome.left_out)
    seed_feeds: int = 0  # feed files in the seeds folder, read before the run (their articles are its sources)
    # Re-checked posts: the status each had before this run (None: it had none recorded).
    previous: dict[str, str | None] = field(default_factory=dict)
    # A cluster run stopped by a signal: the tasks its workers still held (they finish them and
    # index what they capture) and those still queued (the workers skip them), as
    # `article:<source>` / `post:<key>`.
    left_running: list[str] = field(default_factory=list)
    left_pending: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return exit_code(self.interrupted)
        if self.stopped_by is not None:
            return 1  # partly done: what was captured before it is kept
        if self.sources_read == 0 and self.failures and not self.posts and not self._offline_only():
            return 2  # nothing could be read; a network that did not answer is a run that completed (1)
        # Each of these posts is named among the failures too (PostOutcome.failure).
        bad = self.failures or any(p.status == "unavailable" or p.error or not p.checked for p in self.posts)
        return 1 if bad else 0

    def rechecks(self, before: dict[str, str | None]) -> None:
        """Count the re-checked posts among the results, given the status each had before the run
        (`before`, every post due for a re-check), and those a check found changed: a post whose
        check could not be made was not re-checked (`posts_not_checked` counts it), nor changed."""
        # A post known by its short links until this re-check followed them was due as its old key.
        rechecked = [(p, before[p.key] if p.key in before else before[p.was or ""]) for p in self.posts
                     if p.key in before or (p.was is not None and p.was in before)]
        self.rechecked = sum(1 for p, _was in rechecked if p.checked)
        # A post with no status before (`pending`: known by a short link that was never followed)
        # had no check to change since.
        self.changed = sum(1 for p, was in rechecked if p.checked and was is not None and was != p.status)
        self.previous = {p.key: was for p, was in rechecked}

    def interruption(self) -> str:
        """One line saying what a signal cut short (empty when none did)."""
        if not self.interrupted:
            return ""
        line = (f"interrupted by {signal_name(self.interrupted)}: {len(self.articles)} of "
                f"{self.articles_planned} sources done")
        if self.left_running:
            named = [t.replace(":", " ", 1) for t in self.left_running[:SHOWN_LEFT]]
            more = len(self.left_running) - len(named)
            line += (f"; {len(self.left_running)} task(s) left running on the workers, which finish them and index "
                     f"what they capture: {', '.join(named)}{f' and {more} more' if more else ''}")
        if self.left_pending:
            line += (f"; {len(self.left_pending)} task(s) not started (the workers skip them; the next run "
                     "does their work)")
        if self.run_id is not None:
            line += f"; run {self.run_id} closed as interrupted"
        return redact_text(line)

    def _offline_only(self) -> bool:
        """Nothing was read only because no server answered: the network did not, and every source
        that failed was an address the network did not answer (not a file, not a refusal)."""
        unanswered = sum(1 for a in self.articles if a.error and a.unanswered)
        return (self.network_unreachable or self.nothing_answered) and unanswered == len(self.failures)

    def _fetched(self) -> bool:
        """An article or feed came over the network this run."""
        return any(a.url.lower().startswith(("http://", "https://")) and not a.error and not a.post_address
                   for a in self.articles)

    @property
    def anything_answered(self) -> bool:
        """Some server answered this run: an article or feed came over the network, or a post check
        met an answer. A host that could not be reached beside it was that host's failure (a
        mistyped name), or the network went down during the run."""
        return self._fetched() or any(p.checked and p.answered for p in self.posts)

    @property
    def nothing_answered(self) -> bool:
        """Every post check and every article fetched from the web met no answer from any server
        (a run of posts, or of articles that all failed so): the run's own connection (a proxy that
        is down, a captive portal, a firewall) is then a likelier cause than every server at once,
        and the run says the network was unreachable. One server that does not answer while others
        do is that server's failure only, named on what it serves. An article that came, or whose
        server answered with an error, is an answer."""
        web = [a for a in self.articles if a.url.lower().startswith(("http://", "https://")) and not a.post_address]
        if any(not a.unanswered for a in web) or any(p.answered for p in self.posts):
            return False
        return bool(self.posts) or bool(web)

    def counts(self) -> dict[str, int]:
        """The posts by the status this run found; those it could not check are not among them."""
        out: dict[str, int] = {}
        for p in self.posts:
            if p.checked:
                out[p.status] = out.get(p.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data. `articles`: the articles captured or checked; an article
        that could not be read (or scanned, or captured, or whose worker died) is not one of them: it
        counts in `articles_failed`, and its failure is named in `failures`. `post_addresses`: the sources that
        were a post's own address (their posts are among `results`); `feeds`: the sources that were
        feeds, and the feed files of a seeds folder (their articles are counted as articles); `feed_articles_left_out`: the articles feeds
        listed beyond the bound on what one feed adds to a run. `articles_changed`: articles held
        before that cite posts they did not cite at their latest read, or no longer cite some (each
        captured again)."""
        articles = [a for a in self.articles if not a.post_address and a.feed is None]
        failed = sum(1 for a in articles if a.error or a.capture_failed)
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "articles": len(articles) - failed,
            "articles_failed": failed,
            "articles_changed": sum(1 for a in articles if (a.new_citations or a.dropped_citations) and not a.error),
            "post_addresses": sum(1 for a in self.articles if a.post_address),
            "feeds": self.seed_feeds + sum(1 for a in self.articles if a.feed is not None),
            "feed_articles_left_out": self.seed_articles_left_out + sum(a.left_out for a in self.articles),
            "posts": len(self.posts),
            "posts_new": sum(1 for p in self.posts if p.key not in self.previous),
            "posts_rechecked": self.rechecked,
            "posts_changed": self.changed,
            "posts_skipped_already_captured": self.skipped_posts,
            "posts_not_checked": sum(1 for p in self.posts if not p.checked),
            "statuses": self.counts(),
            "network_unreachable": self.network_unreachable or self.nothing_answered,
            "interrupted": signal_name(self.interrupted) if self.interrupted else None,
            "failures": [redact_text(str(f)) for f in self.failures],
            "results": [self._row(p) for p in self.posts],
            # (only a cluster run stopped with tasks not answered has them)
            **({"left_running": [redact_text(t) for t in self.left_running],
                "left_pending": [redact_text(t) for t in self.left_pending]}
               if self.left_running or self.left_pending else {}),
        }

    def _row(self, post: PostOutcome) -> dict[str, Any]:
        """A result, with the status a re-checked post had before (`previous_status`, None for a
        post new to the archive) and whether this run found it changed (never when `checked` is
        false: its check could not be made)."""
        before = self.previous.get(post.key)
        rechecked = post.key in self.previous
        row = post.row()
        # Messages quote requests (an API's URL with its token): named without their secrets, as
        # the run's failures are, here and in the runs table the summary is kept in.
        for name in ("reason", "error"):
            if isinstance(row.get(name), str):
                row[name] = redact_text(row[name])
        row["failures"] = [redact_text(f) for f in row.get("failures", [])]
        return {**row, "previous_status": before,
                "changed": rechecked and post.checked and before is not None and before != post.status}
