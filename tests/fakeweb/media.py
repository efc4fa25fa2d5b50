"""Bytes of the pictures and videos served by pbs.twimg.com, video.twimg.com and i.ytimg.com."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from . import site

MEDIA_DIR = Path(__file__).parent / "media"


@functools.cache
def jpeg(name: str) -> bytes:
    """A committed JPEG from media/ (made by make_media.py)."""
    return (MEDIA_DIR / name).read_bytes()


def photo(key: str, orig: bool) -> bytes | None:
    """The original or the small rendition of a tweet photo; None for an unknown key."""
    path = MEDIA_DIR / f"photo-{key}-{'orig' if orig else 'small'}.jpg"
    return jpeg(path.name) if path.exists() else None


@functools.cache
def mp4(path: str, size: int) -> bytes:
    """`size` bytes that start like an MP4 (an ftyp box) and differ per variant."""
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    filler = hashlib.sha256(path.encode()).digest()
    body = head + filler * (size // len(filler) + 1)
    return body[:size]


def video_variant(path: str) -> site.VideoVariant | None:
    """The variant of any fake video served at this video.twimg.com path (query ignored)."""
    for tweet in site.TWEETS.values():
        if tweet.video:
            for variant in tweet.video.variants:
                if variant.path.split("?")[0] == path:
                    return variant
    return None


def m3u8(video: site.Video) -> str:
    """A master HLS playlist listing the MP4 variants' renditions (a playlist, not a file)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for v in video.variants:
        if v.bitrate is None:
            continue
        resolution = v.path.split("/avc1/")[1].split("/")[0]
        lines.append(f'#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH={v.bitrate},BANDWIDTH={v.bitrate},RESOLUTION={resolution},CODECS="avc1.640020"')
        lines.append(f"/ext_tw_video/{video.id_str}/pu/pl/avc1/{resolution}/stream.m3u8")
    return "\n".join(lines) + "\n"
