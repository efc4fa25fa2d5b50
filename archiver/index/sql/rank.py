"""Citation kinds ranked in SQL, as `fields.KIND_RANK` ranks them in Python."""

from __future__ import annotations

from archiver.index.fields import KIND_RANK


def kind_rank_sql(column: str) -> str:
    """SQL giving the rank of the citation kind held in `column` (unknown kinds rank lowest)."""
    whens = " ".join(f"WHEN '{kind}' THEN {rank}" for kind, rank in KIND_RANK.items())
    return f"(CASE {column} {whens} ELSE 0 END)"
