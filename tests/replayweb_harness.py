"""Opening a WACZ in ReplayWeb.page itself, in Chromium, for replay and search tests.

ReplayWeb.page is the npm package `replaywebpage` (its built `index.html`, `ui.js`, `sw.js`), which
`make replayweb` unpacks into `.replayweb/` at the repository root. A small HTTP server on a free
loopback port serves those files at `/` and the WACZ at `/archive/<name>` (with byte ranges, as
the service worker reads a WACZ piece by piece); Playwright drives Debian's Chromium against it.
Chromium resolves no host but 127.0.0.1, so nothing a replayed page asks for leaves the machine.

    with replayweb(tmp_path, out_wacz) as rwp:
        frame = rwp.replay("https://news.example/a.html", "20211108100000")  # the replayed page
        assert "River rising" in frame.inner_text("body")
        assert rwp.search("levee") == ["https://x.com/…"]   # page URLs listed by RWP's own search box
        info = rwp.collection()             # what the UI shows of the archive: pages, title, verify
        info["verify"]                      # ReplayWeb.page's verification of the bundle
        rwp.verify()                        # the same, plus "signature": True/False/None and "files"
        rwp.index_kinds()                   # ["zipnum"] or ["cdx"]: how it read the WACZ's index
        rwp.served_bytes                    # bytes of the WACZ it fetched so far
        rwp.page                            # the Playwright Page, for anything else

`require_replayweb()` skips the test when the package is not unpacked, except under CI=true, where
a missing ReplayWeb.page is a failure (`make test` unpacks it first).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from tests.requires import missing

ROOT = Path(__file__).resolve().parents[1]
REPLAYWEB_VERSION = "2.5.3"
REPLAYWEB_DIR = Path(os.environ.get("ARCHIVER_REPLAYWEB_DIR", ROOT / ".replayweb" / "package"))
APP_FILES = {"/": "index.html", "/index.html": "index.html", "/ui.js": "ui.js", "/sw.js": "sw.js"}
TIMEOUT_MS = 60_000  # generous: two cores shared by several test workers


def replayweb_available() -> bool:
    """The package is unpacked, at the version the tests were written against."""
    try:
        version = json.loads((REPLAYWEB_DIR / "package.json").read_text()).get("version")
    except (OSError, ValueError):
        return False
    return version == REPLAYWEB_VERSION and all((REPLAYWEB_DIR / n).is_file() for n in set(APP_FILES.values()))


def require_replayweb() -> Path:
    """The unpacked package's directory; skip when it is missing (fail instead under CI=true)."""
    if not replayweb_available():
        missing(f"ReplayWeb.page {REPLAYWEB_VERSION} is not unpacked in {REPLAYWEB_DIR}", "make replayweb unpacks it")
    return REPLAYWEB_DIR


