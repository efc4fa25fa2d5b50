"""Element pictures cut out of the full-page screenshot they appear in.

A page's elements worth a picture of their own (the embeds of an article, the post on its embed
page) are all painted in the full-page screenshot taken just before: by then the page has settled
and every out-of-process iframe has been painted at its place (archiver.capture.pagesteps). Cutting
each element's box out of that one picture gives the pixels the page showed at the moment of the
full-page screenshot, without asking Chromium to composite and encode the page again for every
element (which, for an article with four embeds, costs more than the full-page shot itself).

An element whose box does not lie wholly inside the picture (off the page's edge, below the height
a screenshot can have, no area) gets no cut: the caller shoots it on its own, as before.
Decoding and encoding run in Pillow's C code; callers run `cut` in a thread, off their event loop.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Sequence

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

Box = tuple[float, float, float, float]  # x, y, width, height in CSS pixels, from the top of the document
Rect = tuple[int, int, int, int]  # left, top, right, bottom in the picture's pixels


def png_dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) a PNG declares in its header, or None when `data` is not a PNG."""
    if len(data) < 24 or data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def rect_in(box: Box, scale: float, size: tuple[int, int], max_height: int) -> Rect | None:
    """The pixels of `box` (CSS pixels, document coordinates) in a picture of `size` taken at
    device scale `scale`, or None when the box is empty or not wholly inside the picture (or reaches
    below `max_height` CSS pixels, past which Chromium does not paint a screenshot).

    The cut's size is the box's size times the scale, rounded, as an element screenshot's is.
    """
    x, y, width, height = box
    if not all(map(math.isfinite, box)) or scale <= 0:
        return None
    left, top = round(x * scale), round(y * scale)
    right, bottom = left + round(width * scale), top + round(height * scale)
    if right <= left or bottom <= top or left < 0 or top < 0:
        return None
    if right > size[0] or bottom > min(size[1], round(max_height * scale)):
        return None
    return left, top, right, bottom


def cut(png: bytes, rects: Sequence[Rect]) -> list[bytes]:
    """Each rectangle of the picture `png`, as a PNG of its own (lossless: the same pixels)."""
    from PIL import Image  # imported on the first capture with elements, not by every command

    if not rects:
        return []
    out: list[bytes] = []
    with Image.open(io.BytesIO(png)) as picture:
        picture.load()
        for rect in rects:
            buffer = io.BytesIO()
            picture.crop(rect).save(buffer, format="PNG")
            out.append(buffer.getvalue())
    return out

