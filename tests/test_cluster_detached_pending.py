"""`run --broker --no-wait` with posts pending in the index (cited by an earlier run, never checked):
each post is sent once, as the post of the article that cites it, and counted once, as a run that
waits does. The re-checks due were sent before any article was read, and the worker that read the
article sent the same posts again as its posts: every pending post was captured twice, the summary
counted each twice (as a post and as a re-check), and the first capture's reason read "its text is
not the one held before (edited since?)". A pending post no article of the run cites is still
re-checked, once, when every article is handled."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from archiver.index import open_index
from archiver.models import Post
from tests.cluster import Workers, wait_for
from tests.cluster_faults import FAST
from tests.e2e import cli
from tests.fakeweb import FakeWeb, site

pytestmark = [pytest.mark.cluster, pytest.mark.browser]


def _pending(url: str, archive: Path, article: str, cited: tuple[str, ...], alone: str) -> None:
    """An earlier run's index: the article and the posts it cited, never checked; one more post
    cited by another article only."""
    with open_index(archive, url=url) as index:
        run = index.start_run()
        for page, ids in ((article, cited), ("https://news.example/2024/elm-row-residents.html", (alone,))):
            article_id = index.upsert_article(page)
            for tweet in ids:
                post = Post(platform="twitter", kind="embedded", source=page, evidence="blockquote.twitter-tweet",
                            post_id=tweet, url=f"https://twitter.com/RivertonDesk/status/{tweet}")
                index.cite(article_id, index.upsert_post(post), "embedded", "blockquote.twitter-tweet")
        index.finish_run(run, {}, "done")


def _tool_requests(web: FakeWeb, start: int) -> Counter[str]:
    return Counter(e["path"] for e in web.log[start:] if e["host"] == "cdn.syndication.twimg.com"
                   and "Mozilla" not in e["headers"].get("user-agent", ""))


def _run_detached(tmp_path: Path, broker: str, postgres_url: str,
                  before_workers: Any = None) -> tuple[dict[str, Any], Counter[str]]:
    """The run of an article whose posts are pending, and of a pending post no article cites; its
    summary once `runs status` finds it finished, and the platform's answers asked for.
    `before_workers(client, record)` runs before any worker starts."""
    import redis

    from archiver.cluster.detached import run_key, scope_of

    article = site.ARTICLE_FLOOD
    alone = site.ARTICLES["/2024/elm-row-residents.html"].tweet_ids[0]
    archive = tmp_path / "archive"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(f"{article.url}\n")
    _pending(postgres_url, archive, article.url, article.tweet_ids, alone)
    with FakeWeb(tmp_path / "web") as web:
        start = len(web.log)
        sent = cli(web, "run", "--broker", broker, "--index", postgres_url, "--no-wait", "--seeds", str(seeds),
                   "--recheck-after", "1h", archive=archive, timeout=120)
        assert sent.returncode == 0, sent.stderr
        if before_workers is not None:
            client = redis.Redis.from_url(broker)
            try:
                key = run_key(scope_of(archive, postgres_url), int(sent.stdout.strip()))
                before_workers(client, {k.decode(): v.decode() for k, v in client.hgetall(key).items()})
            finally:
                client.close()
        status = ["runs", "status", sent.stdout.strip(), "--broker", broker, "--index", postgres_url,
                  "--format", "json"]
        with Workers(web, broker, archive, 1, env=FAST, index=postgres_url) as workers:
            def finished() -> dict[str, Any] | None:
                r = cli(web, *status, archive=archive)
                assert r.returncode in (0, 1, 2), r.stderr + workers.output()  # (2: nothing archived)
                found = json.loads(r.stdout)
                return None if found.get("state") == "running" else dict(found)

            summary = wait_for("the run's summary", finished, timeout=300)
        return summary, _tool_requests(web, start)


def test_pending_posts_are_sent_once_as_their_article_s_posts(tmp_path: Path, broker: str, postgres_url: str) -> None:
    article = site.ARTICLE_FLOOD
    alone = site.ARTICLES["/2024/elm-row-residents.html"].tweet_ids[0]
    summary, requests = _run_detached(tmp_path, broker, postgres_url)
    keys = [p["key"] for p in summary["results"]]
    cited = [f"twitter:{t}" for t in article.tweet_ids]
    # Each post once: the article's as its posts (its tweets and a video), the other as a re-check, last.
    assert len(keys) == len(set(keys)) and keys[:len(cited)] == cited and keys[-1] == f"twitter:{alone}", keys
    assert summary["posts"] == len(keys), summary
    assert summary["posts_rechecked"] == 1, summary  # the one no article of the run cites
    assert not [p for p in summary["results"] if "edited since" in str(p.get("reason"))], summary["results"]
    # Each tweet asked of the platform once.
    assert len(requests) == len(cited) + 1 and all(n == 1 for n in requests.values()), requests


def test_an_article_given_up_still_lets_the_posts_kept_back_be_rechecked(tmp_path: Path, broker: str,
                                                                         postgres_url: str) -> None:
    """An article task given up (its workers died on each delivery) is counted handled as one
    answered is: the re-checks kept back until every article is handled are sent, each once. They
    were dropped (the count never reached the total), and the run reported finished with no post
    checked."""
    from archiver.cluster.claims import MAX_DELIVERIES

    article = site.ARTICLE_FLOOD
    alone = site.ARTICLES["/2024/elm-row-residents.html"].tweet_ids[0]

    def died_before(client: Any, record: dict[str, str]) -> None:
        (task_id,) = json.loads(record["articles"])
        client.set(f"archiver:deliveries:{task_id}", MAX_DELIVERIES)

    summary, requests = _run_detached(tmp_path, broker, postgres_url, died_before)
    expected = {f"twitter:{t}" for t in (*article.tweet_ids, alone)}
    keys = [p["key"] for p in summary["results"]]
    assert sorted(keys) == sorted(expected), summary
    assert summary["posts_rechecked"] == len(expected), summary
    assert any("given up" in str(f) for f in summary["failures"]), summary["failures"]
    assert set(requests) and all(n == 1 for n in requests.values()), requests


class _Dies:
    """The Celery app's one call here (`send_task`), dying (as a worker killed) at the call
    numbered `die_at`; what was sent is what the test reads."""

    def __init__(self, die_at: int | None = None) -> None:
        self.die_at = die_at
        self.calls = 0
        self.sent: list[str] = []

    def send_task(self, name: str, *, args: list[Any], task_id: str, queue: str) -> None:
        self.calls += 1
        if self.calls == self.die_at:
            raise SystemExit("killed")
        self.sent.append(task_id)


def test_re_checks_kept_back_survive_a_worker_killed_while_sending_them(broker: str) -> None:
    """The worker that counts the last article handled and dies before it has sent every re-check
    kept back: the article's next delivery sends them (each task ID once more at most), and the
    run lists each once. The count was marked first, and a delivery that found its task counted
    sent nothing: the re-checks not sent yet were lost."""
    import redis

    from archiver.cluster.detached import articles_handled

    key = "archiver:run:test-kill:1"
    client = redis.Redis.from_url(broker)
    try:
        client.delete(key, f"{key}:handled", f"{key}:rechecked", *(f"{key}:post:{k}" for k in ("t:1", "t:2")))
        client.hset(key, mapping={"token": "tk", "articles": json.dumps(["a1"]),
                                  "deferred": json.dumps(["t:1", "t:2"])})
        first, again = _Dies(die_at=2), _Dies()
        with pytest.raises(SystemExit):
            articles_handled(client, first, key, "a1", since="", recapture=False, identity="pg:test/x/public")
        articles_handled(client, again, key, "a1", since="", recapture=False, identity="pg:test/x/public")
        ids = {*first.sent, *again.sent}
        assert len(ids) == 2 and set(again.sent) == ids, (first.sent, again.sent)
        assert int(client.scard(f"{key}:handled")) == 1
    finally:
        client.close()


def test_an_article_s_posts_survive_a_worker_killed_while_sending_them(tmp_path: Path, broker: str) -> None:
    """A worker killed while sending an article's posts: the article's next delivery sends those it
    had claimed for the run and not sent. They were claimed (`SET NX`) before being sent, and the
    next delivery found them claimed and sent nothing."""
    import redis

    from archiver.cluster.detached import follow_up

    posts = [Post(platform="twitter", kind="embedded", source="https://news.example/a.html",
                  evidence="blockquote.twitter-tweet", post_id=str(n),
                  url=f"https://twitter.com/RivertonDesk/status/{n}") for n in (11, 12)]
    key = "archiver:run:test-kill:2"
    client = redis.Redis.from_url(broker)
    try:
        client.delete(key, f"{key}:posts", *(f"{key}:post:{p.key}" for p in posts))
        client.hset(key, "token", "tk")
        first, again, other = _Dies(die_at=2), _Dies(), _Dies()
        with open_index(tmp_path / "archive") as index:
            with pytest.raises(SystemExit):
                follow_up(client, first, key, posts, since="", recapture=False, index=index,
                          identity="pg:test/x/public", owner="a1")
            follow_up(client, again, key, posts, since="", recapture=False, index=index,
                      identity="pg:test/x/public", owner="a1")
            # Another article citing the same posts does not send them again.
            follow_up(client, other, key, posts, since="", recapture=False, index=index,
                      identity="pg:test/x/public", owner="a2")
        assert len(again.sent) == 2 and set(first.sent) <= set(again.sent) and other.sent == [], \
            (first.sent, again.sent, other.sent)
    finally:
        client.close()


def test_a_detached_run_s_record_is_written_before_its_tasks_are_sent(broker: str, monkeypatch: Any) -> None:
    """Every task of a run not waited for is sent once its record is in Redis: a worker quick
    enough to handle an article before the record was written could not count it, and the re-checks
    kept back waited for that count for ever."""
    import redis

    from archiver.cluster import detached
    from archiver.cluster.executor import QueueExecutor
    from archiver.pipeline.run import Plan

    key = "archiver:run:test-order:1"
    client = redis.Redis.from_url(broker)
    seen: list[tuple[str, bool]] = []
    monkeypatch.setattr(QueueExecutor, "_send", lambda self, task_id: seen.append((task_id, bool(client.exists(key)))))
    try:
        detached._send(key, broker, "pg:test/x/public", ["https://news.example/a.html", "https://news.example/b.html"],
                       ["twitter:1"], ["twitter:2"], {}, Plan(), [], 0, 0)
    finally:
        client.close()
    assert len(seen) == 3 and all(written for _id, written in seen), seen


def test_article_tasks_that_fail_or_are_refused_count_as_handled(broker: str) -> None:
    """An article task whose handler raised, and one refused by a worker of another index, end for
    good (their failure is their answer): each is counted handled, so the re-checks kept back go
    out once both have ended. Neither was counted, and the re-checks never went out."""
    import redis

    from archiver.cluster.claims import Claims
    from archiver.cluster.worker import OtherIndex, WorkerProcess, WorkerSettings
    from archiver.net import NetOptions
    from archiver.pipeline.tasks import ArticleTask

    class Broken:
        def handle(self, task: Any) -> Any:
            raise RuntimeError("the handler broke")

    class Process(WorkerProcess):
        def handlers(self, recapture: bool) -> Any:
            return Broken()

    mine, theirs = "pg:system 1/archive6/public", "pg:system 1/archive5/public"
    key = "archiver:run:test-ends:1"
    client = redis.Redis.from_url(broker)
    app = _Dies()
    proc = Process(WorkerSettings(broker=broker, archive_dir=Path("."), net=NetOptions.from_options(None, None, None),
                                  identity=mine))
    proc.claims, proc.app = Claims(client), app
    try:
        client.hset(key, mapping={"token": "tk", "articles": json.dumps(["a1", "a2"]),
                                  "deferred": json.dumps(["t:1"])})
        for task_id, index, error in (("a1", mine, RuntimeError), ("a2", theirs, OtherIndex)):
            message = {"task": ArticleTask(f"https://news.example/{task_id}.html").to_dict(), "since": "",
                       "index": index, "follow": key, "run": "tk"}
            with pytest.raises(error):
                proc.handle(task_id, message)
        assert int(client.scard(f"{key}:handled")) == 2
        assert len(app.sent) == 1 and app.sent[0].startswith("archiver-tk-r"), app.sent
    finally:
        client.close()


def test_an_article_task_whose_process_cannot_open_its_session_counts_as_handled(tmp_path: Path, broker: str) -> None:
    """A worker process that could not open its session (its PostgreSQL index away as the process
    started) fails the article task it takes, for good: that ending is counted as handled as any
    other, so the re-checks kept back go out once every article has ended. It was not counted: the
    re-checks were never sent and the run never finished its count."""
    import redis

    from archiver.cluster import worker
    from archiver.cluster.config import TASK_NAME
    from archiver.net import NetOptions
    from archiver.pipeline.tasks import ArticleTask
    from tests.services import free_port

    down = f"postgresql://postgres@127.0.0.1:{free_port()}/archive"  # nothing listens there
    settings = worker.WorkerSettings(broker=broker, archive_dir=tmp_path / "archive",
                                     net=NetOptions.from_options(None, None, None), index_url=down,
                                     identity="pg:test/x/public")
    app = worker.worker_app(settings)
    key = "archiver:run:test-unopened:1"
    client = redis.Redis.from_url(broker)
    sent: list[str] = []
    app.send_task = lambda name, *, args, task_id, queue: sent.append(task_id)  # (the re-checks it sends)
    try:
        client.hset(key, mapping={"token": "tk", "articles": json.dumps(["a1"]), "deferred": json.dumps(["t:1"])})
        message = {"task": ArticleTask("https://news.example/a1.html").to_dict(), "since": "",
                   "index": "pg:test/x/public", "follow": key, "run": "tk"}
        assert worker._PROCESS.get("current") is None
        result = app.tasks[TASK_NAME].apply(args=[message], task_id="a1")
        assert result.failed() and "could not open its session" in str(result.result), result.result
        assert worker._PROCESS.get("current") is None
        assert int(client.scard(f"{key}:handled")) == 1
        assert len(sent) == 1 and sent[0].startswith("archiver-tk-r"), sent
    finally:
        worker._PROCESS.pop("current", None)
        client.close()


def test_a_post_claimed_by_an_article_whose_deliveries_died_is_sent_by_another(tmp_path: Path, broker: str,
                                                                               monkeypatch: Any) -> None:
    """An article task whose every delivery died after claiming a post for the run and before
    sending it: the claim expires, and a later article citing the post sends it (once: one after
    that finds it sent); a post kept back as a re-check that such an article had claimed is
    re-checked once every article has ended. The claim was kept 30 days: no other citing article
    sent the post, nor was it re-checked, and the run never captured it."""
    import redis

    from archiver.cluster.detached import articles_handled, follow_up

    monkeypatch.setenv("ARCHIVER_CLAIM_TTL", "1")  # a claim not honoured frees itself within a second
    cited, kept = (Post(platform="twitter", kind="embedded", source="https://news.example/a.html",
                        evidence="blockquote.twitter-tweet", post_id=str(n),
                        url=f"https://twitter.com/RivertonDesk/status/{n}") for n in (21, 22))
    key = "archiver:run:test-claims:1"
    client = redis.Redis.from_url(broker)
    try:
        client.hset(key, mapping={"token": "tk", "articles": json.dumps(["a1", "a2", "a3"]),
                                  "deferred": json.dumps([kept.key])})
        with open_index(tmp_path / "archive") as index:
            def follow(owner: str, app: _Dies, posts: list[Post]) -> None:
                follow_up(client, app, key, posts, since="", recapture=False, index=index,
                          identity="pg:test/x/public", owner=owner)

            # a1 dies sending either post, on each of its deliveries (then it is given up)
            for posts in ([cited], [kept], [cited], [kept]):
                with pytest.raises(SystemExit):
                    follow("a1", _Dies(die_at=1), posts)
            later, last = _Dies(), _Dies()
            follow("a2", later, [cited])
            follow("a3", last, [cited])
        assert len(later.sent) == 1 and later.sent[0].startswith("archiver-tk-p") and last.sent == [], \
            (later.sent, last.sent)
        rechecks = _Dies()
        for task_id in ("a2", "a3", "a1"):  # a1 given up, last
            articles_handled(client, rechecks, key, task_id, since="", recapture=False, identity="pg:test/x/public")
        assert len(rechecks.sent) == 1 and rechecks.sent[0].startswith("archiver-tk-r"), rechecks.sent
    finally:
        client.close()


def test_a_process_that_cannot_open_its_session_keeps_no_broker_connection_per_task(tmp_path: Path,
                                                                                    broker: str) -> None:
    """A worker process whose index is away fails each task it takes and counts each article task
    handled through the broker: it leaves no connection to the broker open per task. Each task made
    a Redis client of its own and never closed it: while the index stayed away, the broker's
    connections grew with every task taken."""
    import redis

    from archiver.cluster import worker
    from archiver.cluster.config import TASK_NAME
    from archiver.net import NetOptions
    from archiver.pipeline.tasks import ArticleTask
    from tests.services import free_port

    down = f"postgresql://postgres@127.0.0.1:{free_port()}/archive"  # nothing listens there
    settings = worker.WorkerSettings(broker=broker, archive_dir=tmp_path / "archive",
                                     net=NetOptions.from_options(None, None, None), index_url=down,
                                     identity="pg:test/x/public")
    app = worker.worker_app(settings)
    key = "archiver:run:test-unopened:2"
    tasks = [f"a{n}" for n in range(6)]
    client = redis.Redis.from_url(broker)
    app.send_task = lambda name, *, args, task_id, queue: None  # (the re-checks it sends)
    results = []  # (kept, as Celery keeps a failure until it is stored)
    try:
        client.hset(key, mapping={"token": "tk", "articles": json.dumps(tasks), "deferred": json.dumps(["t:1"])})
        before = int(client.info("clients")["connected_clients"])
        for task_id in tasks:
            message = {"task": ArticleTask(f"https://news.example/{task_id}.html").to_dict(), "since": "",
                       "index": "pg:test/x/public", "follow": key, "run": "tk"}
            results.append(app.tasks[TASK_NAME].apply(args=[message], task_id=task_id))
            assert results[-1].failed(), results[-1].result
        assert int(client.scard(f"{key}:handled")) == len(tasks)
        after = int(client.info("clients")["connected_clients"])
        assert after <= before + 1, (before, after)
    finally:
        worker._PROCESS.pop("current", None)
        client.close()


@pytest.mark.parametrize("left", ["a0|send", "a0"])
def test_a_post_claimed_by_an_older_worker_is_not_waited_for(tmp_path: Path, broker: str, monkeypatch: Any,
                                                             left: str) -> None:
    """A post claim an older worker left in a run still in flight (kept 30 days, never marked sent:
    its holder sent the post, or its next delivery does) is left to its holder at once, by a citing
    article and by the re-checks kept back alike. Each waited twice a claim's time to live and more
    (over two minutes by default) on every such post, then skipped it anyway."""
    import time

    import redis

    from archiver.cluster.detached import TTL, articles_handled, follow_up

    monkeypatch.setenv("ARCHIVER_CLAIM_TTL", "30")  # (a wait on the claim: 65 s, far above what not waiting takes)
    cited, kept = (Post(platform="twitter", kind="embedded", source="https://news.example/a.html",
                        evidence="blockquote.twitter-tweet", post_id=str(n),
                        url=f"https://twitter.com/RivertonDesk/status/{n}") for n in (31, 32))
    key = "archiver:run:test-older:1"
    client = redis.Redis.from_url(broker)
    try:
        client.hset(key, mapping={"token": "tk", "articles": json.dumps(["a1"]), "deferred": json.dumps([kept.key])})
        for post in (cited, kept):
            client.set(f"{key}:post:{post.key}", left, ex=TTL)  # as an older worker claimed it
        article, rechecks = _Dies(), _Dies()
        started = time.monotonic()
        with open_index(tmp_path / "archive") as index:
            follow_up(client, article, key, [cited], since="", recapture=False, index=index,
                      identity="pg:test/x/public", owner="a1")
        articles_handled(client, rechecks, key, "a1", since="", recapture=False, identity="pg:test/x/public")
        took = time.monotonic() - started
        assert article.sent == [] and rechecks.sent == [], (article.sent, rechecks.sent)
        assert took < 30, took
    finally:
        client.close()


class _SentThenDies(_Dies):
    """`send_task` that sends, then dies (as a worker killed before it marks the post sent)."""

    def send_task(self, name: str, *, args: list[Any], task_id: str, queue: str) -> None:
        self.sent.append(task_id)
        raise SystemExit("killed")


def test_a_post_sent_by_an_article_and_then_re_checked_is_counted_once(tmp_path: Path, broker: str,
                                                                        postgres_url: str, monkeypatch: Any) -> None:
    """An article's worker sends a post kept back as a re-check, then dies before marking its claim
    sent; the article is given up, the claim expires, and the re-checks kept back send the post
    again, under a re-check's task ID (answered from the index: captured once). `runs status` counts
    the post once, as the article's post. It counted it twice: as a post and as a re-check."""
    import redis

    from archiver.cluster.claims import DeliveryCapReached
    from archiver.cluster.detached import articles_handled, follow_up, run_key, scope_of, status
    from archiver.cluster.executor import QueueExecutor
    from archiver.index.rows import DETACHED_RUN
    from archiver.pipeline.postcapture import PostOutcome
    from archiver.pipeline.tasks import PostResult
    from archiver.times import iso_seconds, utc_now

    monkeypatch.setenv("ARCHIVER_CLAIM_TTL", "1")  # a claim not honoured frees itself within a second
    post = Post(platform="twitter", kind="embedded", source="https://news.example/a.html",
                evidence="blockquote.twitter-tweet", post_id="41", url="https://twitter.com/RivertonDesk/status/41")
    archive = tmp_path / "archive"
    with open_index(archive, url=postgres_url) as index:
        run_id = index.start_run(DETACHED_RUN)
    key = run_key(scope_of(archive, postgres_url), run_id)
    client = redis.Redis.from_url(broker)
    try:
        client.hset(key, mapping={"token": "tk", "since": utc_now(), "started_at": iso_seconds(),
                                  "specs": json.dumps([post.source]), "problems": "[]", "articles": json.dumps(["a1"]),
                                  "rechecks": "[]", "before": json.dumps({post.key: None}),
                                  "deferred": json.dumps([post.key]), "max_feed_articles": 10, "seed_feeds": 0,
                                  "seed_articles_left_out": 0})
        article, rechecks = _SentThenDies(), _Dies()
        with open_index(archive, url=postgres_url) as index, pytest.raises(SystemExit):
            follow_up(client, article, key, [post], since="", recapture=False, index=index,
                      identity="pg:test/x/public", owner="a1")
        wait_for("the claim to expire", lambda: not client.exists(f"{key}:post:{post.key}"), timeout=10)
        articles_handled(client, rechecks, key, "a1", since="", recapture=False, identity="pg:test/x/public")
        assert len(article.sent) == 1 and len(rechecks.sent) == 1, (article.sent, rechecks.sent)
        with QueueExecutor(broker) as executor:  # the answers, as the workers store them
            backend = executor.app.backend
            backend.mark_as_failure("a1", DeliveryCapReached("given up: its worker died on each of 2 deliveries"))
            answer = PostResult(PostOutcome(post.key, "twitter", post.url, "active", captures=1, source="live"))
            for task_id in (*article.sent, *rechecks.sent):
                backend.store_result(task_id, answer.to_dict(), "SUCCESS")
        found = status(run_id, archive, broker, index_url=postgres_url)
    finally:
        client.close()
    assert found.state == "done" and found.summary is not None, found
    summary = found.summary.to_dict()
    assert [p["key"] for p in summary["results"]] == [post.key], summary["results"]
    assert summary["posts"] == 1 and summary["posts_rechecked"] == 0, summary


def test_a_pending_claim_of_a_long_time_to_live_is_not_taken_for_an_older_worker_s(broker: str) -> None:
    """A claim's time to live may be set above a day (`ARCHIVER_CLAIM_TTL`): a pending claim of that
    time is still pending, not one an older worker kept for the run (which lives the run's 30 days)."""
    import redis

    from archiver.cluster.detached import _kept_for_the_run

    day_ms = 24 * 3600 * 1000
    client = redis.Redis.from_url(broker)
    try:
        client.set("archiver:run:test-ttl:claim", "a1|send", px=2 * day_ms)
        assert not _kept_for_the_run(client, "archiver:run:test-ttl:claim", 2 * day_ms)
        assert _kept_for_the_run(client, "archiver:run:test-ttl:claim", 60_000)
        client.set("archiver:run:test-ttl:claim", "a1|send", ex=30 * 24 * 3600)
        assert _kept_for_the_run(client, "archiver:run:test-ttl:claim", 2 * day_ms)
    finally:
        client.delete("archiver:run:test-ttl:claim")
        client.close()
