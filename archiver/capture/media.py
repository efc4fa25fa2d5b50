"""Media files of a post (photos, videos), downloaded through the capture's recording client."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import httpx

from archiver.capture.types import HttpGetter
from archiver.errors import NetworkError

log = logging.getLogger(__name__)


@dataclass
class MediaFile:
    """One downloaded media file; `data` is empty and `error` set when the download failed."""

    url: str
    data: bytes
    sha256: str | None
    mime: str | None
    status: int | None
    error: str | None = None

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
            files.append(MediaFile(url, b"", None, None, None, error=str(e) or type(e).__name__))
            continue
        mime = resp.headers.get("content-type", "").split(";")[0].strip() or None
        if resp.status_code != 200:
            files.append(MediaFile(url, b"", None, mime, resp.status_code, error=f"HTTP {resp.status_code}"))
            continue
        data = resp.content
        files.append(MediaFile(url, data, hashlib.sha256(data).hexdigest(), mime, resp.status_code))
    return files
