"""A cluster run stopped, or left, before its tasks are all answered, end to end from the command
line (an `archiver worker`, a test Redis, a test PostgreSQL index, real Chromium)."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cluster import Workers
from tests.cluster_faults import ARTICLES, FAST, SLOW, _holder, _start_run, _wait, module_web
from tests.fakeweb import FakeWeb

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

web = pytest.fixture(scope="module", name="web")(module_web)


def test_a_scheduler_stopped_names_what_its_workers_still_hold(tmp_path: Path, broker: str, web: FakeWeb,
                                                                postgres_url: str) -> None:
    """SIGTERM to `run --broker`: what was answered is counted, the task a worker holds is named as
    left running on it (it finishes and is indexed), what is queued as not started; exit 143."""
    archive = tmp_path / "archive"
    first = ARTICLES[0].url
    slow = web.drip(SLOW, 2000, 400)  # five seconds a load
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(f"{first}\n{slow}\n{ARTICLES[1].url}\n")
    with Workers(web, broker, archive, 1, env=FAST, index=postgres_url) as workers:
        workers.wait_ready()
        from archiver.cluster.config import index_identity, queue_for
        from archiver.index import open_index

        with open_index(archive, url=postgres_url, create=False) as index:
            queue = queue_for(index_identity(index))  # the queue of this index's tasks
        start = len(web.log)
        run = _start_run(web, seeds, archive, broker, postgres_url)
        _wait("the worker on the slow article", lambda: _holder(broker, f"article:{slow}"))
        # (the first article's posts may be queued beside it, once the scheduler has read that article)
        assert _queued(broker, queue) >= 1, "the third article is not waiting in its index's queue"
        run.send_signal(signal.SIGTERM)
        try:
            out, err = run.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            run.kill()
            out, err = run.communicate()
        assert run.returncode == 143, err[-3000:] + workers.output()  # as a run on one machine stopped so
        summary = json.loads(out)
        # The article answered before the stop is counted, whether or not the scheduler had read it.
        assert summary["interrupted"] == "SIGTERM" and summary["articles"] == 1, summary
        assert summary["left_running"] == [f"article:{slow}"], summary
        assert f"article:{ARTICLES[1].url}" in summary["left_pending"], summary
        assert not summary["failures"], summary
        assert (f"interrupted by SIGTERM: 1 of 3 sources done; 1 task(s) left running on the workers, which finish "
                f"them and index what they capture: article {slow}; ") in err, err
        assert "not started (the workers skip them" in err and "run 1 closed as interrupted" in err, err
        # As said: the worker finishes the article it held and indexes it; it skips the one queued.
        def indexed() -> bool:
            with open_index(archive, url=postgres_url, create=False) as index:
                return index.held_article(slow) is not None

        _wait("the slow article indexed", indexed, timeout=120)
        import redis

        client = redis.Redis.from_url(broker)
        try:
            _wait("the queue emptied", lambda: client.llen(queue) == 0)
        finally:
            client.close()
        _wait("the worker idle", lambda: _holder(broker, f"article:{ARTICLES[1].url}") is None)
        queued = ARTICLES[1].url.removeprefix("https://news.example")
        assert queued not in [e["path"] for e in web.log[start:]], "the queued article was read"


def _queued(broker: str, queue: str) -> int:
    import redis

    client = redis.Redis.from_url(broker)
    try:
        return int(client.llen(queue))
    finally:
        client.close()


def _no_wait(web: FakeWeb, tmp_path: Path, broker: str, index: str, archive: Path) -> tuple[str, list[str]]:
    """A run sent without waiting, of the two articles; its ID and the `runs status` command line."""
    from tests.e2e import cli

    seeds = tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / "news.urls").write_text("\n".join(a.url for a in ARTICLES) + "\n")
    sent = cli(web, "run", "--broker", broker, "--index", index, "--no-wait", "--seeds", str(seeds),
               archive=archive, timeout=60)
    assert sent.returncode == 0, sent.stderr
    run_id = sent.stdout.strip()
    return run_id, ["runs", "status", run_id, "--broker", broker, "--index", index, "--format", "json"]


def _runs(index_url: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(index_url) as conn:
        return list(conn.execute("SELECT id, outcome, started_at, finished_at FROM runs ORDER BY id").fetchall())


def test_a_run_not_waited_for_is_closed_once_postgresql_is_back_ended_when_its_last_task_did(
        tmp_path: Path, broker: str, web: FakeWeb, postgres_server: Any, postgres_url: str) -> None:
    """`runs status` finding the run complete while PostgreSQL is down names the index (exit 1) and
    leaves the row to the next `runs status`, which closes it; the run ended when its workers wrote
    their last answer, not when someone asked."""
    import time

    import redis

    from archiver.cluster.config import make_app
    from archiver.times import format_utc, parse_timestamp
    from tests.e2e import cli

    archive = tmp_path / "archive"
    run_id, status = _no_wait(web, tmp_path, broker, postgres_url, archive)
    client = redis.Redis.from_url(broker)
    backend = make_app(broker).backend
    key = next(k.decode() for k in client.scan_iter(f"archiver:run:*:{run_id}"))

    def answered() -> list[str] | None:
        """The times the run's answers were written, once every task of it is answered."""
        ids = json.loads(client.hget(key, "articles")) + [json.loads(e)["id"] for e in client.lrange(f"{key}:posts", 0, -1)]
        metas = [client.get(backend.get_key_for_task(i)) for i in ids]
        if len(ids) < len(ARTICLES) + 1 or any(m is None for m in metas):
            return None
        decoded = [backend.decode_result(m) for m in metas]
        return [d["date_done"] for d in decoded] if all(d["status"] == "SUCCESS" for d in decoded) else None

    try:
        with Workers(web, broker, archive, 1, env=FAST, index=postgres_url):
            ended = _wait("every task answered", answered, timeout=240)
    finally:
        client.close()
    last = max(t for t in (parse_timestamp(x) for x in ended) if t is not None)
    time.sleep(2)  # asked later than it ended
    postgres_server.stop()
    try:
        down = cli(web, *status, archive=archive, timeout=120)
    finally:
        postgres_server.start()
    assert down.returncode == 1 and "cannot use the PostgreSQL index" in down.stderr, down.stderr
    assert [r[1] for r in _runs(postgres_url)] == [None]  # still open: nothing closed it
    back = cli(web, *status, archive=archive, timeout=120)
    assert back.returncode == 0, back.stderr
    summary = json.loads(back.stdout)
    assert summary["articles"] == len(ARTICLES) and not summary["failures"], summary
    ((_, outcome, _started, finished),) = _runs(postgres_url)
    assert outcome == "done" and finished == format_utc(last), (finished, last)
    assert summary["finished_at"] == f"{format_utc(last)[:19]}Z"
    again = cli(web, *status, archive=archive, timeout=120)  # asked again: the same end
    assert json.loads(again.stdout)["finished_at"] == summary["finished_at"]
    assert _runs(postgres_url)[0][3] == finished