def _handler(app_dir: Path, archive: Path, archive_path: str, served: list[int]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures
            pass

        def do_HEAD(self) -> None:
            self._serve(body=False)

        def do_GET(self) -> None:
            self._serve(body=True)

        def _serve(self, body: bool) -> None:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path == archive_path:
                self._serve_archive(body)
            elif path in APP_FILES:
                name = APP_FILES[path]
                ctype = "text/html; charset=utf-8" if name.endswith(".html") else "application/javascript"
                self._send(200, (app_dir / name).read_bytes(), ctype, body)
            else:
                self._send(404, b"not found\n", "text/plain", body)

        def _serve_archive(self, body: bool) -> None:
            size = archive.stat().st_size
            start, end, status, extra = 0, size - 1, 200, {"Accept-Ranges": "bytes"}
            if rng := self.headers.get("Range"):
                start, end = _byte_range(rng, size)
                if start > end:
                    self._send(416, b"", "text/plain", body, {"Content-Range": f"bytes */{size}"})
                    return
                status, extra["Content-Range"] = 206, f"bytes {start}-{end}/{size}"
            with archive.open("rb") as fh:
                fh.seek(start)
                data = fh.read(end + 1 - start)
            self._send(status, data, "application/wacz+zip", body, extra)
            if body:
                served.append(len(data))

        def _send(self, status: int, data: bytes, ctype: str, body: bool,
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if body:
                self.wfile.write(data)

    return Handler


def _byte_range(header: str, size: int) -> tuple[int, int]:
    """(first, last) byte of a single `bytes=` range, clamped to the file; first > last if unsatisfiable."""
    spec = header.split("=", 1)[1].split(",", 1)[0].strip()
    first, _, last = spec.partition("-")
    if not first:  # a suffix: the last N bytes
        return max(0, size - int(last)), size - 1
    return int(first), min(int(last), size - 1) if last else size - 1


@dataclass
class ReplayWeb:
    """ReplayWeb.page with one WACZ loaded, in a Chromium page."""

    page: Any  # playwright.sync_api.Page
    base: str  # the loopback server's root, `http://127.0.0.1:PORT`
    source: str  # the WACZ's URL as ReplayWeb.page loads it
    served: list[int]  # the size of each answer the server gave for the WACZ (whole or a byte range)

    @property
    def served_bytes(self) -> int:
        """Bytes of the WACZ sent to ReplayWeb.page so far."""
        return sum(self.served)

    @property
    def item(self) -> str:
        """ReplayWeb.page's id of the loaded archive: `id-` + the first 12 hex digits of sha256(source URL)."""
        return "id-" + hashlib.sha256(self.source.encode()).hexdigest()[:12]

    def open(self, **hash_params: str) -> None:
        """ReplayWeb.page's app for this archive, with the given view parameters (`view`, `url`, `ts`, `query`)."""
        query = urlencode({"source": self.source})
        fragment = urlencode(hash_params, quote_via=quote)
        self.page.goto(f"{self.base}/?{query}#{fragment}", timeout=TIMEOUT_MS)

    def replay(self, url: str, ts: str | None = None) -> Any:
        """The Playwright Frame in which ReplayWeb.page replays `url` (at 14-digit `ts`), once loaded."""
        marker = "mp_/" + url
        if any(marker in f.url for f in self.page.frames):
            # the app would only change the hash and keep the frame of this URL's earlier replay until
            # it navigates, which the wait below could take for the new one: start from an empty page
            self.page.goto("about:blank", timeout=TIMEOUT_MS)
        self.open(view="replay", url=url, **({"ts": ts} if ts else {}))
        self.page.wait_for_function(
            """marker => {
                const find = (root) => {
                    for (const el of root.querySelectorAll('*')) {
                        if (el.tagName === 'IFRAME' && (el.src || '').includes(marker)) return true;
                        if (el.shadowRoot && find(el.shadowRoot)) return true;
                    }
                    return false;
                };
                return find(document);
            }""", arg=marker, timeout=TIMEOUT_MS)
        for _ in range(TIMEOUT_MS // 100):  # the iframe's src is set before its frame navigates there
            frame = next((f for f in self.page.frames if marker in f.url), None)
            if frame is not None:
                frame.wait_for_load_state("load", timeout=TIMEOUT_MS)
                return frame
            self.page.wait_for_timeout(100)
        raise AssertionError(f"ReplayWeb.page opened no frame for {url}: frames {[f.url for f in self.page.frames]}")

    def collection(self) -> dict[str, Any]:
        """What ReplayWeb.page's service worker knows of the archive (its `?all=1` collection answer):
        `title`, `pages`, `size`, and `verify` (its check of the bundle: `numValid`, `numInvalid` file
        hashes, and for a signed bundle `datapackageHash`, `publicKey` or `domain`, `created`,
        `software`)."""
        if not self.page.url.startswith(self.base):
            self.open(view="pages")
        self.page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=TIMEOUT_MS)
        return dict(self.page.evaluate(
            """async (url) => {
                for (let i = 0; ; i++) {
                    const r = await fetch(url);
                    if (r.status === 200) return await r.json();
                    if (i > 300) throw new Error('collection not loaded: HTTP ' + r.status);
                    await new Promise(ok => setTimeout(ok, 200));
                }
            }""", f"{self.base}/w/api/c/{self.item}?all=1"))

    def verify(self) -> dict[str, Any]:
        """ReplayWeb.page's verification of the loaded bundle: its own summary (`collection()["verify"]`:
        `numValid`, `numInvalid`, and for a signed bundle `datapackageHash`, `publicKey` or `domain` and
        `certFingerprint`, `created`, `software`), plus what that summary blurs:

            "signature": True (verified), False (present, does not verify), None (unsigned bundle)
            "files": {path: True/False} for each file whose hash it compared with datapackage.json

        (Its `numValid` counts the signature entry whether or not it verified.)"""
        info = dict(self.collection().get("verify") or {})
        info["signature"], info["files"] = None, {}
        for row in self.stored("verification"):
            ident = str(row.get("id", ""))
            if ident.endswith("signature"):
                info["signature"] = bool(row.get("matched")) if row.get("expected") != "" else None
            elif "/" in ident or ident.endswith(".json"):
                # ids are the WACZ's name within the collection ("default") + the path inside it
                path = ident[len("default"):] if ident.startswith("default") else ident
                info["files"][path] = row.get("matched")
        return info

    def stored(self, store: str) -> list[dict[str, Any]]:
        """Every object of one of ReplayWeb.page's IndexedDB stores for this archive (`waczfiles`,
        `ziplines`, `verification`, `pages`...): its own record of what it loaded."""
        self.collection()  # loaded first
        return list(self.page.evaluate(
            """async ([name, store]) => {
                const db = await new Promise((ok, ko) => {
                    const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error);
                });
                try {
                    return await new Promise((ok, ko) => {
                        const r = db.transaction(store).objectStore(store).getAll();
                        r.onsuccess = () => ok(JSON.parse(JSON.stringify(r.result))); r.onerror = () => ko(r.error);
                    });
                } finally { db.close(); }
            }""", ["db:" + self.item, store]))

    def index_kinds(self) -> list[str]:
        """How ReplayWeb.page read each WACZ's index once a page was replayed: "cdx" (the whole CDXJ
        loaded) or "zipnum" (only the block index, blocks fetched as needed); "none" before any lookup."""
        kinds = {0: "none", 1: "cdx", 2: "zipnum"}
        return [kinds.get(f.get("indexType", 0), str(f.get("indexType"))) for f in self.stored("waczfiles")]

    def search(self, words: str) -> list[str]:
        """Type `words` into ReplayWeb.page's page search box ("Search by Page URL, Title, or Text");
        the URLs of the pages it then lists, in its order."""
        self.open(view="pages")
        box = self.page.locator("input[placeholder^='Search by Page URL']").first
        box.wait_for(timeout=TIMEOUT_MS)
        self.page.wait_for_function(_PAGE_LIST + "return !!list(document) && !list(document).loading; }",
                                    timeout=TIMEOUT_MS)
        box.fill(words)
        # the list filters a moment after typing stops; done when it holds the query, is not loading,
        # and the entries on screen are the ones it found
        handle = self.page.wait_for_function(
            _PAGE_LIST + """
            const el = list(document);
            if (!el || el.query !== q || el.loading) return null;
            const shown = [];
            const walk = (root) => {
                for (const e of root.querySelectorAll('*')) {
                    if (e.tagName === 'WR-PAGE-ENTRY' && e.page) shown.push(e.page.url);
                    if (e.shadowRoot) walk(e.shadowRoot);
                }
            };
            walk(el.shadowRoot || el);
            const found = el.filteredPages.map(p => p.url);
            if (shown.length !== found.length || shown.some(u => !found.includes(u))) return null;
            return shown; }""", arg=words, timeout=TIMEOUT_MS)
        return list(handle.json_value())


# finds ReplayWeb.page's page list element (the one holding `filteredPages`) through shadow roots
_PAGE_LIST = """q => {
    const list = (root) => {
        for (const el of root.querySelectorAll('*')) {
            if ('filteredPages' in el && 'query' in el) return el;
            if (el.shadowRoot) { const f = list(el.shadowRoot); if (f) return f; }
        }
        return null;
    };
"""


@contextmanager
def replayweb(workdir: Path, wacz: Path) -> Iterator[ReplayWeb]:
    """Serve ReplayWeb.page and `wacz` on a free loopback port and open it in Chromium; stop both after."""
    from playwright.sync_api import sync_playwright

    from archiver.capture.chromium import find_chromium

    app_dir = require_replayweb()
    wacz = Path(wacz).resolve()
    archive_path = "/archive/" + quote(wacz.name)
    served: list[int] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(app_dir, wacz, archive_path, served))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=find_chromium(),
                # loopback only: a replayed page that reaches for the live web gets no answer
                args=["--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                yield ReplayWeb(page=page, base=base, source=base + archive_path, served=served)
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
