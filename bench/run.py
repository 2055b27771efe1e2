"""Run every benchmark in this folder in turn; each writes its own section of RESULTS.md.

``city.py`` (city scale end to end, about an hour) runs only when named:
``python bench/run.py city.py``."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).parent
ORDER = [
    "sample.py",
    "ingest.py",
    "stream_equivalence.py",
    "quality.py",
    "build.py",
    "catalogue_export.py",
    "site.py",
    "catalogue.py",
    "portal.py",
    "publish.py",
    "exchange.py",
    "api.py",
]

if __name__ == "__main__":
    names = sys.argv[1:] or ORDER
    for name in names:
        path = HERE / name
        if not path.exists():
            print(f"skip {name}: not written yet")
            continue
        print(f"== {name}")
        runpy.run_path(str(path), run_name="__main__")
