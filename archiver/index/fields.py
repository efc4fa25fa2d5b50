"""Pure rules for combining what different sources say about one post (no database here)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from archiver.times import (
    is_more_precise,
    normalise_posted_at,
    posted_bounds,
)

# Identity and content columns that a source either knows or leaves as None.
SCALAR_FIELDS: tuple[str, ...] = ("platform", "post_id", "url", "handle", "author", "posted_at", "text")
LIST_FIELDS: tuple[str, ...] = ("links", "media")

# Strongest first: an article that embeds a post also links to it, not the other way round.
KIND_RANK: dict[str, int] = {"embedded": 3, "linked": 2, "shortlink": 1}


def clean_handle(handle: str | None) -> str | None:
    """A handle without the leading `@` and surrounding space; None when nothing is left."""
    if handle is None:
        return None
    cleaned = handle.strip().lstrip("@").strip()
    return cleaned or None


def replaces_handle(old: str | None, new: str | None) -> bool:
    """True when the handle `new` replaces a held handle `old` that is another one: a change of case
    alone is the same handle (handles are matched in any case), and nothing replaces no handle."""
    return bool(old and new and old.lower() != new.lower())


def union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    """Both lists, first-seen order, without repeats."""
    seen: dict[str, None] = {}
    for item in (*first, *second):
        seen.setdefault(item, None)
    return list(seen)


def load_list(value: str | None) -> list[str]:
    """A JSON list column as a list (an unreadable value counts as empty)."""
    if not value:
        return []
    try:
        loaded = json.loads(value)
    except ValueError:
        return []
    return [str(item) for item in loaded] if isinstance(loaded, list) else []


def load_dict(value: str | None) -> dict[str, Any] | None:
    """A JSON object column as a dict, or None."""
    if not value:
        return None
    try:
        loaded = json.loads(value)
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None


def dump(value: Any) -> str:
    """JSON text for a list or dict column; keeps non-ASCII readable in the file."""
    return json.dumps(value, ensure_ascii=False, default=str)


def column_values(updates: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for a set of field updates, with the derived columns that go with them."""
    values: dict[str, Any] = {}
    for name, value in updates.items():
        if name in LIST_FIELDS or name == "data":
            values[name] = None if value is None else dump(value)
        else:
            values[name] = value
    if "handle" in updates:
        values["handle_lc"] = updates["handle"].lower() if updates["handle"] else None
    if "posted_at" in updates:
        values["posted_start"], values["posted_end"] = posted_bounds(updates["posted_at"])
    return values


def _readable(posted_at: str) -> bool:
    return posted_bounds(posted_at) != (None, None)


def _better_time(new: str, old: str) -> bool:
    """True when `new` says more than `old`: a full time over a bare date, anything readable over text
    that is not a date at all."""
    return is_more_precise(new, old) or (_readable(new) and not _readable(old))


def fill_gaps(known: Mapping[str, Any], incoming: Mapping[str, Any]) -> dict[str, Any]:
    """Updates that fill `known`'s unknown fields from `incoming`; known values stay.

    Exceptions: a full time replaces a bare date, and list fields are unions.
    """
    updates: dict[str, Any] = {}
    for name in SCALAR_FIELDS:
        new = incoming.get(name)
        if new is None:
            continue
        old = known.get(name)
        if old is None or (name == "posted_at" and _better_time(new, old)):
            updates[name] = new
    for name in LIST_FIELDS:
        old_list = list(known.get(name) or [])
        merged = union(old_list, incoming.get(name) or [])
        if merged != old_list:
            updates[name] = merged
    return updates


def richer_url(platform: str | None, known: str | None, incoming: str | None) -> bool:
    """True when `incoming` is a spelling of the very post whose address is `known` that holds more
    of what reaching it needs (its platform's `richer_url`: an unlisted Vimeo video's privacy hash),
    so that the post is asked about with it from now on; never for another post."""
    if not (platform and known and incoming) or known == incoming:
        return False
    from archiver.platforms import BY_NAME

    found = BY_NAME.get(platform)
    return found is not None and found.richer_url is not None and found.richer_url(known, incoming)


def authoritative(known: Mapping[str, Any], incoming: Mapping[str, Any]) -> dict[str, Any]:
    """Updates that replace `known`'s fields with `incoming`'s (structured data from the platform).

    None never replaces anything; lists are unions; `data` dicts merge key by key; a bare date or an
    unreadable date never replaces a full time (the ID-derived time is exact).
    """
    updates: dict[str, Any] = {}
    for name, new in incoming.items():
        if new is None:
            continue
        old = known.get(name)
        if name in LIST_FIELDS:
            merged = union(list(old or []), new)
            if merged != list(old or []):
                updates[name] = merged
        elif name == "data":
            merged_data = {**(old or {}), **new}
            if merged_data != old:
                updates[name] = merged_data
        elif name == "handle":
            handle = clean_handle(new)
            if handle is not None and handle != old:
                updates[name] = handle
        elif name == "posted_at":
            posted = normalise_posted_at(new)
            if posted is not None and posted != old and (old is None or not _better_time(old, posted)):
                updates[name] = posted
        elif new != old:
            updates[name] = new
    return updates
