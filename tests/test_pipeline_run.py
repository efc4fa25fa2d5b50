"""The run's decisions, without Chromium: which posts phase 2 captures, how an unreachable network
found by one task reaches the tasks made after it, and what an interruption leaves in the summary.

The executor here hands each task to a function standing in for the handlers; the index is the real
one, in memory.
"""

from __future__ import annotations

import json
import pickle
import signal
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta

import pytest

from archiver.index import memory_index
from archiver.index.protocol import ArchiveIndex
from archiver.index.rows import Capture
from archiver.interrupt import STOP
from archiver.models import Post
from archiver.pipeline import (
    ArchiveSummary,
    ArticleResult,
    ArticleTask,
    NotStarted,
    Plan,
    PostResult,
    PostTask,
    TaskFailed,
    run_phases,
)
from archiver.pipeline.executors import Answer, Waves
from archiver.pipeline.postcapture import LinksUnanswered, PostOutcome
from archiver.pipeline.summary import ArticleOutcome
from archiver.pipeline.tasks import Result, Task


def tweet(n: int, source: str = "a.html") -> Post:
    return Post(platform="twitter", kind="embedded", source=source, evidence="blockquote", post_id=str(n),
                url=f"https://twitter.com/x/status/{n}")


class FakeExecutor(Waves):
    """Hands every task to `handle`, in order, in waves (what is submitted while a wave is answered
    runs in the next); after a stop, answers NotStarted like the real ones."""

    def __init__(self, handle: Callable[[Task], Result | TaskFailed]) -> None:
        super().__init__()
        self.handle = handle
        self.seen: list[list[Task]] = []
        self.closed = False

    def map(self, tasks: Sequence[Task]) -> list[Answer]:
        self.seen.append(list(tasks))
        return [NotStarted() if STOP.requested else self.handle(t) for t in tasks]

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> FakeExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def articles(cites: dict[str, list[Post]], *, unreachable: frozenset[str] = frozenset(),
             post_status: str = "available") -> Callable[[Task], Result | TaskFailed]:
    """Handlers: an article cites `cites[spec]`; a post comes out with `post_status`."""

    def handle(task: Task) -> Result | TaskFailed:
        if isinstance(task, ArticleTask):
            if task.spec in unreachable:
                return ArticleResult(ArticleOutcome(task.spec, task.spec, error="offline"),
                                     failures=(f"{task.spec}: offline",), network_unreachable=True)
            posts = cites[task.spec]
            return ArticleResult(ArticleOutcome(task.spec, task.spec, [p.key for p in posts]), tuple(posts), read=True)
        assert isinstance(task, PostTask)
        return PostResult(PostOutcome(task.key, "twitter", None, post_status))
    return handle


@pytest.fixture
def index() -> Iterator[ArchiveIndex]:
    with memory_index() as ix:
        yield ix


@pytest.fixture(autouse=True)
def no_stop() -> Iterator[None]:
    STOP.reset()
    yield
    STOP.reset()


def hold(index: ArchiveIndex, post: Post, *, checked_at: str = "2020-01-01T00:00:00Z", status: str = "live") -> None:
    """The archive already holds a capture of `post`, last checked at `checked_at`."""
    key = index.upsert_post(post)
    index.add_capture(Capture(source="live", url=post.url or "", status="ok", post_key=key))
    index.observe(key, status, checked_at=checked_at)


def post_tasks(ex: FakeExecutor) -> list[PostTask]:
    return [t for t in ex.seen[1] if isinstance(t, PostTask)] if len(ex.seen) > 1 else []


