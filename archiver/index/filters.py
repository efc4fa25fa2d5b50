"""What `lookup`, `export` and `report` select: `Filters`, validated as the user typed them.

Time filters work on `posted_at` in UTC with inclusive bounds. A post known only to the day
(`posted_at` = `YYYY-MM-DD`) stands for that whole UTC day and matches any bound that overlaps it:
`--date 2024-03-04` finds it, and so does `--since 2024-03-04T12:00Z`, because it may have been
posted that afternoon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archiver.errors import UsageError
from archiver.index import fields, textquery, urls
from archiver.models import PENDING, POST_STATUSES
from archiver.times import NoSuchMoment, parse_bound

# Output fields of lookup, in order.
LOOKUP_FIELDS: tuple[str, ...] = (
    "key", "platform", "post_id", "url", "handle", "author", "posted_at", "text", "links", "media", "status",
    "reason", "articles", "captures", "history", "former_handles",
)
_BOUND_HELP = "expected YYYY-MM-DD or a UTC datetime YYYY-MM-DDTHH:MM[:SS[.fff]][Z]"



def _bound(option: str, value: str, *, end: bool) -> str:
    try:
        return parse_bound(value, end=end)
    except NoSuchMoment as e:  # the right form, but no such day or time: say which
        raise UsageError(f"{option}: {e}") from None
    except ValueError:
        raise UsageError(f"{option}: {_BOUND_HELP}, got {value!r}") from None


# Servers whose platform stores its handles without the server, all its accounts being its own:
# Truth Social (a Mastodon server that does not federate) writes `name` where Mastodon writes
# `name@server`. A handle given whole there still finds that platform's posts.
BARE_HANDLE_SERVERS = {"truthsocial.com": "truthsocial"}


def _as_typed(value: str) -> str:
    """A handle as it would be typed: copied from a page or a chat, it may carry characters that show
    nothing (a zero-width space, a direction mark) and full-width forms (`＠Ｒｉｖｅｒｔｏｎ`), which
    no handle holds; NFKC makes the latter the letters they stand for."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKC", value) if unicodedata.category(c) != "Cf")


@dataclass
class Filters:
    """What `lookup`/`export`/`report` select; validated on construction (UsageError names the option)."""

    handle: str | None = None
    date: str | None = None
    since: str | None = None
    until: str | None = None
    platform: str | None = None
    text: str | None = None
    status: str | None = None
    article: str | None = None
    captured_since: str | None = None
    # Canonical UTC bounds on posted_at / captured_at, derived from the options above.
    posted_from: str | None = field(default=None, init=False, repr=False)
    posted_to: str | None = field(default=None, init=False, repr=False)
    captured_from: str | None = field(default=None, init=False, repr=False)
    # The article's keys in the index: the spellings `--article` may stand for (`urls.article_keys`).
    article_keys: tuple[str, ...] = field(default=(), init=False, repr=False)
    # (platform, name) for a handle given whole on a server whose platform stores its handles bare
    # (`name@truthsocial.com`): that platform's post by `name` is matched too.
    handle_bare: tuple[str, str] | None = field(default=None, init=False, repr=False)

    def handle_forms(self) -> tuple[tuple[str, str | None], ...]:
        """What the handle filter matches, current and former handles alike: (handle, the one
        platform it is matched on, None: any). The handle as given, and for one given whole on a
        server whose platform stores its handles bare (`name@truthsocial.com`), the bare name on that
        platform. Empty without a handle filter."""
        if self.handle is None:
            return ()
        if self.handle_bare is None:
            return ((self.handle, None),)
        platform, name = self.handle_bare
        return ((self.handle, None), (name, platform))

    @property
    def selects_all(self) -> bool:
        """True when no filter was given: the whole archive is selected."""
        return self == type(self)()

    def __post_init__(self) -> None:
        from archiver.sources import not_utf8, text_safe

        for option in ("handle", "date", "since", "until", "platform", "text", "status", "captured_since"):
            value = getattr(self, option)
            if value is not None and not_utf8(value):
                # Bytes a shell passed as typed in another encoding (Latin-1 `é`): nothing held is
                # spelled so, and the index takes text only.
                raise UsageError(f"--{option.replace('_', '-')}: '{text_safe(value)}' holds bytes that are not "
                                 "UTF-8; give it in UTF-8")
        lows: list[str] = []
        highs: list[str] = []
        if self.date is not None:
            if not re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", self.date):
                raise UsageError(f"--date: expected YYYY-MM-DD, got {self.date!r}")
            lows.append(_bound("--date", self.date, end=False))
            highs.append(_bound("--date", self.date, end=True))
        if self.since is not None:
            lows.append(_bound("--since", self.since, end=False))
        if self.until is not None:
            highs.append(_bound("--until", self.until, end=True))
        self.posted_from = max(lows) if lows else None
        self.posted_to = min(highs) if highs else None
        if self.posted_from and self.posted_to and self.posted_from > self.posted_to:
            raise UsageError(f"the time range is empty: {self.posted_from} is after {self.posted_to}")
        if self.captured_since is not None:
            self.captured_from = _bound("--captured-since", self.captured_since, end=False)
        if self.article is not None:
            self.article_keys = urls.article_keys(self.article)
            if not self.article_keys and not_utf8(self.article):
                raise UsageError(f"--article: '{text_safe(self.article)}' holds bytes that are not UTF-8, and no "
                                 "file of that name is held; give the address in UTF-8")
            if not self.article_keys:
                raise UsageError("--article: expected the URL of an article (or the path of a file archived)")
        if self.handle is not None:
            handle = fields.clean_handle(_as_typed(self.handle))
            if handle is None:
                raise UsageError("--handle: expected a handle such as @name")
            if "/" in handle:  # a profile's address: no platform's handles hold a slash
                # The handle is named only where the address is plainly a profile: one segment after
                # the host (x.com/alice, mastodon.social/@alice); a post's or a channel's page is not.
                parts = [part for part in handle.split("://", 1)[-1].split("/") if part]
                one = parts[1].lstrip("@") if len(parts) == 2 else ""
                hint = f", such as @{one}" if one and re.fullmatch(r"[\w.-]+", one) else ""
                raise UsageError(f"--handle: {self.handle!r} is an address, not a handle; give the handle alone{hint}")
            self.handle = handle.lower()
            name, at, server = self.handle.rpartition("@")
            if at and name and server in BARE_HANDLE_SERVERS:
                self.handle_bare = (BARE_HANDLE_SERVERS[server], name)
        if self.platform is not None:
            from archiver.platforms import REGISTRY

            platform = self.platform.strip().lower()
            names = {other: p.name for p in REGISTRY for other in (p.name, *p.other_names)}
            if platform not in names:
                known = ", ".join(p.name for p in REGISTRY)
                raise UsageError(f"--platform: expected one of {known}, got {self.platform!r}")
            platform = names[platform]
            self.platform = platform
        if self.text is not None and not textquery.parse(self.text):
            raise UsageError(f"--text: nothing to search for in {self.text!r}")
        if self.status is not None:
            self.status = self.status.strip().lower()
            if self.status not in (*POST_STATUSES, PENDING):
                raise UsageError(f"--status: expected one of {', '.join((*POST_STATUSES, PENDING))}, "
                                 f"got {self.status!r}")
