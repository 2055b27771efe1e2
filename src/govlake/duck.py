"""DuckDB connections with the project's extensions loaded from their PyPI wheels.

DuckDB cannot download extensions here (no internet); the ``duckdb-extension-*`` wheels ship
the binaries, which ``INSTALL '<path>'`` copies into DuckDB's extension directory once.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

EXTENSIONS = ("excel",)


def _wheel_extension(name: str) -> Path:
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"duckdb-extension-{name} is not installed (see pyproject.toml)")
    base = Path(next(iter(spec.submodule_search_locations)))
    return base / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    try:
        con.load_extension(name)
    except duckdb.Error:
        con.install_extension(str(_wheel_extension(name)))
        con.load_extension(name)


def connect(
    path: str | Path = ":memory:", *, read_only: bool = False, threads: int = 0
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with ``EXTENSIONS`` loaded and autoinstall (network) turned off."""
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    if threads:
        config["threads"] = threads
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    for name in EXTENSIONS:
        load_extension(con, name)
    return con