def test_each_post_once_in_citation_order_first_citation_wins(index: ArchiveIndex) -> None:
    ex = FakeExecutor(articles({"a": [tweet(1), tweet(2)], "b": [tweet(2, "b"), tweet(3, "b")]}))
    summary = ArchiveSummary()
    run_phases(ex, index, ["a", "b"], summary, Plan())
    tasks = post_tasks(ex)
    assert [t.key for t in tasks] == ["twitter:1", "twitter:2", "twitter:3"]
    assert tasks[1].post is not None and tasks[1].post.source == "a.html"  # the first citation's
    assert [p.key for p in summary.posts] == ["twitter:1", "twitter:2", "twitter:3"]
    assert summary.sources_read == 2 and summary.skipped_posts == 0 and ex.closed


def test_held_posts_are_skipped_unless_recaptured(index: ArchiveIndex) -> None:
    hold(index, tweet(2), checked_at="2099-01-01T00:00:00Z")
    cites = {"a": [tweet(1), tweet(2)]}
    ex = FakeExecutor(articles(cites))
    summary = ArchiveSummary()
    run_phases(ex, index, ["a"], summary, Plan())
    assert [t.key for t in post_tasks(ex)] == ["twitter:1"]
    assert summary.skipped_posts == 1

    ex = FakeExecutor(articles(cites))
    summary = ArchiveSummary()
    run_phases(ex, index, ["a"], summary, Plan(recapture=True))
    assert [t.key for t in post_tasks(ex)] == ["twitter:1", "twitter:2"]
    assert summary.skipped_posts == 0


def test_held_posts_due_are_rechecked_after_the_new_ones_and_changes_counted(index: ArchiveIndex) -> None:
    hold(index, tweet(7), checked_at="2020-01-01T00:00:00Z", status="available")  # due
    hold(index, tweet(8), checked_at="2099-01-01T00:00:00Z")  # checked recently: not due
    ex = FakeExecutor(articles({"a": [tweet(1)]}, post_status="unavailable"))
    summary = ArchiveSummary()
    run_phases(ex, index, ["a"], summary, Plan(recheck_after=timedelta(days=7)))
    tasks = post_tasks(ex)
    assert [(t.key, t.post is None) for t in tasks] == [("twitter:1", False), ("twitter:7", True)]
    assert summary.rechecked == 1 and summary.changed == 1  # available -> unavailable
    assert summary.to_dict()["posts_new"] == 1

    # `archive` re-checks nothing.
    ex = FakeExecutor(articles({"a": [tweet(1)]}))
    run_phases(ex, index, ["a"], ArchiveSummary(), Plan())
    assert all(t.post is not None for t in post_tasks(ex))


@pytest.mark.parametrize("down", [True, False])
def test_an_unreachable_network_found_by_an_article_is_carried_into_the_post_tasks_made_after_it(
        index: ArchiveIndex, down: bool) -> None:
    # The posts of an article start as soon as it (and every article before it) is read: those of
    # "a" before "b" found the network down, those of "c" after.
    ex = FakeExecutor(articles({"a": [tweet(1)], "c": [tweet(3)]}, unreachable=frozenset({"b"} if down else ())))
    summary = ArchiveSummary()
    run_phases(ex, index, ["a", "b", "c"] if down else ["a", "c"], summary, Plan())
    tasks = post_tasks(ex)
    assert [t.key for t in tasks] == ["twitter:1", "twitter:3"]
    assert [t.offline for t in tasks] == [False, down]
    assert summary.network_unreachable is down
    assert summary.sources_read == 2


def test_a_recheck_that_could_not_be_made_is_no_change(index: ArchiveIndex) -> None:
    # Held and due, but never checked (its status is none): the network was down when its re-check
    # came, so the post is `unavailable` for want of better, and that is no change found.
    key = index.upsert_post(tweet(7))
    index.add_capture(Capture(source="live", url="https://twitter.com/x/status/7", status="ok", post_key=key))

    def handle(task: Task) -> Result | TaskFailed:
        return PostResult(PostOutcome(task.key, "twitter", None, "unavailable", network_failed=True, checked=False),
                          network_unreachable=True)

    summary = ArchiveSummary()
    run_phases(FakeExecutor(handle), index, [], summary, Plan(recheck_after=timedelta(0)))
    # Its re-check was not made: counted as not checked, not as re-checked (nor as new).
    assert summary.rechecked == 0 and summary.changed == 0
    data = summary.to_dict()
    assert (data["posts_rechecked"], data["posts_not_checked"], data["posts_new"]) == (0, 1, 0)
    (row,) = data["results"]
    assert (row["previous_status"], row["status"], row["checked"], row["changed"]) == (None, "unavailable", False, False)


