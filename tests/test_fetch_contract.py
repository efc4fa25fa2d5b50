"""The metadata fetchers' one failure contract: never raise, name the failure, say if it means offline."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from archiver.capture.oembed import fetch_metadata
from archiver.errors import LimitExceeded, NetworkError, NetworkUnreachable, RefusedError
from archiver.platforms.twitter.shortlinks import resolve_shortlink
from archiver.platforms.twitter.syndication import fetch_oembed, fetch_syndication
from archiver.platforms.twitter.wayback import find_snapshot

STATUS = "https://twitter.com/someone/status/1764377001294643971"


class Failing:
    """An HttpGetter whose transport fails every request with one error, as RecordingClient.get would."""

    def __init__(self, error: NetworkError) -> None:
        self.error = error
        self.asked: list[str] = []

    def get(self, url: str, *, headers: dict[str, str] | None = None,
            follow_redirects: bool = False) -> httpx.Response:
        self.asked.append(url)
        raise self.error


def _fetch_all(client: Failing) -> list[Any]:
    return [
        fetch_syndication(client, 1764377001294643971),
        fetch_oembed(client, STATUS),
        fetch_metadata(client, "youtube", "https://www.youtube.com/watch?v=kX3f9TqLm2A"),
        find_snapshot(client, STATUS),
        resolve_shortlink(client, "https://t.co/abc"),
    ]


@pytest.mark.parametrize(
    ("error", "offline", "refused"),
    [
        (NetworkUnreachable("GET https://x: host name not resolved"), True, False),
        (NetworkError("GET https://x: could not connect ([Errno 111] Connection refused)"), False, False),
        (RefusedError("refused: https://x a private address (10.0.0.5)"), False, True),
        (LimitExceeded("https://x: body is over --max-bytes 10; cut off and skipped"), False, False),
    ],
)
def test_every_metadata_fetcher_names_the_failure_and_says_whether_it_means_offline(
        error: NetworkError, offline: bool, refused: bool) -> None:
    client = Failing(error)
    results = _fetch_all(client)
    assert client.asked  # each really asked, and none raised
    for result in results:
        assert result.error is not None and str(error) in result.error, (type(result).__name__, result.error)
        assert (result.network_failed, result.refused) == (offline, refused), type(result).__name__
