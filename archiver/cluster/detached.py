"""`run --broker --no-wait` and `archiver runs status RUN_ID`: a run that does not wait for its tasks.

The scheduler opens the run's row, writes what the run is made of into Redis
(`archiver:run:<scope>:<run id>`, marked `SENDING` until its last task is out, under a lock the
sender holds meanwhile: a run whose sender stopped before it was done is reported failed, not
running for ever), sends every article task and the re-checks due (those an article of the run
could send as its posts are kept back: `articles_handled`), prints the run's ID and exits.
The workers choose the posts: once an article is handled, its worker sends a task for each post it
cites that this run has not sent yet (`SET … NX` per post and run) and that is not held, or counts
it as already held. `runs status RUN_ID` reads the answers: while some are missing it reports
progress; once all are in, it writes the run's summary (the same fields as a run that waited;
posts in the order their tasks were sent) into the run's row and prints it.

A feed among the sources (RSS, Atom, a sitemap) is expanded by the worker that reads it: it sends
a task for each article the feed lists that this run has not sent yet (`SET … NX` per article and
run), within what is left of the bound on the articles that feed adds (`--max-feed-articles`, kept
in Redis per source given to the run, so feeds listed by a feed share it), and those articles' posts
follow as any others'.

Differences from a run that waits: the posts of an article start when that article is handled,
whatever the order of the articles, so which citation of a post is "first" is the order the
articles ended in; a feed's articles come after the articles handled before it; and the run's row
stays open until `runs status` finds every answer in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..index.rows import DETACHED_RUN
from ..limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_FEED_ARTICLES
from ..times import format_utc, iso_seconds
from .config import RESULT_EXPIRES
from .executor import QueueExecutor, read_answers

if TYPE_CHECKING:
    from redis import Redis

    from ..models import Post
    from ..pipeline.postcapture import LinksUnanswered
    from ..pipeline.run import Plan
    from ..pipeline.summary import ArchiveSummary, ArticleOutcome
    from ..pipeline.tasks import ArticleTask

log = logging.getLogger(__name__)

TTL = 30 * 24 * 3600
RESULT_DAYS = RESULT_EXPIRES // (24 * 3600)


def scope_of(archive_dir: Path, index_url: str | None, identity: str | None = None) -> str:
    """What runs are numbered in: the index, by its identity (`config.index_identity`: its server,
    database and schema, however its URL is spelt; `identity` when the caller has it, else asked of
    the index), else the archive folder. Two indexes in two schemas of one database number their
    runs apart: their records must not meet."""
    if index_url:
        if identity is None:
            # A bare connection: asking which index it is makes none, nor brings one up to date.
            from ..index.postgres.connection import Database
            from ..index.postgres.identity import identity as identity_of

            db = Database(index_url)
            try:
                identity = identity_of(db)
            finally:
                db.close()
        return identity
    return str(archive_dir.resolve())


def former_scope(index_url: str) -> str:
    """The scope an earlier archiver gave a PostgreSQL index's runs (its server and database, not its
    schema): a run it sent is still found by it."""
    from ..index.postgres.url import place

    return f"postgresql://{place(index_url)}"


def run_key(scope: str, run_id: int) -> str:
    return f"archiver:run:{scope}:{run_id}"


def enqueue(command: str, specs: Sequence[str], archive_dir: Path, broker: str, *, plan: Plan,
            problems: Sequence[str] = (), index_url: str | None = None, seed_feeds: int = 0,
            seed_articles_left_out: int = 0) -> int:
    """Open the run's row and send its tasks; returns the run's ID. The caller holds the run lock.
    `seed_feeds`, `seed_articles_left_out`: the feed files of a seeds folder, read before the run
    (their articles are among `specs`), and the articles they listed beyond the bound; counted in
    the run's summary as a run that waits counts them."""
    from ..index import open_index
    from ..runs import clock_not_behind
    from ..sources import expand, unique_sources
    from .config import index_identity
    from .storage import recover_local_runs

    specs = unique_sources(expand(list(specs)))  # one article however it was spelt: one task
    recover_local_runs(archive_dir)
    if index_url is not None:
        from ..index import note_index

        note_index(archive_dir, index_url)  # a command given the folder without --index is told of it
    with open_index(archive_dir, url=index_url) as index:
        clock_not_behind(index)
        run_id = index.start_run(command)
        due = index.posts_due_for_recheck(plan.recheck_after) if plan.recheck_after is not None else []
        before = {k: index.post_status(k) for k in due}
        # A post due that an article of this run may cite and get captured as its post (one with no
        # capture yet, or any with --recapture) waits until every article is handled: sent then as
        # a re-check only if no article cited it (`articles_handled`), as a run that waits leaves
        # the posts its articles chose out of its re-checks. Sent now, it went out twice.
        deferred = [k for k in due if plan.recapture or not index.has_capture(k)] if specs else []
        identity = index_identity(index)
    key = run_key(scope_of(archive_dir, index_url, identity), run_id)
    try:
        _send(key, broker, identity, specs, [k for k in due if k not in set(deferred)], deferred, before, plan,
              problems, seed_feeds, seed_articles_left_out)
    except BaseException as e:
        # Nothing would ever close the row of a run whose tasks were not all sent (`runs status`
        # finds no record of it): closed now, saying why.
        _close_unsent(archive_dir, index_url, run_id, e)
        raise
    return run_id


