"""Custom Great Expectations 1.x expectations for the district's data (pandas engine).

Importing this module imports GX (slow, see quality/README.md) and registers the metrics and
expectations, so only the gate, the suite builder and the tests import it, never a DAG file at
parse time.
Each expectation's metric calls the matching ``govlake.quality.checks`` rule; ``explain``
turns the rows GX reports into the quarantine's ``_reason`` with the same rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from govlake.quality import checks
from govlake.quality.gx_runner import quiet_gx

quiet_gx()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from great_expectations.execution_engine import PandasExecutionEngine  # noqa: E402
from great_expectations.expectations.expectation import (  # noqa: E402
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.metrics.map_metric_provider import (  # noqa: E402
    ColumnMapMetricProvider,
    ColumnPairMapMetricProvider,
    MulticolumnMapMetricProvider,
    column_condition_partial,
    column_pair_condition_partial,
    multicolumn_condition_partial,
)

Labels = dict[str, str]


def _apply(
    rule: Any, *columns: pd.Series, per_value: bool = True, whole: bool = False
) -> pd.Series:
    """``rule`` over the rows where every column has a value; rows with a missing value pass
    (the not-null expectation reports them).

    The metrics are declared with ``filter_column_isnull=False`` (and pair/multicolumn
    expectations ignore no rows): GX would otherwise copy the *whole* frame to drop nulls,
    about four times per expectation, the largest cost of a validation at district scale.
    Here only the checked column is filtered, once.

    * ``per_value``: the rule judges each value on its own, so a ``Categorical`` column (the
      gate's checked frame encodes low-cardinality columns) is judged once per category.
      False for rules that compare rows (key uniqueness).
    * ``whole``: hand the rule the whole columns, missing values included (the citizen-ID
      rules share one validity computation of the whole ID column, ``checks._valid_ids``).
    """
    first = columns[0]
    if per_value and len(columns) == 1 and isinstance(first.dtype, pd.CategoricalDtype):
        categories = first.cat.categories
        ok = np.ones(len(categories) + 1, dtype=bool)  # the last slot: code -1, a missing value
        if len(categories):
            ok[:-1] = rule(pd.Series(categories))
        return pd.Series(ok[first.cat.codes.to_numpy()], index=first.index, dtype=bool)
    present = first.notna().to_numpy().copy()
    for c in columns[1:]:
        present &= c.notna().to_numpy()
    ok = np.ones(len(first), dtype=bool)
    if present.all():
        ok[:] = rule(*columns)
    elif whole:
        ok[:] = rule(*columns)
        ok[~present] = True
    elif present.any():
        ok[present] = rule(*(c[present] for c in columns))
    return pd.Series(ok, index=first.index, dtype=bool)


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


_LIBRARY = {"maturity": "production", "tags": ["govlake"], "contributors": ["govlake"]}


# --- citizen ID -------------------------------------------------------------------------------


class ColumnValuesValidCitizenId(ColumnMapMetricProvider):
    condition_metric_name = "column_values.govlake_valid_citizen_id"
    filter_column_isnull = False  # see _apply
    condition_value_keys = ("as_of",)

    @column_condition_partial(engine=PandasExecutionEngine, filter_column_isnull=False)
    def _pandas(cls, column: pd.Series, as_of: str | None = None, **_: Any) -> pd.Series:
        return _apply(lambda c: checks.citizen_id_ok(c, as_of=_day(as_of)), column, whole=True)


class ExpectColumnValuesToBeValidCitizenId(ColumnMapExpectation):
    """公民身份号码 (GB 11643): check character (python-stdnum), a real birth date not after
    ``as_of``, and a division code of any GB/T 2260 revision (post-2014 codes pass)."""

    as_of: str | None = None
    map_metric = "column_values.govlake_valid_citizen_id"
    success_keys = ("mostly", "as_of")
    library_metadata: ClassVar[dict] = _LIBRARY

    def explain(self, frame: pd.DataFrame, index: list, labels: Labels) -> list[str]:
        label = labels.get(self.column, self.column)
        return [
            checks.citizen_id_reason(v, label, as_of=_day(self.as_of))
            for v in frame.loc[index, self.column]
        ]


# --- unified social credit code ---------------------------------------------------------------


class ColumnValuesValidCreditCode(ColumnMapMetricProvider):
    condition_metric_name = "column_values.govlake_valid_credit_code"
    filter_column_isnull = False  # see _apply

    @column_condition_partial(engine=PandasExecutionEngine, filter_column_isnull=False)
    def _pandas(cls, column: pd.Series, **_: Any) -> pd.Series:
        return _apply(checks.credit_code_ok, column)


class ExpectColumnValuesToBeValidCreditCode(ColumnMapExpectation):
    """统一社会信用代码 (GB 32100): alphabet, 6-digit division part, mod-31 check character;
    codes whose first characters are letters pass (``stdnum.cn.uscc`` rejects them)."""

    map_metric = "column_values.govlake_valid_credit_code"
    library_metadata: ClassVar[dict] = _LIBRARY

    def explain(self, frame: pd.DataFrame, index: list, labels: Labels) -> list[str]:
        label = labels.get(self.column, self.column)
        return [checks.credit_code_reason(v, label) for v in frame.loc[index, self.column]]


# --- sub-district and division codes ----------------------------------------------------------


class ColumnValuesInCodeList(ColumnMapMetricProvider):
    condition_metric_name = "column_values.govlake_in_code_list"
    filter_column_isnull = False  # see _apply
    condition_value_keys = ("codes",)

    @column_condition_partial(engine=PandasExecutionEngine, filter_column_isnull=False)
    def _pandas(cls, column: pd.Series, codes: list[str] | None = None, **_: Any) -> pd.Series:
        return _apply(lambda c: checks.in_codes_ok(c, codes or []), column)


class ExpectColumnValuesToBeDistrictStreetCode(ColumnMapExpectation):
    """街道代码: one of the district's sub-district codes (register vocabulary ``street``),
    compared after normalisation (full-width digits and padding are cosmetic)."""

    codes: list[str]
    map_metric = "column_values.govlake_in_code_list"
    success_keys = ("mostly", "codes")
    library_metadata: ClassVar[dict] = _LIBRARY

    def explain(self, frame: pd.DataFrame, index: list, labels: Labels) -> list[str]:
        label = labels.get(self.column, self.column)
        return [checks.street_code_reason(v, label) for v in frame.loc[index, self.column]]


class ColumnValuesAllowed(ColumnMapMetricProvider):
    condition_metric_name = "column_values.govlake_allowed"
    filter_column_isnull = False  # see _apply
    condition_value_keys = ("value_set",)

    @column_condition_partial(engine=PandasExecutionEngine, filter_column_isnull=False)
    def _pandas(cls, column: pd.Series, value_set: list[str] | None = None, **_: Any) -> pd.Series:
        return _apply(lambda c: checks.in_set_ok(c, value_set or []), column)


class ExpectColumnValuesToBeAllowed(ColumnMapExpectation):
    """One of the values the register allows for the field: a closed list (``allowed:``) or a
    vocabulary (``[vocab:x]``), compared as normalised text. GX's built-in
    ``expect_column_values_to_be_in_set`` judges the same, but copies the whole batch to drop
    missing values for each of its metrics; this one judges each distinct value once."""

    value_set: list[str]
    values_from: str = "the list"
    map_metric = "column_values.govlake_allowed"
    success_keys = ("mostly", "value_set")
    library_metadata: ClassVar[dict] = _LIBRARY

    def explain(self, frame: pd.DataFrame, index: list, labels: Labels) -> list[str]:
        label = labels.get(self.column, self.column)
        source = self.values_from.replace("vocab:", "vocabulary ")
        return [checks.in_set_reason(v, label, source) for v in frame.loc[index, self.column]]


class ColumnValuesDivisionCode(ColumnMapMetricProvider):
    condition_metric_name = "column_values.govlake_division_code"
    filter_column_isnull = False  # see _apply

    @column_condition_partial(engine=PandasExecutionEngine, filter_column_isnull=False)
    def _pandas(cls, column: pd.Series, **_: Any) -> pd.Series:
        return _apply(checks.division_code_ok, column)


class ExpectColumnValuesToBeDivisionCode(ColumnMapExpectation):
    """行政区划代码: a 6-digit GB/T 2260 code of any revision 1980-2019."""

    map_metric = "column_values.govlake_division_code"
    library_metadata: ClassVar[dict] = _LIBRARY

    def explain(self, frame: pd.DataFrame, index: list, labels: Labels) -> list[str]:
        label = labels.get(self.column, self.column)
        return [checks.division_code_reason(v, label) for v in frame.loc[index, self.column]]


# --- dates and types --------------------------------------------------------------------------


class ColumnValuesPlausibleDate(ColumnMapMetricProvider):
    condition_metric_name = "column_values.govlake_plausible_date"
    filter_column_isnull = False  # see _apply
    condition_value_keys = ("min_date", "max_date")

    @column_condition_partial(engine=PandasExecutionEngine, filter_column_isnull=False)
    def _pandas(
        cls, column: pd.Series, min_date: str | None = None, max_date: str | None = None, **_: Any
    ) -> pd.Series:
        return _apply(lambda c: checks.date_ok(c, min_date=min_date, max_date=max_date), column)


class ExpectColumnValuesToBePlausibleDate(ColumnMapExpectation):
    """A date written in any ``govlake.formats.DATE_FORMATS`` pattern, within a range."""

    min_date: str | None = None
    max_date: str | None = None
    map_metric = "column_values.govlake_plausible_date"
    success_keys = ("mostly", "min_date", "max_date")
    library_metadata: ClassVar[dict] = _LIBRARY

    def explain(self, frame: pd.DataFrame, index: list, labels: Labels) -> list[str]:
        label = labels.get(self.column, self.column)
        return [
            checks.date_reason(v, label, min_date=self.min_date, max_date=self.max_date)
            for v in frame.loc[index, self.column]
        ]


class ColumnValuesParseable(ColumnMapMetricProvider):
    condition_metric_name = "column_values.govlake_parseable"
    filter_column_isnull = False  # see _apply
    condition_value_keys = ("value_type",)

    @column_condition_partial(engine=PandasExecutionEngine, filter_column_isnull=False)
    def _pandas(cls, column: pd.Series, value_type: str = "string", **_: Any) -> pd.Series:
        return _apply(lambda c: checks.parseable_ok(c, value_type), column)


class ExpectColumnValuesToBeParseableAs(ColumnMapExpectation):
    """The delivered text can be read as the register type (integer, decimal, month, boolean)
    the way dbt staging reads it (thousands separators and full-width digits allowed)."""

    value_type: Literal["integer", "decimal", "date", "month", "boolean", "string"]
    map_metric = "column_values.govlake_parseable"
    success_keys = ("mostly", "value_type")
    library_metadata: ClassVar[dict] = _LIBRARY

    def explain(self, frame: pd.DataFrame, index: list, labels: Labels) -> list[str]:
        label = labels.get(self.column, self.column)
        return [
            checks.parseable_reason(v, label, self.value_type)
            for v in frame.loc[index, self.column]
        ]


class ColumnValuesNumberBetween(ColumnMapMetricProvider):
    condition_metric_name = "column_values.govlake_number_between"
    filter_column_isnull = False  # see _apply
    condition_value_keys = ("min_value", "max_value")

    @column_condition_partial(engine=PandasExecutionEngine, filter_column_isnull=False)
    def _pandas(
        cls, column: pd.Series, min_value: float | None = None, max_value: float | None = None,
        **_: Any,
    ) -> pd.Series:  # fmt: skip
        return _apply(lambda c: checks.between_ok(c, min_value, max_value), column)


class ExpectColumnValuesToBeNumberBetween(ColumnMapExpectation):
    """A number (as delivered text) within the register's min/max; non-numbers pass here
    because ``ExpectColumnValuesToBeParseableAs`` reports them."""

    min_value: float | None = None
    max_value: float | None = None
    map_metric = "column_values.govlake_number_between"
    success_keys = ("mostly", "min_value", "max_value")
    library_metadata: ClassVar[dict] = _LIBRARY

    def explain(self, frame: pd.DataFrame, index: list, labels: Labels) -> list[str]:
        label = labels.get(self.column, self.column)
        return [
            checks.between_reason(v, label, self.min_value, self.max_value)
            for v in frame.loc[index, self.column]
        ]


# --- cross-field rules ------------------------------------------------------------------------


class ColumnPairSexMatchesId(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.govlake_sex_matches_id"
    condition_domain_keys = ("batch_id", "table", "column_A", "column_B", "row_condition",
                             "condition_parser", "ignore_row_if")  # fmt: skip
    condition_value_keys = ("as_of",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, as_of: str | None = None,
                **_: Any) -> pd.Series:  # fmt: skip
        return _apply(lambda a, b: checks.sex_matches_id_ok(a, b, as_of=_day(as_of)),
                      column_A, column_B, whole=True)  # fmt: skip


class ExpectColumnPairSexToMatchCitizenId(ColumnPairMapExpectation):
    """性别 (column_B) agrees with the 17th digit of the citizen ID (column_A): odd 男."""

    as_of: str | None = None
    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = (
        "neither"  # missing values are skipped by the rule itself, see _apply
    )
    map_metric = "column_pair_values.govlake_sex_matches_id"
    success_keys = ("mostly", "as_of", "ignore_row_if")
    library_metadata: ClassVar[dict] = _LIBRARY

    def explain(self, frame: pd.DataFrame, index: list, labels: Labels) -> list[str]:
        rows = frame.loc[index, [self.column_A, self.column_B]].itertuples(index=False)
        a, b = labels.get(self.column_A, self.column_A), labels.get(self.column_B, self.column_B)
        return [checks.sex_matches_id_reason(i, s, a, b) for i, s in rows]


class ColumnPairBirthMatchesId(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.govlake_birth_matches_id"
    condition_domain_keys = ColumnPairSexMatchesId.condition_domain_keys
    condition_value_keys = ("as_of",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, as_of: str | None = None,
                **_: Any) -> pd.Series:  # fmt: skip
        return _apply(lambda a, b: checks.birth_matches_id_ok(a, b, as_of=_day(as_of)),
                      column_A, column_B, whole=True)  # fmt: skip


class ExpectColumnPairBirthDateToMatchCitizenId(ColumnPairMapExpectation):
    """出生日期 (column_B, any accepted date format) equals digits 7-14 of the ID (column_A)."""

    as_of: str | None = None
    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = (
        "neither"  # missing values are skipped by the rule itself, see _apply
    )
    map_metric = "column_pair_values.govlake_birth_matches_id"
    success_keys = ("mostly", "as_of", "ignore_row_if")
    library_metadata: ClassVar[dict] = _LIBRARY

    def explain(self, frame: pd.DataFrame, index: list, labels: Labels) -> list[str]:
        rows = frame.loc[index, [self.column_A, self.column_B]].itertuples(index=False)
        a, b = labels.get(self.column_A, self.column_A), labels.get(self.column_B, self.column_B)
        return [checks.birth_matches_id_reason(i, d, a, b) for i, d in rows]


# --- key uniqueness ---------------------------------------------------------------------------


class MulticolumnKeyFirstOccurrence(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.govlake_key_first_occurrence"
    condition_domain_keys = ("batch_id", "table", "column_list", "row_condition",
                             "condition_parser", "ignore_row_if")  # fmt: skip

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **_: Any) -> pd.Series:
        names = list(column_list.columns)

        def rule(*cols: pd.Series) -> Any:
            return checks.first_occurrence_ok(dict(zip(names, cols, strict=True)), names)

        return _apply(rule, *(column_list[c] for c in names), per_value=False)


def _explain_duplicates(
    cols: list[str], frame: pd.DataFrame, index: list, labels: Labels
) -> list[str]:
    """'same key as row N': N is the ``_source_row`` of the kept (first) copy."""
    positions = frame.index.get_indexer(index)
    names = "+".join(labels.get(c, c) for c in cols)
    known = checks.first_copy_rows(frame, cols, positions)  # a file gated in batches
    if known is not None:
        return [f"duplicate {names}: same key as row {int(n)}" for n in known]
    rows = frame["_source_row"].to_numpy() if "_source_row" in frame else np.arange(len(frame)) + 1
    first = checks.first_copies(frame, cols, positions)
    return [f"duplicate {names}: same key as row {int(n)}" for n in rows[first]]


class ExpectKeyToBeFirstOccurrence(MulticolumnMapExpectation):
    """A compound resource key (normalised) appears once; a later copy fails and the first is
    kept. Rows with a blank key part are left to the not-null expectation."""

    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = (
        "never"  # rows with a blank key part are skipped by the rule itself, see _apply
    )
    map_metric = "multicolumn_values.govlake_key_first_occurrence"
    library_metadata: ClassVar[dict] = _LIBRARY

    def explain(self, frame: pd.DataFrame, index: list, labels: Labels) -> list[str]:
        return _explain_duplicates(list(self.column_list), frame, index, labels)


class ColumnValuesFirstOccurrence(ColumnMapMetricProvider):
    condition_metric_name = "column_values.govlake_first_occurrence"
    filter_column_isnull = False  # see _apply

    @column_condition_partial(engine=PandasExecutionEngine, filter_column_isnull=False)
    def _pandas(cls, column: pd.Series, **_: Any) -> pd.Series:
        # whole: the reasons read the same whole column, so its key codes are computed once
        return _apply(lambda c: checks.first_occurrence_ok({"key": c}, ["key"]), column,
                      per_value=False, whole=True)  # fmt: skip


class ExpectColumnValuesToBeFirstOccurrence(ColumnMapExpectation):
    """A one-field key (normalised) appears once; a later copy fails, the first is kept.
    (GX's multicolumn expectations need two columns or more.)"""

    map_metric = "column_values.govlake_first_occurrence"
    library_metadata: ClassVar[dict] = _LIBRARY

    def explain(self, frame: pd.DataFrame, index: list, labels: Labels) -> list[str]:
        return _explain_duplicates([self.column], frame, index, labels)


CUSTOM = (
    ExpectColumnValuesToBeValidCitizenId,
    ExpectColumnValuesToBeValidCreditCode,
    ExpectColumnValuesToBeDistrictStreetCode,
    ExpectColumnValuesToBeAllowed,
    ExpectColumnValuesToBeDivisionCode,
    ExpectColumnValuesToBePlausibleDate,
    ExpectColumnValuesToBeParseableAs,
    ExpectColumnValuesToBeNumberBetween,
    ExpectColumnPairSexToMatchCitizenId,
    ExpectColumnPairBirthDateToMatchCitizenId,
    ExpectKeyToBeFirstOccurrence,
    ExpectColumnValuesToBeFirstOccurrence,
)
