"""Regenerate the small JPEGs in tests/fakeweb/media/ with Chromium's canvas encoder.

Run once by hand (`python -m tests.fakeweb.make_media`); the outputs are committed so the
server needs no image library. Each picture carries its own label, so two photos never share
bytes by accident (a shared payload would turn into a WARC revisit record).
"""

from __future__ import annotations

import base64
from pathlib import Path

from playwright.sync_api import sync_playwright

from . import site

MEDIA_DIR = Path(__file__).parent / "media"

_DRAW = """
([w, h, top, bottom, label]) => {
  const c = document.createElement('canvas'); c.width = w; c.height = h;
  const g = c.getContext('2d');
  const grad = g.createLinearGradient(0, 0, 0, h);
  grad.addColorStop(0, top); grad.addColorStop(1, bottom);
  g.fillStyle = grad; g.fillRect(0, 0, w, h);
  g.fillStyle = 'rgba(90,60,30,0.8)'; g.fillRect(0, h * 0.62, w, h * 0.38);
  g.fillStyle = 'rgba(40,90,160,0.9)'; g.fillRect(0, h * 0.72, w, h * 0.12);
  g.fillStyle = '#fff'; g.font = `bold ${Math.max(10, Math.round(h / 12))}px sans-serif`;
  g.fillText(label, Math.round(w / 20), Math.round(h / 5));
  return c.toDataURL('image/jpeg', 0.6);
}
"""


def _targets() -> list[tuple[str, int, int, str, str, str]]:
    out: list[tuple[str, int, int, str, str, str]] = []
    for t in site.TWEETS.values():
        for p in t.photos:
            out.append((f"photo-{p.key}-orig.jpg", p.width, p.height, "#8fb8de", "#d9e6f2", f"{p.key} orig"))
            out.append((f"photo-{p.key}-small.jpg", p.small_width, p.small_height, "#8fb8de", "#d9e6f2", f"{p.key} small"))
        if t.video:
            out.append((f"video-thumb-{t.video.id_str}.jpg", 640, 360, "#5a6b7c", "#aab7c4", "drone video"))
    for u in site.USERS:
        out.append((f"avatar-{u.screen_name}.jpg", 96, 96, "#3b6ea5", "#9cc3e6", u.screen_name[:2].upper()))
    for v in site.YOUTUBE_VIDEOS.values():
        out.append((f"yt-{v.id}.jpg", 480, 360, "#222222", "#777777", "YouTube"))
    return out


def main() -> None:
    MEDIA_DIR.mkdir(exist_ok=True)
    executable = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable)
        page = browser.new_page()
        for name, w, h, top, bottom, label in _targets():
            data_url = page.evaluate(_DRAW, [w, h, top, bottom, label])
            (MEDIA_DIR / name).write_bytes(base64.b64decode(data_url.split(",", 1)[1]))
            print(name, (MEDIA_DIR / name).stat().st_size)
        browser.close()


if __name__ == "__main__":
    main()