def _send(key: str, broker: str, identity: str, specs: Sequence[str], due: Sequence[str],
          deferred: Sequence[str], before: dict[str, str | None], plan: Plan, problems: Sequence[str],
          seed_feeds: int, seed_articles_left_out: int) -> None:
    """A detached run's record (`key`) written into Redis, then its tasks sent to the queue of the
    index `identity`: the re-checks `due` now, those `deferred` once every article is handled. The
    record comes first: a worker counts each article it handles in it (`articles_handled`), and an
    article handled before the record existed would never be counted. Sending that stops midway
    takes the record away again (a run with tasks never sent would wait for their answers); a
    record it could not take away (its broker lost), or one its sender was killed before sending
    every task, stays marked `SENDING`, and `runs status` reports that run failed (`_unsent`)."""
    from ..pipeline.tasks import ArticleTask, PostTask

    with QueueExecutor(broker, index=identity, recapture=plan.recapture) as executor:
        for spec in specs:  # a feed listing one of these does not send it again
            executor.client.set(_article_key(key, spec), "1", nx=True, ex=TTL)
        executor.extra = {"follow": key}
        articles = [executor.send(ArticleTask(s, room=plan.max_feed_articles), later=True) for s in specs]
        executor.extra = {}
        rechecks = [[executor.send(PostTask(recheck_key=k), later=True), k] for k in due]
        record: dict[Any, Any] = {"token": executor.token, "since": executor.since, "started_at": iso_seconds(),
                  "specs": json.dumps(list(specs)), "problems": json.dumps(list(problems)),
                  "articles": json.dumps(articles), "rechecks": json.dumps(rechecks), "before": json.dumps(before),
                  "deferred": json.dumps(list(deferred)),
                  "max_feed_articles": plan.max_feed_articles, "seed_feeds": seed_feeds,
                  "seed_articles_left_out": seed_articles_left_out, SENDING: "1"}
        # Held while the tasks are sent: a record still marked `SENDING` whose sender holds this no
        # more was left by a sender that stopped before it was done (`runs status` says so).
        sender = _sender_lock(executor.client, key, executor.grace)
        sender.acquire(wait=0)  # (the run's own key: nobody else holds it)
        try:
            executor.client.hset(key, mapping=record)
            executor.client.expire(key, TTL)
            for task_id in [*articles, *(i for i, _k in rechecks)]:
                executor.dispatch(task_id)
            # (waited for as a task's sending is: a broker away a moment now would leave a run whose
            # every task is out reported failed)
            executor._call("send", lambda: executor.client.hdel(key, SENDING))
        except BaseException:
            try:
                executor.client.delete(key)
            except Exception as e:  # (the broker away: `runs status` finds the record marked, the row closed)
                log.warning("%s: the record of a run whose tasks were not all sent could not be taken away (%s)",
                            key, e)
            raise
        finally:
            sender.release()


SENDING = "sending"  # a detached run's record so marked: its sender has not sent every task yet


