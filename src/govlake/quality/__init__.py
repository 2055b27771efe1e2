"""Quality gate (Great Expectations 1.x): suites from the register, row-level quarantine,
results table, quality scores and Data Docs.

Importing this package is cheap: each name is imported from its module on first use, and GX
only when a suite is built or a batch is validated, so DAG files, the CLI and the build (which
reads the quality scores) start fast. See ``quality/README.md``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "build_data_docs": "docs",
    "checked_frame": "frame",
    "validate_batch": "gate",
    "SCORE_BATCHES": "results",
    "latest_runs": "results",
    "quality_scores": "results",
    "read_results": "results",
    "register_view": "results",
    "summarise": "results",
    "revalidate": "revalidate",
    "GateError": "verdict",
    "GateResult": "verdict",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
