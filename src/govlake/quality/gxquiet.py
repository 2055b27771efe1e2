"""Import Great Expectations quietly: no usage statistics, no progress bars, no import chatter.

GX logs hundreds of registry lines at DEBUG/INFO and draws tqdm bars per validation; none of
that belongs in the CLI's or an Airflow task's output. Call :func:`quiet_gx` before importing
``great_expectations`` and build contexts with :func:`ephemeral_context`.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

_CONFIGURATIONS: ContextVar[dict[int, tuple[Any, Any]] | None] = ContextVar(
    "govlake_gx_configurations", default=None
)


def quiet_gx() -> None:
    """Environment and log levels that keep GX silent; idempotent and cheap."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("GE_USAGE_STATISTICS_URL", "")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"great_expectations(\..*)?")
    warnings.filterwarnings("ignore", message=r".*great_expectations.*")


def cheap_fingerprint() -> None:
    """Replace GX's per-batch ``pandas_data_fingerprint`` (a hash of every cell: 0.9 s for
    the 570k-row person batch) with shape + columns. The gate identifies a batch by its
    ``batch_id`` (the landing file's sha256), so the fingerprint adds nothing there."""
    from great_expectations.execution_engine import pandas_execution_engine as engine

    def fingerprint(df: Any) -> str:
        return f"rows={len(df)};columns={','.join(map(str, df.columns))}"

    engine.hash_pandas_dataframe = fingerprint


def memoise_configurations() -> None:
    """Let ``Expectation.configuration`` be computed once per expectation inside
    :func:`frozen_expectations`.

    GX 1.x rebuilds the configuration (a pydantic ``dict()`` plus a new
    ``ExpectationConfiguration``) on every access, and a validation accesses it ~125 times
    per expectation (``_get_domain_kwargs`` does it once per key): about a third of GX's fixed
    ~15 ms per expectation per batch. The expectations are not changed while a suite runs, so
    the first result is reused there; outside the block GX behaves as shipped. A test checks
    that results are identical with and without it. Idempotent.
    """
    from great_expectations.expectations.expectation import Expectation

    stock = Expectation.configuration
    if getattr(stock.fget, "govlake_memoised", False):
        return
    build = stock.fget

    def configuration(self: Any) -> Any:
        cache = _CONFIGURATIONS.get()
        if cache is None:
            return build(self)
        hit = cache.get(id(self))
        if hit is None or hit[0] is not self:  # holding ``self`` keeps its id from reuse
            hit = cache[id(self)] = (self, build(self))
        return hit[1]

    configuration.govlake_memoised = True  # type: ignore[attr-defined]
    Expectation.configuration = property(configuration, doc=stock.__doc__)  # type: ignore[method-assign]


@contextmanager
def frozen_expectations() -> Iterator[None]:
    """Inside, each expectation's configuration is built once (see memoise_configurations)."""
    memoise_configurations()
    token = _CONFIGURATIONS.set({})
    try:
        yield
    finally:
        _CONFIGURATIONS.reset(token)


def ephemeral_context(docs_dir: Path | None = None) -> Any:
    """An in-memory GX context: analytics off, progress bars off, optional static Data Docs."""
    quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        sites = {
            "govlake": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(Path(docs_dir).resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        }
    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
    )
    cheap_fingerprint()
    return gx.get_context(mode="ephemeral", project_config=config)
