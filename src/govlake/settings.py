"""Effective configuration: environment variables (prefix ``GOVLAKE_``) over embedded defaults.

With nothing set, everything runs on one machine under ``./lake``; a deployment changes only
environment variables (see docker-compose.yml).
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """One settings object for the CLI, the DAGs and the tests."""

    model_config = SettingsConfigDict(env_prefix="GOVLAKE_", extra="ignore")

    lake_root: Path = Field(default_factory=lambda: Path.cwd() / "lake", description="湖根目录")
    register_dir: Path = Field(
        default=PROJECT_ROOT / "catalog", description="department register (资源目录登记)"
    )
    warehouse_path: Path | None = Field(default=None, description="analysts' DuckDB file")
    quality_dir: Path = Field(
        default=PROJECT_ROOT / "quality",
        description="the resources' own expectations (<dir>/expectations/<resource>.py)",
    )
    hmac_key: SecretStr | None = Field(default=None, description="pseudonym key (overrides file)")
    hmac_key_file: Path | None = Field(default=None, description="file holding the pseudonym key")
    airflow_home: Path = Field(
        default_factory=lambda: Path.cwd() / "var" / "airflow",
        description="in-process Airflow's home (SQLite metadata, logs) for the embedded mode",
    )
    ckan_url: str | None = Field(
        default=None, description="CKAN to publish to; unset = the local portal (govlake portal)"
    )
    ckan_token: SecretStr | None = None
    portal_home: Path = Field(
        default_factory=lambda: Path.cwd() / "var" / "portal",
        description="the local CKAN portal's state (databases, uploads, ckan.ini, logs, token)",
    )
    portal_port: int = Field(default=5000, gt=0, lt=65536, description="local portal's port")
    duckdb_threads: int = Field(default=0, description="0 = DuckDB's default (all cores)")
    # the build (dbt) and its curated export: DuckDB spills to disk above the limit
    build_memory_limit: str = Field(
        default="4GB",
        pattern=r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$",
        description="DuckDB memory_limit of the build and the export (e.g. 4GB, 512MiB)",
    )
    build_spill_dir: Path | None = Field(
        default=None,
        description="DuckDB temp_directory of the build (default <lake>/_build/spill; emptied "
        "after each build)",
    )
    catalogue_base_uri: str = Field(
        default="https://data.bjsjs.gov.cn/",
        description="where the catalogue and open-data portal are served: the base of the DCAT "
        "export's URIs (datasets, landing pages, download URLs)",
    )
    catalogue_license: str = Field(
        default="http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
        description="licence of open (无条件开放) resources in the DCAT export (CC BY 4.0)",
    )
    ingest_lock_timeout: float = Field(
        default=900, ge=0, description="seconds a run waits for another ingest of the resource"
    )
    # streaming ingest and gate (issue #16): memory is bounded by these, not by a file's size
    ingest_batch_rows: int = Field(
        default=131_072, gt=0, description="rows per batch read, checked and written by ingest"
    )
    ingest_block_bytes: int = Field(
        default=8 << 20,
        ge=1024,
        description="bytes of a delivered file decoded and parsed at a time (CSV, JSON lines)",
    )
    gate_batch_rows: int = Field(
        default=524_288, gt=0, description="rows per batch the quality gate validates at a time"
    )
    gate_key_memory: str = Field(
        default="512MB",
        pattern=r"^[0-9]+(\.[0-9]+)?\s*[KMGT]i?B$",
        description="DuckDB memory limit for finding copies of a key across a part's batches",
    )
    delivery_poke_seconds: float = Field(
        default=60, gt=0, description="how often an ingest DAG looks again at waiting files"
    )
    delivery_wait_seconds: float = Field(
        default=3600, gt=0, description="how long an ingest DAG run waits for them (then skips)"
    )
    # the CKAN publisher (docs/publishing.md)
    publish_license: str = Field(
        default="cc-by-4.0", description="CKAN license_id of every published dataset"
    )
    publish_datastore_max_rows: int = Field(
        default=100_000,
        ge=0,
        description="a table with more rows is published as files only (no DataStore preview)",
    )
    publish_withdraw: Literal["private", "delete"] = Field(
        default="private", description="what happens to a dataset that is no longer publishable"
    )
    publish_name_suffix: str = Field(
        default="",
        pattern=r"^[a-z0-9_-]*$",
        description="appended to every CKAN dataset name (benchmarks, a shared staging portal)",
    )
    publish_retry_seconds: float = Field(
        default=60, ge=0, description="how long a CKAN call is retried (backoff) on 5xx/no answer"
    )
    # the exchange read API (docs/exchange.md, "Limits"); each uvicorn worker counts its own calls
    api_calls_per_minute: int = Field(default=600, gt=0, description="per token, sliding minute")
    api_anonymous_calls_per_minute: int = Field(
        default=30, gt=0, description="per client address, calls without a valid token"
    )
    api_page_limit: int = Field(default=1000, gt=0, description="largest JSON/CSV page (rows)")
    api_arrow_limit: int = Field(
        default=10_000_000, gt=0, description="largest format=arrow answer (rows, streamed)"
    )
    api_max_url: int = Field(default=4096, gt=0, description="longest path + query (bytes)")
    api_max_filters: int = Field(default=20, ge=0, description="most `where` filters in a call")
    api_cache_bytes: int = Field(
        default=512 << 20, ge=0, description="per process: scoped answers kept (LRU); 0: none"
    )
    api_audit_gather_ms: float = Field(
        default=5, ge=0, description="under load, an audit batch waits this long for more calls"
    )

    @field_validator(
        "lake_root",
        "register_dir",
        "warehouse_path",
        "quality_dir",
        "hmac_key_file",
        "airflow_home",
        "portal_home",
        "build_spill_dir",
    )
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        """Relative paths are taken from the current folder once, so dbt (which runs in its
        project folder) and Airflow tasks see the same place."""
        return value.expanduser().resolve() if value is not None else None

    @field_validator("catalogue_base_uri")
    @classmethod
    def _slash(cls, value: str) -> str:
        """URIs are made by appending paths to the base."""
        return value if value.endswith("/") else value + "/"

    @property
    def warehouse(self) -> Path:
        return self.warehouse_path or self.lake_root / "warehouse.duckdb"

    @property
    def spill_dir(self) -> Path:
        return self.build_spill_dir or self.lake_root / "_build" / "spill"

    @property
    def key_file(self) -> Path:
        return self.hmac_key_file or self.lake_root / "_secrets" / "hmac.key"

    def pseudonym_key(self) -> bytes:
        """The HMAC key; on a fresh embedded lake one is created (0600), never in the repo."""
        if self.hmac_key is not None:
            return self.hmac_key.get_secret_value().encode()
        path = self.key_file
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            os.replace(tmp, path)
        return path.read_text().strip().encode()

    def shown(self) -> dict[str, str]:
        """Effective values for ``govlake config``, secrets masked."""
        return {
            "lake_root": str(self.lake_root),
            "register_dir": str(self.register_dir),
            "warehouse": str(self.warehouse),
            "quality_dir": str(self.quality_dir),
            "airflow_home": str(self.airflow_home),
            "hmac_key": "****** (GOVLAKE_HMAC_KEY)" if self.hmac_key else f"file {self.key_file}",
            "ckan_url": self.ckan_url or f"(local portal, 127.0.0.1:{self.portal_port})",
            "ckan_token": "******" if self.ckan_token else "(not set)",
            "portal_home": str(self.portal_home),
            "duckdb_threads": str(self.duckdb_threads or "auto"),
            "build_memory_limit": self.build_memory_limit,
            "build_spill_dir": str(self.spill_dir),
            "catalogue_base_uri": self.catalogue_base_uri,
            "catalogue_license": self.catalogue_license,
            "ingest_lock_timeout": f"{self.ingest_lock_timeout:g} s",
            "ingest_batch_rows": f"{self.ingest_batch_rows:,}",
            "ingest_block_bytes": f"{self.ingest_block_bytes:,}",
            "gate_batch_rows": f"{self.gate_batch_rows:,}",
            "gate_key_memory": self.gate_key_memory,
            "delivery_poke_seconds": f"{self.delivery_poke_seconds:g} s",
            "delivery_wait_seconds": f"{self.delivery_wait_seconds:g} s",
            "publish_license": self.publish_license,
            "publish_datastore_max_rows": f"{self.publish_datastore_max_rows:,}",
            "publish_withdraw": self.publish_withdraw,
            "publish_retry_seconds": f"{self.publish_retry_seconds:g} s",
            "api_calls_per_minute": str(self.api_calls_per_minute),
            "api_anonymous_calls_per_minute": str(self.api_anonymous_calls_per_minute),
            "api_page_limit": f"{self.api_page_limit:,}",
            "api_arrow_limit": f"{self.api_arrow_limit:,}",
            "api_max_url": f"{self.api_max_url:,} bytes",
            "api_max_filters": str(self.api_max_filters),
            "api_cache_bytes": f"{self.api_cache_bytes:,} bytes",
            "api_audit_gather_ms": f"{self.api_audit_gather_ms:g} ms",
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