def _sender_lock(client: Redis, key: str, broker_wait: float) -> Any:
    """The lock the sender of the detached run at `key` holds while it sends the run's tasks. It
    lives the claims' time to live (`claim_ttl`) and the `broker_wait` seconds the sender waits for
    its broker on each step, renewed every third of the former: a broker away for as long as the
    sender waits for it finds the lock of a live sender still held when it is back, and `runs status`
    reports that run running, not failed. A sender that dies lets it expire within both (six minutes
    by default)."""
    from .claims import claim_ttl
    from .redislock import RedisLock

    return RedisLock(client, f"{key}:sender", ttl=claim_ttl() + broker_wait, renew_every=claim_ttl() / 3,
                     grace=5.0)  # (its broker waited for already)


def _close_unsent(archive_dir: Path, index_url: str | None, run_id: int, error: BaseException) -> None:
    """Close the row of a detached run whose sending stopped on `error` (its broker did not answer,
    a signal): 'interrupted' or 'failed', the error in its summary. An index that cannot be used now
    leaves it open, and says so: `runs status N --abandon` closes it then."""
    from ..index import open_index
    from ..interrupt import Interrupted
    from ..redact import redact_text

    outcome = "interrupted" if isinstance(error, Interrupted | KeyboardInterrupt) else "failed"
    why = redact_text(f"{type(error).__name__}: {error}")
    try:
        with open_index(archive_dir, url=index_url) as index:
            index.finish_run(run_id, {"error": f"its tasks could not all be sent: {why}"}, outcome)
    except Exception as e:
        log.warning("run %d: its row could not be closed (%s); `archiver runs status %d --abandon` closes it "
                    "as abandoned", run_id, redact_text(str(e)), run_id)


def enqueue_run(seeds: Path, archive_dir: Path, broker: str, *, recheck_after: Any, wait: bool = False,
                index_url: str | None = None, max_feed_articles: int = DEFAULT_MAX_FEED_ARTICLES,
                max_bytes: int = DEFAULT_MAX_BYTES) -> int:
    """`run --broker --no-wait`: the seeds' articles and the re-checks due sent; the run's ID. A feed
    file among the seeds gives at most `max_feed_articles` articles; a seed file is read up to
    `max_bytes`."""
    from ..pipeline.run import Plan
    from ..runs import locked
    from ..seeds import read_seeds
    from . import require_shared_index
    from .executor import check_broker_url

    check_broker_url(broker)
    require_shared_index(index_url)
    plan = Plan(recheck_after=recheck_after, max_feed_articles=max_feed_articles)
    seed_list = read_seeds(seeds, max_bytes, max_feed_articles=plan.max_feed_articles, archive_dir=archive_dir)
    for note in seed_list.notes:
        log.warning("%s", note)
    with locked(archive_dir, wait=wait, index_url=index_url):
        return enqueue(DETACHED_RUN, seed_list.sources, archive_dir, broker, plan=plan, problems=seed_list.problems,
                       index_url=index_url, seed_feeds=seed_list.feeds, seed_articles_left_out=seed_list.left_out)


def follow_up(client: Redis, app: Any, key: str, posts: Sequence[Post], *, since: str, recapture: bool,
              index: Any, identity: str, unanswered: Mapping[str, LinksUnanswered] | None = None,
              owner: str = "") -> None:
    """In a worker, once an article of a detached run is handled: its posts' tasks, each once per run,
    to the queue of its index (`identity`) (`unanswered`: of those posts, the ones known by short
    links alone whose links met no answer). `owner`: the article's task ID. Each post is claimed for
    the run in Redis (`_claim_post`) with the owner's name, then what is done with it (sent, or
    skipped as held) is written into the claim before it is done: a delivery of the same task after
    its worker died midway does again what the claim says (a task sent twice under one ID is
    captured once, `runs status` counts it once), rather than finding the post claimed and losing
    it. Until the post's task is sent the claim lives `claim_ttl()` seconds only: a claim whose
    every delivery died before sending the post expires, and another article citing it sends it."""
    from hashlib import sha256

    from ..pipeline.tasks import PostTask
    from .config import TASK_NAME, queue_for

    raw_token = client.hget(key, "token")
    if raw_token is None:
        log.warning("%s: the run's record is gone from Redis; its posts are not sent", key)
        return
    token = raw_token.decode() if isinstance(raw_token, bytes) else str(raw_token)
    owner = owner or f"article-of-{token}"
    pending = _pending_ms()
    for post in posts:
        claim = f"{key}:post:{post.key}"
        held = _claim_post(client, claim, owner, pending)
        if _holder(held) != owner:
            continue  # cited by another article handled before, or kept back as a re-check: sent then
        if held == owner:
            send = recapture or not index.has_capture(post.key)
            held = f"{owner}|send" if send else f"{owner}|skip"
            if send:  # (still to be honoured: a holder that dies before it lets the claim expire)
                client.set(claim, held, px=pending)
            else:
                client.set(claim, held, ex=TTL)
        if held.endswith("|skip"):
            client.sadd(f"{key}:skipped", post.key)
            client.expire(f"{key}:skipped", TTL)
            continue
        task_id = f"archiver-{token}-p{sha256(post.key.encode()).hexdigest()[:16]}"
        task = PostTask(post=post, unanswered=(unanswered or {}).get(post.key))
        message = {"task": task.to_dict(), "since": since, "recapture": recapture, "run": token, "index": identity}
        client.rpush(f"{key}:posts", json.dumps({"id": task_id, "task": message["task"]}))
        client.expire(f"{key}:posts", TTL)
        app.send_task(TASK_NAME, args=[message], task_id=task_id, queue=queue_for(identity))
        client.set(claim, f"{owner}|sent", ex=TTL)  # honoured: kept for the run


