"""Metadata that makes Datasette (0.65) show an archive's `archive.db` the way a person starts from it.

`metadata(database)` is the whole document: a title and description for the instance and the
database, whose description links the two views and the canned queries first (Datasette lists
views after every table, and canned queries last); a description, column notes and facets for the
tables people open (posts by platform, status and handle; observations, captures and citations by
their kind of row); and four canned queries:

- `disappeared`: posts once seen live whose latest check says the platform no longer shows them
  (deleted, removed, withheld, protected, suspended, age-restricted); a latest check of
  `login_required`, `unavailable` or `unknown` is a wall or a failure in front of the reader, not
  a statement about the post (x.com shows its login wall to every anonymous reader), and is left out.
- `citing_handle`: the articles citing a handle's posts (parameter `handle`, with or without `@`).
- `recent_checks`: the status checks of the last N days (parameter `days`, 7 when left empty).
- `posts_with_words`: the posts holding every word typed (parameter `words`), as `lookup --text`
  finds them (Datasette's own search box cannot join the full-text index, numbered in lookup order).

The queries' SQL lives with the schema it reads (`archiver/index/sqlite/canned.py`).
`render(document, fmt)` writes it as JSON or YAML. The YAML is written here, for this document's
shape only (mappings, lists and strings; SQL as literal blocks), so that the archiver needs no
YAML library; Datasette reads either form with `--metadata`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from archiver.errors import UsageError
from archiver.index.sqlite import canned

Format = Literal["yaml", "json"]
FORMATS: tuple[str, ...] = ("yaml", "json")

# Names Datasette puts in a URL as they are (it tilde-encodes every other character).
_NAME = re.compile(r"[A-Za-z0-9_-]+")

_VIEWS: dict[str, dict[str, str]] = {
    "post_history": {"title": "Status history of every post",
                     "description": "every status check of every post, oldest first per post"},
    "citations_expanded": {"title": "Who cites whom",
                           "description": "which article cites which post, by title and URL"},
}

_QUERIES: dict[str, dict[str, str]] = {
    "disappeared": {
        "title": "Posts that disappeared",
        "description": (
            "Posts once seen live whose latest check says the platform no longer shows them (deleted, "
            "removed, withheld, protected, suspended, age-restricted), most recent first. A latest check "
            "of login_required, unavailable or unknown (a login wall, a network failure, a bot wall) is "
            "not counted: it says nothing about the post itself."),
    },
    "citing_handle": {
        "title": "Articles citing a handle",
        "description": (
            "Every article citing a post by this handle (with or without the @; the same handle "
            "whatever its case), one row per article and post."),
    },
    "recent_checks": {
        "title": "Status checks of the last days",
        "description": (
            f"Every status check made in the last N days (days, {canned.DEFAULT_DAYS} when left empty), "
            "newest first."),
    },
    "posts_with_words": {
        "title": "Posts holding words",
        "description": (
            "Posts whose text, author or handle holds every word typed (whole words, any case, accents "
            "ignored; Chinese, Japanese, Korean or Thai words and emoji as text anywhere), the earliest "
            "posted first."),
    },
}

_TABLES: dict[str, dict[str, Any]] = {
    "posts": {
        "description": ("One row per social post, keyed by platform and ID; status is the latest check's. "
                        "To find posts by their words, use the query posts_with_words."),
        "facets": ["platform", "status", "handle"],
        "label_column": "title",
        "columns": {
            "key": "platform:ID (or platform:h:hash when no ID is known)",
            "title": "@handle: the first words of the text",
            "status": "the latest check's status (live, deleted, withheld, protected, ...)",
            "posted_at": "when the post was published, UTC",
            "last_checked": "when the status was last checked, UTC",
            "handle_since": ("when a check found the author under this handle, replacing another one (kept in "
                             "former_handles), UTC; empty when the handle was never replaced"),
        },
    },
    "former_handles": {
        "description": ("A handle a post's author had before the post's current one (a re-check found it "
                        "replaced; the articles citing the post may still print it), and until when (UTC; empty "
                        "when unknown, as for a handle a merged post held). lookup --handle finds the post by it. "
                        "The post's url may still hold the old handle: the platform finds the post by its ID."),
        "facets": ["handle"],
    },
    "articles": {
        "description": "One row per news article read; title is the page's own.",
        "label_column": "title",
        "facets": ["status"],
    },
    "citations": {
        "description": "An article citing a post: embedded, linked, or through a short link.",
        "facets": ["kind"],
    },
    "observations": {
        "description": "One row per status check of a post.",
        "facets": ["status"],
        "sort_desc": "checked_at",
    },
    "captures": {
        "description": "One capture of a post (or of an article, when post is empty) into the WARC files.",
        "facets": ["source", "status"],
        "sort_desc": "captured_at",
        "columns": {
            "status": ("a live capture: the post's status then (an article's: ok or error); a Wayback copy: "
                       "recovered, not_recovered (the copy shows the post already gone) or error"),
            "error": "what went wrong, or why a Wayback copy recovered nothing",
        },
    },
    "records": {"description": "One WARC record: file, offset, length, digest."},
    "media": {"description": "A media file downloaded for a post."},
    "runs": {"description": "One archive or run invocation and its summary.", "sort_desc": "started_at"},
    "key_aliases": {"description": "A post's hash key that became its ID key once the ID was known."},
    "link_destinations": {"description": "Where a short link that names no post led, and when it was followed."},
    "capture_stamps": {"description": ("An RFC 3161 timestamp of a capture by one authority (tsa): its token, or the "
                                       "error that left the capture without one.")},
    "history_lost": {"description": ("A post or article a rebuild made from partial history: what its lost first "
                                     "journal entries held (a post's citing articles) is unknown; kind index: the "
                                     "whole index was, a WARC file (name) lost or damaged.")},
}

_VIEW_TABLES: dict[str, dict[str, Any]] = {
    "post_history": {"description": "Every status check of every post, with its key and handle.",
                     "facets": ["status", "handle"]},
    "citations_expanded": {"description": "Who cites whom, by article title and URL, post key and handle.",
                           "facets": ["handle", "kind"]},
}


def database_name(file_name: str) -> str:
    """The name Datasette gives a database file: its name without the extension (`archive.db` -> `archive`)."""
    return file_name.rsplit(".", 1)[0] if "." in file_name else file_name


def _start_here(database: str) -> str:
    """The links a person starts from, relative so that they work on the instance's and the
    database's page alike (and under a base URL)."""
    items = [f'<li><a href="{database}/{name}">{v["title"]}</a> ({name}, a view): {v["description"]}</li>'
             for name, v in _VIEWS.items()]
    items += [f'<li><a href="{database}/{name}">{q["title"]}</a> ({name}, a query)</li>' for name, q in _QUERIES.items()]
    return ("<p>Social posts cited by news articles, captured into WARC files, with each post's "
            "status history. Start here:</p><ul>" + "".join(items) + "</ul>")


