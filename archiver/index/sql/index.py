"""`SQLIndex`: the store's writes (`store.Store`) with the queries of `IndexQueries`, typed, in the
SQL every backend shares."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import takewhile

from archiver.index.filters import Filters
from archiver.index.rows import (
    ArticlePage,
    ArticleRow,
    CaptureDetail,
    CaptureName,
    KeyAlias,
    MediaRow,
    PostDetail,
    PostRow,
    RecordRow,
    StoredFile,
    showing_capture,
)
from archiver.index.sql import query
from archiver.index.sql.stamps import StampStore
from archiver.index.sql.store import RECORD_SELECT, Store, record_row


class SQLIndex(Store, StampStore):
    """An archive's index: every write of `ArchiveIndex`, every read of `IndexQueries`."""

    def lookup(self, filters: Filters, *, limit: int | None = None, offset: int = 0,
               check_captures: bool = False) -> list[PostRow]:
        """Posts matching every filter, ordered by posted_at (unknown last), then key; at most `limit`
        (None: all) after the first `offset`. Every filter, and the first page of a broad selection,
        is answered from an index (schema version 5). `check_captures`: see `query.lookup`."""
        return query.lookup(self, filters, limit=limit, offset=offset, check_captures=check_captures)

    def unheld_page_records(self) -> list[tuple[str, str, str]]:
        """(a post's key or an article's URL, captured_at, record ID) of every capture whose page
        record no row of `records` holds."""
        rows = self.db.query(
            "SELECT coalesce(p.key, a.url, '?') AS what, c.captured_at, c.page_record_id FROM captures c "
            "LEFT JOIN posts p ON p.id = c.post LEFT JOIN articles a ON a.id = c.article_id "
            "WHERE c.page_record_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM records r WHERE r.record_id = c.page_record_id) ORDER BY c.id")
        return [(str(r["what"]), str(r["captured_at"]), str(r["page_record_id"])) for r in rows]

    def capture_names(self, capture_ids: Sequence[int]) -> dict[int, CaptureName]:
        """What names each of these captures to a person (`CaptureName`), by row id; a row id no
        capture has is named as such."""
        names: dict[int, CaptureName] = {}
        ids = sorted(set(capture_ids))
        for chunk in query.chunks(ids):
            marks = ", ".join("?" for _ in chunk)
            for row in self.db.query(
                    "SELECT c.id AS capture_id, c.source, c.url, c.captured_at, p.key AS post_key, "
                    "a.url AS article_url, c.warc, c.page_record_id, p.url AS post_url FROM captures c "
                    "LEFT JOIN posts p ON p.id = c.post LEFT JOIN articles a ON a.id = c.article_id "
                    f"WHERE c.id IN ({marks})", list(chunk)):
                names[row["capture_id"]] = CaptureName(**row)
        return {cid: names.get(cid, CaptureName(cid, held=False)) for cid in ids}

    def history_lost(self, post_key: str) -> bool:
        """Whether the post was rebuilt from partial history (its own first journal entry lost with
        a WARC file): what that entry and those beside it held, its citing articles among it, is unknown.
        The row names the key the post was rebuilt under: a hash key since merged into this one counts."""
        return bool(list(self.db.query(
            "SELECT 1 FROM history_lost WHERE kind = 'post' AND (name = ? OR name IN "
            "(SELECT old_key FROM key_aliases WHERE new_key = ?)) LIMIT 1", [post_key, post_key])))

    def partial_history(self) -> list[str] | None:
        """None when no rebuild of this index lacked part of the archive's history; else the WARC
        files named lost or damaged when one did (empty when none could be named): the articles
        citing any post may then be more than the index knows of. An index rebuilt before such
        rebuilds were recorded as a whole counts by its posts and articles rebuilt from partial history."""
        names = [str(row["name"]) for row in self.db.query(
            "SELECT name FROM history_lost WHERE kind = 'index' ORDER BY name")]
        if names:
            return [name for name in names if name]
        return [] if list(self.db.query("SELECT 1 FROM history_lost LIMIT 1")) else None

    def articles_history_lost(self, urls: Sequence[str]) -> list[str]:
        """Of these article URLs (as held), those a rebuild made from partial history: their own first
        journal entry, and the citations beside it, were lost with a WARC file."""
        found: list[str] = []
        for chunk in query.chunks(sorted(set(urls))):
            marks = ", ".join("?" for _ in chunk)
            found += [str(row["name"]) for row in self.db.query(
                f"SELECT name FROM history_lost WHERE kind = 'article' AND name IN ({marks}) ORDER BY name",
                list(chunk))]
        return found

    def captures_in_files(self, filenames: Sequence[str]) -> dict[str, list[int]]:
        """The captures whose WARC file (`captures.warc`, the file their page record went to) is one
        of `filenames`, by file: what the index knows of a lost file's captures when it ties none of
        the file's records to them."""
        found: dict[str, list[int]] = {}
        for chunk in query.chunks(sorted(set(filenames))):
            marks = ", ".join("?" for _ in chunk)
            for row in self.db.query(f"SELECT c.warc, c.id FROM captures c WHERE c.warc IN ({marks}) ORDER BY c.id",
                                     list(chunk)):
                found.setdefault(str(row["warc"]), []).append(int(row["id"]))
        return found

    def show(self, ident: str) -> PostDetail | None:
        """One post by key, URL or bare ID, with everything known; None when nothing matches."""
        return query.show(self, ident)

    def posts_after(self, key: str | None, limit: int) -> list[PostRow]:
        """At most `limit` posts whose key sorts after `key` (None: from the first), in key order."""
        return query.posts_after(self, key, limit)

    def post_media(self, post_keys: Sequence[str]) -> dict[str, list[MediaRow]]:
        """The media files of the posts, by post key (see `query.post_media`)."""
        return query.post_media(self, post_keys)

    def post_captures_of(self, post_keys: Sequence[str]) -> dict[str, list[CaptureDetail]]:
        """The captures of the posts, by post key, with every field (see `query.post_captures_of`)."""
        return query.post_captures_of(self, post_keys)

    def articles_after(self, url: str | None, limit: int) -> list[ArticleRow]:
        """The articles' own rows in URL order, a page at a time (see `query.articles_after`)."""
        return query.articles_after(self, url, limit)

    def article_captures_after(self, url: str | None, limit: int) -> list[tuple[str, list[CaptureDetail]]]:
        """Captured articles in URL order after `url`, with their captures (see `query.article_captures_after`)."""
        return query.article_captures_after(self, url, limit)

    def article_captures(self, url: str) -> list[CaptureDetail]:
        """The article's own captures, oldest first (see `query.article_captures`)."""
        return query.article_captures(self, url)

    def aliases_after(self, key: str | None, limit: int) -> list[KeyAlias]:
        """Key aliases in old key order after `key` (see `query.aliases_after`)."""
        return query.aliases_after(self, key, limit)

    def article_led_to(self, link: str) -> str | None:
        """The article a short link given as a source led to (see `query.article_led_to`), or None."""
        return query.article_led_to(self, link)

    def link_led_to(self, link: str) -> tuple[str, str] | None:
        """Where a short link that names no post led, and when (see `query.link_led_to`), or None."""
        return query.link_led_to(self, link)

    def handles_with_server(self, name: str) -> list[str]:
        """Handles held that are `name@server`, at most five (see `query.handles_with_server`)."""
        return query.handles_with_server(self, name)

    def records_for(self, post_keys: Sequence[str], include_articles: bool = True) -> list[RecordRow]:
        """WARC records of the posts (and of the articles citing them), with the originals of revisits."""
        return query.records_for(self, post_keys, include_articles)

    def article_records(self, urls: Sequence[str]) -> list[RecordRow]:
        """WARC records of the articles themselves, with the originals of revisits (see `query.article_records`)."""
        return query.article_records(self, urls)

    def articles_keyed(self, url_keys: Sequence[str]) -> list[tuple[ArticleRow, list[CaptureDetail]]]:
        """The articles of these URL keys with their own captures (see `query.articles_keyed`)."""
        return query.articles_keyed(self, url_keys)

    def all_records(self) -> Iterator[RecordRow]:
        """Every indexed WARC record, by file and offset (what `verify` checks)."""
        for row in self.db.query(f'{RECORD_SELECT} ORDER BY r.filename, r."offset"'):
            yield record_row(row)

    def stored_files(self) -> list[StoredFile]:
        """Screenshots and media files on disk: `path` (relative to the archive) and `sha256`."""
        return [StoredFile(**row) for row in self.db.query(
            "SELECT screenshot AS path, screenshot_sha256 AS sha256, id AS capture_id FROM captures "
            "WHERE screenshot IS NOT NULL UNION SELECT path, sha256, NULL FROM media WHERE path IS NOT NULL")]

    def citing_articles(self, post_keys: Sequence[str]) -> list[ArticlePage]:
        """The articles citing any of the posts, by URL, with their first capture of their own and
        the one showing those posts (`showing_capture`)."""
        cited: dict[int, tuple[str, str | None, list[tuple[str, str]]]] = {}  # id -> url, title, citations
        for chunk in query.chunks(list(post_keys)):
            marks = ", ".join("?" for _ in chunk)
            for row in self.db.query(
                    "SELECT a.id, a.url, a.title, ci.first_seen, ci.evidence FROM articles a "
                    "JOIN citations ci ON ci.article_id = a.id "
                    f"WHERE ci.post IN (SELECT id FROM posts WHERE key IN ({marks}))", list(chunk)):
                cited.setdefault(row["id"], (row["url"], row["title"], []))[2].append(
                    (row["first_seen"], row["evidence"] or ""))
        captured: dict[int, list[tuple[str, int, str | None]]] = {}  # id -> (time, id, error) of its own captures
        for ids in query.chunks(list(cited)):
            marks = ", ".join("?" for _ in ids)
            for row in self.db.query("SELECT article_id, id, captured_at, error FROM captures "
                                     f"WHERE post IS NULL AND article_id IN ({marks})", list(ids)):
                captured.setdefault(row["article_id"], []).append((row["captured_at"], row["id"], row["error"]))
        found: dict[str, ArticlePage] = {}
        for article_id, (url, title, citations) in cited.items():
            rows = sorted(captured.get(article_id, []))
            failing = list(takewhile(lambda r: r[2] is not None, reversed(rows)))
            found[url] = ArticlePage(url=url, title=title, first_captured=rows[0][0] if rows else None,
                                     showing=showing_capture([t for t, _id, error in rows if error is None], citations),
                                     failing_since=failing[-1][0] if failing else None,
                                     failure=failing[0][2] if failing else None)
        return [found[url] for url in sorted(found)]

    def post_captures(self, post_key: str) -> list[CaptureDetail]:
        """Every capture of the post that has a URL, oldest first."""
        return [CaptureDetail(**row) for row in self.db.query(
            "SELECT c.captured_at, c.source, c.screenshot, c.status, c.warc, c.id, c.url, c.error, "
            "c.screenshot_sha256, c.page_record_id FROM captures c JOIN posts p ON p.id = c.post "
            "WHERE p.key = ? AND c.url != '' ORDER BY c.captured_at, c.id", [post_key])]