RECHECK = "recheck"  # the claim on a post kept back, once it is sent as a re-check (`articles_handled`)
CLAIM_POLL = 0.1  # seconds between two looks at a post's claim another holder has not honoured yet


def _pending_ms() -> int:
    """How long a post's claim lives before its holder has sent the post (milliseconds): the
    claims' time to live (`claim_ttl`, `ARCHIVER_CLAIM_TTL`)."""
    from .claims import claim_ttl

    return max(1000, int(claim_ttl() * 1000))


def _holder(held: str) -> str:
    """Who holds a post's claim: the article's task ID (or `RECHECK`), whatever state follows it."""
    return held.split("|", 1)[0]


def _claim_post(client: Redis, claim: str, owner: str, pending_ms: int, *, ex: int | None = None) -> str:
    """The value of the post's claim `claim` once it is `owner`'s or settled by another holder.

    `owner` takes a free claim (for `pending_ms` milliseconds, or `ex` seconds when given: taken
    for good). A claim another article holds and has not honoured yet (its post neither sent,
    `|sent`, nor skipped, `|skip`) is waited for: it is honoured within moments, or its holder died
    and it expires (it lives `pending_ms`), and then `owner` takes it. The wait is bounded (twice
    that time and a little more); a claim still unsettled then is left to its holder. A claim left
    unsettled by a worker of an older version (which kept every claim `TTL`, and never marked one
    sent: its holder sent the post, or its next delivery does) is recognised by its time to live,
    longer than any pending claim's (`_kept_for_the_run`), and not waited for."""
    import time

    deadline = time.monotonic() + 2 * pending_ms / 1000 + 5
    while True:
        taken = client.set(claim, owner, nx=True, ex=ex) if ex is not None else \
            client.set(claim, owner, nx=True, px=pending_ms)
        if taken:
            return owner
        held = _text(client.get(claim) or "")
        if not held:
            continue  # (expired between the two looks)
        if held == RECHECK or held.endswith(("|sent", "|skip")) or _holder(held) == owner \
                or time.monotonic() >= deadline or _kept_for_the_run(client, claim, pending_ms):
            return held
        time.sleep(CLAIM_POLL)


OLDER_CLAIM_MS = 24 * 3600 * 1000  # a post's claim with longer to live is kept for the run, not pending


def _kept_for_the_run(client: Redis, claim: str, pending_ms: int) -> bool:
    """The post's claim `claim` is kept for the run (`TTL`, or no expiry), not pending: it does not
    free itself within a claim's time to live, and waiting for it would be in vain. A pending claim
    lives a claim's time to live (`pending_ms`: a minute unless `ARCHIVER_CLAIM_TTL` says more); one
    an older worker left unsettled lives the run's 30 days."""
    left = int(client.pttl(claim))
    return left == -1 or left > max(OLDER_CLAIM_MS, 2 * pending_ms)


