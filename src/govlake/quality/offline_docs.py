"""Data Docs that work without internet: vendored assets and relative URLs.

GX 1.24's page templates (``page.j2``, ``index_page.j2``, ``js_script_imports.j2``,
``top_navbar.j2``) hard-code CDN URLs for jQuery, bootstrap, bootstrap-table, vega and Font
Awesome, and GX has no setting for local copies: a ``custom_views_directory`` is searched
*after* the stock templates, so it can add templates but not replace these. Without the
network the pages show nothing but two "Clear Filters" buttons. So the written site is
post-processed once, by :func:`localise_data_docs`: the files in ``docs_assets/`` (same
packages and versions, from the npm registry; see its README) are copied into the site and
every page's URLs are rewritten to relative ones. A URL GX loads that is not vendored stops
the build with its name, rather than leaving a page that breaks offline.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

ASSETS_DIR = Path(__file__).with_name("docs_assets")
VENDOR_DIR = "static/vendor"  # inside the Data Docs site

_BTABLE = "bootstrap-table@1.19.1/dist"
_FILTER = "bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control"

#: URL in GX 1.24's templates → file under ``docs_assets/`` (``<package>@<version>/<path>``).
CDN_ASSETS: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/vega@5": "vega@5.33.1/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite@5.23.0/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed@6.29.0/build/vega-embed.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "@fortawesome/fontawesome-free@6.6.0/css/all.min.css"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery@3.7.1/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js@1.12.9/dist/umd/popper.min.js"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap@4.3.1/dist/js/bootstrap.min.js"
    ),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap@4.3.1/dist/css/bootstrap.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        f"{_BTABLE}/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        f"{_BTABLE}/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": (
        f"{_BTABLE}/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": f"{_FILTER}.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": f"{_FILTER}.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": "bootstrap-datepicker@1.9.0/dist/js/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": (
        "bootstrap-datepicker@1.9.0/dist/css/bootstrap-datepicker.min.css"
    ),
    # the same release's minified file: the unminified one is 883 kB of inline source map
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": (
        "@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.min.css"
    ),
}

_GX_IMAGES = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
#: GX's logos on S3 → a path inside the site (GX copies its images to ``static/images/``), or
#: ``None`` where no local copy exists (the dark-mode logo: dark mode then shows no logo).
REMOTE_IMAGES: dict[str, str | None] = {
    f"{_GX_IMAGES}logo-long.png": "static/images/logo-long.png",
    f"{_GX_IMAGES}full_logo_dark.png": None,
}

# Tags whose URL the browser loads (an <a href> is a link a reader may follow, left alone).
_TAG = re.compile(r"<(?:script|link|img)\b[^>]*>", re.IGNORECASE)
_TAG_URL = re.compile(r"""\b(?P<attr>src|href)=(?P<q>["'])(?P<url>https?://[^"']*)(?P=q)""")
_SRI = re.compile(r"""\s+(?:integrity|crossorigin)=(["'])[^"']*\1""")
_CSS_URL = re.compile(r"""url\((?P<q>['"]?)(?P<url>https?://[^'")]*)(?P=q)\)""")


class OfflineDocsError(RuntimeError):
    """A Data Docs page loads a URL that has no vendored copy."""


def localise_data_docs(site: Path) -> list[Path]:
    """Copy the vendored assets into ``site`` and make every page load them by relative URL.

    Returns the pages rewritten. Raises :class:`OfflineDocsError` naming the page and URL if
    a page would still load anything over http(s).
    """
    site = Path(site)
    shutil.copytree(ASSETS_DIR, site / VENDOR_DIR, dirs_exist_ok=True)
    pages = sorted(site.rglob("*.html"))
    for page in pages:
        html = page.read_text(encoding="utf-8")
        local = _rewrite(html, Path(os.path.relpath(site, page.parent)).as_posix(), page)
        if local != html:
            page.write_text(local, encoding="utf-8")
    return pages


def _rewrite(html: str, root: str, page: Path) -> str:
    """``html`` with its remote asset URLs replaced by paths relative to the site ``root``."""

    def local(url: str) -> str | None:
        bare = url.split("?", 1)[0]
        if url in CDN_ASSETS:
            return f"{root}/{VENDOR_DIR}/{CDN_ASSETS[url]}"
        if bare in REMOTE_IMAGES:
            target = REMOTE_IMAGES[bare]
            return None if target is None else f"{root}/{target}"
        raise OfflineDocsError(
            f"{page}: loads {url}, which has no vendored copy; add it to "
            "govlake/quality/docs_assets (see its README) and to offline_docs.CDN_ASSETS"
        )

    def tag(match: re.Match[str]) -> str:
        text = match.group(0)
        found = _TAG_URL.search(text)
        if found is None:
            return text
        target = local(found.group("url"))
        q = found.group("q")
        attr = f"{found.group('attr')}={q}{target or ''}{q}"
        text = text[: found.start()] + attr + text[found.end() :]
        return _SRI.sub("", text)  # SRI cannot be checked on file:// pages

    def css(match: re.Match[str]) -> str:
        target = local(match.group("url"))
        return "none" if target is None else f"url('{target}')"

    return _CSS_URL.sub(css, _TAG.sub(tag, html))
