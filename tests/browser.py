"""Browser tests: Debian's Chromium, headless, driven by Playwright, with no network.

The fixtures in ``conftest.py`` use this module; a test asks for them by name:

- ``browser`` (session): headless Chromium. If it or a Chinese font is not installed the test
  *fails*, saying what to install (:func:`missing`; ``make test`` installs both as root, see
  the Makefile's ``browser`` target).
- ``page``: a fresh page (own context) in which every request to a host other than localhost
  is aborted, so what the test sees is what a reader without internet sees.
- ``page_log``: what went wrong on that page: ``blocked`` (requests aborted because they left
  localhost), ``failed`` (local requests that failed or answered ≥ 400) and ``errors``
  (uncaught JavaScript errors). An offline site keeps all three empty.
- ``screenshot(name)``: saves the page as ``test-artifacts/<test>/<name>.png`` (gitignored).
- ``serve(folder)``: serves a folder over HTTP on 127.0.0.1 in a thread; returns its base URL.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("GOVLAKE_CHROMIUM", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL = (
    "the browser tests need Debian's packages `chromium` and `fonts-wqy-microhei`: `make test` "
    "installs them when run as root; otherwise, as root, `apt-get install "
    "--no-install-recommends chromium fonts-wqy-microhei` (or set GOVLAKE_CHROMIUM to a "
    "Chromium binary)"
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})


@dataclass
class PageLog:
    """What a page tried and failed to do; all empty for a site that works offline."""

    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def missing() -> str | None:
    """Why the browser tests cannot run here, or None. Without a Chinese font every Chinese
    character is an empty box, so a missing font counts too."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium is not installed at {CHROMIUM}; {INSTALL}."
    try:
        fonts = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False
        ).stdout
    except FileNotFoundError:
        fonts = ""
    if not fonts.strip():
        return f"no font with Chinese characters (fc-list :lang=zh); {INSTALL}."
    return None


def is_external(url: str) -> bool:
    """True for a network URL whose host is not this machine (``file:``/``data:`` are local)."""
    parts = urlsplit(url)
    return parts.scheme in NETWORK_SCHEMES and parts.hostname not in LOCAL_HOSTS


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless; Playwright's own browser download does not work here."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def offline_page(browser: Any, log: PageLog) -> Any:
    """A page in a new context that aborts every request leaving localhost, logging it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")

    def route(route: Any) -> None:
        url = route.request.url
        if is_external(url):
            log.blocked.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def failed(request: Any) -> None:
        if not is_external(request.url):
            log.failed.append(f"{request.url}: {request.failure}")

    def response(response: Any) -> None:
        if response.status >= 400:
            log.failed.append(f"{response.url}: HTTP {response.status}")

    context.set_default_timeout(10_000)  # a page that works offline is ready in well under 1 s
    context.route("**/*", route)
    context.on("requestfailed", failed)
    context.on("response", response)
    page = context.new_page()
    page.on("pageerror", lambda error: log.errors.append(str(error)))
    return page


def artefact_dir(node_name: str) -> Path:
    """``test-artifacts/<test name>/``, a name safe as a folder."""
    return ARTIFACTS / re.sub(r"[^\w.-]+", "_", node_name).strip("_")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = partial(_QuietHandler, directory=str(folder))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()
            thread.join()
