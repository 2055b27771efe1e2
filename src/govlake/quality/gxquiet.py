"""Import Great Expectations quietly: no usage statistics, no progress bars, no import chatter.

GX logs hundreds of registry lines at DEBUG/INFO and draws tqdm bars per validation; none of
that belongs in the CLI's or an Airflow task's output. Call :func:`quiet_gx` before importing
``great_expectations`` and build contexts with :func:`ephemeral_context`.

The gate also runs GX inside :func:`frozen_expectations`, where a few of GX's per-expectation
costs are paid once instead of many times (12 → ~2.6 ms per expectation); each patch says what
it skips and why the result is the same, and a test compares whole results with stock GX.
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
_DOMAIN_OBJECTS: ContextVar[dict[int, tuple[Any, Any]] | None] = ContextVar(
    "govlake_gx_domain_objects", default=None
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


_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(value: Any) -> bool:
    """True if ``value`` is JSON as it stands: GX's ``convert_to_json_serializable`` would
    return an equal copy of it (exact built-in types, string keys, no NaN)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return value == value  # GX turns NaN into None
    if kind is list or kind is tuple:
        kinds = set(map(type, value))
        if kinds <= _SCALARS:  # the usual value set: strings only, checked without a loop
            return True
        return all(_plain(v) for v in value)
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False


def fast_ids() -> None:
    """Let GX's ``IDDict.to_id`` skip converting data that is already JSON.

    Every metric configuration GX builds hashes its kwargs (``to_id``: convert to JSON types,
    ``json.dumps``, md5); a suite run builds ~50 per expectation, and the conversion (a
    Python walk with ~20 type checks per value, value sets included) was ~30% of GX's fixed
    cost per expectation. Plain data converts to an equal copy, so the ids are the same
    bytes as stock GX's; anything else still goes through GX. Idempotent.
    """
    from great_expectations.core import id_dict

    convert = id_dict.convert_to_json_serializable
    if getattr(convert, "govlake_fast", False):
        return

    def converted(data: Any) -> Any:
        return data if _plain(data) else convert(data)

    converted.govlake_fast = True  # type: ignore[attr-defined]
    id_dict.convert_to_json_serializable = converted


def _memoised(build: Any, cache_var: ContextVar[dict[int, tuple[Any, Any]] | None]) -> Any:
    """``build(self)``, computed once per object while ``cache_var`` holds a cache."""

    def memoised(self: Any) -> Any:
        cache = cache_var.get()
        if cache is None:
            return build(self)
        hit = cache.get(id(self))
        if hit is None or hit[0] is not self:  # holding ``self`` keeps its id from reuse
            hit = cache[id(self)] = (self, build(self))
        return hit[1]

    memoised.govlake_memoised = True  # type: ignore[attr-defined]
    return memoised


def memoise_configurations() -> None:
    """Inside :func:`frozen_expectations`, build each expectation's configuration, and each
    configuration's expectation object, once.

    GX 1.x rebuilds ``Expectation.configuration`` (a pydantic ``dict()`` plus a new
    ``ExpectationConfiguration``) on every access, ~125 times per expectation per run, and
    ``ExpectationConfiguration.to_domain_obj()`` (a new, pydantic-validated expectation) once
    per metric it asks for, ~14 times: together about a third of GX's fixed ~12 ms per
    expectation per batch. Nothing changes them while a suite runs, so the first result is
    reused there; outside the block GX behaves as shipped. A test checks that results are
    identical to stock GX's. Idempotent.
    """
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    stock = Expectation.configuration
    if getattr(stock.fget, "govlake_memoised", False):
        return
    Expectation.configuration = property(  # type: ignore[method-assign]
        _memoised(stock.fget, _CONFIGURATIONS), doc=stock.__doc__
    )
    ExpectationConfiguration.to_domain_obj = _memoised(  # type: ignore[method-assign]
        ExpectationConfiguration.to_domain_obj, _DOMAIN_OBJECTS
    )


def expand_metrics_once() -> None:
    """Inside :func:`frozen_expectations`, expand each metric of a validation graph once.

    GX builds one graph per expectation by expanding every metric's dependencies recursively,
    and a column-map expectation asks for the same ``condition`` metric (and its own
    dependencies) three or four times over; each repeat builds new metric configurations and
    adds only edges the graph already has (edges are deduplicated by id). A repeat is now
    answered from the first expansion (same id, same dependencies): the graph is the same, a
    test checks results against stock GX. Idempotent.
    """
    from great_expectations.validator.validation_graph import ValidationGraph

    stock = ValidationGraph.build_metric_dependency_graph
    if getattr(stock, "govlake_once", False):
        return

    def build(self: Any, metric_configuration: Any, runtime_configuration: Any = None) -> None:
        if _DOMAIN_OBJECTS.get() is None:  # outside frozen_expectations: as shipped
            return stock(self, metric_configuration, runtime_configuration)
        expanded = self.__dict__.setdefault("_govlake_expanded", {})
        first = expanded.get(metric_configuration.id)
        if first is not None:
            metric_configuration.metric_dependencies = first.metric_dependencies
            return None
        expanded[metric_configuration.id] = metric_configuration
        return stock(self, metric_configuration, runtime_configuration)

    build.govlake_once = True  # type: ignore[attr-defined]
    ValidationGraph.build_metric_dependency_graph = build  # type: ignore[method-assign]


@contextmanager
def frozen_expectations() -> Iterator[None]:
    """Inside, GX builds each expectation's configuration and domain object once (see
    :func:`memoise_configurations`), hashes plain metric kwargs quickly (:func:`fast_ids`) and
    expands each metric of a graph once (:func:`expand_metrics_once`)."""
    memoise_configurations()
    fast_ids()
    expand_metrics_once()
    tokens = _CONFIGURATIONS.set({}), _DOMAIN_OBJECTS.set({})
    try:
        yield
    finally:
        _CONFIGURATIONS.reset(tokens[0])
        _DOMAIN_OBJECTS.reset(tokens[1])


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
