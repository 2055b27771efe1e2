"""dbt-duckdb 1.11.1: release its process-wide database before the build renames the file.

dbt-duckdb keeps one ``Environment`` per process (``DuckDBConnectionManager._ENV``) with its
DuckDB connection open after a run. The build swaps the file it wrote into place
(``os.replace``); a later build in the same process (an Airflow worker, the tests) with the
same profile would reuse that environment and write to the renamed file. So after each run:

* on dbt-duckdb 1.11.1, :func:`release_database` closes the environment's connection itself
  and forgets the environment: the file is released at once;
* on any other release it calls ``DuckDBConnectionManager.close_all_connections()``, the
  adapter's own clean-up (what it runs at exit): the environment is forgotten and its
  connection closes when nothing holds it any more.

``tests/test_patches.py`` runs builds in one process both ways, swapping the file between them.
"""

from __future__ import annotations

from govlake.patches import PatchSet

PATCHES = PatchSet("dbt-duckdb", "1.11.1")


def release_database() -> bool:
    """Close and forget dbt-duckdb's process-wide database; False where the adapter's own
    clean-up did it (another dbt-duckdb release)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    if not PATCHES.applies():
        DuckDBConnectionManager.close_all_connections()
        return False
    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
        DuckDBConnectionManager._ENV = None
    return True
