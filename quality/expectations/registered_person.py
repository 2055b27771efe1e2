"""registered_person (实有人口登记): what the register cannot say about one row.

The citizen ID carries sex (17th digit) and birth date (digits 7-14); the police extract also
delivers them as fields, and the two must agree (GB 11643). Rows whose ID is itself invalid
are reported once, by the ID expectation, not again here.
"""

from __future__ import annotations

from govlake.quality.suites import SuiteContext

# 迁入日期 can be any date after 1900 up to the delivery date: the default window.
DATE_RANGES: dict[str, tuple[str | None, int | None]] = {}


def expectations(ctx: SuiteContext) -> list:
    from govlake.quality.expectations import (
        ExpectColumnPairBirthDateToMatchCitizenId,
        ExpectColumnPairSexToMatchCitizenId,
    )

    return [
        ExpectColumnPairSexToMatchCitizenId(column_A="citizen_id", column_B="sex", as_of=ctx.as_of),
        ExpectColumnPairBirthDateToMatchCitizenId(
            column_A="citizen_id", column_B="birth_date", as_of=ctx.as_of
        ),
    ]
