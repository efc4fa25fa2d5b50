"""The messages of a run: what a handler is asked to do, and what it answers.

Plain data only, so that they pickle (worker processes) and turn into JSON-ready dicts and back
(`to_dict` / `from_dict`) for a queue between machines.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..limits import DEFAULT_MAX_FEED_ARTICLES
from ..models import Post
from .postcapture import LinksUnanswered, PostOutcome
from .summary import ArticleOutcome


@dataclass(frozen=True)
class ArticleTask:
    """Phase 1: read one source, detect its posts, index its citations, capture the article page.

    `room`: the most articles the source adds to the run when it is a feed (the newest it lists).
    `depth`: 0 for a source given to the run, 1 for one a feed lists, 2 for one listed by a feed a
    feed lists; a feed is followed one level deep, so a feed at depth 2 adds nothing."""

    spec: str
    room: int = DEFAULT_MAX_FEED_ARTICLES
    depth: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"type": "article", "spec": self.spec, "room": self.room, "depth": self.depth}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArticleTask:
        return cls(spec=d["spec"], room=int(d.get("room", DEFAULT_MAX_FEED_ARTICLES)), depth=int(d.get("depth", 0)))


@dataclass(frozen=True)
class PostTask:
    """Phase 2: capture one post not held yet (`post`), or re-check a held one (`recheck_key`).

    `offline`: the run found the network unreachable before this task was made; the capture then
    asks only what it still can (nothing is retried against a dead network). `unanswered`: a post
    known by its short links alone, whose links met no answer when its article was read.
    """

    post: Post | None = None
    recheck_key: str | None = None
    offline: bool = False
    unanswered: LinksUnanswered | None = None

    @property
    def key(self) -> str:
        return self.post.key if self.post is not None else str(self.recheck_key)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "post", "post": asdict(self.post) if self.post is not None else None,
                "recheck_key": self.recheck_key, "offline": self.offline,
                "unanswered": asdict(self.unanswered) if self.unanswered is not None else None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PostTask:
        post, unanswered = d.get("post"), d.get("unanswered")
        return cls(post=Post(**post) if post is not None else None, recheck_key=d.get("recheck_key"),
                   offline=bool(d.get("offline")),
                   unanswered=LinksUnanswered(**unanswered) if unanswered is not None else None)


@dataclass(frozen=True)
class ArticleResult:
    """What one source gave: its outcome (None when it was not read), the posts it cites that have
    something to capture, in citation order, and what failed."""

    outcome: ArticleOutcome | None = None
    posts: tuple[Post, ...] = ()
    failures: tuple[str, ...] = ()
    read: bool = False  # the source was read (it counts in `sources_read`)
    network_unreachable: bool = False
    sources: tuple[str, ...] = ()  # the articles a feed lists, to be archived in the same run
    notes: tuple[str, ...] = ()  # what a feed lists that is not followed (no failure), for stderr
    # Of `posts`, those known by short links alone that met no answer (by key): see PostTask.
    unanswered: dict[str, LinksUnanswered] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "article_result", "outcome": asdict(self.outcome) if self.outcome else None,
                "posts": [asdict(p) for p in self.posts], "failures": list(self.failures),
                "read": self.read, "network_unreachable": self.network_unreachable, "sources": list(self.sources),
                "notes": list(self.notes), "unanswered": {k: asdict(v) for k, v in self.unanswered.items()}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArticleResult:
        outcome = d.get("outcome")
        return cls(outcome=ArticleOutcome(**outcome) if outcome else None,
                   posts=tuple(Post(**p) for p in d.get("posts", [])),
                   failures=tuple(d.get("failures", [])), read=bool(d.get("read")),
                   network_unreachable=bool(d.get("network_unreachable")), sources=tuple(d.get("sources", [])),
                   notes=tuple(d.get("notes", [])),
                   unanswered={k: LinksUnanswered(**v) for k, v in (d.get("unanswered") or {}).items()})


@dataclass(frozen=True)
class ArticlePosts:
    """An article's posts, announced before its result: the source has been read and its citations
    indexed, and its page is still being captured. Posts found so can start at once, beside the
    capture of the article that cites them (an executor with several pages in flight sends it)."""

    posts: tuple[Post, ...] = ()
    network_unreachable: bool = False
    unanswered: dict[str, LinksUnanswered] = field(default_factory=dict)  # as in ArticleResult


@dataclass(frozen=True)
class PostResult:
    """What one post task gave: the post's outcome (None when a re-checked post is no longer held)."""

    outcome: PostOutcome | None = None
    failures: tuple[str, ...] = field(default=())
    network_unreachable: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"type": "post_result", "outcome": asdict(self.outcome) if self.outcome else None,
                "failures": list(self.failures), "network_unreachable": self.network_unreachable}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PostResult:
        outcome = d.get("outcome")
        return cls(outcome=PostOutcome(**outcome) if outcome else None, failures=tuple(d.get("failures", [])),
                   network_unreachable=bool(d.get("network_unreachable")))


Task = ArticleTask | PostTask
Result = ArticleResult | PostResult
