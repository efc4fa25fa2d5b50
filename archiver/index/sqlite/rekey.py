"""Migration 4: the children of a post point at `posts.id`, posts get a readable `title`, articles a
normalised `url_key`, and two views for people browsing the file.

Until version 3 citations, captures, observations, records and media named their post by
`post_key TEXT REFERENCES posts (key)`. A tool that follows foreign keys to the referenced table's
primary key (Datasette links each one to `/posts/<primary key>`) found nothing there. Each of
these tables is rebuilt with `post INTEGER REFERENCES posts (id)`, the way SQLite documents
changing a table's schema: create the new table, copy the rows joined on the key, drop the old one,
rename the new one, create its indexes again. Foreign keys are off while this runs (`migrate()`).
"""

from __future__ import annotations

from archiver.index import urls
from archiver.index.sqlite.connection import Database

# The label of a post wherever it is shown by name: "@handle: the first words of its text", or
# its key when the text is unknown.
_FLAT = "trim(replace(replace(replace(NEW.text, char(13), ' '), char(10), ' '), char(9), ' '))"
_TITLE = (
    f"coalesce('@' || NEW.handle || ': ', '') || CASE WHEN coalesce({_FLAT}, '') = '' THEN NEW.key "
    f"WHEN length({_FLAT}) > 80 THEN substr({_FLAT}, 1, 79) || '…' ELSE {_FLAT} END"
)

_TABLES: dict[str, tuple[str, list[str], str]] = {
    # name: (definition of the new table, its indexes, the old columns copied besides post_key)
    "citations": (
        """
        CREATE TABLE citations (
            article_id INTEGER NOT NULL REFERENCES articles (id),
            post INTEGER NOT NULL REFERENCES posts (id),
            kind TEXT NOT NULL,
            evidence TEXT,
            first_seen TEXT NOT NULL,
            UNIQUE (article_id, post)
        )""",
        ["CREATE INDEX citations_post ON citations (post)"],
        "article_id, kind, evidence, first_seen",
    ),
    "captures": (
        """
        CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            post INTEGER REFERENCES posts (id),
            article_id INTEGER REFERENCES articles (id),
            captured_at TEXT NOT NULL,
            source TEXT NOT NULL,
            url TEXT NOT NULL,
            screenshot TEXT,
            screenshot_sha256 TEXT,
            status TEXT NOT NULL,
            error TEXT,
            warc TEXT,
            page_record_id TEXT
        )""",
        ["CREATE INDEX captures_post ON captures (post, captured_at)",
         "CREATE INDEX captures_article_id ON captures (article_id)",
         "CREATE INDEX captures_captured_at ON captures (captured_at)"],
        "id, article_id, captured_at, source, url, screenshot, screenshot_sha256, status, error, warc, page_record_id",
    ),
    "observations": (
        """
        CREATE TABLE observations (
            id INTEGER PRIMARY KEY,
            post INTEGER NOT NULL REFERENCES posts (id),
            checked_at TEXT NOT NULL,
            status TEXT NOT NULL,
            detail TEXT
        )""",
        ["CREATE INDEX observations_post ON observations (post, checked_at)"],
        "id, checked_at, status, detail",
    ),
    "records": (
        """
        CREATE TABLE records (
            record_id TEXT PRIMARY KEY,
            capture_id INTEGER REFERENCES captures (id),
            post INTEGER REFERENCES posts (id),
            article_id INTEGER REFERENCES articles (id),
            warc_type TEXT NOT NULL,
            target_uri TEXT NOT NULL,
            date TEXT NOT NULL,
            status INTEGER,
            mime TEXT,
            payload_digest TEXT,
            filename TEXT NOT NULL,
            "offset" INTEGER NOT NULL,
            length INTEGER NOT NULL,
            extra TEXT
        )""",
        ["CREATE INDEX records_capture_id ON records (capture_id)",
         "CREATE INDEX records_post ON records (post)",
         "CREATE INDEX records_article_id ON records (article_id)",
         "CREATE INDEX records_payload_digest ON records (payload_digest)",
         'CREATE INDEX records_location ON records (filename, "offset")'],
        'record_id, capture_id, article_id, warc_type, target_uri, date, status, mime, payload_digest, filename, '
        '"offset", length, extra',
    ),
    "media": (
        """
        CREATE TABLE media (
            id INTEGER PRIMARY KEY,
            post INTEGER NOT NULL REFERENCES posts (id),
            url TEXT NOT NULL,
            path TEXT,
            sha256 TEXT,
            mime TEXT,
            UNIQUE (post, url)
        )""",
        [],
        "id, url, path, sha256, mime",
    ),
}

