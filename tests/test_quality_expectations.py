"""Each custom GX expectation on known-good and known-bad values, run through GX itself."""

from __future__ import annotations

import datetime as dt

import pytest

from govlake.identifiers import make_citizen_id, make_credit_code

pytestmark = pytest.mark.unit

FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
AS_OF = "2024-06-01"


def failing(expectation, **columns) -> list[int]:
    """Row positions GX reports as unexpected for one expectation over ``columns``."""
    import pandas as pd

    from govlake.quality.gx_runner import run_suite

    validation = run_suite(pd.DataFrame(columns), [expectation], "t")
    (index,) = validation.failing.values()
    return index


def wrong_check(value: str) -> str:
    return value[:-1] + ("0" if value[-1] != "0" else "1")


def test_citizen_id_good_and_bad() -> None:
    from govlake.quality.expectations import ExpectColumnValuesToBeValidCitizenId

    good = make_citizen_id("110107", dt.date(1990, 1, 1), 1, True)
    post_2014 = [
        make_citizen_id("110118", dt.date(2016, 3, 1), 2, False),  # 密云区 (2015)
        make_citizen_id("110119", dt.date(2016, 3, 1), 3, True),  # 延庆区 (2015)
        make_citizen_id("130284", dt.date(2017, 5, 1), 1, True),  # 滦州市 (2018)
    ]
    from stdnum.cn import ric

    assert not ric.is_valid(post_2014[-1])  # the case stdnum gets wrong
    values = [
        good,  # 0 ok
        *post_2014,  # 1-3 ok
        good.translate(FULLWIDTH),  # 4 ok after NFKC
        f"\u3000{good} ",  # 5 ok after trim
        make_citizen_id("110107", dt.date(1990, 1, 1), 5, True).lower(),  # 6 ok (x → X)
        wrong_check(good),  # 7 bad check char
        "999999" + good[6:],  # 8 unknown division
        make_citizen_id("110107", dt.date(2030, 1, 1), 1, True),  # 9 born after as_of
        good[:10] + "1332" + good[14:],  # 10 not a date
        good[:17],  # 11 too short
        None,  # 12 missing: not this expectation's business
    ]
    exp = ExpectColumnValuesToBeValidCitizenId(column="id", as_of=AS_OF)
    assert failing(exp, id=values) == [7, 8, 9, 10, 11]


def test_citizen_id_reason_names_the_expected_check_char() -> None:
    import pandas as pd

    from govlake.identifiers import citizen_id_problem
    from govlake.quality.expectations import ExpectColumnValuesToBeValidCitizenId

    good = make_citizen_id("110107", dt.date(1990, 1, 1), 1, True)
    bad = wrong_check(good)
    exp = ExpectColumnValuesToBeValidCitizenId(column="id", as_of=AS_OF)
    (reason,) = exp.explain(pd.DataFrame({"id": [bad]}), [0], {"id": "公民身份号码"})
    assert reason == f"公民身份号码 check character {bad[-1]}, expected {good[-1]}"
    assert reason.endswith(citizen_id_problem(bad).split(", ")[1])


def test_credit_code_good_and_bad() -> None:
    from stdnum.cn import uscc

    from govlake.quality.expectations import ExpectColumnValuesToBeValidCreditCode

    digits = make_credit_code("91", "110107", "MA01ABCD1")
    letter_first = make_credit_code("Y1", "110107", "000000001")  # 农民专业合作社-style
    assert not uscc.is_valid(letter_first)  # stdnum rejects what GB 32100 allows
    values = [
        digits,  # 0
        letter_first,  # 1
        make_credit_code("N2", "110107", "0000000AB"),  # 2
        digits.translate(FULLWIDTH),  # 3 full-width digits
        f" {digits.lower()}\u3000",  # 4 lower case + padding
        wrong_check(digits),  # 5 bad check char
        digits[:5] + "I" + digits[6:],  # 6 I is not in the alphabet
        "91AB0107" + digits[8:],  # 7 division part not digits
        digits[:-2],  # 8 short
    ]
    exp = ExpectColumnValuesToBeValidCreditCode(column="c")
    assert failing(exp, c=values) == [5, 6, 7, 8]


