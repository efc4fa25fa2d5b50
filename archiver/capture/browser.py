"""The synchronous face of the async renderer: one Chromium per run, `capture()` one page at a time.

`Browser` starts an `archiver.capture.chromium_render.ChromiumRenderer` on an event loop of its
own, in a dedicated daemon thread ("archiver-render"), and `capture()` hands each render to that
loop and waits for its result. Why a thread rather than `asyncio.Runner` on the calling thread:

* Signals. Python runs signal handlers in the main thread. The archiver's SIGINT/SIGTERM handler
  (archiver.interrupt) either records the signal or, inside `STOP.raising()`, raises at whatever
  bytecode is running. On the calling thread's own loop that could be the middle of Playwright's
  message dispatch, leaving its connection to the driver half-read. With the loop in another
  thread the exception can only land in the caller, blocked in `Future.result()`: the render is
  cancelled on its loop (its context closed there), and Playwright never sees a stray exception.
  A recorded signal (the usual case) lets the capture at hand finish, as before.
* The kill -9 watchdog (archiver.watchdog) looks for the driver among this process's children
  and watches its process tree; the thread that spawned the driver does not matter to it, and the
  driver has no parent-death signal tied to that thread. The driver still gets a session of its
  own, so a Ctrl-C at the terminal does not reach it.
* Later callers can keep several renders in flight on the same loop from other threads
  (`asyncio.run_coroutine_threadsafe`), which a loop tied to the caller's thread cannot offer.

The thread is a daemon so that a Browser never closed cannot keep the process alive; `close()`
ends the browser, then the loop, then joins the thread. A render's WARC writes happen on the loop
thread while its caller waits; callers in other threads may write to the same store at the same
time (the HTTP client of another capture), which the store's own lock serialises.

With `lazy`, Chromium (and its driver, gate and watchdog) start on the first `capture()`: a run
whose pages are all held already starts no browser at all. `pages_in_flight`, when given, bounds
the renders in flight at once, whichever threads ask for them: a caller over it waits for a page to end.

Library code: no CLI imports.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import threading
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from archiver.capture.renderer import ElementShot as ElementShot
from archiver.capture.renderer import FrameInfo as FrameInfo
from archiver.capture.renderer import PageCapture as PageCapture
from archiver.capture.renderer import Renderer
from archiver.errors import ArchiverError, BrowserError, BrowserUnavailable
from archiver.limits import DEFAULT_CAPTURE_DEADLINE

from ..resource import Closing

if TYPE_CHECKING:
    from archiver.capture.chromium import CHROMIUM_SERVICE_HOSTS as CHROMIUM_SERVICE_HOSTS  # re-exported
    from archiver.capture.chromium import NO_CHROMIUM as NO_CHROMIUM
    from archiver.capture.chromium import find_chromium as find_chromium
    from archiver.capture.pagesteps import VIEWPORT as VIEWPORT
    from archiver.net import NetOptions
    from archiver.warcstore import Batch

# Re-exported, imported on first use: Playwright is loaded only by a process that renders.
_ELSEWHERE = {"CHROMIUM_SERVICE_HOSTS": "archiver.capture.chromium", "NO_CHROMIUM": "archiver.capture.chromium",
              "find_chromium": "archiver.capture.chromium", "VIEWPORT": "archiver.capture.pagesteps"}


def __getattr__(name: str) -> Any:
    module = _ELSEWHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


T = TypeVar("T")

_CLOSE_PATIENCE = 60.0  # seconds for the browser, driver and gate to close


class Browser(Closing):
    """One Chromium for a whole run; `capture()` records one page in a fresh context.

    Safe to call from any thread; calls from several threads run their renders concurrently on
    the one browser (each in its own context, writing only into the batch it was handed).
    """

    renderer: Renderer

    def __init__(self, net: NetOptions, *, workdir: Path, timeout: float = 30.0,
                 headless: bool = True, capture_deadline: float | None = DEFAULT_CAPTURE_DEADLINE,
                 max_body: int | None = None, max_capture_bytes: int | None = None, lazy: bool = False,
                 on_launch: Callable[[Browser], None] | None = None, pages_in_flight: int | None = None) -> None:
        """Start Chromium now, or with `lazy` on the first `capture()` (a run with nothing to
        render never starts it); `on_launch(self)` is called once it runs (its version and user
        agent known). A Chromium that cannot start raises BrowserUnavailable, then and on every
        later capture. At most `pages_in_flight` captures render at once (None: no bound)."""
        async def launch() -> Renderer:
            from archiver.capture.chromium_render import ChromiumRenderer  # Playwright, only now

            return await ChromiumRenderer.launch(
                net, workdir=Path(workdir), timeout=timeout, headless=headless, capture_deadline=capture_deadline,
                max_body=max_body, max_capture_bytes=max_capture_bytes)

        self._launch: Callable[[], Coroutine[Any, Any, Renderer]] = launch
        self._on_launch = on_launch
        self._budget(pages_in_flight)
        self._launching = threading.Lock()
        self._launch_error: BrowserUnavailable | None = None
        self.browser_version = ""
        self.user_agent = ""
        self._start_loop()
        if not lazy:
            try:
                self._renderer()
            except BaseException:
                self._stop_loop()
                raise

    @property
    def launched(self) -> bool:
        """Whether the browser runs (or ran): False until the first capture of a lazy one."""
        return hasattr(self, "renderer")

    def _renderer(self) -> Renderer:
        """The running renderer, launched on first use (once, whichever thread asks first)."""
        if hasattr(self, "renderer"):
            return self.renderer
        with self._launching:
            if self._launch_error is not None:
                raise self._launch_error
            if not hasattr(self, "renderer"):
                try:
                    chromium = self._call(self._launch())
                except BrowserError as e:
                    self._launch_error = BrowserUnavailable(str(e))
                    raise self._launch_error from e
                except ArchiverError:
                    raise  # a full disk, say: named as what it is
                except Exception as e:
                    # The driver failing to start, a CDP session refused, a work folder that cannot
                    # be made: no capture can be made either, and no later one tries again.
                    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                    self._launch_error = BrowserUnavailable(f"Chromium could not be started: {first}")
                    raise self._launch_error from e
                self.browser_version = chromium.browser_version
                self.user_agent = chromium.user_agent
                self.renderer = chromium
                if self._on_launch is not None:
                    self._on_launch(self)
        return self.renderer

    @classmethod
    def wrapping(cls, renderer: Renderer) -> Browser:
        """The facade around a renderer that is already running (tests' FakeRenderer, say); closing
        the facade closes the renderer."""
        self = cls.__new__(cls)
        self._on_launch = None
        self._budget(None)
        self._launching = threading.Lock()
        self._launch_error = None
        self._start_loop()
        self.renderer = renderer
        self.browser_version = renderer.browser_version
        self.user_agent = renderer.user_agent
        return self

    def _budget(self, pages_in_flight: int | None) -> None:
        self.pages_in_flight = None if pages_in_flight is None else max(1, pages_in_flight)
        self._pages = (contextlib.nullcontext() if self.pages_in_flight is None
                       else threading.BoundedSemaphore(self.pages_in_flight))

    def _start_loop(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="archiver-render", daemon=True)
        self._thread.start()

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            # Whatever is left (a cancelled render still unwinding) ends here, with the loop.
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the browser's loop and wait for it; an exception in the waiting thread
        (a signal's) cancels it there."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()
            raise

    def _stop_loop(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        # A driver that never answers must not hold the process: the thread is a daemon, and the
        # watchdog kills the driver's processes once this process is gone.
        self._thread.join(_CLOSE_PATIENCE)

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            if hasattr(self, "renderer"):
                self._call(self.renderer.aclose(), _CLOSE_PATIENCE)
        except concurrent.futures.TimeoutError:
            pass  # the watchdog, closed last, kills what did not close
        finally:
            self._stop_loop()

    # ------------------------------------------------------------------------------------------

    def capture(self, url: str, batch: Batch, *, screenshot_path: Path | None,
                element_selectors: Sequence[str] = (), element_dir: Path | None = None,
                settle_ms: int = 1500, wait_for: str | None = None) -> PageCapture:
        """Load `url`, record its traffic and screenshots into `batch`; problems go to `errors`.

        A page that fails to load still yields a PageCapture (status None, errors filled) with
        whatever was recorded; only a dead browser raises BrowserError. At the capture deadline
        the steps stop: what was complete is kept and written, and `errors` says so. Waits first
        while `pages_in_flight` other captures render, if a bound was given.
        """
        with self._pages:
            return self._call(self._renderer().render(
                url, batch, screenshot_path=screenshot_path, element_selectors=element_selectors,
                element_dir=element_dir, settle_ms=settle_ms, wait_for=wait_for))
