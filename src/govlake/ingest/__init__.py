"""Ingest: landing file → raw Parquet (lossless text + pseudonyms + audit) and its manifest entry.

``ingest_resource`` is what the ingest DAGs and ``govlake ingest`` call; ``read_manifest`` and
``update_status`` are the manifest API the quality gate and the CLI use; ``normalise_array``,
``invalid_mask`` and ``recorded_invalid_rows`` are the identifier rules (and ingest's record of
them in a raw part) the quality gate shares with ingest.
"""

from importlib import import_module
from typing import Any

# name → the submodule that defines it; imported on first use, so that reading the manifest
# (the build, the catalogue) does not import the readers' DuckDB, pandas and numpy.
_EXPORTS = {
    "invalid_mask": "idcheck",
    "recorded_invalid_rows": "idcheck",
    "STATUSES": "manifest",
    "read_manifest": "manifest",
    "update_status": "manifest",
    "normalise_array": "pseudonym",
    "Rejected": "readers",
    "detect_encoding": "readers",
    "read_file": "readers",
    "FileResult": "runner",
    "IngestReport": "runner",
    "ingest_file": "runner",
    "ingest_resource": "runner",
    "pending_files": "runner",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
