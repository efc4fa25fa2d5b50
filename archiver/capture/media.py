"""Media files of a post (photos, videos), downloaded through the capture's recording client.

A download that did not come back whole is a failure, never a file: a body shorter (or longer)
than the length its answer declared, like one cut off by the connection or the deadline, is
named and left out (the recording client already refuses to record one; this holds whatever
client is given).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import httpx

from archiver.capture.http import cut_short, declared_length
from archiver.capture.types import Failure, HttpGetter
from archiver.errors import NetworkError

log = logging.getLogger(__name__)


@dataclass
class MediaFile:
    """One downloaded media file; `data` is empty and `error` set when the download failed.

    `network_failed`: the failure says the network itself may be down (NetworkError.unreachable)."""

    url: str
    data: bytes
    sha256: str | None
    mime: str | None
    status: int | None
    error: str | None = None
    network_failed: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def download_media(client: HttpGetter, urls: list[str]) -> list[MediaFile]:
    """Download each URL through the (recording) client; failures come back with `error` set."""
    files: list[MediaFile] = []
    for url in dict.fromkeys(urls):
        try:
            resp = client.get(url, follow_redirects=True)
        except (NetworkError, httpx.TransportError) as e:
            log.info("media %s: network failure: %s", url, e)
            failed = Failure.of(e)  # whether the network itself may be down, as every fetcher tells it
            files.append(MediaFile(url, b"", None, None, None, error=_without_url(failed.error, url) or type(e).__name__,
                                   network_failed=failed.network_failed))
            continue
        mime = resp.headers.get("content-type", "").split(";")[0].strip() or None
        if resp.status_code != 200:
            files.append(MediaFile(url, b"", None, mime, resp.status_code, error=f"HTTP {resp.status_code}"))
            continue
        data = resp.content
        short = cut_short(declared_length(resp.status_code, resp.headers), len(data))
        if short:
            files.append(MediaFile(url, b"", None, mime, resp.status_code, error=short))
            continue
        files.append(MediaFile(url, data, hashlib.sha256(data).hexdigest(), mime, resp.status_code))
    return files


def _without_url(message: str, url: str) -> str:
    """'GET URL: what failed' -> 'what failed' (the failure names the URL already)."""
    return message.removeprefix(f"GET {url}: ")
