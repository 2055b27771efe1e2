"""Serve the built site, and the quality Data Docs it links to, with the standard library.

The site links to the Data Docs relatively (``../../quality_docs/…`` from the default
``<lake>/catalogue/site/``), so both are served under their common parent folder at the same
relative places, and nothing else of that folder: the lake's raw and restricted zones are
never reachable. ``/`` redirects to the site's home page.
"""

from __future__ import annotations

import contextlib
import json
import os
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

from govlake.catalogue.site.build import SITE_JSON
from govlake.catalogue.site.data import SiteError


def _mounts(site_dir: Path) -> tuple[Path, list[Path]]:
    """The folder to serve from and the folders under it that may be read."""
    site_dir = site_dir.resolve()
    if not (site_dir / "index.html").is_file():
        raise SiteError(f"no catalogue site at {site_dir}: build it first (`govlake catalog site`)")
    allowed = [site_dir]
    info = json.loads((site_dir / SITE_JSON).read_text(encoding="utf-8"))
    if info.get("quality_docs"):
        docs = (site_dir / info["quality_docs"]).resolve()
        if docs.is_dir():
            allowed.append(docs)
    return Path(os.path.commonpath(allowed)), allowed


class _Handler(SimpleHTTPRequestHandler):
    """Files of the allowed folders only; no directory listings."""

    allowed: tuple[Path, ...] = ()
    home: str = "/"

    def send_head(self) -> Any:
        if self.path.split("?", 1)[0] in ("", "/"):
            self.send_response(302)
            self.send_header("Location", self.home)
            self.end_headers()
            return None
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        real = path.resolve()
        if not real.is_file() or not any(real.is_relative_to(a) for a in self.allowed):
            self.send_error(404, "not part of the catalogue site")
            return None
        return super().send_head()

    def log_message(self, format: str, *args: Any) -> None:  # quiet unless asked
        if os.environ.get("GOVLAKE_SERVE_LOG"):
            super().log_message(format, *args)


def make_server(site_dir: Path, port: int = 8000, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for the site (``port`` 0 picks a free one); its ``url`` attribute is the
    site's home page. The caller runs ``serve_forever`` and closes it."""
    root, allowed = _mounts(Path(site_dir))
    where = allowed[0].relative_to(root).as_posix()
    home = "/index.html" if where == "." else f"/{quote(where)}/index.html"
    handler = type("CatalogueHandler", (_Handler,), {"allowed": tuple(allowed), "home": home})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=str(root)))
    bound_host, bound_port = server.server_address[:2]
    server.url = f"http://{bound_host}:{bound_port}{home}"  # type: ignore[attr-defined]
    return server


def serve(site_dir: Path, port: int = 8000, host: str = "127.0.0.1") -> None:
    """Serve until interrupted (Ctrl-C), printing the address."""
    with make_server(site_dir, port, host) as server:
        print(f"catalogue site: {server.url} (Ctrl-C stops)", flush=True)  # type: ignore[attr-defined]
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
