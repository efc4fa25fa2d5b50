"""Several pages in flight in one process: each capture's records stay its own, posts start as soon
as their article is read, the shared index keeps each capture's transaction whole, and a run with
nothing new to capture starts no browser.

The recording tests use real Chromium against the local fake web; the scheduling tests use
stand-in handlers (no browser) and the real index in memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.browser import Browser, PageCapture
from archiver.index import memory_index
from archiver.index.rows import Capture
from archiver.interrupt import STOP
from archiver.models import Post
from archiver.net import NetOptions
from archiver.pipeline import (
    ArchiveSummary,
    ArticleResult,
    ArticleTask,
    Handlers,
    InlineExecutor,
    Plan,
    PostResult,
    PostTask,
    run_phases,
)
from archiver.pipeline.postcapture import PostOutcome
from archiver.pipeline.sharedindex import SharedIndex
from archiver.pipeline.summary import ArticleOutcome
from archiver.pipeline.tasks import Result, Task
from archiver.warcstore import Batch, WarcStore
from archiver.warcstore.reader import iter_records
from tests.e2e import ROOT
from tests.fakeweb import FakeWeb, site
from tests.proctree import snapshot

# -- two pages at once, one browser -----------------------------------------------------------------


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWeb]:
    with FakeWeb(tmp_path_factory.mktemp("fakeweb")) as w:
        yield w


def _uris(records: list[Any], *kinds: str) -> set[str]:
    return {r.target_uri for r in records if r.warc_type in kinds}


@pytest.mark.browser
def test_two_pages_in_flight_that_load_the_same_urls_keep_their_own_records(web: FakeWeb, tmp_path: Path) -> None:
    # Both articles embed the photo tweet and the deleted one (same widget script, same embed
    # pages); only the flood article embeds the video tweet and the YouTube video.
    net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
    a_url, b_url = site.ARTICLE_FLOOD.url, site.ARTICLE_REVIEW.url
    pages: dict[str, PageCapture] = {}
    batches: dict[str, Batch] = {}
    errors: list[BaseException] = []
    with WarcStore(tmp_path / "warc", prefix="t") as store, \
            Browser(net, workdir=tmp_path / "b", timeout=30, lazy=True) as browser:
        start = threading.Barrier(2)

        def capture(url: str) -> None:
            try:
                batch = batches[url] = Batch(store)
                start.wait()
                pages[url] = browser.capture(url, batch, screenshot_path=tmp_path / f"{len(url)}-{url[-12:]}.png",
                                             element_selectors=("iframe",), element_dir=tmp_path)
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=capture, args=(u,)) for u in (a_url, b_url)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    assert not errors, errors
    assert pages[a_url].status == 200 and pages[b_url].status == 200
    a, b = batches[a_url].records, batches[b_url].records
    assert a and b and not {r.record_id for r in a} & {r.record_id for r in b}  # no record in both
    a_got, b_got = _uris(a, "response", "revisit"), _uris(b, "response", "revisit")
    # Each batch holds its own page, and not the other's.
    assert a_url in a_got and b_url not in a_got
    assert b_url in b_got and a_url not in b_got
    # What both pages loaded at the same time is in both batches, each its own record of it.
    photo = {u for u in a_got & b_got if site.TWEET_PHOTO.id in u}
    assert photo, sorted(a_got & b_got)
    # What only one page loaded is in that page's batch alone.
    only_a = {u for u in a_got if site.TWEET_VIDEO.id in u or site.YOUTUBE.id in u}
    assert only_a and not only_a & b_got
    # Every request of a batch is paired with a response or revisit of the same batch, and the
    # capture-info record names the batch's own page.
    for records, url in ((a, a_url), (b, b_url)):
        mine = {r.record_id for r in records}
        stored = {s.record_id: s for f in sorted((tmp_path / "warc").glob("*.warc.gz")) for s in iter_records(f)}
        for r in records:
            assert stored[r.record_id].target_uri == r.target_uri
            if r.warc_type == "request":
                assert stored[r.record_id].headers.get("WARC-Concurrent-To") in mine, r.target_uri
        infos = [r for r in records if r.warc_type == "metadata"]
        assert infos and all(i.target_uri == f"urn:capture-info:{url}" for i in infos)


@pytest.mark.browser
@pytest.mark.parametrize("pages", [1, 2])
def test_a_gone_tweets_x_page_renders_beside_its_embed_within_the_page_budget(
        pages: int, web: FakeWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the tweet's data, x.com's page is needed whatever the embed shows: with pages to spare
    # it renders while the embed does; one page at a time, after it. Either way both are pages of
    # the one live capture, and the status is the same.
    from archiver.pipeline.session import Session

    net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
    gone = site.TWEET_DELETED
    embed = f"https://platform.twitter.com/embed/Tweet.html?id={gone.id}"
    x_page = f"https://twitter.com/{gone.user.screen_name}/status/{gone.id}"
    spans: dict[str, tuple[float, float]] = {}
    capture = Browser.capture

    def timed(self: Browser, url: str, *args: Any, **kwargs: Any) -> PageCapture:
        page = capture(self, url, *args, **kwargs)
        end = time.monotonic()
        spans[url] = (end - page.timings["total"], end)  # from the render's start, not the wait for a page
        return page

    monkeypatch.setattr(Browser, "capture", timed)
    post = Post(platform="twitter", kind="embedded", source="a", evidence="blockquote", post_id=gone.id,
                url=x_page, handle=gone.user.screen_name)
    with Session(tmp_path / "archive", net, pages_in_flight=pages) as session:
        key = session.index.upsert_post(post)
        outcome = session.posts.capture(post)
        captures = session.index.post_captures(key)
        records = session.index.records_for([key], include_articles=False)
    assert outcome.status == "deleted" and outcome.source == "wayback", outcome
    assert set(spans) == {embed, x_page, next(u for u in spans if u.startswith("https://web.archive.org/"))}
    (live,) = [c for c in captures if c.source == "live"]
    assert live.url == embed
    pages_of_live = {r.target_uri for r in records if r.capture_id == live.id and r.warc_type == "metadata"}
    assert {f"urn:capture-info:{embed}", f"urn:capture-info:{x_page}"} <= pages_of_live
    (embed_began, embed_ended), (x_began, x_ended) = spans[embed], spans[x_page]
    if pages == 1:
        assert x_began >= embed_ended
    else:
        assert x_began < embed_ended and embed_began < x_ended
    # Never more renders at once than the budget (the Wayback copy comes after both).
    for url, (began, _ended) in spans.items():
        assert sum(b <= began < e for b, e in spans.values()) <= pages, (url, spans)


@pytest.mark.browser
def test_the_browsers_page_budget_holds_whichever_threads_ask(web: FakeWeb, tmp_path: Path) -> None:
    # Two threads, a budget of one page: the second render begins when the first has ended.
    net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
    urls = [f"https://platform.twitter.com/embed/Tweet.html?id={t.id}" for t in (site.TWEET_PHOTO, site.TWEET_VIDEO)]
    spans: list[tuple[float, float]] = []
    with WarcStore(tmp_path / "warc", prefix="t") as store, \
            Browser(net, workdir=tmp_path / "b", timeout=30, pages_in_flight=1) as browser:
        start = threading.Barrier(2)

        def capture(url: str) -> None:
            start.wait()
            page = browser.capture(url, Batch(store), screenshot_path=None)
            end = time.monotonic()
            spans.append((end - page.timings["total"], end))

        threads = [threading.Thread(target=capture, args=(u,)) for u in urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert len(spans) == 2
    (_, first_ended), (second_began, _) = sorted(spans)
    assert second_began >= first_ended


# -- posts as soon as their article is read -----------------------------------------------------------


def tweet(n: int) -> Post:
    return Post(platform="twitter", kind="embedded", source="a", evidence="blockquote", post_id=str(n),
                url=f"https://twitter.com/x/status/{n}")


class Slow:
    """Stand-in handlers: article "late" waits until the post of article "early" has started; the
    articles end in the reverse order of the specs."""

    def __init__(self) -> None:
        self.post_started = threading.Event()
        self.order: list[str] = []
        self.lock = threading.Lock()

    def handle(self, task: Task) -> Result:
        with self.lock:
            self.order.append(task.spec if isinstance(task, ArticleTask) else task.key)
        if isinstance(task, ArticleTask):
            cites = {"early": [tweet(1)], "late": [tweet(2), tweet(1)], "last": [tweet(3)]}[task.spec]
            if task.spec == "late":
                # Without posts in flight this would wait for ever (bounded here): the post of
                # "early" starts while this article is still being read.
                self.post_started.wait(60)
            return ArticleResult(ArticleOutcome(task.spec, task.spec, [p.key for p in cites]), tuple(cites),
                                 read=True)
        assert isinstance(task, PostTask)
        if task.key == "twitter:1":
            self.post_started.set()
        return PostResult(PostOutcome(task.key, "twitter", None, "live"))


@pytest.fixture(autouse=True)
def no_stop() -> Iterator[None]:
    STOP.reset()
    yield
    STOP.reset()


def test_posts_start_as_soon_as_their_article_is_read_and_the_summary_keeps_the_specs_order() -> None:
    slow = Slow()
    summary = ArchiveSummary()
    with memory_index() as index, InlineExecutor(lambda: slow, pages_in_flight=2) as ex:  # type: ignore[arg-type,return-value]
        run_phases(ex, index, ["early", "late", "last"], summary, Plan())
    assert slow.post_started.is_set()
    assert slow.order.index("twitter:1") < slow.order.index("last")  # before every article was read
    assert [a.source for a in summary.articles] == ["early", "late", "last"]
    assert [p.key for p in summary.posts] == ["twitter:1", "twitter:2", "twitter:3"]  # each once
    assert summary.sources_read == 3 and summary.exit_code == 0


class Announcing(Handlers):
    """Stand-in handlers that announce an article's posts, then wait (bounded) until one of
    those posts has started before ending the article, as a page capture still running would."""

    def __init__(self) -> None:  # no session: nothing is captured
        self.post_started = threading.Event()
        self.overlapped = False

    def handle(self, task: Task, found: Any = None) -> Result:
        if isinstance(task, ArticleTask):
            posts = (tweet(1), tweet(2))
            if found is not None:
                found(posts, False)
            self.overlapped = self.post_started.wait(60)
            return ArticleResult(ArticleOutcome(task.spec, task.spec, [p.key for p in posts]), posts, read=True)
        self.post_started.set()
        return PostResult(PostOutcome(task.key, "twitter", None, "live"))


def test_an_articles_posts_start_while_its_own_page_is_still_being_captured() -> None:
    handlers = Announcing()
    summary = ArchiveSummary()
    with memory_index() as index, InlineExecutor(lambda: handlers, pages_in_flight=2) as ex:
        run_phases(ex, index, ["a"], summary, Plan())
    assert handlers.overlapped
    # Announced early and answered at the end, each post is still captured once.
    assert [p.key for p in summary.posts] == ["twitter:1", "twitter:2"]
    assert [a.source for a in summary.articles] == ["a"] and summary.exit_code == 0


@pytest.mark.browser
def test_a_post_capture_starts_before_its_article_page_is_captured(web: FakeWeb, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # The real pipeline and Chromium: the article's page capture is held back (bounded) until a
    # capture of one of its posts has begun, which happens only if the posts start meanwhile.
    from archiver.pipeline.session import Session

    net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
    article = site.ARTICLE_FLOOD.url
    post_capture_began = threading.Event()
    waited: list[bool] = []
    capture = Browser.capture

    def observed(self: Browser, url: str, *args: Any, **kwargs: Any) -> PageCapture:
        if url == article:
            waited.append(post_capture_began.wait(60))
        else:
            post_capture_began.set()
        return capture(self, url, *args, **kwargs)

    monkeypatch.setattr(Browser, "capture", observed)
    summary = ArchiveSummary()
    with Session(tmp_path / "archive", net, pages_in_flight=2) as session, \
            InlineExecutor(lambda: Handlers(session), pages_in_flight=2) as ex:
        run_phases(ex, session.index, [article], summary, Plan())
        held = session.index.article_captured(article)
    assert waited == [True]
    assert held and not summary.articles[0].error
    statuses = {p.key: p.status for p in summary.posts}
    assert statuses[f"twitter:{site.TWEET_PHOTO.id}"] == "live"
    assert len(statuses) == 4 and summary.exit_code == 0, summary.failures


def test_one_page_in_flight_takes_a_post_before_the_next_article() -> None:
    seen: list[str] = []

    class Record:
        def handle(self, task: Task) -> Result:
            if isinstance(task, ArticleTask):
                seen.append(task.spec)
                posts = (tweet(int(task.spec[1:])),)
                return ArticleResult(ArticleOutcome(task.spec, task.spec), posts, read=True)
            seen.append(task.key)
            return PostResult(PostOutcome(task.key, "twitter", None, "live"))

    with memory_index() as index, InlineExecutor(Record) as ex:  # type: ignore[arg-type]
        run_phases(ex, index, ["a1", "a2"], ArchiveSummary(), Plan())
    assert seen == ["a1", "twitter:1", "a2", "twitter:2"]


def test_the_shared_index_keeps_each_capture_transaction_whole() -> None:
    with SharedIndex(memory_index) as index:
        keys = [index.upsert_post(tweet(n)) for n in range(8)]
        go = threading.Barrier(len(keys))
        failures: list[BaseException] = []

        def capture(n: int, key: str) -> None:
            go.wait()
            try:
                with index.transaction():
                    index.add_capture(Capture(source="live", url=f"u{n}", status="ok", post_key=key))
                    time.sleep(0.01)  # let the other threads try to write in between
                    index.observe(key, "live")
                    if n % 2:
                        raise RuntimeError("this capture fails before its commit")
            except RuntimeError:
                pass
            except BaseException as e:
                failures.append(e)

        threads = [threading.Thread(target=capture, args=(n, k)) for n, k in enumerate(keys)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not failures
        held = [k for k in keys if index.has_capture(k)]
        checked = [k for k in keys if index.post_status(k) == "live"]
    assert held == checked == keys[0::2]  # the failed ones left nothing, the others everything


# -- nothing started that is not needed ------------------------------------------------------------


def _archive_watching(web: FakeWeb, archive: Path, urls: list[str]) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`archiver -v archive URLS`, sampling its process tree until it exits: the commands seen in it."""
    cmd = [sys.executable, "-m", "archiver.cli", "-v", "archive", *urls, "--map-host", web.map_host,
           "--ca-bundle", str(web.ca_pem), "--archive-dir", str(archive), "--format", "json"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: set[str] = set()
    out = err = ""
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        seen |= {name.split(" ")[0] for _start, name in snapshot(proc.pid).values()}
        time.sleep(0.02)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), seen


