"""A Batch: the WARC records that belong to one capture, in the order they were written.

Whoever fetches or renders for a capture (the HTTP client, the browser) is handed the batch and
writes through it; the capture's one commit point then indexes `batch.records` together. Nothing is
registered on a shared client or browser, so two captures in flight can never collect each other's
records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archiver.warcstore.records import Exchange, RecordInfo
    from archiver.warcstore.writer import WarcStore


@dataclass
class Batch:
    """Writes into `store` and remembers every record written, request and response alike."""

    store: WarcStore
    records: list[RecordInfo] = field(default_factory=list)

    def _keep(self, info: RecordInfo) -> RecordInfo:
        self.records.append(info)
        return info

    def write_exchange(self, ex: Exchange) -> tuple[RecordInfo, RecordInfo]:
        request, response = self.store.write_exchange(ex)
        return self._keep(request), self._keep(response)

    def write_revisit(self, ex: Exchange, original: RecordInfo) -> tuple[RecordInfo, RecordInfo]:
        request, response = self.store.write_revisit(ex, original)
        return self._keep(request), self._keep(response)

    def write_resource(self, uri: str, content_type: str, data: bytes, **kw: Any) -> RecordInfo:
        return self._keep(self.store.write_resource(uri, content_type, data, **kw))

    def write_metadata(self, uri: str, fields: dict[str, Any], **kw: Any) -> RecordInfo:
        return self._keep(self.store.write_metadata(uri, fields, **kw))

    def extend(self, other: Batch) -> None:
        """Take over another batch's records (an article fetched before its capture began)."""
        self.records.extend(other.records)

    def child(self) -> Batch:
        """An empty batch on the same store, for a part that may be kept or dropped on its own."""
        return Batch(self.store)

    @property
    def warc(self) -> str | None:
        """The WARC file holding the last record (a capture's records may span a rollover)."""
        return self.records[-1].filename if self.records else None

    def __len__(self) -> int:
        return len(self.records)
