"""Canned queries over the archive's SQLite index, for tools that browse the file (Datasette's
metadata carries them: `archiver datasette-metadata`). Kept beside the schema they read, so that a
migration that changes it changes them too (a test runs each on a new index).

`QUERIES` maps a name to its SQL, with named parameters (`:handle`, `:days`) as Datasette takes them.
"""

from __future__ import annotations

from textwrap import dedent

from archiver.index.sql.search import FTS_ID_MASK, PICTOGRAPHS_CLASS, UNSPACED_CLASS

# A post has disappeared when its latest status is one of these: the platform (or its embed)
# said the post is no longer shown to the public. `login_required` (a wall x.com puts in front of
# live posts too), `unavailable` and `unknown` are not statements about the post.
GONE_STATUSES: tuple[str, ...] = ("deleted", "removed", "withheld", "protected", "suspended", "age_restricted")

# recent_checks' span when its `days` parameter is left empty.
DEFAULT_DAYS = 7

_GONE = ", ".join(f"'{status}'" for status in GONE_STATUSES)

# The words typed, tabs and line ends read as spaces.
_WORDS = "trim(replace(replace(replace(:words, char(9), ' '), char(10), ' '), char(13), ' '))"
# Words the full-text index cannot find, which `lookup --text` matches as text instead: a script
# written without spaces (a Chinese or Thai run is one token to it), an emoji (which it drops), or
# no letter or digit of the alphabets it splits (punctuation).
_SUBSTRING = (f"({_WORDS} GLOB '*[{UNSPACED_CLASS}]*' OR {_WORDS} GLOB '*[{PICTOGRAPHS_CLASS}]*' "
              f"OR {_WORDS} NOT GLOB '*[0-9A-Za-z{chr(0xC0)}-{chr(0x24F)}{chr(0x370)}-{chr(0x6FF)}{chr(0x900)}-{chr(0xDFF)}]*')")
# The words as a LIKE pattern (ESCAPE '\\'): anywhere in the text, `%` and `_` as themselves.
_PATTERN = f"('%' || replace(replace(replace({_WORDS}, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')"

_SQL: dict[str, str] = {
    # Posts once seen live whose latest check (by time) has a GONE status; the latest first.
    "disappeared": f"""
            SELECT p.id AS post, p.key AS post_key, p.platform, p.handle, p.url,
                   latest.status AS status, latest.checked_at AS status_since, latest.detail AS reason,
                   (SELECT max(o.checked_at) FROM observations o
                     WHERE o.post = p.id AND o.status = 'live') AS last_seen_live,
                   p.title
            FROM posts p
            JOIN observations latest ON latest.id = (
                SELECT o.id FROM observations o WHERE o.post = p.id
                ORDER BY o.checked_at DESC, o.id DESC LIMIT 1)
            WHERE latest.status IN ({_GONE})
              AND EXISTS (SELECT 1 FROM observations o WHERE o.post = p.id AND o.status = 'live')
            ORDER BY latest.checked_at DESC, p.key
        """,
    # The articles citing any post by a handle, typed with or without @, in any ASCII case.
    "citing_handle": """
            SELECT a.title AS article_title, a.url AS article_url, p.key AS post_key, p.handle,
                   p.status AS post_status, c.kind, c.first_seen AS cited_since,
                   c.dropped_at AS no_longer_cited_since, p.title AS post_title
            FROM citations c
            JOIN articles a ON a.id = c.article_id
            JOIN posts p ON p.id = c.post
            WHERE p.handle_lc = lower(trim(ltrim(trim(:handle), '@')))
            ORDER BY a.url, p.key
        """,
    # The checks of the last `days` days (DEFAULT_DAYS when empty), by the clock of whoever runs it.
    "recent_checks": f"""
            SELECT o.checked_at, p.key AS post_key, p.platform, p.handle, o.status, o.detail,
                   p.title AS post_title
            FROM observations o
            JOIN posts p ON p.id = o.post
            WHERE o.checked_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now',
                                           '-' || coalesce(nullif(trim(:days), ''), '{DEFAULT_DAYS}') || ' days')
            ORDER BY o.checked_at DESC, o.id DESC
        """,
    # Posts whose text, author or handle holds every word typed (each word quoted for FTS5, so no
    # character is an operator and nothing typed is a syntax error), in lookup order. The full-text
    # index numbers its rows in that order rather than by post id (`search.fts5_rowid`): the post's
    # id is the number's low bits, which is also why Datasette's own search box cannot be offered.
    # Words the index cannot find (`_SUBSTRING`) are looked for as one piece of text instead.
    "posts_with_words": f"""
            SELECT p.id AS post, p.key AS post_key, p.platform, p.handle, p.posted_at, p.status, p.url, p.title
            FROM posts p
            WHERE p.id IN (
                SELECT rowid & {FTS_ID_MASK} FROM posts_fts
                WHERE NOT {_SUBSTRING}
                  AND posts_fts MATCH '"' || replace(replace({_WORDS}, '"', '""'), ' ', '" "') || '"'
                UNION ALL
                SELECT id FROM posts
                WHERE {_SUBSTRING} AND {_WORDS} != ''
                  AND (text LIKE {_PATTERN} ESCAPE '\\' OR author LIKE {_PATTERN} ESCAPE '\\'
                       OR handle LIKE {_PATTERN} ESCAPE '\\'))
            ORDER BY (p.posted_start IS NULL), p.posted_start, p.key
        """,
}
QUERIES: dict[str, str] = {name: dedent(sql).strip() for name, sql in _SQL.items()}
