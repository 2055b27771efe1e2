"""Patches on Great Expectations 1.24.1: a suite run pays GX's fixed cost per expectation
once instead of many times.

The gate runs GX inside :func:`frozen_expectations`. There, on GX 1.24.1, GX

* builds each expectation's configuration, and each configuration's expectation object, once
  (:func:`_memoise_configurations`);
* hashes metric kwargs that are plain JSON already without converting them (:func:`_fast_ids`);
* expands each metric of a validation graph once (:func:`_expand_metrics_once`);

and everywhere a pandas batch is fingerprinted by shape and columns instead of every cell
(:func:`_cheap_fingerprint`). Each patch says what it skips and why the result is the same. On
any other GX release none of them applies and GX runs as shipped; ``tests/test_patches.py``
runs both ways and compares whole results with stock GX. What each saves is in
``quality/README.md`` (measured with ``bench/quality.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from govlake.patches import PatchSet

PATCHES = PatchSet("great-expectations", "1.24.1")

_CONFIGURATIONS: ContextVar[dict[int, tuple[Any, Any]] | None] = ContextVar(
    "govlake_gx_configurations", default=None
)
_DOMAIN_OBJECTS: ContextVar[dict[int, tuple[Any, Any]] | None] = ContextVar(
    "govlake_gx_domain_objects", default=None
)


def apply() -> bool:
    """Apply every patch if GX is the release they were written for (idempotent); False, with
    any earlier patch taken off again, on another release."""
    return all([
        _cheap_fingerprint(), _fast_ids(), _memoise_configurations(), _expand_metrics_once()
    ])  # fmt: skip


@contextmanager
def frozen_expectations() -> Iterator[bool]:
    """Run a suite inside: on GX 1.24.1 each expectation's configuration and domain object is
    built once and each metric of a graph expanded once; yields whether the patches apply."""
    if not apply():
        yield False
        return
    tokens = _CONFIGURATIONS.set({}), _DOMAIN_OBJECTS.set({})
    try:
        yield True
    finally:
        _CONFIGURATIONS.reset(tokens[0])
        _DOMAIN_OBJECTS.reset(tokens[1])


def _cheap_fingerprint() -> bool:
    """GX's per-batch ``pandas_data_fingerprint`` hashes every cell; shape + columns instead.
    The gate identifies a batch by its ``batch_id`` (the landing file's sha256), so the
    fingerprint adds nothing there."""
    from great_expectations.execution_engine import pandas_execution_engine as engine

    def fingerprint(df: Any) -> str:
        return f"rows={len(df)};columns={','.join(map(str, df.columns))}"

    return PATCHES.apply(engine, "hash_pandas_dataframe", lambda stock: fingerprint)


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


def _fast_ids() -> bool:
    """Let GX's ``IDDict.to_id`` skip converting data that is already JSON.

    Every metric configuration GX builds hashes its kwargs (``to_id``: convert to JSON types,
    ``json.dumps``, md5); a suite run builds ~50 per expectation, and the conversion walks
    every value, value sets included. Plain data converts to an equal copy, so the ids are the
    same bytes as stock GX's; anything else still goes through GX.
    """
    from great_expectations.core import id_dict

    def make(convert: Any) -> Any:
        def converted(data: Any) -> Any:
            return data if _plain(data) else convert(data)

        return converted

    return PATCHES.apply(id_dict, "convert_to_json_serializable", make)


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

    return memoised


def _memoise_configurations() -> bool:
    """Inside :func:`frozen_expectations`, build each expectation's configuration, and each
    configuration's expectation object, once.

    GX 1.x rebuilds ``Expectation.configuration`` (a pydantic ``dict()`` plus a new
    ``ExpectationConfiguration``) on every access, ~125 times per expectation per run, and
    ``ExpectationConfiguration.to_domain_obj()`` (a new, pydantic-validated expectation) once
    per metric it asks for, ~14 times. Nothing changes them while a suite runs, so the first
    result is reused there; outside the block GX behaves as shipped.
    """
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    def configuration(stock: property) -> property:
        return property(_memoised(stock.fget, _CONFIGURATIONS), doc=stock.__doc__)

    return PATCHES.apply(Expectation, "configuration", configuration) and PATCHES.apply(
        ExpectationConfiguration, "to_domain_obj", lambda stock: _memoised(stock, _DOMAIN_OBJECTS)
    )


def _expand_metrics_once() -> bool:
    """Inside :func:`frozen_expectations`, expand each metric of a validation graph once.

    GX builds one graph per expectation by expanding every metric's dependencies recursively,
    and a column-map expectation asks for the same ``condition`` metric (and its own
    dependencies) three or four times over; each repeat builds new metric configurations and
    adds only edges the graph already has (edges are deduplicated by id). A repeat is now
    answered from the first expansion (same id, same dependencies): the graph is the same.
    """
    from great_expectations.validator.validation_graph import ValidationGraph

    def make(stock: Any) -> Any:
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

        return build

    return PATCHES.apply(ValidationGraph, "build_metric_dependency_graph", make)
