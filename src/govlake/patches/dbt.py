"""What a fresh process pays before dbt runs its first node, made smaller.

A small incremental build spends about half its time starting dbt (bench/RESULTS.md). Two
costs are the same in every process and need not be paid again:

- the cyclic GC walking dbt's import-time objects (:func:`freeze_imports`: no patch, any dbt);
- the JSON schemas dbt derives from its dataclasses (mashumaro) to validate
  ``dbt_project.yml`` and the profile, every time the same dicts for the same versions
  (:func:`reuse_json_schemas` keeps them in a file). This one replaces
  ``dbtClassMixin.json_schema`` and was written for dbt-common 1.39.0: on any other release
  it stays off and dbt derives the schemas itself (``tests/test_patches.py`` runs both).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govlake.lake import atomic_path
from govlake.patches import PatchSet, installed

PATCHES = PatchSet("dbt-common", "1.39.0")

_frozen = False
_schemas: dict[str, Any] = {}  # class → schema, as dbt derives it
_file: list[Path] = []  # where this process keeps them now (the current lake's _build/)


def freeze_imports() -> None:
    """Once per process, after dbt is imported: move every live object (mostly dbt's classes
    and generated (de)serialisers) out of the cyclic GC's reach. Collections during the run, and
    the one at interpreter exit, then skip them."""
    global _frozen
    if not _frozen:
        import gc

        gc.collect()
        gc.freeze()
        _frozen = True


def schema_file(folder: Path) -> Path:
    """Where the schemas of this dbt-core / dbt-common / mashumaro combination are kept."""
    versions = "-".join(str(installed(p)) for p in ("dbt-core", "dbt-common", "mashumaro"))
    return folder / f"dbt-json-schemas-{versions}.json"


def reuse_json_schemas(folder: Path) -> bool:
    """Serve ``dbtClassMixin.json_schema()`` from ``schema_file(folder)``, adding what is
    missing; False (dbt as shipped, no file) on another dbt-common release.

    Stock dbt computes each schema once per process (an ``lru_cache``); a schema is a
    function of the class alone, so a copy made by the same versions is the same dict (a test
    compares them). Call it before each dbt run; the first process writes the file."""
    from dbt_common.dataclass_schema import dbtClassMixin

    if not PATCHES.applies():
        PATCHES.restore()
        return False
    path = schema_file(folder)
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        kept = {}
    _schemas.update({k: v for k, v in kept.items() if k not in _schemas})
    _file[:] = [path]
    if set(_schemas) - set(kept):
        _save()

    def make(stock: classmethod) -> classmethod:
        derive = stock.__func__

        def json_schema(cls: type) -> dict:
            key = f"{cls.__module__}.{cls.__qualname__}"
            if key not in _schemas:
                _schemas[key] = derive(cls)
                _save()
            return _schemas[key]

        return classmethod(json_schema)

    return PATCHES.apply(dbtClassMixin, "json_schema", make)


def _save() -> None:
    with atomic_path(_file[0]) as tmp:
        tmp.write_text(json.dumps(_schemas, sort_keys=True), encoding="utf-8")