@pytest.mark.browser
def test_a_rerun_with_everything_held_starts_no_browser(web: FakeWeb, tmp_path: Path) -> None:
    urls = [site.ARTICLE_PROTECTED.url, site.ARTICLE_WITHHELD.url]
    first, seen = _archive_watching(web, tmp_path / "archive", urls)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["posts"] == 2
    assert any("chrom" in Path(c).name for c in seen), seen  # the check sees a browser when there is one
    assert "Chromium" in first.stderr

    again, seen = _archive_watching(web, tmp_path / "archive", urls)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["posts"] == 0 and summary["posts_skipped_already_captured"] == 2
    assert not any("chrom" in Path(c).name for c in seen), seen
    assert "Chromium" not in again.stderr


def test_a_browser_started_late_is_named_in_the_warcinfo_of_the_records_after_it(tmp_path: Path) -> None:
    with WarcStore(tmp_path, prefix="t") as store:
        store.write_resource("https://news.example/fetched-before", "text/html", b"<p>before</p>")
        store.describe({"browser-version": "1.2.3", "http-header-user-agent": "Chrome/1"})
        store.write_resource("https://news.example/rendered-after", "text/html", b"<p>after</p>")
        store.describe({"browser-version": "1.2.3", "http-header-user-agent": "Chrome/1"})  # nothing new
        store.write_resource("https://news.example/rendered-later", "text/html", b"<p>later</p>")
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) == 2
    first, second = ([(r.warc_type, r.target_uri, r.payload) for r in iter_records(f)] for f in files)
    assert [u for _t, u, _p in first[1:]] == ["https://news.example/fetched-before"]
    assert b"browser-version" not in first[0][2]
    assert [u for _t, u, _p in second[1:]] == ["https://news.example/rendered-after", "https://news.example/rendered-later"]
    assert second[0][0] == "warcinfo" and b"browser-version: 1.2.3" in second[0][2]