def test_a_run_not_waited_for_never_ends_before_it_began(tmp_path: Path, broker: str, web: FakeWeb,
                                                         postgres_url: str) -> None:
    """Its end is when its workers wrote their last answer, by their clocks, which may lag the
    machine that sent it by the slack allowed: never before the run began."""
    import redis

    from tests.e2e import cli

    archive = tmp_path / "archive"
    run_id, status = _no_wait(web, tmp_path, broker, postgres_url, archive)
    with Workers(web, broker, archive, 1, env=FAST, index=postgres_url):
        _wait("the run answered", lambda: json.loads(cli(web, *status, archive=archive, timeout=120).stdout)
              .get("state", "done") != "running", timeout=240)
    client = redis.Redis.from_url(broker)
    try:
        key = next(k.decode() for k in client.scan_iter(f"archiver:run:*:{run_id}"))
        # as if sent by a clock four minutes ahead of the workers'
        client.hset(key, mapping={"started_at": "2999-01-01T00:00:00Z"})
        client.hdel(key, "closed", "finished_at")
    finally:
        client.close()
    r = cli(web, *status, archive=archive, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["finished_at"] >= "2999-01-01T00:00:00Z", r.stdout


def test_a_run_not_waited_for_whose_broker_is_down_closes_its_row(tmp_path: Path, web: FakeWeb,
                                                                  postgres_url: str) -> None:
    from tests.e2e import cli
    from tests.services import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(f"{ARTICLES[0].url}\n")
    sent = cli(web, "run", "--broker", dead, "--index", postgres_url, "--no-wait", "--seeds", str(seeds),
               archive=tmp_path / "archive", timeout=120)
    assert sent.returncode == 1 and f"the broker {dead} does not answer" in sent.stderr, sent.stderr
    assert [r[1] for r in _runs(postgres_url)] == ["failed"]


def test_a_run_not_waited_for_whose_record_the_broker_lost_is_closed_only_when_asked(
        tmp_path: Path, broker: str, web: FakeWeb, postgres_url: str) -> None:
    """A broker that holds no record of a run is no proof the run is dead (another broker, the index
    named another way): `runs status` says so (exit 2, the row left open) and closes the row as
    abandoned only when told (`--abandon`); it closes no other run; a run that ended keeps how it
    ended; a run not sent without waiting is no such run."""
    import psycopg
    import redis

    from tests.e2e import cli

    archive = tmp_path / "archive"
    run_id, status = _no_wait(web, tmp_path, broker, postgres_url, archive)
    other, _ = _no_wait(web, tmp_path, broker, postgres_url, archive)
    client = redis.Redis.from_url(broker)
    try:
        client.flushdb()  # a broker restarted without its data
    finally:
        client.close()
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE runs SET started_at = '2020-01-01T00:00:00.000Z'")
    asked = cli(web, *status, archive=archive, timeout=120)
    assert asked.returncode == 2, asked.stderr
    assert "this broker holds no record of it" in asked.stderr and "--abandon" in asked.stderr, asked.stderr
    assert {r[1] for r in _runs(postgres_url)} == {None}  # nothing closed
    closed = cli(web, *status, "--abandon", archive=archive, timeout=120)
    assert closed.returncode == 1, closed.stderr
    out = json.loads(closed.stdout)
    assert out["state"] == "abandoned"
    assert f"run {run_id} (sent 2020-01-01T00:00:00.000Z): the broker holds no record of it: closed as abandoned at " \
        f"{out['finished_at']}, as asked" in closed.stderr, closed.stderr
    rows = {str(row[0]): row for row in _runs(postgres_url)}
    assert rows[run_id][1] == "abandoned" and rows[other][1] is None  # only the run asked about
    again = cli(web, *status, "--abandon", archive=archive, timeout=120)  # closed once: left as it is
    assert json.loads(again.stdout)["finished_at"] == out["finished_at"], again.stdout
    # A run on one machine is no run sent without waiting, whatever its row says.
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE runs SET command = 'archive', finished_at = started_at, outcome = 'done' WHERE id = %s",
                     (int(other),))
    plain = cli(web, "runs", "status", other, "--broker", broker, "--index", postgres_url, archive=archive, timeout=120)
    assert plain.returncode == 2 and "is not a run sent with --no-wait" in plain.stderr, plain.stderr


