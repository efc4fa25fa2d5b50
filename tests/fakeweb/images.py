"""Pictures of a known pixel size for the platforms' CDNs: the size is in the path (`/640x800/`)."""

from __future__ import annotations

import functools
import hashlib
import re
import struct
import zlib

from .app import Request, Response, not_found

_SIZE = re.compile(r"/(\d{1,4})x(\d{1,4})/")


@functools.cache
def png(width: int, height: int, seed: str) -> bytes:
    """A grey PNG of width x height pixels, its shade taken from `seed` (so pictures differ)."""
    shade = hashlib.sha256(seed.encode()).digest()[0]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\x00" + bytes([shade]) * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, None for anything else."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def image_response(req: Request) -> Response:
    """The picture a CDN path names by its size; 404 for a path without one."""
    m = _SIZE.search(req.path)
    if m is None:
        return not_found()
    return Response(200, png(int(m.group(1)), int(m.group(2)), req.host + req.path), "image/png",
                    [("cache-control", "max-age=86400")])
