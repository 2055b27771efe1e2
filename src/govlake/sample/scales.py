"""Sizes of the three sample scales: one place, so tests and benchmarks agree on the numbers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """How big a sample is; persons, entities and generic rows are made ``chunk_size`` at a time.

    ``generic_rows``: rows of each resource without a bespoke generator (``sample.generic``),
    sized like the legal-entity universe: a department roster or report is rarely larger.
    """

    name: str
    persons: int
    entities: int
    months: int  # months of monthly/quarterly series before the batch month
    chunk_size: int
    generic_rows: int


SCALES: dict[str, Scale] = {
    # ~2,000 persons in ~800 households, ~300 legal entities: unit tests (< 3 s)
    "tiny": Scale(
        "tiny", persons=2_000, entities=300, months=36, chunk_size=250_000, generic_rows=400
    ),
    # the real district: 2020 census 567,851 residents (~223k households), ~30k legal entities
    "district": Scale(
        "district",
        persons=567_851,
        entities=30_000,
        months=36,
        chunk_size=200_000,
        generic_rows=30_000,
    ),
    # Beijing-sized stress test (2020 census 21,893,095), streamed with bounded memory
    "city": Scale(
        "city",
        persons=21_893_095,
        entities=1_500_000,
        months=36,
        chunk_size=250_000,
        generic_rows=1_500_000,
    ),
}


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}; expected one of {', '.join(SCALES)}") from None
