"""No fixed pause in the capture path: captures wait for what the page reports, never for a time.

Reads the source of archiver/capture/ and of the pipeline's capture steps and fails on any
`time.sleep`, `asyncio.sleep`, `wait_for_timeout`, an `Event.wait(timeout)` used as a pause,
or a `setTimeout`/`setInterval` in a script given to pages. The HTTP client's retry backoff is
the one pause allowed: it waits for a server that asked to be left alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAPTURE_PATH = sorted((ROOT / "archiver" / "capture").glob("*.py")) + [
    ROOT / "archiver" / "pipeline" / name for name in ("articles.py", "posts.py", "postcapture.py")]
# (file, enclosing function): pauses allowed there.
ALLOWED = {("archiver/capture/http.py", "_sleep")}
_PAUSES = {"sleep", "wait_for_timeout"}
_JS_TIMERS = ("setTimeout", "setInterval")


def pauses(source: str, filename: str) -> list[str]:
    """Each fixed pause in `source`, as "file:line: what (in function)"."""
    found: list[str] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        what = None
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in _PAUSES:
                what = f"{name}()"
            elif name == "wait" and (node.args or node.keywords):
                # threading.Event.wait(t) / Condition.wait(t): a pause. asyncio.wait(tasks) waits for
                # the first or all of them to end, a pause only with a timeout.
                gather = (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                          and func.value.id == "asyncio")
                if not gather or any(k.arg == "timeout" for k in node.keywords):
                    what = "wait(timeout)"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            timer = next((t for t in _JS_TIMERS if t in node.value), None)
            if timer is not None:
                what = f"{timer} in a page script"
        if what is not None and (filename, function) not in ALLOWED:
            found.append(f"{filename}:{getattr(node, 'lineno', '?')}: {what} (in {function or 'module'})")
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), "")
    return found


def test_the_capture_path_has_no_fixed_pause() -> None:
    assert all(path.is_file() for path in CAPTURE_PATH)
    found = [p for path in CAPTURE_PATH
             for p in pauses(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())]
    assert found == []


def test_the_retry_backoff_is_the_one_pause_and_it_is_still_seen() -> None:
    http = ROOT / "archiver" / "capture" / "http.py"
    source = http.read_text(encoding="utf-8")
    assert "time.sleep(" in source  # the allowance is not left over from code that is gone
    assert pauses(source, "elsewhere.py") != []


def test_each_kind_of_pause_is_caught() -> None:
    snippets = {
        "import time\ndef f():\n    time.sleep(0.4)\n": "sleep()",
        "import asyncio\nasync def f():\n    await asyncio.sleep(0.05)\n": "sleep()",
        "async def f(page):\n    await page.wait_for_timeout(400)\n": "wait_for_timeout()",
        "def f(event):\n    event.wait(0.5)\n": "wait(timeout)",
        "import asyncio\nasync def f(t):\n    await asyncio.wait({t}, timeout=0.5)\n": "wait(timeout)",
        "JS = 'async () => { await new Promise((r) => setTimeout(r, 50)); }'\n": "setTimeout in a page script",
        "JS = 'setInterval(poll, 100)'\n": "setInterval in a page script",
    }
    for source, what in snippets.items():
        (found,) = pauses(source, "x.py")
        assert what in found, (source, found)
    # Waiting on an event with no time limit, or under a ceiling, is not a pause.
    assert pauses("async def f(e):\n    async with asyncio.timeout_at(t):\n        await e.wait()\n", "x.py") == []
    # Waiting for the first of two things to end is none either.
    assert pauses("import asyncio\nasync def f(a, b):\n    await asyncio.wait({a, b}, return_when=asyncio.FIRST_COMPLETED)\n",
                  "x.py") == []
