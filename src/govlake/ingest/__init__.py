"""Ingest: landing file → raw Parquet (lossless text + pseudonyms + audit) and its manifest entry.

``ingest_resource`` is what the ingest DAGs and ``govlake ingest`` call; ``read_manifest`` and
``update_status`` are the manifest API the quality gate and the CLI use.
"""

from govlake.ingest.manifest import STATUSES, read_manifest, update_status
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
    "pending_files",
    "read_file",
    "read_manifest",
    "update_status",
]
