"""Ingest: landing file → raw Parquet (lossless text + pseudonyms + audit) and its manifest entry.

``ingest_resource`` is what the ingest DAGs and ``govlake ingest`` call; ``read_manifest`` and
``update_status`` are the manifest API the quality gate and the CLI use; ``normalise_array``,
``invalid_mask`` and ``recorded_invalid_rows`` are the identifier rules (and ingest's record of
them in a raw part) the quality gate shares with ingest.
"""

from govlake.ingest.idcheck import invalid_mask, recorded_invalid_rows
from govlake.ingest.manifest import STATUSES, read_manifest, update_status
from govlake.ingest.pseudonym import normalise_array
from govlake.ingest.readers import Rejected, detect_encoding, read_file
from govlake.ingest.runner import (
    FileResult,
    IngestReport,
    ingest_file,
    ingest_resource,
    pending_files,
)

__all__ = [
    "STATUSES",
    "FileResult",
    "IngestReport",
    "Rejected",
    "detect_encoding",
    "ingest_file",
    "ingest_resource",
    "invalid_mask",
    "normalise_array",
    "pending_files",
    "read_file",
    "read_manifest",
    "recorded_invalid_rows",
    "update_status",
]
