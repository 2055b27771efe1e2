"""The catalogue site for departments (目录门户): static, offline, Chinese first.

``build_site`` renders ``<lake>/catalogue/site/`` from the warehouse's catalogue tables; ``serve``
serves it (with the quality Data Docs it links to) on this machine. See docs/catalogue.md, "Site".
"""

from govlake.catalogue.site.build import build_site, site_dir
from govlake.catalogue.site.data import PREVIEW_ROWS, SiteError
from govlake.catalogue.site.serve import make_server, serve

__all__ = ["PREVIEW_ROWS", "SiteError", "build_site", "make_server", "serve", "site_dir"]
