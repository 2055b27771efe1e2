"""Quality gate (Great Expectations 1.x): suites from the register, row-level quarantine,
results table, quality scores and Data Docs.

Importing this package is cheap: GX is imported only when a suite is built or a batch is
validated, so DAG files and the CLI start fast. See ``quality/README.md``.
"""

from __future__ import annotations

from govlake.quality.docs import build_data_docs
from govlake.quality.frame import checked_frame
from govlake.quality.gate import validate_batch
from govlake.quality.results import (
    SCORE_BATCHES,
    latest_runs,
    quality_scores,
    read_results,
    register_view,
    summarise,
)
from govlake.quality.revalidate import revalidate
from govlake.quality.verdict import GateError, GateResult

__all__ = [
    "SCORE_BATCHES",
    "GateError",
    "GateResult",
    "build_data_docs",
    "checked_frame",
    "latest_runs",
    "quality_scores",
    "read_results",
    "register_view",
    "revalidate",
    "summarise",
    "validate_batch",
]
