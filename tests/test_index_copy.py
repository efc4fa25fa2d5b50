"""`archiver index copy` both ways between SQLite and PostgreSQL, and `archiver index migrate`: every
table's rows, ids, keys and timestamps kept; lookups equal before and after; a non-empty destination
refused without --force; a failed copy leaves the destination as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.errors import IndexError_, UsageError
from archiver.index import open_index
from archiver.index.filters import Filters
from archiver.index.rows import Capture, CaptureStamp
from archiver.index.sqlite.schema import SCHEMA_VERSION
from archiver.index.transfer import TABLES, Location, copy_index, count_rows, locate
from archiver.models import Post
from archiver.warcstore import RecordInfo
from tests.index_backends import postgres_database

runner = CliRunner()
ORDER = {"citations": "article_id, post", "records": "record_id", "key_aliases": "old_key",
         "link_destinations": "link_key", "history_lost": "kind, name", "former_handles": "post, handle_lc"}


def post(**kw: Any) -> Post:
    return Post(platform="twitter", kind="embedded", source="a.html", evidence="e", **kw)


def populate(index: Any) -> None:
    """An index with a row in every table: a merged hash key, captures with records, media, history, runs."""
    run = index.start_run()
    a = index.upsert_article("https://news.example/a", source="a.html", title="Floods")
    b = index.upsert_article("https://news.example/b")
    flat = index.upsert_post(post(handle="RivertonDesk", text="Water rising near the old bridge café",
                                  posted_at="2024-03-04"))
    key = index.upsert_post(post(post_id="100", handle="RivertonDesk", text="Water rising\nnear the old bridge café",
                                 posted_at="2024-03-04T10:00:00Z", links=["https://t.co/x"], media=["m.jpg"]))
    index.cite(a, flat, "linked", "a[href]")
    index.merge_post_key(flat, key)
    index.note_destination("twitter:h:elsewhere", "https://news.example/report")
    other = index.upsert_post(Post(platform="youtube", kind="embedded", source="b.html", evidence="iframe",
                                   post_id="dQw4w9WgXcQ", text="東京の洪水 🌊"))
    index.cite(a, key, "embedded", "blockquote.twitter-tweet")
    index.cite(b, other, "embedded", "iframe")
    index.update_post_data(key, data={"lang": "en", "likes": 3})
    index.update_post_data(key, handle="RivertonNews")  # a check found the author renamed: a former handle
    index.observe(key, "live", checked_at="2024-03-05T10:00:00Z", detail="syndication")
    index.observe(key, "deleted", checked_at="2024-03-20T10:00:00Z", detail="404")
    capture = index.add_capture(Capture(source="live", url="https://platform.twitter.com/embed", status="live",
                                        post_key=key, screenshot="s/100.png", screenshot_sha256="00" * 32,
                                        warc="a-00000.warc.gz", captured_at="2024-03-05T10:00:00Z"))
    index.add_records(capture, [RecordInfo(record_id="<urn:uuid:1>", warc_type="response", target_uri="https://x/1",
                                           date="2024-03-05T10:00:00Z", filename="a-00000.warc.gz", offset=0,
                                           length=100, status=200, mime="text/html", payload_digest="sha1:A",
                                           extra={"WARC-Refers-To": "<urn:uuid:0>"})])
    index.add_stamp(CaptureStamp(capture_id=capture, digest="sha256:" + "11" * 32, manifest="m\n",
                                 tsa="http://127.0.0.1:1/tsa", token="AAEC", stamped_at="2024-03-05T10:00:01Z",
                                 requested_at="2024-03-05T10:00:00Z"))
    index.add_capture(Capture(source="live", url="https://news.example/a", status="ok", article_id=a))
    index.add_media(key, "https://pbs.twimg.com/m.jpg", "media/ab.jpg", "ab" * 32, "image/jpeg")
    index.finish_run(run, {"captured": 1}, "done")
    # (written by `reindex` alone, of a post rebuilt from partial history)
    index.db.execute("INSERT INTO history_lost (kind, name, rebuilt_at) VALUES (?, ?, ?)",
                     ["post", key, "2024-03-06T00:00:00.000Z"])


def table_rows(index: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in a stable order (the columns both backends share)."""
    db = index.db
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for table in TABLES:
        columns = [c[0] for c in db.execute(f"SELECT * FROM {table} LIMIT 0").description]
        names = ", ".join(f'"{c}"' for c in columns)
        rows[table] = [tuple(r) for r in db.execute(f"SELECT {names} FROM {table} ORDER BY {ORDER.get(table, 'id')}")
                       .fetchall()]
    return rows