def test_street_code(register) -> None:
    from govlake.quality.expectations import ExpectColumnValuesToBeDistrictStreetCode

    codes = list(register.vocab["street"])
    # the last value is blank: missing, so the not-null rule's to report, not this one's
    values = ["110107001", "１１０１０７０１１", "\u3000110107009 ", "110107007", "110107099",
              "1101", "\u3000"]  # fmt: skip
    exp = ExpectColumnValuesToBeDistrictStreetCode(column="s", codes=codes)
    assert failing(exp, s=values) == [3, 4, 5]


def test_allowed_values_match_gx_in_set_on_text_and_categories(register) -> None:
    """The register's allowed values: normalised text (full-width letters, U+3000 padding are
    cosmetic), missing values pass; the same rows as GX's built-in in-set expectation on the
    normalised values, whether the column is plain text or a Categorical."""
    import great_expectations.expectations as gxe
    import pandas as pd
    import pyarrow as pa

    from govlake.quality.checks import normalise_text
    from govlake.quality.expectations import ExpectColumnValuesToBeAllowed

    allowed = list(register.vocab["ethnicity"])
    values = ["汉族", "\u3000回族 ", "火星族", None, "汉", "满族", "Ｈａｎ", ""]
    exp = ExpectColumnValuesToBeAllowed(column="e", value_set=allowed,
                                        values_from="vocab:ethnicity")  # fmt: skip
    assert failing(exp, e=values) == [2, 4, 6]
    assert failing(exp, e=pd.Series(values, dtype="category")) == [2, 4, 6]
    clean = normalise_text(pa.array(values, pa.string())).to_pylist()
    assert failing(gxe.ExpectColumnValuesToBeInSet(column="e", value_set=allowed), e=clean) == [
        2, 4, 6]  # fmt: skip
    frame = pd.DataFrame({"e": values})
    reason = "民族 '火星族' is not in vocabulary ethnicity"
    assert exp.explain(frame, [2], {"e": "民族"}) == [reason]


def test_division_code() -> None:
    from govlake.quality.expectations import ExpectColumnValuesToBeDivisionCode

    exp = ExpectColumnValuesToBeDivisionCode(column="d")
    assert failing(exp, d=["110107", "110118", "１１０１０８", "999999", "11010"]) == [3, 4]


def test_plausible_date_accepts_every_listed_format() -> None:
    from govlake.formats import DATE_FORMATS
    from govlake.quality.expectations import ExpectColumnValuesToBePlausibleDate

    day = dt.date(2001, 2, 3)
    good = [day.strftime(f) for f in DATE_FORMATS] + [" 2001-02-03\u3000"]
    bad = ["2001-02-30", "03/02/2001", "1899-12-31", "2024-06-02", "yesterday"]
    exp = ExpectColumnValuesToBePlausibleDate(column="d", min_date="1900-01-01", max_date=AS_OF)
    assert failing(exp, d=good + bad) == list(range(len(good), len(good) + len(bad)))


def test_parseable_and_range() -> None:
    from govlake.quality.expectations import (
        ExpectColumnValuesToBeNumberBetween,
        ExpectColumnValuesToBeParseableAs,
    )

    values = ["1", "１２", " 3 ", "1,200", "-4", "2.5", "abc", "0"]
    as_int = ExpectColumnValuesToBeParseableAs(column="n", value_type="integer")
    assert failing(as_int, n=values) == [5, 6]
    as_dec = ExpectColumnValuesToBeParseableAs(column="n", value_type="decimal")
    assert failing(as_dec, n=values) == [6]
    months = ["2024-01", "2024/02", "202403", "2024年04月", "2024-13", "2024-01-01x"]
    as_month = ExpectColumnValuesToBeParseableAs(column="m", value_type="month")
    assert failing(as_month, m=months) == [4, 5]
    between = ExpectColumnValuesToBeNumberBetween(column="n", min_value=1, max_value=200)
    # 1,200 > 200; -4 < 1; 0 < 1; "abc" is the parse rule's to report
    assert failing(between, n=values) == [3, 4, 7]