def test_a_post_an_article_of_this_run_brought_in_is_new_even_when_checked_as_due(index: ArchiveIndex) -> None:
    # A short link in the article that did not resolve: the article step holds it as a post of its
    # own, which no capture takes; due as never checked, it is checked by the re-checks, and it is
    # new to the archive, not re-checked. A post held from before the run is re-checked.
    held = tweet(5)
    hold(index, held)
    pending = Post(platform="twitter", kind="shortlink", source="a.html", evidence="a[href]",
                   links=["https://t.co/Nope12345"])

    def handle(task: Task) -> Result | TaskFailed:
        if isinstance(task, ArticleTask):
            key = index.upsert_post(pending)
            index.cite(index.upsert_article("a"), key, "linked", "a[href]")
            return ArticleResult(ArticleOutcome(task.spec, task.spec, []), (), read=True)
        assert isinstance(task, PostTask)
        return PostResult(PostOutcome(task.key, "twitter", None, "unknown"))

    summary = ArchiveSummary()
    run_phases(FakeExecutor(handle), index, ["a"], summary, Plan(recheck_after=timedelta(0)))
    data = summary.to_dict()
    assert (data["posts"], data["posts_new"], data["posts_rechecked"]) == (2, 1, 1)
    previous = {r["key"]: r["previous_status"] for r in data["results"]}
    assert previous == {held.key: "live", pending.key: None}


def test_a_post_finding_the_network_down_is_reported(index: ArchiveIndex) -> None:
    def handle(task: Task) -> Result | TaskFailed:
        if isinstance(task, ArticleTask):
            return ArticleResult(ArticleOutcome("a", "a"), (tweet(1),), read=True)
        return PostResult(PostOutcome(task.key, "twitter", None, "unknown", network_failed=True),
                          network_unreachable=True)

    summary = ArchiveSummary()
    run_phases(FakeExecutor(handle), index, ["a"], summary, Plan())
    assert summary.network_unreachable and summary.to_dict()["network_unreachable"] is True


def test_a_stop_during_phase_1_makes_no_post_tasks_and_is_recorded(index: ArchiveIndex) -> None:
    cites = {"a": [tweet(1)], "b": [tweet(2)]}
    inner = articles(cites)

    def handle(task: Task) -> Result | TaskFailed:
        result = inner(task)
        STOP.signum = signal.SIGTERM  # arrives while the first article is being handled
        return result

    ex = FakeExecutor(handle)
    summary = ArchiveSummary()
    run_phases(ex, index, ["a", "b"], summary, Plan(recheck_after=timedelta(0)))
    assert len(ex.seen) == 1  # no second wave: no post task was made
    assert summary.interrupted == signal.SIGTERM
    assert summary.interruption() == "interrupted by SIGTERM: 1 of 2 sources done"
    assert summary.posts == [] and summary.finished_at
    assert summary.exit_code == 128 + signal.SIGTERM


def test_failed_tasks_are_named_and_the_rest_go_on(index: ArchiveIndex) -> None:
    inner = articles({"a": [tweet(1), tweet(2)], "b": [tweet(3)]})

    def handle(task: Task) -> Result | TaskFailed:
        if isinstance(task, ArticleTask) and task.spec == "b":
            return TaskFailed("worker 2 was killed")
        if isinstance(task, PostTask) and task.key == "twitter:1":
            return TaskFailed("worker 1 was killed")
        return inner(task)

    summary = ArchiveSummary()
    run_phases(FakeExecutor(handle), index, ["a", "b"], summary, Plan())
    assert [(a.source, a.error) for a in summary.articles] == [("a", None), ("b", "b: not archived: worker 2 was killed")]
    assert [(p.key, p.status, p.error) for p in summary.posts] == [
        ("twitter:1", "unknown", "not captured: worker 1 was killed"), ("twitter:2", "available", None)]
    assert summary.failures == ["b: not archived: worker 2 was killed", "twitter:1: not captured: worker 1 was killed"]
    assert summary.exit_code == 1


