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


def test_pending_posts_are_sent_once_as_their_article_s_posts(tmp_path: Path, broker: str, postgres_url: str) -> None:
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
        status = ["runs", "status", sent.stdout.strip(), "--broker", broker, "--index", postgres_url,
                  "--format", "json"]
        with Workers(web, broker, archive, 1, env=FAST, index=postgres_url) as workers:
            def finished() -> dict[str, Any] | None:
                r = cli(web, *status, archive=archive)
                assert r.returncode in (0, 1), r.stderr + workers.output()
                found = json.loads(r.stdout)
                return None if found.get("state") == "running" else dict(found)

            summary = wait_for("the run's summary", finished, timeout=300)
        requests = _tool_requests(web, start)
    keys = [p["key"] for p in summary["results"]]
    cited = [f"twitter:{t}" for t in article.tweet_ids]
    # Each post once: the article's as its posts (its tweets and a video), the other as a re-check, last.
    assert len(keys) == len(set(keys)) and keys[:len(cited)] == cited and keys[-1] == f"twitter:{alone}", keys
    assert summary["posts"] == len(keys), summary
    assert summary["posts_rechecked"] == 1, summary  # the one no article of the run cites
    assert not [p for p in summary["results"] if "edited since" in str(p.get("reason"))], summary["results"]
    # Each tweet asked of the platform once.
    assert len(requests) == len(cited) + 1 and all(n == 1 for n in requests.values()), requests
