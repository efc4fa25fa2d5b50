"""What a capture measures and reads in a page, taken where the page's own scripts cannot reach.

A page's scripts run in its main JavaScript world and may replace any built-in there before the
capture looks: `Element.prototype.getBoundingClientRect`, `Array.prototype.includes`, `Math.max`,
the `scrollHeight` and `innerText` getters, `window.devicePixelRatio`. What the capture evaluated in
that world (Playwright's `page.evaluate`, `element.evaluate`, `frame.evaluate` run there) would be
what the page says, not what it shows: an embed's picture cut out of another part of the page, an
element shot twice or never, the page's picture cut short, its text made up. So here:

- JavaScript runs in an isolated world of each frame (CDP `Page.createIsolatedWorld`, then
  `Runtime.evaluate` / `Runtime.callFunctionOn` in that execution context): the same document, with
  built-ins of its own that no script of the page can reach (the worlds Chromium gives extensions'
  content scripts; Playwright's own "utility" world, where it measures for its screenshots, is one).
  One world per frame per capture, made the first time that frame is read.
- Elements are told apart by the browser's node identity (`DOM.describeNode` backendNodeId), and the
  frame an iframe shows by the frame id the browser gives its owner element, not by page JavaScript.
- The page's size is the larger of Chromium's layout size (`Page.getLayoutMetrics` cssContentSize)
  and the size Playwright's full-page screenshot is drawn at (its formula, evaluated here in the
  isolated world).
- An out-of-process iframe's document lives in another renderer: it is read through the CDP session
  the traffic recorder holds on it (archiver.capture.recorder), in an isolated world made there.

What a page's scripts still decide is the page itself: what it shows, where, and when.
Used by archiver.capture.pagesteps.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from playwright.async_api import CDPSession, Page
from playwright.async_api import Error as PlaywrightError

log = logging.getLogger(__name__)

WORLD_NAME = "archiver-measure"  # not Playwright's (its utility world is named after the page)

# Playwright's CSS engine without combinators across shadow roots: the document's matches, then
# those of each open shadow root (its InjectedScript `_queryCSS` with pierceShadow), in that order.
# Every selector is asked in one call (the roots, the document and its open shadow roots in the
# order the engine visits them, are found once): the matches of each in turn, in one array, and last
# a JSON list of how many each matched, or why it could not be asked (not valid CSS).
_QUERY_JS = """(selectors) => {
  const roots = [];
  const visit = (root) => {
    roots.push(root);
    for (const e of root.querySelectorAll('*')) if (e.shadowRoot) visit(e.shadowRoot);
  };
  visit(document);
  const found = [], counts = [];
  for (const css of selectors) {
    const matched = [];
    try {
      for (const root of roots) for (const e of root.querySelectorAll(css)) matched.push(e);
    } catch (e) {
      counts.push(String(e));
      continue;
    }
    for (const e of matched) found.push(e);
    counts.push(matched.length);
  }
  found.push(JSON.stringify(counts));
  return found;
}"""
# Each element's border box from the top of the document (null when it is not shown: hidden,
# display:none, visibility:hidden) and, where asked, its innerText; read in one task, so that no
# script of the page runs (and scrolls) between the boxes and the scroll offset.
_MEASURE_JS = """function (texts, ...elements) {
  const sx = window.scrollX, sy = window.scrollY;
  return [devicePixelRatio, window.innerWidth, window.innerHeight, elements.map((e, i) => {
    const shown = !e.checkVisibility || e.checkVisibility({visibilityProperty: true, checkVisibilityCSS: true});
    const r = e.getBoundingClientRect();
    const text = texts[i] ? String(e.innerText ?? e.textContent ?? '') : '';
    return [shown ? [r.left + sx, r.top + sy, r.width, r.height] : null, text];
  })];
}"""
# The same, after two rendered frames (for an element just scrolled into view).
_MEASURE_RENDERED_JS = ("""function (texts, ...elements) {
  const measure = """ + _MEASURE_JS + """;
  return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(
    () => r(measure.call(this, texts, ...elements)))));
}""")
# The size Playwright's full-page screenshot is drawn at (its Screenshotter._fullPageSize).
_FULL_PAGE_JS = """(() => {
  const d = document.documentElement, b = document.body;
  if (!d) return [0, 0];
  const w = [d.scrollWidth, d.offsetWidth, d.clientWidth], h = [d.scrollHeight, d.offsetHeight, d.clientHeight];
  if (b) { w.push(b.scrollWidth, b.offsetWidth, b.clientWidth); h.push(b.scrollHeight, b.offsetHeight, b.clientHeight); }
  return [Math.max(...w), Math.max(...h)];
})()"""
BODY_TEXT_JS = "document.body ? document.body.innerText : ''"


class MeasureError(Exception):
    """What was asked of a page could not be measured (its frame went away, an element not shown)."""


class Sessions(Protocol):
    """The CDP sessions a page's traffic recorder holds (archiver.capture.recorder)."""

    @property
    def page_session(self) -> CDPSession | None: ...

    @property
    def frame_sessions(self) -> Sequence[CDPSession]: ...


