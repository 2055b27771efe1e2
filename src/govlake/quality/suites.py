"""Expectation suites derived from the register, plus each resource's own expectations as code.

One fact, one place: mandatory fields, keys, allowed values, formats, types and ranges are
read from the resource's register entry; what the register cannot say (cross-field rules,
date windows) lives in ``quality/expectations/<resource>.py``, loaded by path the way Airflow
loads ``dags/``. A module there may define

* ``expectations(ctx: SuiteContext) -> list[Expectation]``: extra GX expectations;
* ``DATE_RANGES = {field: (min_iso or None, days_after_batch_date or None)}``: a date
  field's plausible window when the default (1900-01-01 to the batch date) is wrong.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from govlake.formats import EARLIEST_DATE
from govlake.register import FieldFormat, FieldType, Register, Resource

NOT_NULL = "expect_column_values_to_not_be_null"


@dataclass(frozen=True)
class SuiteContext:
    """What a resource's own expectations may depend on."""

    resource: Resource
    register: Register
    batch_date: dt.date

    @property
    def as_of(self) -> str:
        """Latest plausible date for events in this batch (ISO): its delivery date."""
        return self.batch_date.isoformat()


def load_extras(resource_id: str, directory: Path | None = None) -> ModuleType | None:
    """The module ``<directory>/expectations/<resource>.py``, or None if it has none;
    ``directory`` defaults to the ``quality_dir`` setting (``GOVLAKE_QUALITY_DIR``)."""
    if directory is None:
        from govlake.settings import get_settings

        directory = get_settings().quality_dir
    path = directory / "expectations" / f"{resource_id}.py"
    if not path.exists():
        return None
    name = f"govlake_quality_extras_{resource_id}"
    mtime = path.stat().st_mtime_ns
    cached = sys.modules.get(name)
    if cached is not None and getattr(cached, "__govlake_mtime__", None) == mtime:
        return cached
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ImportError(f"{path}: {type(exc).__name__}: {exc}") from exc
    module.__govlake_mtime__ = mtime  # type: ignore[attr-defined]
    return module


def expectation_name(expectation: Any) -> str:
    """Stable, readable id: ``expect_…(column[,column])`` (the quarantine's ``_expectation``)."""
    cols = columns_of(expectation)
    return f"{expectation.expectation_type}({','.join(cols)})"


def columns_of(expectation: Any) -> list[str]:
    for attr in ("column",):
        if getattr(expectation, attr, None):
            return [getattr(expectation, attr)]
    if getattr(expectation, "column_A", None):
        return [expectation.column_A, expectation.column_B]
    return list(getattr(expectation, "column_list", None) or [])


def _date_window(
    field: str, ctx: SuiteContext, ranges: dict[str, tuple[str | None, int | None]]
) -> tuple[str | None, str | None]:
    lo, ahead = ranges.get(field, (EARLIEST_DATE, 0))
    hi = None if ahead is None else (ctx.batch_date + dt.timedelta(days=ahead)).isoformat()
    return lo, hi


def register_expectations(ctx: SuiteContext, extras: ModuleType | None = None) -> list[Any]:
    """Expectations the register entry implies, in field order, keys first."""
    from great_expectations import expectations as gxe

    from govlake.quality import expectations as gov
    from govlake.quality.checks import PATTERNS

    res, register = ctx.resource, ctx.register
    ranges: dict = dict(getattr(extras, "DATE_RANGES", {}) or {})
    out: list[Any] = []

    def add(cls: Any, rule: str, field: str, **kwargs: Any) -> None:
        info = {"rule": rule, "source": "register", "field": field, **kwargs.pop("info", {})}
        out.append(cls(meta={"govlake": info}, **kwargs))

    keys = [f.name for f in res.key_fields]
    if len(keys) == 1:
        add(gov.ExpectColumnValuesToBeFirstOccurrence, "key", keys[0], column=keys[0])
    else:
        add(gov.ExpectKeyToBeFirstOccurrence, "key", "+".join(keys), column_list=keys)
    for f in res.fields:
        col = f.name
        if not f.nullable:
            add(gxe.ExpectColumnValuesToNotBeNull, "mandatory", col, column=col)
        allowed = register.allowed_values(f)
        if f.format is FieldFormat.citizen_id:
            add(gov.ExpectColumnValuesToBeValidCitizenId, "citizen_id", col, column=col,
                as_of=ctx.as_of)  # fmt: skip
        elif f.format is FieldFormat.credit_code:
            add(gov.ExpectColumnValuesToBeValidCreditCode, "credit_code", col, column=col)
        elif f.format is FieldFormat.street_code:
            codes = allowed or list(register.vocab.get("street", {}))
            add(gov.ExpectColumnValuesToBeDistrictStreetCode, "street_code", col, column=col,
                codes=codes)  # fmt: skip
            allowed = None  # the street expectation is the allowed-values check: report once
        elif f.format is FieldFormat.division_code:
            add(gov.ExpectColumnValuesToBeDivisionCode, "division_code", col, column=col)
        elif f.format is not None and f.format.value in PATTERNS:
            add(gxe.ExpectColumnValuesToMatchRegex, f.format.value, col, column=col,
                regex=PATTERNS[f.format.value])  # fmt: skip
        if allowed:
            source = f.allowed[0] if f.allowed and f.allowed[0].startswith("vocab:") else "list"
            add(gov.ExpectColumnValuesToBeAllowed, "allowed", col, column=col, value_set=allowed,
                values_from=source if source != "list" else "the list")  # fmt: skip
        if f.type is FieldType.date:
            lo, hi = _date_window(col, ctx, ranges)
            add(gov.ExpectColumnValuesToBePlausibleDate, "date", col, column=col, min_date=lo,
                max_date=hi)  # fmt: skip
        elif f.type in (FieldType.integer, FieldType.decimal, FieldType.month, FieldType.boolean):
            add(gov.ExpectColumnValuesToBeParseableAs, "type", col, column=col,
                value_type=f.type.value)  # fmt: skip
        if f.min is not None or f.max is not None:
            add(gov.ExpectColumnValuesToBeNumberBetween, "range", col, column=col,
                min_value=f.min, max_value=f.max)  # fmt: skip
    return out


def suite_expectations(
    resource_id: str,
    register: Register,
    batch_date: dt.date,
    *,
    directory: Path | None = None,
) -> list[Any]:
    """Every expectation of a resource's suite: the register's, then its own."""
    ctx = SuiteContext(register.resource(resource_id), register, batch_date)
    extras = load_extras(resource_id, directory)
    out = register_expectations(ctx, extras)
    if extras is not None and hasattr(extras, "expectations"):
        source = f"quality/expectations/{resource_id}.py"
        for e in extras.expectations(ctx):
            info = dict((e.meta or {}).get("govlake", {}))
            info.setdefault("source", source)
            info.setdefault("rule", "resource")
            e.meta = {**(e.meta or {}), "govlake": info}
            out.append(e)
    names = [expectation_name(e) for e in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{resource_id}: expectations defined twice: {', '.join(twice)}")
    return out


def build_suite(
    resource_id: str,
    register: Register,
    batch_date: dt.date | None = None,
    *,
    directory: Path | None = None,
) -> Any:
    """A GX ``ExpectationSuite`` named after the resource (for Data Docs and inspection)."""
    import great_expectations as gx

    batch_date = batch_date or dt.date.today()
    exps = suite_expectations(resource_id, register, batch_date, directory=directory)
    res = register.resource(resource_id)
    return gx.ExpectationSuite(
        name=resource_id,
        expectations=exps,
        meta={"resource_code": res.resource_code, "name": res.name, "department": res.department},
    )
