"""Absorbing one post into another (`Index.merge_post_key`): what moves, and how citations combine."""

from __future__ import annotations

from typing import Any

from archiver.index import fields
from archiver.index.sql.connection import Connection as Database
from archiver.index.sql.rank import kind_rank_sql

_OLD_RANK = kind_rank_sql("citations.kind")
_NEW_RANK = kind_rank_sql("excluded.kind")
# An article both embedding and linking a post keeps the strongest kind and that kind's evidence; a
# post cited again is no longer dropped, and two citations merged are dropped only if both were.
CITATION_CONFLICT = f"""
    ON CONFLICT (article_id, post) DO UPDATE SET
        kind = CASE WHEN {_NEW_RANK} > {_OLD_RANK} THEN excluded.kind ELSE citations.kind END,
        evidence = CASE WHEN {_NEW_RANK} > {_OLD_RANK} THEN excluded.evidence ELSE citations.evidence END,
        first_seen = CASE WHEN excluded.first_seen < citations.first_seen THEN excluded.first_seen
                     ELSE citations.first_seen END,
        dropped_at = CASE WHEN excluded.dropped_at IS NULL OR citations.dropped_at IS NULL THEN NULL
                     WHEN excluded.dropped_at > citations.dropped_at THEN excluded.dropped_at
                     ELSE citations.dropped_at END,
        cited_again_at = CASE WHEN excluded.cited_again_at IS NULL THEN citations.cited_again_at
                         WHEN citations.cited_again_at IS NULL OR excluded.cited_again_at > citations.cited_again_at
                         THEN excluded.cited_again_at ELSE citations.cited_again_at END
"""


def insert_renamed(db: Database, old: dict[str, Any], new_key: str) -> None:
    """Insert a copy of the post row `old` under `new_key`, taking the post ID from an ID key."""
    platform, _, rest = new_key.partition(":")
    values = fields.column_values(
        {name: old[name] for name in (*fields.SCALAR_FIELDS, *fields.LIST_FIELDS, "data")}
    )
    values.update(
        key=new_key,
        platform=platform or old["platform"],
        post_id=old["post_id"] if rest.startswith("h:") or not rest else rest,
        status=old["status"],
        first_seen=old["first_seen"],
        last_checked=old["last_checked"],
    )
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    db.execute(f"INSERT INTO posts ({names}) VALUES ({marks})", list(values.values()))


def move_children(db: Database, old_post: int, new_post: int) -> None:
    """Re-point citations, media, captures, observations, records and former handles from post id `old_post`
    to `new_post`."""
    params = {"old": old_post, "new": new_post}
    db.execute(
        "INSERT INTO citations (article_id, post, kind, evidence, first_seen, dropped_at, cited_again_at) "
        "SELECT article_id, :new, kind, evidence, first_seen, dropped_at, cited_again_at FROM citations WHERE post = :old"
        + CITATION_CONFLICT,
        params,
    )
    db.execute("DELETE FROM citations WHERE post = :old", params)
    db.execute(
        """
        INSERT INTO media (post, url, path, sha256, mime)
        SELECT :new, url, path, sha256, mime FROM media WHERE post = :old
        ON CONFLICT (post, url) DO UPDATE SET
            path = coalesce(media.path, excluded.path),
            sha256 = coalesce(media.sha256, excluded.sha256),
            mime = coalesce(media.mime, excluded.mime)
        """,
        params,
    )
    db.execute("DELETE FROM media WHERE post = :old", params)
    for table in ("captures", "observations", "records"):
        db.execute(f"UPDATE {table} SET post = :new WHERE post = :old", params)
    move_former_handles(db, old_post, new_post)


def move_former_handles(db: Database, old_post: int, new_post: int) -> None:
    """Give post id `new_post` the former handles of `old_post` (a handle both had keeps the later
    time it was replaced), and the old post's own handle as a former one when the new post holds
    another (a hash-keyed post an article cited as @OLD, merged into its ID-keyed post held as @NEW:
    `lookup --handle OLD` finds it still; when the handle was replaced is unknown)."""
    params = {"old": old_post, "new": new_post}
    db.execute(
        """
        INSERT INTO former_handles (post, handle, handle_lc, until)
        SELECT :new, handle, handle_lc, until FROM former_handles WHERE post = :old
        ON CONFLICT (post, handle_lc) DO UPDATE SET
            until = CASE WHEN former_handles.until IS NULL OR excluded.until > former_handles.until
                    THEN excluded.until ELSE former_handles.until END
        """,
        params,
    )
    db.execute("DELETE FROM former_handles WHERE post = :old", params)
    db.execute(
        """
        INSERT INTO former_handles (post, handle, handle_lc, until)
        SELECT :new, o.handle, o.handle_lc, NULL FROM posts o JOIN posts n ON n.id = :new
        WHERE o.id = :old AND o.handle_lc IS NOT NULL AND n.handle_lc IS NOT NULL AND o.handle_lc <> n.handle_lc
        ON CONFLICT (post, handle_lc) DO NOTHING
        """,
        params,
    )