def _hinted(stderr: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command a message put between backquotes, as printed."""
    import os
    import re
    import shlex
    import sys

    from tests.e2e import ROOT

    (command,) = re.findall(r"`(archiver [^`]*)`", stderr)
    argv = [sys.executable, "-m", "archiver.cli", *shlex.split(command)[1:]]
    clean = {k: v for k, v in os.environ.items() if k not in ("ARCHIVER_INDEX", "ARCHIVER_BROKER", "ARCHIVER_HOME")}
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, env={**clean, **(env or {})})


@pytest.mark.parametrize("password", ["", "s3cret-pw"])
def test_the_hint_after_a_run_not_waited_for_names_its_index(tmp_path: Path, broker: str, web: FakeWeb,
                                                              postgres_url: str, password: str) -> None:
    """The `runs status` a run sent without waiting points at is the one to run: with its --broker,
    --index and --archive-dir; an index URL with a password is left to ARCHIVER_INDEX, not printed."""
    index = postgres_url.replace("postgres@", f"postgres:{password}@") if password else postgres_url
    archive = tmp_path / "archive"
    from tests.e2e import cli

    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "news.urls").write_text(f"{ARTICLES[0].url}\n")
    sent = cli(web, "run", "--broker", broker, "--index", index, "--no-wait", "--seeds", str(tmp_path / "seeds"),
               archive=archive, timeout=60)
    assert sent.returncode == 0, sent.stderr
    run_id = sent.stdout.strip()
    if password:
        assert password not in sent.stderr and "with ARCHIVER_INDEX set to the --index URL" in sent.stderr, sent.stderr
        assert _hinted(sent.stderr).returncode == 2  # as printed, without the variable: no index to ask
    else:
        assert f"--index {index}" in sent.stderr, sent.stderr
    r = _hinted(sent.stderr, {"ARCHIVER_INDEX": index} if password else None)
    assert r.returncode == 0 and f"run {run_id}: running" in r.stderr, r.stderr


@pytest.mark.parametrize("password", ["", "s3cret-pw"])
def test_the_lookup_show_points_at_asks_the_same_index(tmp_path: Path, postgres_url: str, password: str) -> None:
    import os
    import sys

    from archiver.index import open_index
    from tests.e2e import ROOT

    index = postgres_url.replace("postgres@", f"postgres:{password}@") if password else postgres_url
    archive = tmp_path / "archive"
    archive.mkdir()
    with open_index(archive, url=index):
        pass
    clean = {k: v for k, v in os.environ.items() if k not in ("ARCHIVER_INDEX", "ARCHIVER_HOME")}
    shown = subprocess.run([sys.executable, "-m", "archiver.cli", "show", "twitter:1", "--archive-dir", str(archive),
                            "--index", index], cwd=ROOT, capture_output=True, text=True, timeout=120, env=clean)
    assert shown.returncode == 2 and "not in the archive" in shown.stderr, shown.stderr
    if password:
        assert password not in shown.stderr and "ARCHIVER_INDEX set to the --index URL" in shown.stderr
    r = _hinted(shown.stderr, {"ARCHIVER_INDEX": index} if password else None)
    assert r.returncode == 0 and "0 post(s)" in r.stderr, r.stderr


def test_a_detached_run_s_post_known_by_unanswered_links_carries_what_they_met(tmp_path: Path, broker: str) -> None:
    """A run not waited for sends each article's posts from the worker that read it: a post known by
    its short links alone whose links met no answer went out without that, and was recorded as a
    dead end ("no short link led to a post") instead of not checked."""
    import redis

    from archiver.cluster.detached import follow_up
    from archiver.index import open_index
    from archiver.models import Post
    from archiver.pipeline.postcapture import LinksUnanswered
    from archiver.pipeline.tasks import PostTask

    class Sent:  # the Celery app's one call here: what was sent is what the test reads
        def __init__(self) -> None:
            self.messages: list[dict[str, Any]] = []

        def send_task(self, name: str, *, args: list[Any], task_id: str, queue: str) -> None:
            self.messages.extend(args)

    flat = Post(platform="twitter", kind="embedded", source="a.txt", evidence="text-signature", handle="desk",
                text="Levee holding", media=["https://pic.twitter.com/Hy3LSwqyLP"])
    met = LinksUnanswered("https://pic.twitter.com/Hy3LSwqyLP: could not connect")
    client = redis.Redis.from_url(broker)
    app = Sent()
    try:
        client.hset("archiver:run:t", "token", "t")
        with open_index(tmp_path / "archive") as index:
            follow_up(client, app, "archiver:run:t", [flat], since="", recapture=False, index=index,
                      identity="pg:test/archive/public", unanswered={flat.key: met})
    finally:
        client.close()
    (message,) = app.messages
    assert PostTask.from_dict(message["task"]).unanswered == met


def test_a_scheduler_stopped_while_its_broker_is_away_says_nothing_it_does_not_know(
        tmp_path: Path, broker: str, redis_server: Any) -> None:
    """Stopped with the broker away, the scheduler cannot tell a task a worker holds from one still
    queued, nor revoke either: it called them all "not started (the workers skip them)", which
    they would not (nothing stopped them)."""
    from archiver.cluster.executor import QueueExecutor
    from archiver.pipeline.tasks import ArticleTask
    from archiver.workers import NotStarted

    with QueueExecutor(broker, index="pg:test/archive/public") as executor:
        for n in range(2):
            executor.send(ArticleTask(f"https://news.example/2024/away-{n}.html"))
        redis_server.stop()
        try:
            answers = list(executor._stop())
        finally:
            redis_server.start()
    assert [type(a) for _t, a in answers] == [NotStarted, NotStarted]
    assert executor.left_running == [] and executor.left_pending == []
