"""Phase 2 of a run: one post captured (not held yet) or re-checked (held, due), through `PostCapturer`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from ..errors import BrowserUnavailable, DiskFull
from ..index.fields import richer_url
from ..models import Post
from ..progress import step
from ..space import disk_full, is_full, translate_os
from .postcapture import LinksUnanswered, PostOutcome
from .tasks import PostResult, PostTask

if TYPE_CHECKING:
    from ..index.rows import StoredPost
    from .session import Session

log = logging.getLogger(__name__)


@dataclass
class HeldPost(Post):
    """A post an article cites that the index holds already, as its capture asks about it: the
    article's citation (source, evidence, kind, the address as the article writes it unless the
    held one is richer) with the answer last stored for it (`data`, as a `StoredPost` has it: a
    Bluesky author's DID, which outlives a change of handle) and the status held (`status`)."""

    data: dict[str, Any] | None = None
    status: str | None = None  # the status held: what a platform's words about it may depend on


def with_held(post: Post, row: StoredPost | None) -> Post:
    """`post`, cited by an article, with what the index holds of it that reaching it needs: the
    answer stored for it (`data`), and the held address when it spells the post with more than the
    article's does (`Platform.richer_url`: an unlisted Vimeo video's privacy hash), or when the
    article's has none. The post itself when nothing is held of it beyond what the article gave."""
    if row is None or post.post_id is None:
        return post
    url = post.url
    if row.url and (not url or richer_url(post.platform, url, row.url)):
        url = row.url
    if url == post.url and not row.data and row.status is None:
        return post
    held = HeldPost(**{f.name: getattr(post, f.name) for f in fields(Post)}, data=row.data, status=row.status)
    held.url = url
    return held


class PostHandler:
    """Handles `PostTask`s with one session.

    Once a capture found the network unreachable, the session's later tasks are captured offline
    too, whatever their own flag says: the run learnt it after those tasks were made. The flag is
    the session's, so every page in flight learns it at once.
    """

    def __init__(self, session: Session, *, progress: Callable[[str], None] | None = None) -> None:
        self.s = session
        self.progress = progress or (lambda _msg: None)

    @property
    def offline(self) -> bool:
        return self.s.network_unreachable

    @offline.setter
    def offline(self, value: bool) -> None:
        self.s.network_unreachable = value

    def handle(self, task: PostTask) -> PostResult:
        """Capture the task's post; the parent already chose it, so held or not is not asked again."""
        self.offline = self.offline or task.offline
        if task.post is not None:
            # Captured as the article cites it (new to the archive, or again: `--recapture`, or held
            # but never captured), asked about with what the index holds of it, as a re-check would.
            post = task.post
            if post.post_id is not None:
                post = with_held(post, self.s.index.get_post(post.key))
            return self._capture(post, recheck=False, unanswered=task.unanswered)
        row = self.s.index.get_post(task.key)
        if row is None:
            return PostResult()
        if row.post_id is not None:
            # The post as the index holds it: its platform's check may read what the last answer
            # said of it (`data`: a Bluesky author's DID, which outlives a change of handle).
            return self._capture(row, recheck=True)
        post = Post(platform=row.platform, kind="linked", source="recheck", evidence="recheck",
                    post_id=row.post_id, url=row.url, handle=row.handle, key=task.key)
        # Known by its short links alone: the re-check follows them (`PostCapturer`), as a run
        # reading the article would; a bare link (no text, no author) is no more than that link.
        post.links, post.media, post.text, post.posted_at = list(row.links), list(row.media), row.text, row.posted_at
        post.kind = "shortlink" if not (row.text or row.handle) else "linked"
        return self._capture(post, recheck=True)

    def _capture(self, post: Post | StoredPost, *, recheck: bool, unanswered: LinksUnanswered | None = None) -> PostResult:
        with step(self.progress, f"post {post.key}"):
            return self._captured(post, recheck, unanswered)

    def _captured(self, post: Post | StoredPost, recheck: bool, unanswered: LinksUnanswered | None) -> PostResult:
        s = self.s
        try:
            result = s.posts.capture(post, offline=self.offline, recheck=recheck, unanswered=unanswered)
        except (DiskFull, BrowserUnavailable):
            raise  # every later write would fail too: stop the run, naming the file
        except Exception as e:
            if is_full(e):
                raise disk_full(getattr(e, "filename", None) or s.archive_dir) from e
            named = translate_os(e) if isinstance(e, OSError) else None  # a file where a folder must be...
            error = str(named) if named is not None else f"{type(e).__name__}: {e}"
            result = PostOutcome(post.key, post.platform, post.url, "unknown", error=error)
            log.info("%s: capture failed: %s", post.key, result.error)  # named among the run's failures
        if result.network_failed:
            self.offline = True
        return PostResult(result, tuple(result.failures()), network_unreachable=self.offline)
