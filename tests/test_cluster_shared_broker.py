"""One broker serving two archives, each with its own PostgreSQL index: a worker takes only the tasks
of its own index. A run whose index has no worker waits (and can be stopped) as a run with no worker
at all does; its task never reaches the other archive's worker, which filed the capture in its own
archive and index while the run reported it captured. A task that still reached a worker of
another index is refused, nothing captured."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from archiver.cluster.worker import WorkerProcess, WorkerSettings
from archiver.net import NetOptions
from archiver.pipeline.tasks import ArticleResult, ArticleTask
from tests.cluster import Workers, run_argv, wait_for
from tests.e2e import ROOT
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.cluster


def _articles(url: str, archive: Path) -> int:
    from archiver.index import open_index

    with open_index(archive, url=url, create=False) as index:
        return int(index.db.execute("SELECT count(*) FROM articles").fetchone()[0])  # type: ignore[attr-defined]


def _queued(broker: str) -> int:
    """Messages waiting in any list of the broker (kombu's queues are lists)."""
    import redis

    client = redis.Redis.from_url(broker)
    try:
        return sum(int(client.llen(k)) for k in client.scan_iter() if client.type(k) == b"list")
    finally:
        client.close()


@pytest.mark.browser
def test_a_worker_takes_only_its_own_index_s_tasks(tmp_path: Path, broker: str, postgres_url: str,
                                                    postgres_server: Any) -> None:
    mine, theirs = postgres_url, postgres_server.database()
    a5, a6 = tmp_path / "A5", tmp_path / "A6"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(f"{site.ARTICLE_FLOOD.url}\n")
    with FakeWeb(tmp_path / "web") as web:
        with Workers(web, broker, a6, 1, index=theirs) as other:
            other.wait_ready()
            run = subprocess.Popen(run_argv(web, broker, mine, seeds, a5), cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
            try:
                wait_for("the run's task sent", lambda: run.poll() is not None or _queued(broker) > 0
                         or "article" in other.output(), timeout=120)
                # The other archive's worker is idle and takes what its queue holds at once: the task
                # must stay queued, untaken, and the run go on waiting.
                deadline = time.monotonic() + 8
                while time.monotonic() < deadline:
                    assert run.poll() is None, run.communicate()[1][-2000:]
                    assert _queued(broker) == 1 and "article:" not in other.output(), other.output()
                    time.sleep(0.2)
                run.send_signal(signal.SIGTERM)
                out, err = run.communicate(timeout=120)
            finally:
                if run.poll() is None:
                    run.kill()
                    run.communicate()
            assert run.returncode == 143, err[-3000:]
            summary = json.loads(out)
            assert summary["left_pending"] == [f"article:{site.ARTICLE_FLOOD.url}"], summary
            assert summary["articles"] == 0 and not summary["results"], summary
        assert _articles(theirs, a6) == 0
        assert not list((a6 / "warcs").glob("*.warc.gz")) if (a6 / "warcs").exists() else True
        # Its own worker takes the next run's tasks, and files them in its own archive and index.
        with Workers(web, broker, a5, 1, index=mine) as workers:
            workers.wait_ready()
            again = subprocess.run(run_argv(web, broker, mine, seeds, a5), cwd=ROOT, capture_output=True,
                                   text=True, timeout=600)
            assert again.returncode in (0, 1), again.stderr[-3000:] + workers.output()
            assert json.loads(again.stdout)["articles"] == 1
        assert _articles(mine, a5) == 1 and _articles(theirs, a6) == 0


class _Counting:
    def __init__(self) -> None:
        self.handled: list[str] = []

    def handle(self, task: Any) -> ArticleResult:
        self.handled.append(task.spec)
        return ArticleResult(read=True)


def test_a_task_sent_for_another_index_is_refused(broker: str) -> None:
    import redis

    from archiver.cluster.claims import Claims
    from archiver.cluster.worker import OtherIndex

    client = redis.Redis.from_url(broker)
    counting = _Counting()

    class Process(WorkerProcess):
        def handlers(self, recapture: bool) -> Any:
            return counting

    proc = Process(WorkerSettings(broker=broker, archive_dir=Path("."), net=NetOptions.from_options(None, None, None),
                                  identity="pg:system 1/archive6/public"))
    proc.claims = Claims(client)
    task = ArticleTask("https://news.example/a.html").to_dict()
    try:
        for sent_for in ("pg:system 1/archive5/public", None):
            message: dict[str, Any] = {"task": task, "since": "2024-01-01T00:00:00.000Z"}
            if sent_for is not None:
                message["index"] = sent_for
            with pytest.raises(OtherIndex, match="refused by a worker of another index"):
                proc.handle(f"other-{sent_for}", message)
        assert counting.handled == []
        answer = proc.handle("mine", {"task": task, "since": "", "index": "pg:system 1/archive6/public"})
        assert answer["type"] == "article_result" and counting.handled == ["https://news.example/a.html"]
    finally:
        client.close()


def test_the_identity_of_an_index_does_not_depend_on_how_its_url_is_spelt(postgres_url: str) -> None:
    from archiver.cluster.config import index_identity, queue_for
    from archiver.index import open_index

    def of(url: str) -> str:
        with open_index(Path("."), url=url) as index:
            return index_identity(index)

    same = of(postgres_url)
    assert of(postgres_url.replace("postgresql://", "postgres://").replace("@127.0.0.1", "@LOCALHOST")) == same
    other = postgres_url.rsplit("/", 1)[0] + "/postgres"
    assert of(other) != same and queue_for(of(other)) != queue_for(same)


def test_a_worker_whose_role_cannot_read_the_server_s_identifier_says_its_queue_is_named_by_the_url(
        tmp_path: Path, broker: str, postgres_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """A role that may not call pg_control_system() names the server by the URL's host and port:
    two spellings of one index are then two queues. A worker so placed says it in one line when it
    starts (it said nothing, and its scheduler's tasks could wait in another queue unseen); one
    whose role reads the identifier says nothing."""
    import logging
    import os

    import psycopg

    from archiver.cluster.config import index_identity
    from archiver.cluster.worker import prepare
    from archiver.index import open_index

    role = f"restricted_{os.getpid()}_{next(_roles)}"
    database = postgres_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        admin.execute(f'ALTER DATABASE "{database}" OWNER TO "{role}"')
        admin.execute("REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC")  # (this database only)
    restricted = postgres_url.replace("postgresql://postgres@", f"postgresql://{role}@")
    with open_index(tmp_path, url=restricted) as index:
        identity = index_identity(index)
    port = restricted.split("@127.0.0.1:", 1)[1].split("/", 1)[0]
    assert identity == f"pg:127.0.0.1:{port}/{database}/public", identity
    with open_index(tmp_path, url=restricted.replace("@127.0.0.1", "@localhost")) as index:
        assert index_identity(index) != identity  # the split the docs warn of

    def started(url: str, folder: Path) -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="archiver.cluster.worker"):
            prepare(WorkerSettings(broker=broker, archive_dir=folder, net=NetOptions.from_options(None, None, None),
                                   index_url=url))
        return [r.getMessage() for r in caplog.records if "pg_control_system()" in r.getMessage()]

    (said,) = started(restricted, tmp_path / "restricted")
    assert f"named after the host and port 127.0.0.1:{port} as the --index URL spells them" in said, said
    assert "GRANT EXECUTE ON FUNCTION pg_control_system()" in said, said
    assert started(postgres_url, tmp_path / "admin") == []


_roles = itertools.count()
