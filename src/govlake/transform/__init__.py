"""Transform: dbt on DuckDB builds the warehouse (staging → base databases 基础库 → thematic →
open), and analysts query it read-only. Plain functions the DAG and the CLI call (no typer)."""

from govlake.transform.build import BuildResult, build
from govlake.transform.query import EXPOSED_SCHEMAS, run_sql

__all__ = ["EXPOSED_SCHEMAS", "BuildResult", "build", "run_sql"]