def test_sex_and_birth_date_agree_with_id() -> None:
    from govlake.quality.expectations import (
        ExpectColumnPairBirthDateToMatchCitizenId,
        ExpectColumnPairSexToMatchCitizenId,
    )

    man = make_citizen_id("110107", dt.date(1980, 5, 6), 7, True)
    woman = make_citizen_id("110118", dt.date(1999, 12, 31), 8, False)
    ids = [man, woman, man, woman, wrong_check(man), man.translate(FULLWIDTH), None]
    sexes = ["男", "女", "女", "男", "女", " 男 ", "女"]
    exp = ExpectColumnPairSexToMatchCitizenId(column_A="id", column_B="sex", as_of=AS_OF)
    # 4: the ID itself is invalid, reported by the ID expectation only; 6: no ID
    assert failing(exp, id=ids, sex=sexes) == [2, 3]

    dates = ["1980-05-06", "1999/12/31", "1980-05-07", "19991231", "1990-01-01", "1980年05月06日",
             "1990-01-01"]  # fmt: skip
    exp = ExpectColumnPairBirthDateToMatchCitizenId(column_A="id", column_B="b", as_of=AS_OF)
    assert failing(exp, id=ids, b=dates) == [2]


@pytest.mark.parametrize("hashed", [False, True], ids=["encoded", "hashed"])
def test_key_first_occurrence_flags_later_copies_only(monkeypatch, hashed: bool) -> None:
    """Both ways key codes are made: Arrow's encoding (small columns) and a 64-bit hash checked
    exact (from ``checks._HASHED_FROM`` values on; lowered here to take that path)."""
    import pandas as pd

    from govlake.quality.expectations import (
        ExpectColumnValuesToBeFirstOccurrence,
        ExpectKeyToBeFirstOccurrence,
    )

    if hashed:
        monkeypatch.setattr("govlake.quality.checks._HASHED_FROM", 0)
    single = ExpectColumnValuesToBeFirstOccurrence(column="k")
    keys = ["a", "b", "a", "Ａ", None, None, "c", "b"]
    assert failing(single, k=keys) == [2, 3, 7]
    frame = pd.DataFrame({"k": keys, "_source_row": range(1, 9)})
    assert single.explain(frame, [3, 7], {"k": "户号"}) == [
        "duplicate 户号: same key as row 1",
        "duplicate 户号: same key as row 2",
    ]
    compound = ExpectKeyToBeFirstOccurrence(column_list=["k", "m"])
    months = ["2024-01", "2024-01", "2024-02", "2024-02", "2024-01", "2024-01", None, "2024-01"]
    assert failing(compound, k=keys, m=months) == [3, 7]
    frame["m"] = months
    assert compound.explain(frame, [3, 7], {"k": "户号", "m": "月份"}) == [
        "duplicate 户号+月份: same key as row 3",
        "duplicate 户号+月份: same key as row 2",
    ]


def test_key_codes_fall_back_when_hashes_collide(monkeypatch) -> None:
    """A 64-bit hash collision between two different keys cannot be produced on purpose, so
    the hash is replaced here by one that collides for every value: the codes must still
    group exactly the equal keys (``key_codes`` falls back to Arrow's exact encoding)."""
    import numpy as np
    import pyarrow as pa

    from govlake.quality import checks

    monkeypatch.setattr(checks, "_HASHED_FROM", 0)
    values = pa.array(["A1", "B2", "a1", None, "C3", "B2"])
    assert checks._hashed_codes(values) is not None  # real hashes: no collision
    monkeypatch.setattr(checks, "_key_hashes", lambda v: np.zeros(len(v), dtype=np.uint64))
    assert checks._hashed_codes(values) is None
    codes = checks.key_codes(values).tolist()
    assert codes[0] == codes[2] and codes[1] == codes[5] and codes[3] == -1
    assert len({codes[0], codes[1], codes[4]}) == 3


def test_importing_the_package_does_not_import_gx() -> None:
    import subprocess
    import sys

    code = "import sys, govlake.quality; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