def articles_handled(client: Redis, app: Any, key: str, task_id: str, *, since: str, recapture: bool,
                     identity: str) -> None:
    """In a worker, once an article task of a detached run has ended, however it ended (handled,
    failed, given up, refused; after its posts' and a feed's articles' tasks are sent): counted,
    once per task, and the worker that finds every article of the run counted sends the re-checks
    kept back (`deferred`) of the posts no article of the run cited (a cited one was sent as that
    article's post). The count is a set of task IDs, so a task that ends twice (its worker died
    after counting it) is counted once; and that second end sends again the re-checks a worker
    that died before sending them all left (each claimed as `RECHECK`; sent under one ID, a
    re-check sent twice is captured once and counted once)."""
    from hashlib import sha256

    from ..pipeline.tasks import PostTask
    from .config import TASK_NAME, queue_for

    raw = client.hmget(key, ["token", "articles", "deferred"])
    if raw[0] is None or raw[2] is None:
        return  # its record is gone, or nothing was kept back
    client.sadd(f"{key}:handled", task_id)
    client.expire(f"{key}:handled", TTL)
    # The count first, then the articles: each is counted only after the articles it led to (a
    # feed's) are listed, so a count equal to what is listed after it is every article.
    handled = int(client.scard(f"{key}:handled"))
    if handled < len(json.loads(_text(raw[1] or "[]"))) + int(client.llen(f"{key}:articles")):
        return
    token = _text(raw[0])
    pending = _pending_ms()
    for post_key in json.loads(_text(raw[2])):
        claim = f"{key}:post:{post_key}"
        # (a claim an article took and never honoured, its deliveries dead, expires and is taken here)
        if _claim_post(client, claim, RECHECK, pending, ex=TTL) != RECHECK:
            continue  # cited by an article of the run: sent as its post
        recheck_id = f"archiver-{token}-r{sha256(post_key.encode()).hexdigest()[:16]}"
        message = {"task": PostTask(recheck_key=post_key).to_dict(), "since": since, "recapture": recapture,
                   "run": token, "index": identity}
        client.rpush(f"{key}:rechecked", json.dumps([recheck_id, post_key]))
        client.expire(f"{key}:rechecked", TTL)
        app.send_task(TASK_NAME, args=[message], task_id=recheck_id, queue=queue_for(identity))


def follow_feed(client: Redis, app: Any, key: str, task: ArticleTask, outcome: ArticleOutcome | None,
                sources: Sequence[str], notes: Sequence[str], *, since: str, recapture: bool, root: str,
                identity: str) -> None:
    """In a worker, once a feed of a detached run is read: a task for each article it lists that the
    run has not sent (each once per run), within what is left of the bound of `root` (the source
    given to the run that led to this feed); what the bound cuts is counted in `outcome`, and said
    with the feed's `notes` as a run that waits says them."""
    from hashlib import sha256

    from ..pipeline.tasks import ArticleTask
    from ..seeds import say_feed_read
    from .config import TASK_NAME, queue_for

    raw = client.hmget(key, ["token", "max_feed_articles"])
    if raw[0] is None:
        log.warning("%s: the run's record is gone from Redis; the feed's articles are not sent", key)
        return
    token = _text(raw[0])
    bound = int(_text(raw[1])) if raw[1] is not None else DEFAULT_MAX_FEED_ARTICLES
    rooms = f"{key}:room"
    client.hsetnx(rooms, root, bound)
    client.expire(rooms, TTL)
    cut = 0
    for spec in dict.fromkeys(sources):  # one task per article however it was spelt (`_article_key`)
        if not client.set(_article_key(key, spec), "1", nx=True, ex=TTL):
            continue  # a source of the run, or listed by a feed read before
        room = int(client.hincrby(rooms, root, -1))
        if room < 0:
            cut += 1
            continue
        article = ArticleTask(spec, room=room, depth=task.depth + 1)
        task_id = f"archiver-{token}-a{sha256(spec.encode()).hexdigest()[:16]}"
        message = {"task": article.to_dict(), "since": since, "recapture": recapture, "run": token,
                   "follow": key, "root": root, "index": identity}
        client.rpush(f"{key}:articles", json.dumps({"id": task_id, "task": message["task"]}))
        app.send_task(TASK_NAME, args=[message], task_id=task_id, queue=queue_for(identity))
    client.expire(f"{key}:articles", TTL)
    if outcome is not None:
        say_feed_read(task.spec, outcome, notes, cut=cut, bound=bound)


def _article_key(key: str, spec: str) -> str:
    """The Redis key that marks `spec` sent by the run at `key`: one for every spelling of one
    article (`source_key`: without `?utm_source=...` or a `#fragment`)."""
    from hashlib import sha256

    from ..sources import source_key

    return f"{key}:article:{sha256(source_key(spec).encode()).hexdigest()}"


