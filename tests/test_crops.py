"""Cutting element pictures out of a full-page screenshot: where a box lies in the picture, and
the cut's pixels (pure functions; Pillow draws and reads the pictures)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from archiver.capture.crops import cut, png_dimensions, rect_in

SIZE = (1280, 3000)


def _png(width: int, height: int) -> bytes:
    """A picture whose every pixel tells its place: red = x % 256, green = y % 256, blue = y // 256."""
    picture = Image.new("RGB", (width, height))
    picture.putdata([(x % 256, y % 256, y // 256) for y in range(height) for x in range(width)])
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def test_png_dimensions_reads_the_header() -> None:
    assert png_dimensions(_png(7, 3)) == (7, 3)
    assert png_dimensions(b"GIF89a" + bytes(30)) is None
    assert png_dimensions(b"\x89PNG\r\n\x1a\n") is None


@pytest.mark.parametrize(("box", "scale", "expected"), [
    ((40, 100, 300, 150), 1, (40, 100, 340, 250)),
    ((40.4, 100.6, 300.2, 150.4), 1, (40, 101, 340, 251)),  # the size is the box's, rounded
    ((10, 20, 30, 40), 2, (20, 40, 80, 120)),  # device pixels
    ((0, 2850, 1280, 150), 1, (0, 2850, 1280, 3000)),  # touching the bottom and right edges
])
def test_rect_in_a_box_inside_the_picture(box: tuple[float, float, float, float], scale: float,
                                          expected: tuple[int, int, int, int]) -> None:
    assert rect_in(box, scale, SIZE, 16384) == expected


@pytest.mark.parametrize(("box", "why"), [
    ((0, 400, 1500, 50), "wider than the picture"),
    ((-5, 10, 100, 100), "starts left of the page"),
    ((10, 2950, 100, 100), "ends below the picture"),
    ((10, 10, 0, 100), "no width"),
    ((10, 10, 100, 0.2), "less than a pixel high"),
    ((10, float("nan"), 100, 100), "not a number"),
    ((10, 2000, 100, 100), "below the height a screenshot is painted to"),
])
def test_rect_in_no_cut(box: tuple[float, float, float, float], why: str) -> None:
    assert rect_in(box, 1, SIZE, 2048) is None, why


def test_cut_gives_each_rectangles_pixels() -> None:
    full = _png(600, 700)
    rects = [(40, 100, 340, 250), (0, 600, 600, 700), (599, 0, 600, 1)]
    pictures = cut(full, rects)
    assert len(pictures) == 3
    for (left, top, right, bottom), data in zip(rects, pictures, strict=True):
        assert png_dimensions(data) == (right - left, bottom - top)
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.getpixel((0, 0)) == (left % 256, top % 256, top // 256)
            last = picture.getpixel((right - left - 1, bottom - top - 1))
            assert last == ((right - 1) % 256, (bottom - 1) % 256, (bottom - 1) // 256)
    assert cut(full, []) == []
