"""Row findings of ingest → quarantine, through the gate.

Some faults only ingest can see: the last line of a file without a line break may be cut
(``file does not end with a line break: last row may be cut``), a JSON object may name a key
twice. Ingest keeps such a row in raw (delivered rows stay countable) and lists it in the raw
part's footer (``ingest.raw.FINDINGS_KEY``). The gate adds each rule as one more failing
check, so the row is quarantined with its reason, counted in the failure rate and in
``quality_results``, and delivered = accepted + quarantined keeps holding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# rule → the check's name in quarantine ``_expectation`` and in quality_results
CHECKS = {
    "line_break": "expect_file_to_end_with_line_break()",
    "json_key": "expect_json_object_keys_to_be_unique()",
}


class IngestFinding:
    """Stands in the gate's expectation map for one rule: its reasons, by frame position."""

    def __init__(self, name: str, reasons: dict[int, str]):
        self.name = name
        self.expectation_type = name.removesuffix("()")
        self.reasons = reasons

    def explain(self, frame: Any, index: list[int], labels: dict[str, str]) -> list[str]:
        return [self.reasons[i] for i in index]


def add_ingest_findings(validation: Any, footer: dict[bytes, bytes] | None, frame: Any) -> int:
    """Add the raw part's row findings to a gate ``Validation`` as failing checks; returns
    how many rows they name."""
    from govlake.ingest.raw import read_findings

    findings = read_findings(footer)
    if not findings:
        return 0
    source = frame["_source_row"].to_numpy()
    wanted = np.array(sorted({f.row for f in findings}), dtype=source.dtype)
    hits = np.nonzero(np.isin(source, wanted))[0]
    position = {int(source[i]): int(i) for i in hits}
    by_check: dict[str, dict[int, str]] = {}
    for f in findings:
        i = position.get(f.row)
        if i is not None:
            by_check.setdefault(CHECKS.get(f.rule, f"expect_ingest_{f.rule}()"), {})[i] = f.reason
    for name, reasons in by_check.items():
        validation.failing[name] = sorted(reasons)
        validation.expectations[name] = IngestFinding(name, reasons)
        validation.rows.append({
            "expectation": name, "expectation_type": name.removesuffix("()"),
            "column_name": "", "evaluated": len(frame), "failed": len(reasons), "success": False,
        })  # fmt: skip
    return sum(len(r) for r in by_check.values())