# Tables whose rows cannot exist without their post; in the others a post is optional.
_POST_REQUIRED = ("citations", "observations", "media")

_VIEWS = (
    """
    CREATE VIEW post_history AS
    SELECT p.key AS post_key, p.handle, o.status, o.checked_at, o.detail
    FROM observations o JOIN posts p ON p.id = o.post
    ORDER BY p.key, o.checked_at, o.id
    """,
    """
    CREATE VIEW citations_expanded AS
    SELECT a.title AS article_title, a.url AS article_url, p.key AS post_key, p.handle, c.kind, c.evidence
    FROM citations c JOIN articles a ON a.id = c.article_id JOIN posts p ON p.id = c.post
    ORDER BY a.url, p.key
    """,
)


def apply(db: Database) -> None:
    """Run the migration (inside the caller's transaction, foreign keys off)."""
    # One statement at a time: executescript() would commit the migration's transaction first.
    for name, (create, indexes, columns) in _TABLES.items():
        db.execute(create.replace(f"CREATE TABLE {name} ", f"CREATE TABLE {name}_new ", 1))
        join = "JOIN" if name in _POST_REQUIRED else "LEFT JOIN"
        old_columns = ", ".join(f"t.{c.strip()}" for c in columns.split(","))
        db.execute(f"INSERT INTO {name}_new ({columns}, post) SELECT {old_columns}, p.id "
                   f"FROM {name} t {join} posts p ON p.key = t.post_key")
        db.execute(f"DROP TABLE {name}")
        db.execute(f"ALTER TABLE {name}_new RENAME TO {name}")
        for statement in indexes:
            db.execute(statement)
    db.execute("ALTER TABLE posts ADD COLUMN title TEXT")
    # The full-text index follows the three columns it holds and nothing else: an update of the
    # title (or a status) must not touch it, and the title trigger may run before the row is in it.
    db.execute("DROP TRIGGER posts_au")
    db.execute(
        'CREATE TRIGGER posts_au AFTER UPDATE OF text, author, handle ON posts BEGIN '
        'INSERT INTO posts_fts (posts_fts, rowid, text, author, handle) '
        "VALUES ('delete', old.rowid, old.text, old.author, old.handle); "
        "INSERT INTO posts_fts (rowid, text, author, handle) VALUES (new.rowid, new.text, new.author, new.handle); "
        "END"
    )
    for statement in title_triggers():
        db.execute(statement)
    db.execute(f"UPDATE posts SET title = ({_TITLE.replace('NEW.', '')})")
    db.execute("ALTER TABLE articles ADD COLUMN url_key TEXT")
    db.execute("CREATE INDEX articles_url_key ON articles (url_key)")
    for article_id, url in db.execute("SELECT id, url FROM articles").fetchall():
        db.execute("UPDATE articles SET url_key = ? WHERE id = ?", [urls.url_key(url), article_id])
    for view in _VIEWS:
        db.execute(view)
    # The posts table kept its rows and ids; rebuilding the full-text index costs little and
    # leaves it exactly in step with them.
    db.execute("INSERT INTO posts_fts (posts_fts) VALUES ('rebuild')")


def title_triggers() -> list[str]:
    """Triggers keeping `posts.title` in step with the key, handle and text, whoever writes them."""
    update = f"UPDATE posts SET title = ({_TITLE}) WHERE id = NEW.id;"
    return [
        f"CREATE TRIGGER posts_title_insert AFTER INSERT ON posts BEGIN {update} END",
        f"CREATE TRIGGER posts_title_update AFTER UPDATE OF key, handle, text ON posts BEGIN {update} END",
    ]