def answers(index: Any) -> dict[str, Any]:
    found = index.lookup(Filters())
    return {"lookup": [row.to_dict() for row in found],
            "show": [index.show(row.key).to_dict() for row in found],  # type: ignore[union-attr]
            "text": [row.key for row in index.lookup(Filters(text="cafe OR 洪水"))],
            "records": index.records_for([row.key for row in found]),
            "counts": count_rows(index.db)}


def test_sqlite_to_postgresql_and_back_keeps_every_row(request: pytest.FixtureRequest, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("archiver.index.transfer._BATCH", 2)  # tables are read in several batches
    url = postgres_database(request, migrated=False)
    with open_index(tmp_path / "one") as index:
        populate(index)
        before, rows = answers(index), table_rows(index)
    assert all(before["counts"].values()), before["counts"]

    copied = copy_index(locate(str(tmp_path / "one")), locate(url))
    assert copied == before["counts"]
    with open_index(tmp_path, create=False, url=url) as pg:
        assert answers(pg) == before
        assert table_rows(pg) == rows
        # New rows continue after the copied ids.
        assert pg.start_run() == max(r[0] for r in rows["runs"]) + 1

    copy_index(locate(url), locate(str(tmp_path / "two" / "archive.db")))
    with open_index(tmp_path / "two", create=False) as back:
        after = answers(back)
        assert after["counts"]["runs"] == before["counts"]["runs"] + 1
        assert {k: v for k, v in after.items() if k != "counts"} == {k: v for k, v in before.items() if k != "counts"}
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["archive.db"]


def test_a_non_empty_destination_is_refused_without_force(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = postgres_database(request)
    with open_index(tmp_path / "a") as index:
        populate(index)
    with open_index(tmp_path / "b") as index:
        index.upsert_post(post(post_id="999"))
    copy_index(locate(str(tmp_path / "a")), locate(url))
    for source, destination in ((tmp_path / "b", url), (url, str(tmp_path / "b"))):
        with pytest.raises(UsageError, match="already holds an index .*--force"):
            copy_index(locate(str(source)), locate(destination))
    copy_index(locate(url), locate(str(tmp_path / "b")), force=True)
    with open_index(tmp_path / "b") as b:
        assert [row.key for row in b.lookup(Filters())] == ["twitter:100", "youtube:dQw4w9WgXcQ"]
    copy_index(locate(str(tmp_path / "b")), locate(url), force=True)
    with open_index(tmp_path, url=url) as pg:
        assert count_rows(pg.db)["posts"] == 2  # type: ignore[attr-defined]
    with pytest.raises(UsageError, match="the same index"):
        copy_index(locate(url), locate(url))


def test_a_failed_copy_leaves_the_destination_as_it_was(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = postgres_database(request)
    with open_index(tmp_path / "bad") as index:
        populate(index)
        # A row pointing at a post that is not there (what a reindex of a journal with gaps can leave).
        index.db.execute("PRAGMA foreign_keys = OFF")  # type: ignore[attr-defined]
        index.db.execute("INSERT INTO observations (post, checked_at, status) VALUES (9999, 'x', 'live')")  # type: ignore[attr-defined]
    with pytest.raises(IndexError_, match=r"cannot copy table observations into postgresql://postgres@.*nothing was written"):
        copy_index(locate(str(tmp_path / "bad")), locate(url))
    with open_index(tmp_path, url=url) as pg:
        assert not any(count_rows(pg.db).values())  # type: ignore[attr-defined]
    with open_index(tmp_path / "kept") as kept:
        kept.upsert_post(post(post_id="1"))
    with pytest.raises(IndexError_, match="cannot copy table observations"):
        copy_index(locate(str(tmp_path / "bad")), locate(str(tmp_path / "kept")), force=True)
    with open_index(tmp_path / "kept") as kept:
        assert [row.key for row in kept.lookup(Filters())] == ["twitter:1"]
    assert not list((tmp_path / "kept").glob(".archive.db.copy-*"))


def test_locations() -> None:
    assert locate("postgres://u:pw@h/db") == Location(Path("."), "postgres://u:pw@h/db")
    assert locate("archives/archive.db") == Location(Path("archives"))
    assert locate("archives") == Location(Path("archives"))
    with pytest.raises(UsageError, match="not an index"):
        locate("mysql://h/db")
    for empty in ("", "  "):  # was the current folder: `index copy --to ""` wrote ./archive.db
        with pytest.raises(UsageError, match="an empty name is no index"):
            locate(empty)


def test_cli_copy_and_migrate(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = postgres_database(request, migrated=False).replace("postgres@", "postgres:s3cret@")
    with open_index(tmp_path / "one") as index:
        populate(index)
    before = runner.invoke(app, ["lookup", "-d", str(tmp_path / "one"), "--format", "json"])
    assert before.exit_code == 0

    migrated = runner.invoke(app, ["index", "migrate", "--index", url])
    assert migrated.exit_code == 0, migrated.output
    assert f"schema version {SCHEMA_VERSION} (created)" in migrated.stderr and "s3cret" not in migrated.stderr

    with open_index(tmp_path / "spare") as index:
        populate(index)
    done = runner.invoke(app, ["index", "copy", "--from", str(tmp_path / "one"), "--to", url])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["posts"] == 2 and "s3cret" not in done.stderr
    # The folder's index has moved: a command without --index is refused there, not served a stale copy.
    assert f"{tmp_path / 'one'} is now indexed there (index-url.txt)" in done.stderr
    stale = runner.invoke(app, ["lookup", "-d", str(tmp_path / "one")])
    assert stale.exit_code == 2 and "is indexed in PostgreSQL at" in stale.stderr and "s3cret" not in stale.stderr
    moved = runner.invoke(app, ["lookup", "-d", str(tmp_path / "one"), "--index", url, "--format", "json"])
    assert moved.exit_code == 0 and json.loads(moved.stdout) == json.loads(before.stdout)
    again = runner.invoke(app, ["index", "copy", "--from", str(tmp_path / "spare"), "--to", url])
    assert again.exit_code == 2 and "--force" in again.stderr and "s3cret" not in again.stderr

    back = runner.invoke(app, ["index", "copy", "--from", url, "--to", str(tmp_path / "two")])
    assert back.exit_code == 0, back.output
    after = runner.invoke(app, ["lookup", "-d", str(tmp_path / "two"), "--format", "json"])
    assert json.loads(after.stdout) == json.loads(before.stdout)

    down = runner.invoke(app, ["index", "migrate", "--index", url.rsplit(":", 1)[0] + ":1/nowhere"])
    assert down.exit_code == 1 and "127.0.0.1:1/nowhere" in down.stderr and "s3cret" not in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1
    both = runner.invoke(app, ["index", "migrate", "--index", url, "-d", str(tmp_path)])
    assert both.exit_code == 2
    local = runner.invoke(app, ["index", "migrate", "-d", str(tmp_path / "new")])
    assert local.exit_code == 0 and f"{tmp_path / 'new' / 'archive.db'} at schema version {SCHEMA_VERSION} (created)" in local.stderr
    again_local = runner.invoke(app, ["index", "migrate", "-d", str(tmp_path / "new")])
    assert again_local.exit_code == 0 and f"at schema version {SCHEMA_VERSION} (already)" in again_local.stderr
    # An archive of an older schema says which version it came from.
    from sqlite_utils import Database

    from archiver.index.sqlite.schema import MIGRATIONS, migrate

    (tmp_path / "old").mkdir()
    old_db = Database(tmp_path / "old" / "archive.db")
    migrate(old_db, MIGRATIONS[:SCHEMA_VERSION - 1])
    old_db.close()
    older = runner.invoke(app, ["index", "migrate", "-d", str(tmp_path / "old")])
    assert older.exit_code == 0
    assert f"at schema version {SCHEMA_VERSION} (migrated from schema version {SCHEMA_VERSION - 1})" in older.stderr


def test_every_table_of_an_index_is_one_a_copy_carries(tmp_path: Path) -> None:
    """A table left out of `transfer.TABLES` would be dropped by `index copy` without a word (and the
    row comparisons above, which read the same list, would not see it)."""
    with open_index(tmp_path) as index:
        held = {str(name) for (name,) in index.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' "
            "AND name NOT LIKE 'posts_fts_%' AND name NOT LIKE 'sqlite_%'").fetchall()}
    assert held == set(TABLES)