def test_the_help_names_the_default_pages_in_flight() -> None:
    from archiver.cli_options import PagesInFlightOpt
    from archiver.pipeline.run import PAGES_IN_FLIGHT

    option = PagesInFlightOpt.__metadata__[0]
    assert f"Default: {PAGES_IN_FLIGHT} in one process" in option.help


def test_pages_in_flight_with_worker_processes_is_a_usage_error(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(site.ARTICLE_FLOOD.url + "\n")
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "run", "--seeds", str(seeds), "--concurrency", "2",
                        "--pages-in-flight", "2", "--archive-dir", str(tmp_path / "archive")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "--pages-in-flight 2 needs --concurrency 1" in r.stderr
    assert not (tmp_path / "archive").exists()  # refused before anything was written


def test_a_lazy_chromium_that_fails_to_start_in_any_way_is_unavailable_once_and_for_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Not a BrowserError: the driver itself failing, say. Every capture is told, with one line,
    # and no capture tries to start it again.
    from archiver.capture import chromium_render
    from archiver.errors import BrowserUnavailable

    tries: list[int] = []

    async def broken(*args: Any, **kwargs: Any) -> Any:
        tries.append(1)
        raise RuntimeError("driver pipe closed\nTraceback (most recent call last): ...")

    monkeypatch.setattr(chromium_render.ChromiumRenderer, "launch", broken)
    net = NetOptions.from_options([], None, None, env={})
    with WarcStore(tmp_path / "warc", prefix="t") as store, \
            Browser(net, workdir=tmp_path / "b", timeout=30, lazy=True) as browser:
        for _ in range(2):
            with pytest.raises(BrowserUnavailable, match=r"^Chromium could not be started: driver pipe closed$"):
                browser.capture("https://news.example/a.html", Batch(store), screenshot_path=None)
    assert tries == [1]


def test_pages_in_flight_learn_at_once_that_the_network_is_unreachable(tmp_path: Path) -> None:
    # Each page in flight has handlers of its own over the one session: what one capture learnt
    # about the network, the others' next captures act on (they go offline, no timeouts).
    from archiver.pipeline.posts import PostHandler
    from archiver.pipeline.session import Session

    net = NetOptions.from_options([], None, None, env={})
    with Session(tmp_path / "archive", net, pages_in_flight=2) as session:
        first, second = PostHandler(session), PostHandler(session)
        assert not first.offline and not second.offline
        first.offline = True
        assert second.offline and PostHandler(session).offline