def metadata(database: str | None = None) -> dict[str, Any]:
    """The metadata document for an archive whose index Datasette names `database` (by default
    the name of the archive's own file, `archive`)."""
    if database is None:
        from archiver.layout import DB_NAME

        database = database_name(DB_NAME)
    if not _NAME.fullmatch(database):
        raise UsageError(f"--database {database!r}: give the name Datasette shows for the file, letters, digits, "
                         "'_' and '-' only (rename the file to such a name if it has others)")
    queries = {name: {**query, "sql": canned.QUERIES[name]} for name, query in _QUERIES.items()}
    return {
        "title": "archiver: archived social posts",
        "description_html": _start_here(database),
        "databases": {
            database: {
                "title": "The archive's index",
                "description_html": _start_here(database),
                "tables": {**{name: {"title": _VIEWS[name]["title"], **table} for name, table in _VIEW_TABLES.items()},
                           **_TABLES},
                "queries": queries,
            }
        },
    }


def format_for(out: Path | None, fmt: str | None) -> Format:
    """The format asked for, else the one `out`'s suffix names (`.json`), else YAML; a format that
    contradicts the file's suffix (`-o m.json -f yaml`) is a usage error."""
    named = {".json": "json", ".yml": "yaml", ".yaml": "yaml"}.get(out.suffix.lower()) if out is not None else None
    chosen = fmt or named or "yaml"
    if chosen not in FORMATS:
        raise UsageError(f"--format {chosen}: expected one of {', '.join(FORMATS)}")
    if named is not None and out is not None and chosen != named:
        raise UsageError(f"--format {fmt} contradicts the output name {out.name!r}: name it "
                         f"*.{'json' if chosen == 'json' else 'yml'}, or leave --format out (the name decides)")
    return "json" if chosen == "json" else "yaml"



def render(document: dict[str, Any], fmt: Format) -> str:
    """The document as JSON or YAML text, ending with a newline."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return "".join(_yaml(document, 0))


def _yaml(value: Any, indent: int) -> list[str]:
    """YAML lines for a mapping of strings, lists of strings and mappings (block style)."""
    pad = " " * indent
    lines: list[str] = []
    for key, item in value.items():
        written = _scalar(str(key))
        if len(written) > _IMPLICIT_KEY_MAX:
            # YAML reads a key written before its ':' on one line up to 1024 characters only (PyYAML:
            # "could not find expected ':'"); a longer one is an explicit key, '?' then the key, ':' on
            # the next line.
            lines.append(f"{pad}? {written}\n")
            head = f"{pad}:"
        else:
            head = f"{pad}{written}:"
        if isinstance(item, dict):
            lines.append(head + "\n")
            lines.extend(_yaml(item, indent + 2))
        elif isinstance(item, list):
            lines.append(head + "\n")
            lines.extend(f"{pad}- {_scalar(str(v))}\n" for v in item)
        elif isinstance(item, str) and "\n" in item:
            # A literal block keeps the SQL readable; "-" drops the final newline.
            lines.append(head + " |-\n")
            lines.extend(f"{pad}  {line}\n" if line else "\n" for line in item.split("\n"))
        else:
            lines.append(f"{head} {_scalar(str(item))}\n")
    return lines


# The longest key written the usual way, `key: value` (YAML allows 1024 characters, quotes included).
_IMPLICIT_KEY_MAX = 1000
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words YAML 1.1 readers (PyYAML, which Datasette uses) take for booleans or null.
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _scalar(text: str) -> str:
    """A plain word as it is; anything else as a JSON string, which is a valid YAML double-quoted
    scalar (nothing left to YAML's guessing: no booleans, numbers or dates)."""
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)
