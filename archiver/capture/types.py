"""The part of an HTTP client that the API fetchers need."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import httpx


class HttpGetter(Protocol):
    """The part of an HTTP client the API fetchers use: RecordingClient, or a plain httpx.Client."""

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        follow_redirects: bool = False,
    ) -> httpx.Response: ...