@pytest.mark.parametrize("message", [
    ArticleTask("https://news.example/a.html"),
    PostTask(post=tweet(5), offline=True),
    PostTask(recheck_key="twitter:9"),
    ArticleResult(ArticleOutcome("a", "file:///a", ["twitter:5"]), (tweet(5),), ("a: broken",), read=True),
    # A post known by short links that met no answer: what they met goes with its task.
    PostTask(post=tweet(5), unanswered=LinksUnanswered("https://t.co/x: could not connect", answered=True)),
    ArticleResult(ArticleOutcome("a", "file:///a", ["twitter:5"]), (tweet(5),), read=True,
                  unanswered={"twitter:5": LinksUnanswered("https://t.co/x: could not connect")}),
    PostResult(PostOutcome("twitter:5", "twitter", None, "available", fields={"text": "hi"}), ("x",), True),
])
def test_tasks_and_results_are_plain_messages(message: Task | Result) -> None:
    assert type(message).from_dict(json.loads(json.dumps(message.to_dict()))) == message
    assert pickle.loads(pickle.dumps(message)) == message


def test_one_article_spelt_two_ways_is_one_task_under_the_first_spelling(index: ArchiveIndex) -> None:
    """A newsletter's `?utm_source=` link, a `#fragment` and the clean address are one article: one
    task (its capture made once), named as first given; a feed listing it again adds nothing."""
    clean = "https://news.example/a.html"
    shared = f"{clean}?utm_source=newsletter#comments"
    other = f"{clean}?id=7#top"  # a parameter that is not a tracker: another page
    feed = "https://news.example/feed.xml"
    inner = articles({shared: [tweet(1)], other: [tweet(2)], "https://news.example/b.html?fbclid=x": [tweet(3)]})

    def handle(task: Task) -> Result | TaskFailed:
        if isinstance(task, ArticleTask) and task.spec == feed:
            return ArticleResult(ArticleOutcome(feed, feed, feed=4), read=True,
                                 sources=(f"{clean}?id=7&utm_medium=email", f"{clean}?fbclid=abc", clean,
                                          "https://news.example/b.html?fbclid=x", "https://news.example/b.html#c"))
        return inner(task)

    ex = FakeExecutor(handle)
    summary = ArchiveSummary()
    # The host in capitals, the scheme's default port: the same server, the same article.
    more = ["HTTPS://NEWS.example/a.html", "https://news.example:443/a.html"]
    run_phases(ex, index, [shared, other, feed, clean, f"{clean}?utm_campaign=x&id=7", *more], summary, Plan())
    specs = [t.spec for wave in ex.seen for t in wave if isinstance(t, ArticleTask)]
    assert specs == [shared, other, feed, "https://news.example/b.html?fbclid=x"]
    assert summary.articles_planned == 4
    assert [a.source for a in summary.articles] == specs
    assert summary.to_dict()["articles"] == 3 and summary.to_dict()["feeds"] == 1


def test_a_detached_cluster_run_sends_one_article_spelt_two_ways_once() -> None:
    """A run sent with --no-wait marks each article it sent in Redis: one mark for every spelling."""
    from archiver.cluster.detached import _article_key

    clean = "https://news.example/a.html"
    assert _article_key("run", f"{clean}?utm_source=x#top") == _article_key("run", clean)
    assert _article_key("run", f"{clean}?id=7") != _article_key("run", clean)
    assert _article_key("run", "HTTPS://News.Example:443/a.html") == _article_key("run", clean)
