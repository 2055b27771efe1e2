"""What a gate run produces: the verdict on a batch, the GX run behind it, and the error that
means the gate could not judge at all.

Plain data with no behaviour beyond formatting, so the gate, the GX runner and the results
table can all use them without needing each other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class GateError(RuntimeError):
    """The gate itself could not run (missing batch, an expectation raised): not a data verdict."""


@dataclass
class GateResult:
    """What the gate decided for one batch; ``message`` is what a failed Airflow task shows."""

    resource: str
    batch_id: str
    batch_date: str
    delivered: int
    accepted: int
    quarantined: int
    failure_rate: float
    max_failure_rate: float
    held: bool
    message: str
    failures: dict[str, int] = field(default_factory=dict)  # expectation → failing rows
    run_id: str = ""
    duration_s: float = 0.0
    accepted_path: str | None = None  # the raw part, linked; read with its deletion vector
    quarantine_path: str | None = None

    @property
    def status(self) -> str:
        return "held" if self.held else "accepted"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Validation:
    """One GX run over a frame: per-expectation outcome and failing row positions."""

    rows: list[dict]  # expectation, column, evaluated, failed, success
    failing: dict[str, list[int]]  # expectation name → row positions
    expectations: dict[str, Any]
    gx_result: dict
    duration_s: float