@dataclass
class Found:
    """One element a selector matched: its remote object in the main frame's isolated world, its node."""

    selector: str
    index: int  # among the selector's matches
    object_id: str
    node: int  # backendNodeId
    frame_id: str | None  # the frame an iframe element shows (None: not a frame's owner)


@dataclass
class Measured:
    """An element's border box in CSS pixels from the top of the document (None: not shown), its text."""

    box: tuple[float, float, float, float] | None
    text: str


@dataclass
class FrameRead:
    """One frame as read: its address, name and body text."""

    url: str
    name: str
    text: str


@dataclass
class _Frame:
    session: CDPSession
    frame_id: str
    url: str
    name: str


class PageReader:
    """Measures and reads one page (and its frames) outside its scripts' reach; one per capture."""

    def __init__(self, page: Page, sessions: Sessions) -> None:
        self.page = page
        self._sessions = sessions
        self._own: CDPSession | None = None
        self._main_frame: str | None = None
        self._worlds: dict[tuple[int, str], int] = {}

    async def session(self) -> CDPSession:
        """The page's CDP session: the recorder's, or one opened here if it has none."""
        session = self._sessions.page_session
        if session is not None:
            return session
        if self._own is None:
            self._own = await self.page.context.new_cdp_session(self.page)
        return self._own

    async def main_frame_id(self) -> str:
        if self._main_frame is None:
            tree = await (await self.session()).send("Page.getFrameTree")
            self._main_frame = str(tree["frameTree"]["frame"]["id"])
        return self._main_frame

    # -- isolated worlds -----------------------------------------------------------------------

    async def _world(self, session: CDPSession, frame_id: str, fresh: bool = False) -> int:
        key = (id(session), frame_id)
        if fresh or key not in self._worlds:
            made = await session.send("Page.createIsolatedWorld", {"frameId": frame_id, "worldName": WORLD_NAME})
            self._worlds[key] = int(made["executionContextId"])
        return self._worlds[key]

    async def _in_world(self, session: CDPSession | None, frame_id: str | None, method: str,
                        params: dict[str, Any]) -> Any:
        """`method` sent with the frame's isolated world as its execution context: the main frame's
        by default. A world its document took along when it navigated is made again, once."""
        session = session or await self.session()
        frame_id = frame_id or await self.main_frame_id()
        key = "contextId" if method == "Runtime.evaluate" else "executionContextId"
        for attempt in (0, 1):
            context = await self._world(session, frame_id, fresh=attempt == 1)
            try:
                answer = await session.send(method, {**params, key: context})
            except PlaywrightError as e:
                if attempt == 0 and "context" in str(e).lower():
                    continue  # the document was replaced: a world in the new one
                raise
            details = answer.get("exceptionDetails")
            if details:
                raise MeasureError(_exception_text(details))
            return answer.get("result", {})
        raise AssertionError("unreachable")

    async def evaluate(self, expression: str, *, session: CDPSession | None = None, frame_id: str | None = None,
                       await_promise: bool = False) -> Any:
        """The value of `expression` in the frame's isolated world (the main frame's by default)."""
        result = await self._in_world(session, frame_id, "Runtime.evaluate", {
            "expression": expression, "returnByValue": True, "awaitPromise": await_promise})
        return result.get("value")

    async def call(self, function: str, *args: Any, await_promise: bool = False) -> Any:
        """`function` called in the main frame's isolated world; remote objects (`Found`) passed as such."""
        arguments = [{"objectId": a.object_id} if isinstance(a, Found) else {"value": a} for a in args]
        result = await self._in_world(None, None, "Runtime.callFunctionOn", {
            "functionDeclaration": function, "arguments": arguments, "returnByValue": True,
            "awaitPromise": await_promise})
        return result.get("value")

    # -- the page ------------------------------------------------------------------------------

    async def autoscroll(self, script: str, max_steps: int) -> int:
        """Run the page's scroll-through `script` (a function of the step limit) in the isolated world."""
        return int(await self.evaluate(f"({script})({int(max_steps)})", await_promise=True) or 0)

    async def layout(self) -> tuple[tuple[int, int], tuple[float, float]]:
        """((width, height) of the page in CSS pixels, (x, y) it is scrolled to)."""
        metrics, drawn = await asyncio.gather((await self.session()).send("Page.getLayoutMetrics"),
                                              self.evaluate(_FULL_PAGE_JS))
        content = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
        viewport = metrics.get("cssLayoutViewport") or metrics.get("layoutViewport") or {}
        width = max(_ceil(content.get("width")), _ceil(drawn[0] if drawn else 0))
        height = max(_ceil(content.get("height")), _ceil(drawn[1] if drawn else 0))
        return (width, height), (float(viewport.get("pageX") or 0), float(viewport.get("pageY") or 0))

    # -- elements ------------------------------------------------------------------------------

    async def find(self, selectors: Sequence[str]) -> list[list[Found] | str]:
        """For each selector, every element it matches in the main frame's document (and its open
        shadow roots), or why it could not be asked (not valid CSS): all asked in one call."""
        if not selectors:
            return []
        listed = await self._in_world(None, None, "Runtime.callFunctionOn", {
            "functionDeclaration": _QUERY_JS, "arguments": [{"value": list(selectors)}], "returnByValue": False})
        session = await self.session()
        if "objectId" not in listed:
            raise MeasureError("the selectors' matches could not be read")
        props = await session.send("Runtime.getProperties", {"objectId": listed["objectId"], "ownProperties": True})
        values = {int(p["name"]): p.get("value", {}) for p in props.get("result", []) if p.get("name", "").isdigit()}
        if not values or not isinstance(values[len(values) - 1].get("value"), str):
            raise MeasureError("the selectors' matches could not be read")
        counts = json.loads(values.pop(len(values) - 1)["value"])
        objects = [values[i]["objectId"] for i in range(len(values))]
        nodes = await asyncio.gather(*(session.send("DOM.describeNode", {"objectId": oid, "depth": 0})
                                       for oid in objects))
        answers: list[list[Found] | str] = []
        at = 0
        for selector, count in zip(selectors, counts, strict=True):
            if isinstance(count, str):
                answers.append(count.strip().splitlines()[0] if count.strip() else "script error")
                continue
            found = []
            for index, (oid, described) in enumerate(zip(objects[at:at + count], nodes[at:at + count], strict=True)):
                node = described["node"]
                frame = node.get("frameId") if node.get("nodeName") in ("IFRAME", "FRAME") else None
                found.append(Found(selector, index, oid, int(node["backendNodeId"]), frame))
            answers.append(found)
            at += count
        return answers

    async def measure(self, elements: Sequence[Found]) -> tuple[float, list[Measured]]:
        """(device scale, each element's box and, for one that shows no frame, its innerText)."""
        if not elements:
            return float(await self.evaluate("devicePixelRatio")), []
        scale, _w, _h, rows = await self.call(_MEASURE_JS, [e.frame_id is None for e in elements], *elements)
        return float(scale), [Measured(_box(box), str(text)) for box, text in rows]

    async def shoot(self, element: Found) -> tuple[bytes, tuple[float, float], str]:
        """The element's own picture, as Playwright's element screenshot takes it (scrolled into view,
        its box after two rendered frames, Page.captureScreenshot of that box of the document), its
        box's size and (not showing a frame) its innerText read with the box; MeasureError when it
        is not shown or has no area."""
        import base64

        session = await self.session()
        try:
            await session.send("DOM.scrollIntoViewIfNeeded", {"backendNodeId": element.node})
        except PlaywrightError as e:
            if "layout object" in str(e):
                raise MeasureError("the element is not shown") from e
            raise
        _scale, width, height, ((box, text),) = await self.call(
            _MEASURE_RENDERED_JS, [element.frame_id is None], element, await_promise=True)
        measured = _box(box)
        if measured is None or measured[2] <= 0 or measured[3] <= 0:
            raise MeasureError("the element is not shown or has no area")
        x, y, w, h = measured
        left, top = math.floor(x + 1e-3), math.floor(y + 1e-3)
        right, bottom = math.ceil(x + w - 1e-3), math.ceil(y + h - 1e-3)
        shot = await session.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": not (w <= width and h <= height),
            "clip": {"x": left, "y": top, "width": right - left, "height": bottom - top, "scale": 1}})
        return base64.b64decode(shot["data"]), (w, h), str(text)

    # -- frames --------------------------------------------------------------------------------

    async def _frames(self) -> list[_Frame]:
        """Every frame of the page: the page's own session's (its main frame and the iframes in its
        process), then each out-of-process iframe's; in the order of their frame trees."""
        sessions = [await self.session(), *self._sessions.frame_sessions]
        trees = await asyncio.gather(*(s.send("Page.getFrameTree") for s in sessions), return_exceptions=True)
        out: list[_Frame] = []
        seen: set[str] = set()
        for session, tree in zip(sessions, trees, strict=True):
            if isinstance(tree, BaseException):
                continue  # a frame gone (detached, or now in its parent's process)
            for frame in _walk(tree.get("frameTree", {})):
                frame_id = str(frame.get("id"))
                if frame_id in seen:
                    continue
                seen.add(frame_id)
                url = str(frame.get("url") or "") + str(frame.get("urlFragment") or "")
                out.append(_Frame(session, frame_id, url, str(frame.get("name") or "")))
        return out

    async def _text(self, frame: _Frame) -> str | None:
        try:
            return str(await self.evaluate(BODY_TEXT_JS, session=frame.session, frame_id=frame.frame_id) or "")
        except (PlaywrightError, MeasureError) as e:
            log.debug("frame %s not read: %s", frame.url, e)
            return None

    async def frames(self) -> list[FrameRead]:
        """Every frame's address, name and body text (a frame that cannot be read is left out)."""
        frames = await self._frames()
        texts = await asyncio.gather(*(self._text(f) for f in frames))
        return [FrameRead(f.url, f.name, t) for f, t in zip(frames, texts, strict=True) if t is not None]

    async def frame_contents(self, frame_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(URL, body text) of each frame named (text "" for one that cannot be read; a frame gone
        is left out)."""
        wanted = set(frame_ids)
        if not wanted:
            return {}
        frames = [f for f in await self._frames() if f.frame_id in wanted]
        texts = await asyncio.gather(*(self._text(f) for f in frames))
        return {f.frame_id: (f.url, t or "") for f, t in zip(frames, texts, strict=True)}

    async def close(self) -> None:
        if self._own is not None:
            try:
                await self._own.detach()
            except PlaywrightError:
                pass
            self._own = None


def _walk(tree: dict[str, Any]) -> Iterable[dict[str, Any]]:
    if "frame" in tree:
        yield tree["frame"]
    for child in tree.get("childFrames", []) or []:
        yield from _walk(child)


def _box(value: Any) -> tuple[float, float, float, float] | None:
    if not isinstance(value, list) or len(value) != 4:
        return None
    try:
        box = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (box[0], box[1], box[2], box[3]) if all(map(math.isfinite, box)) else None


def _ceil(value: Any) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    return math.ceil(number) if math.isfinite(number) else 0


def _exception_text(details: dict[str, Any]) -> str:
    exception = details.get("exception") or {}
    text = exception.get("description") or details.get("text") or "script error"
    return str(text).strip().splitlines()[0]