@dataclass
class Status:
    """A detached run's state: `summary` once every answer is in, else how many are; `state` is
    'running', or how its row was closed without a summary ('abandoned', 'failed'...)."""

    run_id: int
    summary: ArchiveSummary | None
    articles: int = 0
    articles_answered: int = 0
    posts: int = 0
    posts_answered: int = 0
    state: str = "running"
    started_at: str | None = None
    finished_at: str | None = None
    note: str = ""

    def progress(self) -> dict[str, Any]:
        out: dict[str, Any] = {"run_id": self.run_id, "state": self.state, "articles": self.articles,
                               "articles_answered": self.articles_answered, "posts": self.posts,
                               "posts_answered": self.posts_answered}
        if self.state != "running":
            out.update(started_at=self.started_at, finished_at=self.finished_at, note=self.note)
        return out


def status(run_id: int, archive_dir: Path, broker: str, *, index_url: str | None = None,
           abandon: bool = False) -> Status:
    """Where the detached run `run_id` stands; its summary is written to its row once complete (its
    end the time its last task's answer was written). With `abandon`, a run this broker holds no
    record of, or one still waiting for answers, has its row closed as abandoned (if it is open:
    a run that ended keeps how it ended); nothing is ever closed that was not asked about."""
    from ..index import open_index
    from ..pipeline.run import RunState, phase_articles, phase_posts
    from ..pipeline.summary import ArchiveSummary
    from ..pipeline.tasks import ArticleTask, PostTask
    from . import require_shared_index

    require_shared_index(index_url)
    scope = scope_of(archive_dir, index_url)
    key = run_key(scope, run_id)
    with QueueExecutor(broker) as executor:
        # The record and its sender's lock read at one moment (MULTI): read one after the other, a
        # sender that finished in between (its mark taken away, then its lock released) left a
        # record marked `SENDING` beside no lock, and a healthy run was reported failed.
        pipe = executor.client.pipeline(transaction=True)
        pipe.hgetall(key)
        pipe.exists(f"{key}:sender")
        record, sending = pipe.execute()
        if not record and index_url is not None:  # a run an earlier archiver sent: under its scope
            former = run_key(former_scope(index_url), run_id)
            pipe = executor.client.pipeline(transaction=True)
            pipe.hgetall(former)
            pipe.exists(f"{former}:sender")
            found, was_sending = pipe.execute()
            # That scope is the database's, every schema's alike: the record is this index's run only
            # when its row here is an open detached run sent at the record's time.
            if found and _sent_here(archive_dir, index_url, run_id, _text(found.get(b"started_at", b""))):
                record, sending, key = found, was_sending, former
        raw = {_text(k): _text(v) for k, v in record.items()}
        if not raw:
            return _without_record(run_id, archive_dir, index_url, abandon=abandon)
        if raw.get(SENDING) and (unsent := _unsent(run_id, archive_dir, index_url, raw, sending=bool(sending))):
            return unsent
        specs = json.loads(raw["specs"])
        article_ids = json.loads(raw["articles"])
        article_tasks = [ArticleTask(s) for s in specs]
        # A worker sends the tasks an answer leads to (a feed's articles, an article's posts) before
        # it stores that answer: lists read before the answers are whole when every answer is in
        # and the lists have not grown meanwhile.
        listed = [json.loads(e) for e in executor.client.lrange(f"{key}:articles", 0, -1)]
        sent_raw = executor.client.lrange(f"{key}:posts", 0, -1)
        # The re-checks kept back and sent once every article was handled (`articles_handled`).
        late_raw = executor.client.lrange(f"{key}:rechecked", 0, -1)
        # (a task a worker sent again after its first worker died midway is listed twice: once here)
        sent = list({e["id"]: e for e in (json.loads(x) for x in sent_raw)}.values())
        late = list(dict.fromkeys((i, k) for i, k in (json.loads(e) for e in late_raw)))
        article_tasks += [ArticleTask.from_dict(e["task"]) for e in listed]
        article_ids = article_ids + [e["id"] for e in listed]
        tasks = {e["id"]: PostTask.from_dict(e["task"]) for e in sent}
        # A post an article sent whose claim then expired unmarked (its worker died before marking it
        # sent) may be sent again as a re-check kept back: counted once, as the article's post (the
        # second is answered from the index, nothing captured twice).
        cited = {t.key for t in tasks.values()}
        late = [(i, k) for i, k in late if k not in cited]
        rechecks = [(i, k) for i, k in json.loads(raw["rechecks"])] + late
        tasks.update({i: PostTask(recheck_key=k) for i, k in rechecks})
        post_ids = [e["id"] for e in sent]
        recheck_ids = [i for i, _ in rechecks]
        ended: list[str] = []
        answers = read_answers(executor.app, executor.client, article_ids + recheck_ids + post_ids, ended)
        done = Status(run_id, None, len(article_ids), sum(1 for i in article_ids if i in answers),
                      len(post_ids) + len(recheck_ids), sum(1 for i in post_ids + recheck_ids if i in answers),
                      started_at=raw["started_at"])
        grown = (executor.client.llen(f"{key}:articles") != len(listed)
                 or executor.client.llen(f"{key}:posts") != len(sent_raw)
                 or executor.client.llen(f"{key}:rechecked") != len(late_raw))
        if done.articles_answered < done.articles or done.posts_answered < done.posts or grown:
            if abandon:
                return _abandoned(done, archive_dir, index_url, "it was abandoned with answers missing: "
                                  f"{done.articles - done.articles_answered} article(s) and "
                                  f"{done.posts - done.posts_answered} post(s)")
            if _answers_expired(raw["started_at"]):
                done.note = (f"its tasks' answers are kept {RESULT_DAYS} days and it began longer ago: some may "
                             "have expired; `--abandon` closes its row with what is known")
            return done
        summary = ArchiveSummary(started_at=raw["started_at"], failures=json.loads(raw["problems"]),
                                 articles_planned=len(article_tasks), run_id=run_id,
                                 seed_feeds=int(raw.get("seed_feeds", 0)),
                                 seed_articles_left_out=int(raw.get("seed_articles_left_out", 0)))
        state = RunState()
        phase_articles([(t, answers[i]) for t, i in zip(article_tasks, article_ids, strict=True)], summary, state)
        phase_posts([(tasks[i], answers[i]) for i in post_ids + recheck_ids], summary, state)
        before = json.loads(raw["before"])
        # A post kept back that an article cited was that article's post, not a re-check: its
        # status before counts (a change is told) only if it had one, as in a run that waits.
        rechecked = {k for _i, k in late}
        for post_key in json.loads(raw.get("deferred") or "[]"):
            if post_key not in rechecked and before.get(post_key) is None:
                before.pop(post_key, None)
        summary.rechecks(before)
        summary.skipped_posts = int(raw.get("skipped", 0)) + int(executor.client.scard(f"{key}:skipped"))
        summary.network_unreachable = state.offline
        # The run ended when its last task's answer was written (by its worker), not when asked.
        end = _latest([raw["finished_at"]] if raw.get("finished_at") else ended) or datetime.now(UTC)
        # (never before it began: a worker's clock may lag the scheduler's by up to the slack allowed)
        end = max(end, _latest([raw["started_at"]]) or end)
        summary.finished_at = iso_seconds(end)
        if not raw.get("closed"):
            # The row first, then the mark that it is written: an index that cannot be used now
            # (named, exit 1) leaves both to the next `runs status`.
            with open_index(archive_dir, url=index_url) as index:
                index.finish_run(run_id, summary.to_dict(), "done", finished_at=format_utc(end))
            executor.client.hset(key, mapping={"finished_at": summary.finished_at, "closed": "1"})
        done.summary = summary
        done.state = "done"
        return done


def _latest(times: Sequence[str]) -> datetime | None:
    """The latest of ISO 8601 `times` (None: none parses)."""
    from ..times import parse_timestamp

    parsed = [t for t in (parse_timestamp(x) for x in times) if t is not None]
    return max(parsed) if parsed else None


def _answers_expired(started_at: str) -> bool:
    """The run began longer ago than its tasks' answers are kept: those still missing never come."""
    from ..times import parse_timestamp

    started = parse_timestamp(started_at)
    return started is not None and datetime.now(UTC) - started > timedelta(seconds=RESULT_EXPIRES)


def _abandoned(done: Status, archive_dir: Path, index_url: str | None, why: str) -> Status:
    """Close the run's row as abandoned, as asked (`runs status --abandon`), if it is still open; a
    row already closed keeps how it ended, and says so."""
    from ..index import open_index
    from ..times import utc_now

    at = utc_now()
    with open_index(archive_dir, url=index_url) as index:
        closed = index.finish_run(done.run_id, {**done.progress(), "error": why}, "abandoned", finished_at=at,
                                  only_open=True)
        row = index.run_end(done.run_id)
    if not closed and row is not None:
        started_at, finished_at, outcome, _command = row
        done.state, done.started_at, done.finished_at = outcome or "done", started_at, finished_at
        done.note = f"already closed as {done.state} at {finished_at}: left as it was"
        return done
    done.state, done.finished_at = "abandoned", at
    done.note = f"{why}: closed as abandoned at {at}, as asked; what its workers captured is in the index"
    return done


def _unsent(run_id: int, archive_dir: Path, index_url: str | None, raw: Mapping[str, str], *,
            sending: bool) -> Status | None:
    """`runs status` of a detached run whose record says its tasks are not all sent yet: None while
    its sender is still at it (`sending`: it holds its lock) and has not closed the run's row. A
    sender that failed (its broker lost while it sent) closed the row as failed, its error in the
    summary; one that died (killed) let its lock expire, and the row is closed now as failed. The
    tasks never sent are never answered: waiting on them, the run would be reported running for
    ever. What the tasks it did send captured is in the index."""
    from ..index import open_index

    why = ("its tasks were not all sent: the process sending them stopped before it was done (killed, or its "
           "broker lost)")
    with open_index(archive_dir, url=index_url) as index:
        row = index.run_end(run_id)
        if row is None or (row[1] is None and sending):
            return None
        closed = row[1] is None and index.finish_run(run_id, {"error": why}, "failed", only_open=True)
        row = index.run_end(run_id) or row
    started_at, finished_at, outcome, _command = row
    done = Status(run_id, None, state=outcome or "failed", started_at=started_at or raw.get("started_at"),
                  finished_at=finished_at)
    done.note = (f"{why}: closed as failed at {finished_at}; what the tasks it sent captured is in the index, the "
                 "next run does the rest" if closed else
                 f"closed as {done.state} at {finished_at}: its tasks could not all be sent; what those it sent "
                 "captured is in the index, the next run does the rest")
    return done


def _sent_here(archive_dir: Path, index_url: str, run_id: int, started_at: str) -> bool:
    """Whether this index's run `run_id` is an open detached run whose record was written at
    `started_at` (within an hour after its row's start: the record is written once the posts due for a
    re-check are listed, which may take a while in a large archive)."""
    from ..index import open_index

    with open_index(archive_dir, url=index_url, create=False) as index:
        row = index.run_end(run_id)
    sent, opened = _latest([started_at]), _latest([row[0]]) if row is not None else None
    return (row is not None and row[3] == DETACHED_RUN and row[1] is None and sent is not None and opened is not None
            and -60 <= (sent - opened).total_seconds() <= 3600)


def _without_record(run_id: int, archive_dir: Path, index_url: str | None, *, abandon: bool) -> Status:
    """`runs status` of a run the broker holds no record of (for this index, named by its server,
    database and schema): a detached run's closed row says how it ended; an open one is closed as
    abandoned only when asked (`abandon`): the broker not knowing a run is no proof it is dead (it
    may be another broker's, or the index named another way). Anything else is a usage error."""
    from ..index import open_index

    with open_index(archive_dir, url=index_url, create=False) as index:  # one that cannot be used is named
        row = index.run_end(run_id) if index_url else None
    if row is None or row[3] != DETACHED_RUN:
        raise UsageError(f"run {run_id} is not a run sent with --no-wait to this broker for this index or for this "
                         "archive, or its record expired")
    started_at, finished_at, outcome, _command = row
    if finished_at is None and not abandon:
        raise UsageError(f"run {run_id} (sent {started_at}) is open, but this broker holds no record of it for this "
                         "index: ask with the --broker and --index it was sent with; if its sending stopped before it was done, or the broker lost its data, "
                         "`--abandon` closes its row as abandoned")
    done = Status(run_id, None, started_at=started_at)
    if finished_at is None:
        return _abandoned(done, archive_dir, index_url, "the broker holds no record of it")
    done.state, done.finished_at = outcome or "done", finished_at
    done.note = (f"closed as {done.state} at {finished_at}; the broker holds no record of it any more (a record "
                 "is kept 30 days)")
    return done


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
